/**
 * Lifting L and projection P around a dictionary operator (L-SAE, L-SAE-CNN, L-SAE-FNO):
 * the encoder works on L·x in h lifted dimensions/channels; the decoder returns P·D_L·z.
 * Dense signals [B, m] are lifted by L ∈ R^{h×m}; functional signals [B, c, N] pointwise
 * by L ∈ R^{h×c}. Kinds: orthonormal (LᵀL = I, P = Lᵀ), gaussian (entries N(0, 1/h), P = Lᵀ),
 * explicit arrays, or learned (initialised orthonormal, then trained).
 */
import { reshape } from '../../core/ops/elementwise.js';
import { matmul } from '../../core/ops/matmul.js';
import { channelMix } from '../../core/ops/pointwise.js';
import type { Rng } from '../../core/rng.js';
import { allocate, type DType, Tensor } from '../../core/tensor.js';

export type LiftingKind = 'orthonormal' | 'gaussian' | 'explicit' | 'learned';

export class Lifting {
  /**
   * @param L [h, c] lifting
   * @param P [c, h] projection
   * @param learned whether L and P are trained
   */
  constructor(
    readonly L: Tensor,
    readonly P: Tensor,
    readonly learned: boolean,
  ) {
    const [h, c] = L.shape;
    if (L.ndim !== 2 || P.ndim !== 2 || P.shape[0] !== c || P.shape[1] !== h) {
      throw new RangeError(`Lifting: L must be [h, c] and P [c, h]; got L [${L.shape.join(', ')}], P [${P.shape.join(', ')}]`);
    }
    L.name = 'L';
    P.name = 'P';
    L.requiresGrad = learned;
    P.requiresGrad = learned;
  }

  get width(): number {
    return this.L.shape[0];
  }

  get channels(): number {
    return this.L.shape[1];
  }

  get params(): Tensor[] {
    return this.learned ? [this.L, this.P] : [];
  }

  /** x ↦ L·x: [B, c] → [B, h] or [B, c, N] → [B, h, N]. */
  lift(x: Tensor): Tensor {
    return x.ndim === 2 ? matmul(x, this.L, { transB: true }) : channelMix(x, this.L);
  }

  /** y ↦ P·y: [B, h] → [B, c] or [B, h, N] → [B, c, N]. */
  project(y: Tensor): Tensor {
    return y.ndim === 2 ? matmul(y, this.P, { transB: true }) : channelMix(y, this.P);
  }

  /**
   * P·w over the leading (output-channel) axis of operator weights: w [h, …] → [c, …]. P acts pointwise in space
   * and the operators act per output channel linearly in their weights, so P·(D_L z) is the operator with weights
   * P·w applied to z: the decoder then forms (and transforms) c channels instead of h.
   */
  foldProjection(w: Tensor): Tensor {
    const [h, ...rest] = w.shape;
    return reshape(matmul(this.P, reshape(w, [h, -1])), [this.channels, ...rest]);
  }

  /** A lifting of width h ≥ c for c channels (or m dimensions). */
  static create(kind: Exclude<LiftingKind, 'explicit'>, h: number, c: number, rng: Rng, dtype: DType): Lifting {
    if (!Number.isInteger(h) || h < 1) throw new RangeError(`Lifting: width h must be a positive integer, got ${h}`);
    let L: Float64Array;
    if (kind === 'gaussian') {
      L = new Float64Array(h * c);
      rng.fillNormal(L, 1 / Math.sqrt(h));
    } else {
      if (h < c) throw new RangeError(`Lifting: an orthonormal lifting needs width h ≥ ${c} (the input size), got ${h}`);
      L = orthonormalColumns(h, c, rng);
    }
    const Lt = allocate(dtype, h * c);
    Lt.set(L);
    const Pt = allocate(dtype, c * h);
    for (let i = 0; i < h; i++) for (let j = 0; j < c; j++) Pt[j * h + i] = L[i * c + j];
    return new Lifting(new Tensor(Lt, [h, c]), new Tensor(Pt, [c, h]), kind === 'learned');
  }
}

/** A random h×c matrix with orthonormal columns (modified Gram–Schmidt on a Gaussian draw). */
export function orthonormalColumns(h: number, c: number, rng: Rng): Float64Array {
  const Q = new Float64Array(h * c);
  rng.fillNormal(Q);
  for (let j = 0; j < c; j++) {
    for (let pass = 0; pass < 2; pass++) {
      // re-orthogonalise once: keeps LᵀL = I to round-off for tall thin matrices
      for (let k = 0; k < j; k++) {
        let d = 0;
        for (let i = 0; i < h; i++) d += Q[i * c + k] * Q[i * c + j];
        for (let i = 0; i < h; i++) Q[i * c + j] -= d * Q[i * c + k];
      }
    }
    let n = 0;
    for (let i = 0; i < h; i++) n += Q[i * c + j] ** 2;
    n = Math.sqrt(n);
    for (let i = 0; i < h; i++) Q[i * c + j] /= n;
  }
  return Q;
}
