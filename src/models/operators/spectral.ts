/**
 * Spectral dictionary (SAE-FNO, and D_L of L-SAE-FNO), SPEC §4: complex weights
 * w ∈ C^{c_out×C×M} on the first M Fourier modes, (Dz)[n] = Σ_c Σ_{|k|<M} w_{c,k}·Z_{c,k}·e^{2πikn/N}
 * with forward-normalised Z. Equivalently (Dz)[n] = (1/N)·Σ_m κ_c((n−m)/N)·z_c[m]: a rectangle
 * rule for an integral operator with concept function κ_c, so codes are in mass units and the
 * same weights apply at every N ≥ 2M − 1 (N is read from the input, never stored).
 */
import { spectralNormSq } from '../../core/kernels/spectral.js';
import { spectralConv, spectralConvAdjoint } from '../../core/ops/spectral.js';
import { noGrad } from '../../core/autodiff.js';
import { expectShape, ShapeError, Tensor } from '../../core/tensor.js';
import type { Lifting } from './lifting.js';
import type { DictionaryOperator, ParameterBlock } from './operator.js';

/** Parseval weight of mode k in ‖κ‖²_{L2[0,1)}: modes ±k share one stored coefficient. */
const parseval = (k: number): number => (k === 0 ? 1 : 2);

export class SpectralDictionary implements DictionaryOperator {
  readonly kind = 'spectral' as const;
  readonly atoms: number;
  readonly outChannels: number;
  readonly modes: number;

  /** @param wRe @param wIm [c_out, C, M] real and imaginary parts (trainable). */
  constructor(
    readonly wRe: Tensor,
    readonly wIm: Tensor,
  ) {
    if (wRe.ndim !== 3 || wRe.shape.some((d, i) => d !== wIm.shape[i])) {
      throw new RangeError(`SpectralDictionary: weights must be [c_out, C, M] (re and im alike), got [${wRe.shape.join(', ')}] and [${wIm.shape.join(', ')}]`);
    }
    [this.outChannels, this.atoms, this.modes] = wRe.shape as [number, number, number];
    for (const [t, n] of [
      [wRe, 'weights_re'],
      [wIm, 'weights_im'],
    ] as const) {
      t.requiresGrad = true;
      t.name = n;
    }
    // the k = 0 mode of a real kernel is real
    for (let ic = 0; ic < this.outChannels * this.atoms; ic++) wIm.data[ic * this.modes] = 0;
  }

  get params(): Tensor[] {
    return [this.wRe, this.wIm];
  }

  get named(): Record<string, Tensor> {
    return { weights_re: this.wRe, weights_im: this.wIm };
  }

  apply(z: Tensor): Tensor {
    expectShape('SpectralDictionary.apply', 'codes', z, [-1, this.atoms, -1]);
    return spectralConv(z, this.wRe, this.wIm);
  }

  /** P·D z with the projection folded into the weights (`Lifting.foldProjection`): z [B, C, N] → [B, c, N]. */
  applyProjected(z: Tensor, lifting: Lifting): Tensor {
    expectShape('SpectralDictionary.applyProjected', 'codes', z, [-1, this.atoms, -1]);
    return spectralConv(z, lifting.foldProjection(this.wRe), lifting.foldProjection(this.wIm));
  }

  adjoint(x: Tensor): Tensor {
    expectShape('SpectralDictionary.adjoint', 'signal', x, [-1, this.outChannels, -1]);
    return spectralConvAdjoint(x, this.wRe, this.wIm);
  }

  /** ‖D‖² = max_k λ_max(W_k W_kᴴ); independent of N. */
  normSq(): number {
    return spectralNormSq(this.wRe.data, this.wIm.data, this.outChannels, this.atoms, this.modes);
  }

  minResolution(): number {
    return 2 * this.modes - 1;
  }

  /** κ_c(n/N) per output channel: N·(D e_0), the concept function sampled at N. */
  atomArrays(N: number): Float64Array[] {
    if (N < this.minResolution()) throw new ShapeError('SpectralDictionary.atomArrays', `resolution N = ${N} is below 2M − 1 = ${this.minResolution()}`);
    const { atoms: C, outChannels: H } = this;
    const re = this.wRe.to('float64');
    const im = this.wIm.to('float64');
    return noGrad(() => {
      const spikes = Tensor.zeros([C, C, N], 'float64');
      for (let c = 0; c < C; c++) spikes.data[(c * C + c) * N] = 1;
      const y = spectralConv(spikes, re, im).data;
      return Array.from({ length: C }, (_, c) => {
        const a = new Float64Array(H * N);
        for (let i = 0; i < H * N; i++) a[i] = N * y[c * H * N + i];
        return a;
      });
    });
  }

  blocks(): ParameterBlock[] {
    const base = { outChannels: this.outChannels, atoms: this.atoms, taps: this.modes, tapWeight: parseval };
    return [
      { data: this.wRe.data, ...base },
      { data: this.wIm.data, ...base },
    ];
  }
}
