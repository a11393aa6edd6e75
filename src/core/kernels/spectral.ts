/**
 * SAE-FNO dictionary kernels (SPEC §4) on raw arrays: the truncated spectral multiply
 * (Dz)[b,i,n] = Σ_c Σ_{|k|<M} w[i,c,k]·Z[b,c,k]·e^{2πikn/N} with forward-normalised Z, its exact
 * adjoint, the weight gradient and ‖D‖². Shapes: z [B, C, N], x [B, c_out, N], w [c_out, C, M].
 * Only the M kept modes are ever computed (a pruned DFT, O(N·M) per channel), with
 * w_{−k} = conj(w_k) and Im w_0 treated as zero. Requires N ≥ 2M − 1 (no Nyquist mode).
 */
import type { FloatArray } from '../tensor.js';

/** Twiddles cos/sin(2πt/N), t ∈ [0, N), cached per N. */
const twiddleCache = new Map<number, { cos: Float64Array; sin: Float64Array }>();
function twiddles(N: number): { cos: Float64Array; sin: Float64Array } {
  let t = twiddleCache.get(N);
  if (!t) {
    t = { cos: new Float64Array(N), sin: new Float64Array(N) };
    for (let n = 0; n < N; n++) {
      t.cos[n] = Math.cos((2 * Math.PI * n) / N);
      t.sin[n] = Math.sin((2 * Math.PI * n) / N);
    }
    twiddleCache.set(N, t);
  }
  return t;
}

function checkSizes(fn: string, N: number, M: number): void {
  if (!Number.isInteger(M) || M < 1 || !Number.isInteger(N) || N < 2 * M - 1) {
    throw new RangeError(`${fn}: resolution N = ${N} must be ≥ 2M − 1 = ${2 * M - 1} for M = ${M} modes`);
  }
}

/** Forward-normalised coefficients of rows of length N: re/im [rows, M] ← (1/N)·Σ_n u[n]·e^{−2πikn/N}. */
function analyse(u: ArrayLike<number>, rows: number, N: number, M: number, re: Float64Array, im: Float64Array): void {
  const { cos, sin } = twiddles(N);
  const inv = 1 / N;
  for (let r = 0; r < rows; r++) {
    const o = r * N;
    for (let k = 0; k < M; k++) {
      let sr = 0;
      let si = 0;
      let t = 0;
      for (let n = 0; n < N; n++) {
        const v = u[o + n];
        sr += v * cos[t];
        si -= v * sin[t];
        t += k;
        if (t >= N) t -= N;
      }
      re[r * M + k] = sr * inv;
      im[r * M + k] = si * inv;
    }
  }
}

/** Real signals from M modes with Hermitian symmetry: out[n] = Re Y_0 + 2·Σ_{k≥1} Re(Y_k·e^{2πikn/N}). */
function synthesise(re: Float64Array, im: Float64Array, rows: number, N: number, M: number, out: FloatArray): void {
  const { cos, sin } = twiddles(N);
  for (let r = 0; r < rows; r++) {
    const o = r * N;
    const y0 = re[r * M];
    for (let n = 0; n < N; n++) out[o + n] = y0;
    for (let k = 1; k < M; k++) {
      const ar = 2 * re[r * M + k];
      const ai = 2 * im[r * M + k];
      let t = 0;
      for (let n = 0; n < N; n++) {
        out[o + n] += ar * cos[t] - ai * sin[t];
        t += k;
        if (t >= N) t -= N;
      }
    }
  }
}

/**
 * Y[b,o,k] = Σ_c W(o,c,k)·U[b,c,k] over the kept modes, where W(o,c,k) is w[o,c,k] (forward)
 * or conj(w[c,o,k]) (adjoint: channels swap roles); Im w_0 is treated as zero.
 */
function mac(ure: Float64Array, uim: Float64Array, wRe: ArrayLike<number>, wIm: ArrayLike<number>, B: number, cIn: number, cOut: number, M: number, adjoint: boolean, yre: Float64Array, yim: Float64Array): void {
  yre.fill(0);
  yim.fill(0);
  // weights stored [c_out_op, C_op, M]; forward: (o, c) = (i, c) → index (o·cIn + c); adjoint: (o, c) = (c_op, i) → (c·cOut + o)
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < cOut; o++) {
      const yo = (b * cOut + o) * M;
      for (let c = 0; c < cIn; c++) {
        const uo = (b * cIn + c) * M;
        const wo = (adjoint ? c * cOut + o : o * cIn + c) * M;
        const sgn = adjoint ? -1 : 1;
        yre[yo] += wRe[wo] * ure[uo];
        yim[yo] += wRe[wo] * uim[uo];
        for (let k = 1; k < M; k++) {
          const wr = wRe[wo + k];
          const wi = sgn * wIm[wo + k];
          const ur = ure[uo + k];
          const ui = uim[uo + k];
          yre[yo + k] += wr * ur - wi * ui;
          yim[yo + k] += wr * ui + wi * ur;
        }
      }
    }
  }
}

/** D z: z [B, C, N], w [cout, C, M] → out [B, cout, N] (overwritten). */
export function spectralApply(z: ArrayLike<number>, wRe: ArrayLike<number>, wIm: ArrayLike<number>, B: number, C: number, cout: number, N: number, M: number, out: FloatArray): void {
  checkSizes('spectralApply', N, M);
  const zr = new Float64Array(B * C * M);
  const zi = new Float64Array(B * C * M);
  analyse(z, B * C, N, M, zr, zi);
  const yr = new Float64Array(B * cout * M);
  const yi = new Float64Array(B * cout * M);
  mac(zr, zi, wRe, wIm, B, C, cout, M, false, yr, yi);
  synthesise(yr, yi, B * cout, N, M, out);
}

/** Dᵀ x, the exact Euclidean adjoint (the same multiply with conj(w)): x [B, cout, N] → out [B, C, N]. */
export function spectralAdjoint(x: ArrayLike<number>, wRe: ArrayLike<number>, wIm: ArrayLike<number>, B: number, C: number, cout: number, N: number, M: number, out: FloatArray): void {
  checkSizes('spectralAdjoint', N, M);
  const xr = new Float64Array(B * cout * M);
  const xi = new Float64Array(B * cout * M);
  analyse(x, B * cout, N, M, xr, xi);
  const yr = new Float64Array(B * C * M);
  const yi = new Float64Array(B * C * M);
  mac(xr, xi, wRe, wIm, B, cout, C, M, true, yr, yi);
  synthesise(yr, yi, B * C, N, M, out);
}

/**
 * Accumulates ∂⟨g, Dz⟩/∂Re w and ∂/∂Im w into gRe, gIm [cout, C, M]. With P_k = Z_k·conj(G_k)
 * summed over the batch: ∂/∂Re w_k = N·m_k·Re P_k, ∂/∂Im w_k = −N·m_k·Im P_k, where m_0 = 1,
 * m_k = 2 (the ±k pair), and the k = 0 imaginary gradient is 0 (that parameter does not act).
 */
export function spectralWeightGrad(z: ArrayLike<number>, g: ArrayLike<number>, B: number, C: number, cout: number, N: number, M: number, gRe: FloatArray, gIm: FloatArray): void {
  checkSizes('spectralWeightGrad', N, M);
  const zr = new Float64Array(B * C * M);
  const zi = new Float64Array(B * C * M);
  const gr = new Float64Array(B * cout * M);
  const gi = new Float64Array(B * cout * M);
  analyse(z, B * C, N, M, zr, zi);
  analyse(g, B * cout, N, M, gr, gi);
  for (let i = 0; i < cout; i++) {
    for (let c = 0; c < C; c++) {
      const wo = (i * C + c) * M;
      for (let k = 0; k < M; k++) {
        let pr = 0;
        let pi = 0;
        for (let b = 0; b < B; b++) {
          const a = (b * C + c) * M + k;
          const q = (b * cout + i) * M + k;
          // Z·conj(G)
          pr += zr[a] * gr[q] + zi[a] * gi[q];
          pi += zi[a] * gr[q] - zr[a] * gi[q];
        }
        const m = k === 0 ? N : 2 * N;
        gRe[wo + k] += m * pr;
        if (k > 0) gIm[wo + k] -= m * pi;
      }
    }
  }
}

/**
 * ‖D‖² = max_k λ_max(W_k W_kᴴ) with W_k = w[:, :, k] (cout × C, Im w_0 = 0); independent of N.
 * λ_max of the smaller Hermitian Gram by power iteration (sizes here are ≤ a few dozen).
 */
export function spectralNormSq(wRe: ArrayLike<number>, wIm: ArrayLike<number>, cout: number, C: number, M: number): number {
  const n = Math.min(cout, C);
  const gr = new Float64Array(n * n);
  const gi = new Float64Array(n * n);
  let best = 0;
  for (let k = 0; k < M; k++) {
    const im = (o: number, c: number) => (k === 0 ? 0 : wIm[(o * C + c) * M + k]);
    const re = (o: number, c: number) => wRe[(o * C + c) * M + k];
    // G = W Wᴴ (cout ≤ C) or Wᴴ W (C < cout); both have the same non-zero eigenvalues
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        let sr = 0;
        let si = 0;
        if (cout <= C) {
          for (let c = 0; c < C; c++) {
            sr += re(a, c) * re(b, c) + im(a, c) * im(b, c);
            si += im(a, c) * re(b, c) - re(a, c) * im(b, c);
          }
        } else {
          for (let o = 0; o < cout; o++) {
            sr += re(o, a) * re(o, b) + im(o, a) * im(o, b);
            si += re(o, a) * im(o, b) - im(o, a) * re(o, b);
          }
        }
        gr[a * n + b] = sr;
        gi[a * n + b] = si;
      }
    }
    best = Math.max(best, hermitianMaxEig(gr, gi, n));
  }
  return best;
}

/** Largest eigenvalue of a Hermitian PSD matrix (re, im row-major n×n) by power iteration from a fixed start. */
function hermitianMaxEig(gr: Float64Array, gi: Float64Array, n: number): number {
  if (n === 1) return gr[0];
  let vr = new Float64Array(n);
  let vi = new Float64Array(n);
  for (let i = 0; i < n; i++) vr[i] = 1 + i / n;
  let lam = 0;
  for (let it = 0; it < 5000; it++) {
    let nrm = 0;
    for (let i = 0; i < n; i++) nrm += vr[i] * vr[i] + vi[i] * vi[i];
    nrm = Math.sqrt(nrm);
    if (nrm === 0) return 0;
    const wr = new Float64Array(n);
    const wi = new Float64Array(n);
    for (let a = 0; a < n; a++) {
      let sr = 0;
      let si = 0;
      for (let b = 0; b < n; b++) {
        const xr = vr[b] / nrm;
        const xi = vi[b] / nrm;
        sr += gr[a * n + b] * xr - gi[a * n + b] * xi;
        si += gr[a * n + b] * xi + gi[a * n + b] * xr;
      }
      wr[a] = sr;
      wi[a] = si;
    }
    // Rayleigh quotient vᴴGv with v normalised
    let next = 0;
    for (let a = 0; a < n; a++) next += (vr[a] * wr[a] + vi[a] * wi[a]) / nrm;
    vr = wr;
    vi = wi;
    if (Math.abs(next - lam) <= 1e-14 * Math.abs(next)) return next;
    lam = next;
  }
  return lam;
}
