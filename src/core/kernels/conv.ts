/**
 * Multi-channel circular 1-D convolution kernels on typed arrays (periodic domain):
 * forward (Dz)[b,i,n] = Σ_c Σ_j d[i,c,j]·z[b,c,(n−j) mod N], its adjoint (circular
 * correlation) and the kernel gradient. Hand-written: K ≪ N direct loops split at the
 * wrap point beat an FFT for the receptive fields used here and need no modulo per tap.
 */
import type { FloatArray } from '../tensor.js';

/** out[n] += w·src[(n − j) mod N] for n in [0,N): a circular shift-and-add without modulo. */
function shiftAdd(out: FloatArray, o: number, src: ArrayLike<number>, s: number, N: number, j: number, w: number): void {
  const jj = j % N;
  // n < jj reads src[n − jj + N]; n ≥ jj reads src[n − jj]
  for (let n = 0; n < jj; n++) out[o + n] += w * src[s + n - jj + N];
  for (let n = jj; n < N; n++) out[o + n] += w * src[s + n - jj];
}

/** Σ_n a[n]·b[(n − j) mod N]: the circular cross term used by the kernel gradient. */
function shiftDot(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, N: number, j: number): number {
  const jj = j % N;
  let s = 0;
  for (let n = 0; n < jj; n++) s += a[ao + n] * b[bo + n - jj + N];
  for (let n = jj; n < N; n++) s += a[ao + n] * b[bo + n - jj];
  return s;
}

/**
 * Circular convolution. z: [B, C, N], d: [cin, C, K], out: [B, cin, N] (overwritten).
 */
export function convForward(z: ArrayLike<number>, d: ArrayLike<number>, B: number, C: number, cin: number, N: number, K: number, out: FloatArray): void {
  out.fill(0, 0, B * cin * N);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < cin; i++) {
      const o = (b * cin + i) * N;
      for (let c = 0; c < C; c++) {
        const s = (b * C + c) * N;
        const dk = (i * C + c) * K;
        for (let j = 0; j < K; j++) {
          const w = d[dk + j];
          if (w !== 0) shiftAdd(out, o, z, s, N, j, w);
        }
      }
    }
  }
}

/**
 * Adjoint of `convForward` (circular correlation): out[b,c,m] = Σ_i Σ_j d[i,c,j]·x[b,i,(m+j) mod N].
 * x: [B, cin, N], d: [cin, C, K], out: [B, C, N] (overwritten).
 */
export function convAdjoint(x: ArrayLike<number>, d: ArrayLike<number>, B: number, C: number, cin: number, N: number, K: number, out: FloatArray): void {
  out.fill(0, 0, B * C * N);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const o = (b * C + c) * N;
      for (let i = 0; i < cin; i++) {
        const s = (b * cin + i) * N;
        const dk = (i * C + c) * K;
        for (let j = 0; j < K; j++) {
          const w = d[dk + j];
          // shift by −j is a shift by N − j
          if (w !== 0) shiftAdd(out, o, x, s, N, (N - (j % N)) % N, w);
        }
      }
    }
  }
}

/**
 * Kernel gradient of ⟨g, conv(z, d)⟩: gd[i,c,j] += Σ_b Σ_n g[b,i,n]·z[b,c,(n−j) mod N].
 * z: [B, C, N], g: [B, cin, N], gd: [cin, C, K] (accumulated).
 */
export function convKernelGrad(z: ArrayLike<number>, g: ArrayLike<number>, B: number, C: number, cin: number, N: number, K: number, gd: FloatArray): void {
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < cin; i++) {
      const go = (b * cin + i) * N;
      for (let c = 0; c < C; c++) {
        const zo = (b * C + c) * N;
        const dk = (i * C + c) * K;
        for (let j = 0; j < K; j++) gd[dk + j] += shiftDot(g, go, z, zo, N, j);
      }
    }
  }
}
