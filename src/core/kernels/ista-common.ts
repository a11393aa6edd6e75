/**
 * Shared pieces of the fused unrolled-ISTA tapes (ista-dense.ts, ista-spectral.ts; SPEC §4): settings, the
 * shrinkage steps, the masked gradient and the in-order reduction of per-chunk partial sums.
 *
 * Step t = 1…T: u^t = z^{t−1} + α·Dᵀ(x − D z^{t−1}) (z⁰ = 0), z^t = S_θ(u^t). Backward, with gu = gz^t ⊙ [z^t ≠ 0]:
 *   gz^{t−1} = gu − α·DᵀD gu,   gx += α·D gu,   gθ −= Σ gu·sign(z^t),
 *   gD += α·(∂_D⟨D gu, r^t⟩ − ∂_D⟨D z^{t−1}, D gu⟩)  with r^t = x − D z^{t−1}.
 * Hand-written because the composed-op tape costs an allocation and a pass over memory per op and iteration.
 */
import type { FloatArray } from '../tensor.js';

/** Iteration count T ≥ 1, step α, threshold θ = α·λ ≥ 0, one- or two-sided shrinkage. */
export interface IstaSettings {
  T: number;
  alpha: number;
  theta: number;
  oneSided: boolean;
}

/** z = S_θ(u) for `n` entries: out[o..] from u[uo..]. */
export function shrinkInto(u: ArrayLike<number>, uo: number, n: number, theta: number, oneSided: boolean, out: FloatArray, o: number): void {
  if (oneSided) {
    for (let i = 0; i < n; i++) {
      const v = u[uo + i];
      out[o + i] = v > theta ? v - theta : 0;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = u[uo + i];
      out[o + i] = v > theta ? v - theta : v < -theta ? v + theta : 0;
    }
  }
}

/** out[o + i] = S_θ(prev[po + i] + α·y[i]) for i < n (prev = null: z⁰ = 0): one ISTA update and shrinkage. */
export function stepShrink(y: ArrayLike<number>, prev: ArrayLike<number> | null, po: number, alpha: number, theta: number, oneSided: boolean, out: FloatArray, o: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = (prev ? prev[po + i] : 0) + alpha * y[i];
    out[o + i] = v > theta ? v - theta : !oneSided && v < -theta ? v + theta : 0;
  }
}

/**
 * gu = gz ⊙ [z ≠ 0] in place on gz[go..go+n) (z at zo); returns Σ gu·sign(z) (−∂L/∂θ's share).
 */
export function maskGrad(gz: FloatArray, go: number, z: ArrayLike<number>, zo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const v = z[zo + i];
    if (v === 0) gz[go + i] = 0;
    else s += v > 0 ? gz[go + i] : -gz[go + i];
  }
  return s;
}

/** Grows a float64 scratch buffer to at least `n` entries, keeping nothing. */
export function grow(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  return a.length >= n ? a : new Float64Array(n);
}

/** Σ over chunks (in chunk order) of `part` [chunks, len] from offset `o` within each chunk's row of `stride`. */
export function sumChunks(part: FloatArray, chunks: number, stride: number, o: number, len: number, out: Float64Array): void {
  out.fill(0, 0, len);
  for (let c = 0; c < chunks; c++) {
    const base = c * stride + o;
    for (let j = 0; j < len; j++) out[j] += part[base + j];
  }
}

export function sumTheta(g: Float64Array, chunks: number): number {
  let s = 0;
  for (let c = 0; c < chunks; c++) s += g[c];
  return s;
}

