/**
 * The dictionary operator: the one thing that differs between SAE, SAE-CNN and SAE-FNO.
 * Every model is one unrolled-ISTA encoder around an operator D: codes → signals.
 *
 * Parameter layout shared by all operators: blocks of shape [outChannels, atoms, taps]
 * (dense D: [m, p, 1]; conv kernels: [c_out, C, K]; spectral weights: [c_out, C, M] real and
 * imaginary parts), with a per-tap weight in the atom's norm (1 for dense/conv taps; Parseval
 * weights 1 for k = 0 and 2 for k > 0 for spectral modes). Atom norms and their scaling are
 * computed once here for all operators.
 */
import type { Tensor } from '../../core/tensor.js';

export interface DictionaryOperator {
  /** 'dense' | 'conv' | 'spectral'. */
  readonly kind: 'dense' | 'conv' | 'spectral';
  /** Number of atoms (p) or concepts (C). */
  readonly atoms: number;
  /** Output channels: m for dense, c_out (c_in or lifted h) for conv and spectral. */
  readonly outChannels: number;
  /** Trainable tensors, in a fixed order (checkpoints and optimizers rely on it). */
  readonly params: Tensor[];
  /** Named tensors for checkpoints. */
  readonly named: Record<string, Tensor>;
  /** D z. Dense: z [B, p] → [B, m]; functional: z [B, C, N] → [B, c_out, N]. */
  apply(z: Tensor): Tensor;
  /** Dᵀ x, the exact adjoint under the Euclidean inner product of sample vectors. */
  adjoint(x: Tensor): Tensor;
  /** ‖D‖² (squared spectral norm) for inputs of resolution N (ignored where it does not depend on N). */
  normSq(N: number): number;
  /** Smallest resolution the operator accepts (2M − 1 for spectral, 1 otherwise). */
  minResolution(): number;
  /**
   * The atoms as sampled arrays at resolution N: atom c is D applied to a unit code at
   * position 0, in the operator's own convention (conv: the kernel taps; spectral: the
   * concept function κ_c(n/N)). Each array is [outChannels·N] (dense: [m]).
   */
  atomArrays(N: number): Float64Array[];
  /** Parameter blocks [outChannels, atoms, taps] with per-tap Parseval weights (see header). */
  blocks(): ParameterBlock[];
}

export interface ParameterBlock {
  data: Float32Array | Float64Array;
  outChannels: number;
  atoms: number;
  taps: number;
  /** Weight of tap k in the atom's squared norm. */
  tapWeight: (k: number) => number;
}

/**
 * Squared norm of each atom of the effective dictionary P·D (P: [cEff, outChannels]
 * row-major, or null for P = I): Σ_i Σ_k w_k·|Σ_h P[i,h]·block[h,c,k]|² over all blocks.
 */
export function atomNormsSq(blocks: ParameterBlock[], P: ArrayLike<number> | null, cEff: number): Float64Array {
  const C = blocks[0].atoms;
  const out = new Float64Array(C);
  for (const bl of blocks) {
    const { data, outChannels: H, taps: K } = bl;
    const rows = P ? cEff : H;
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const w = bl.tapWeight(k);
        for (let i = 0; i < rows; i++) {
          let v: number;
          if (P) {
            v = 0;
            for (let h = 0; h < H; h++) v += P[i * H + h] * data[(h * C + c) * K + k];
          } else v = data[(i * C + c) * K + k];
          s += w * v * v;
        }
      }
      out[c] += s;
    }
  }
  return out;
}

/** Multiplies atom c of every block by factors[c] (in place). */
export function scaleAtoms(blocks: ParameterBlock[], factors: ArrayLike<number>): void {
  for (const { data, outChannels: H, atoms: C, taps: K } of blocks) {
    for (let h = 0; h < H; h++) for (let c = 0; c < C; c++) {
      const f = factors[c];
      const o = (h * C + c) * K;
      for (let k = 0; k < K; k++) data[o + k] *= f;
    }
  }
}

/**
 * Largest eigenvalue of the symmetric PSD operator `gram` (v ↦ Gv) by power iteration
 * from a fixed start (deterministic); stops when the Rayleigh quotient changes < 1e-12 relative.
 */
export function powerIteration(gram: (v: Float64Array) => Float64Array, n: number, maxIter = 1000): number {
  let v: Float64Array = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = 1 + ((i * 7919) % 13) / 13; // fixed, generic start
  let lam = 0;
  for (let it = 0; it < maxIter; it++) {
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    if (norm === 0) return 0;
    for (let i = 0; i < n; i++) v[i] /= norm;
    const w = gram(v);
    let next = 0;
    for (let i = 0; i < n; i++) next += v[i] * w[i];
    v = w;
    if (Math.abs(next - lam) <= 1e-12 * Math.abs(next)) return next;
    lam = next;
  }
  return lam;
}
