/**
 * Convolutional dictionary (SAE-CNN, and D_L of L-SAE-CNN): kernels d ∈ R^{c_out×C×K},
 * (Dz)[b,i,n] = Σ_c Σ_j d[i,c,j]·z[b,c,(n−j) mod N]. Taps are in sample units, so the atom
 * is a different function at every resolution (the SAE-CNN's lack of discretisation
 * invariance). Codes are in height units.
 */
import { circularConv, circularCorr } from '../../core/ops/conv.js';
import { kernelToSpectral, spectralNormSq } from '../../core/kernels/spectral.js';
import { expectShape, Tensor } from '../../core/tensor.js';
import type { Lifting } from './lifting.js';
import type { DictionaryOperator, ParameterBlock } from './operator.js';

export class ConvDictionary implements DictionaryOperator {
  readonly kind = 'conv' as const;
  readonly atoms: number;
  readonly outChannels: number;
  readonly taps: number;

  /** @param d [c_out, C, K] kernels (becomes a trainable parameter). */
  constructor(readonly d: Tensor) {
    if (d.ndim !== 3) throw new RangeError(`ConvDictionary: kernels must be [c_out, C, K], got [${d.shape.join(', ')}]`);
    [this.outChannels, this.atoms, this.taps] = d.shape as [number, number, number];
    d.requiresGrad = true;
    d.name = 'kernels';
  }

  get params(): Tensor[] {
    return [this.d];
  }

  get named(): Record<string, Tensor> {
    return { kernels: this.d };
  }

  apply(z: Tensor): Tensor {
    expectShape('ConvDictionary.apply', 'codes', z, [-1, this.atoms, -1]);
    return circularConv(z, this.d);
  }

  /** P·D z with the projection folded into the kernels (`Lifting.foldProjection`): z [B, C, N] → [B, c, N]. */
  applyProjected(z: Tensor, lifting: Lifting): Tensor {
    expectShape('ConvDictionary.applyProjected', 'codes', z, [-1, this.atoms, -1]);
    return circularConv(z, lifting.foldProjection(this.d));
  }

  adjoint(x: Tensor): Tensor {
    expectShape('ConvDictionary.adjoint', 'signal', x, [-1, this.outChannels, -1]);
    return circularCorr(x, this.d);
  }

  /**
   * ‖D‖² at resolution N: circular convolution is diagonalised by the DFT, so it is
   * max_k λ_max(d̂(k)·d̂(k)ᴴ) with d̂(k) = Σ_j d[·,·,j]·e^{−2πikj/N} (direct DFT: K·N/2 terms).
   */
  normSq(N: number): number {
    const { outChannels: H, atoms: C, taps: K } = this;
    const modes = Math.floor(N / 2) + 1;
    const re = new Float64Array(H * C * modes);
    const im = new Float64Array(H * C * modes);
    kernelToSpectral(this.d.data, H, C, K, N, modes, re, im);
    return spectralNormSq(re, im, H, C, modes, N);
  }

  minResolution(): number {
    return 1;
  }

  /** Kernel c placed at indices 0…K−1 of a length-N grid (taps beyond N wrap), per channel. */
  atomArrays(N: number): Float64Array[] {
    const { outChannels: H, atoms: C, taps: K } = this;
    return Array.from({ length: C }, (_, c) => {
      const a = new Float64Array(H * N);
      for (let i = 0; i < H; i++) for (let j = 0; j < K; j++) a[i * N + (j % N)] += this.d.data[(i * C + c) * K + j];
      return a;
    });
  }

  blocks(): ParameterBlock[] {
    return [{ data: this.d.data, outChannels: this.outChannels, atoms: this.atoms, taps: this.taps, tapWeight: () => 1 }];
  }
}
