/**
 * Dense dictionary (SAE, and the lifted D_L of L-SAE): D ∈ R^{m×p}, atoms are columns.
 * Codes z: [B, p]; signals x: [B, m].
 */
import { spectralNormSqDense } from '../../core/kernels/eigen.js';
import { matmul } from '../../core/ops/matmul.js';
import { expectShape, Tensor } from '../../core/tensor.js';
import type { DictionaryOperator, ParameterBlock } from './operator.js';

export class DenseDictionary implements DictionaryOperator {
  readonly kind = 'dense' as const;
  readonly atoms: number;
  readonly outChannels: number;

  /** @param D [m, p] dictionary (becomes a trainable parameter). */
  constructor(readonly D: Tensor) {
    if (D.ndim !== 2) throw new RangeError(`DenseDictionary: D must be [m, p], got [${D.shape.join(', ')}]`);
    [this.outChannels, this.atoms] = D.shape as [number, number];
    D.requiresGrad = true;
    D.name = 'D';
  }

  get params(): Tensor[] {
    return [this.D];
  }

  get named(): Record<string, Tensor> {
    return { D: this.D };
  }

  apply(z: Tensor): Tensor {
    expectShape('DenseDictionary.apply', 'codes', z, [-1, this.atoms]);
    return matmul(z, this.D, { transB: true });
  }

  adjoint(x: Tensor): Tensor {
    expectShape('DenseDictionary.adjoint', 'signal', x, [-1, this.outChannels]);
    return matmul(x, this.D);
  }

  /**
   * ‖D‖²: the top eigenvalue of the smaller Gram matrix (D·Dᵀ or Dᵀ·D, float64) by a dense symmetric eigensolve
   * (core/kernels/eigen.ts), exact to round-off and a pure function of D (no cached start vector, so a resumed
   * run computes the same α bit for bit). O(m·p·min(m, p)).
   */
  normSq(): number {
    return spectralNormSqDense(this.D.data, this.outChannels, this.atoms);
  }

  minResolution(): number {
    return 1;
  }

  atomArrays(): Float64Array[] {
    const [m, p] = [this.outChannels, this.atoms];
    return Array.from({ length: p }, (_, c) => {
      const a = new Float64Array(m);
      for (let i = 0; i < m; i++) a[i] = this.D.data[i * p + c];
      return a;
    });
  }

  blocks(): ParameterBlock[] {
    return [{ data: this.D.data, outChannels: this.outChannels, atoms: this.atoms, taps: 1, tapWeight: () => 1 }];
  }
}
