/**
 * The unrolled-ISTA encoder shared by every model (SPEC §4):
 * z⁰ = 0, z^{t+1} = S_{αλ}(z^t + α·Dᵀ(x − D z^t)), t = 0…T−1.
 * The three dictionary families run as one fused op each (core/ops/ista.ts, hand-written backward);
 * any other linear map runs the same iteration as composed ops.
 */
import { add, scale, sub } from '../core/ops/elementwise.js';
import { istaConv, istaDense, istaSpectral } from '../core/ops/ista.js';
import { softThreshold } from '../core/ops/shrink.js';
import type { Tensor } from '../core/tensor.js';
import { ConvDictionary } from './operators/conv.js';
import { DenseDictionary } from './operators/dense.js';
import { SpectralDictionary } from './operators/spectral.js';

/** The two maps ISTA needs: D and its adjoint. */
export interface LinearMap {
  apply(z: Tensor): Tensor;
  adjoint(x: Tensor): Tensor;
}

export interface IstaOptions {
  /** Number of unrolled iterations T ≥ 1. */
  iters: number;
  /** Step size α (e.g. 0.95/‖D‖²). */
  alpha: number;
  /** λ: a number, or a one-element tensor when λ is learned. */
  lambda: Tensor | number;
  /** Non-negative codes: threshold max(u − αλ, 0) instead of the two-sided S_{αλ}. */
  oneSided: boolean;
}

/**
 * Runs T ISTA iterations on x (already lifted if the model lifts) and returns z^T.
 * Records the tape when gradients are enabled (mode `full`); run it under `noGrad` for
 * mode `decoder`.
 */
export function unrolledIsta(D: LinearMap, x: Tensor, opts: IstaOptions): Tensor {
  const { iters, alpha } = opts;
  if (!Number.isInteger(iters) || iters < 1) throw new RangeError(`unrolledIsta: iters T must be a positive integer, got ${iters}`);
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new RangeError(`unrolledIsta: step α must be positive and finite, got ${alpha}`);
  if (D instanceof DenseDictionary) return istaDense(x, D.D, opts);
  if (D instanceof SpectralDictionary) return istaSpectral(x, D.wRe, D.wIm, opts);
  if (D instanceof ConvDictionary) return istaConv(x, D.d, opts);
  return composedIsta(D, x, opts);
}

/** The iteration as composed ops (one tape node per op): the reference the fused ops are tested against. */
export function composedIsta(D: LinearMap, x: Tensor, opts: IstaOptions): Tensor {
  const { iters, alpha, lambda, oneSided } = opts;
  const theta = typeof lambda === 'number' ? alpha * lambda : scale(lambda, alpha);
  // z¹ = S(α·Dᵀx): the first iterate from z⁰ = 0 needs no D·z
  let z = softThreshold(scale(D.adjoint(x), alpha), theta, oneSided);
  for (let t = 1; t < iters; t++) {
    const residual = sub(x, D.apply(z));
    z = softThreshold(add(z, scale(D.adjoint(residual), alpha)), theta, oneSided);
  }
  return z;
}
