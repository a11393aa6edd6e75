/**
 * SAE-FNO dictionary operator kernels (SPEC §4) on typed arrays: apply, exact adjoint, weight gradient,
 * operator norm, and conversion to/from a CNN kernel. Hand-written so each channel's pruned transform (real FFT,
 * or for float32 with few modes the DFT-matrix GEMM of kernels/dft.ts, batched over blocks of samples) is
 * computed once per call and the channel contraction (complex multiply-accumulate) runs on M modes only.
 *
 * Operator, with forward-normalised coefficients Z_{c,k} = (1/N) Σ_m z_c[m] e^{−2πikm/N}:
 *   (Dz)_i[n] = Σ_c Σ_{|k|<M} w_{i,c,k} Z_{c,k} e^{2πikn/N},   w_{i,c,−k} = conj(w_{i,c,k}),
 * summed over distinct grid frequencies: at N = 2M−2 the Nyquist mode k = N/2 (= −N/2) is counted once,
 * and the imaginary parts of w at k = 0 and at Nyquist do not act (as numpy/torch irfft). Equivalently
 * (Dz)_i[n] = (1/N) Σ_c Σ_m κ_{i,c}((n−m)/N) z_c[m] with κ_{i,c}(s) = Σ_k w_{i,c,k} e^{2πiks}.
 * Valid for M ≤ ⌊N/2⌋+1, i.e. N ≥ 2M−2; for N ≥ 2M−1 (no Nyquist mode) the operator is the same at every N.
 */
import type { DType, FloatArray } from '../tensor.js';
import { rowTransform, type RowTransform } from './dft.js';
import { maxEigenSymmetric } from './eigen.js';
import { getRealFFTPlan } from './fft.js';

/** Invalid shapes, lengths or mode counts for a spectral kernel; the message names the function and field. */
export class SpectralError extends RangeError {
  override name = 'SpectralError';
}

function checkModes(where: string, N: number, M: number): void {
  if (!Number.isInteger(N) || N < 1) throw new SpectralError(`${where}: resolution N must be a positive integer, got ${N}`);
  if (!Number.isInteger(M) || M < 1) throw new SpectralError(`${where}: modes M must be a positive integer, got ${M}`);
  if (2 * (M - 1) > N) {
    throw new SpectralError(`${where}: resolution N=${N} is too small for M=${M} modes (need N ≥ 2M−1 = ${2 * M - 1}, or N = 2M−2 keeping the Nyquist mode)`);
  }
}

function checkDims(where: string, dims: Record<string, number>): void {
  for (const [name, v] of Object.entries(dims)) {
    if (!Number.isInteger(v) || v < 1) throw new SpectralError(`${where}: ${name} must be a positive integer, got ${v}`);
  }
}

function checkLength(where: string, name: string, a: ArrayLike<number>, shape: number[]): void {
  const want = shape.reduce((p, v) => p * v, 1);
  if (a.length !== want) throw new SpectralError(`${where}: ${name} has length ${a.length}, expected [${shape.join(', ')}] = ${want}`);
}

/** Per-(N, M, dtype) plan: the row transform (kernels/dft.ts) and float64 scratch, grown on demand and reused across calls. */
class SpectralPlan {
  readonly tr: RowTransform;
  /** spectra of the source channels, [channels, M] */
  srcRe = new Float64Array(0);
  srcIm = new Float64Array(0);
  /** second set of spectra: the output spectra of apply/adjoint, the upstream gradient's in `spectralWeightGrad` */
  auxRe = new Float64Array(0);
  auxIm = new Float64Array(0);
  /** float64 batch sums of Z·conj(G) in `spectralWeightGrad`, [cin, C, M] */
  sumRe = new Float64Array(0);
  sumIm = new Float64Array(0);
  /** ∂⟨g, Dz⟩/∂(Re w_k, Im w_k) factors per mode: N·2 (N·1 at k = 0 and Nyquist; 0 for Im there) */
  readonly gradRe: Float64Array;
  readonly gradIm: Float64Array;

  constructor(readonly N: number, readonly M: number, dtype: DType) {
    this.tr = rowTransform(N, M, dtype);
    ({ re: this.gradRe, im: this.gradIm } = modeGradFactors(N, M));
  }

  /** Spectra buffers for `channels` rows and, if given, `sums` weight-gradient sums. */
  ensure(channels: number, sums = 0): void {
    const len = channels * this.M;
    if (this.srcRe.length < len) {
      this.srcRe = new Float64Array(len); this.srcIm = new Float64Array(len);
      this.auxRe = new Float64Array(len); this.auxIm = new Float64Array(len);
    }
    if (this.sumRe.length < sums) { this.sumRe = new Float64Array(sums); this.sumIm = new Float64Array(sums); }
  }
}

const plans = new Map<string, SpectralPlan>();

function getPlan(N: number, M: number, dtype: DType): SpectralPlan {
  const key = `${N}:${M}:${dtype}`;
  let p = plans.get(key);
  if (!p) { p = new SpectralPlan(N, M, dtype); plans.set(key, p); }
  return p;
}

/**
 * Runs a row-transform call once more if it met detached WASM views: wasm/kernels.ts `forward`/`inverse` take
 * their operand views before the raw kernel grows WASM memory for its scratch (a thread's first call of a new
 * size), so that call fails after the growth and the repeat succeeds. Remove once the views are taken after it.
 */
export function retryDetached(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof TypeError) || !/detached/.test(e.message)) throw e;
    f();
  }
}

/** Samples per block of the batched transforms (bounds the scratch; rows = block·channels). */
const BLOCK = 16;

/**
 * Mode mixing, the channel contraction of apply and adjoint: Y[d,k] = Σ_s v_{d,s,k}·S[s,k] for k < M, with
 * v_{d,s} = w_{d,s} (apply: S has C channels, Y cin) or v_{d,s} = conj(w_{s,d}) (adjoint: S has cin, Y C).
 * S at offset so, Y at yo (overwritten), both [channels, M].
 */
export function mixModes(Sr: ArrayLike<number>, Si: ArrayLike<number>, so: number, srcCh: number, dstCh: number, wRe: ArrayLike<number>, wIm: ArrayLike<number>, M: number, adjoint: boolean, Yr: FloatArray, Yi: FloatArray, yo: number): void {
  const sign = adjoint ? -1 : 1;
  for (let d = 0; d < dstCh; d++) {
    const y0 = yo + d * M;
    for (let s = 0; s < srcCh; s++) {
      const w0 = adjoint ? (s * dstCh + d) * M : (d * srcCh + s) * M;
      const s0 = so + s * M;
      if (s === 0) {
        // the first source channel writes, so Y needs no zeroing pass
        for (let k = 0; k < M; k++) {
          const wr = wRe[w0 + k], wi = sign * wIm[w0 + k], zr = Sr[s0 + k], zi = Si[s0 + k];
          Yr[y0 + k] = wr * zr - wi * zi;
          Yi[y0 + k] = wr * zi + wi * zr;
        }
        continue;
      }
      for (let k = 0; k < M; k++) {
        const wr = wRe[w0 + k], wi = sign * wIm[w0 + k], zr = Sr[s0 + k], zi = Si[s0 + k];
        Yr[y0 + k] += wr * zr - wi * zi;
        Yi[y0 + k] += wr * zi + wi * zr;
      }
    }
  }
}

/**
 * ∂⟨g, Dz⟩/∂(Re w_k, Im w_k) per unit of Σ_b Re/Im(Z_k conj G_k) (forward-normalised spectra): N·s_k with
 * s_k = 2 for the ±k pair, 1 at k = 0 and Nyquist, where the imaginary factor is 0 (those parts never act).
 */
export function modeGradFactors(N: number, M: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(M), im = new Float64Array(M);
  for (let k = 0; k < M; k++) {
    const single = k === 0 || 2 * k === N;
    re[k] = N * (single ? 1 : 2);
    im[k] = single ? 0 : 2 * N;
  }
  return { re, im };
}

/**
 * The shared loop of apply and adjoint: out[b,d,:] = irfft(Σ_s v_{d,s,k}·rfft(src[b,s,:])_k) (see `mixModes`).
 */
function spectralMac(src: ArrayLike<number>, srcCh: number, dstCh: number, wRe: ArrayLike<number>, wIm: ArrayLike<number>, B: number, N: number, M: number, out: FloatArray, adjoint: boolean): void {
  const p = getPlan(N, M, out instanceof Float32Array ? 'float32' : 'float64');
  p.ensure(Math.min(B, BLOCK) * Math.max(srcCh, dstCh));
  const { tr, srcRe: Sr, srcIm: Si, auxRe: Yr, auxIm: Yi } = p;
  for (let b0 = 0; b0 < B; b0 += BLOCK) {
    const nb = Math.min(BLOCK, B - b0);
    retryDetached(() => tr.forward(src, b0 * srcCh * N, nb * srcCh, Sr, Si, 0));
    for (let j = 0; j < nb; j++) mixModes(Sr, Si, j * srcCh * M, srcCh, dstCh, wRe, wIm, M, adjoint, Yr, Yi, j * dstCh * M);
    // unnormalised inverse: Σ_k Y_k e^{2πikn/N} over the Hermitian extension (imag of DC/Nyquist dropped)
    retryDetached(() => out.set(tr.inverse(Yr, Yi, 0, nb * dstCh).subarray(0, nb * dstCh * N), b0 * dstCh * N));
  }
}

/**
 * Applies the spectral dictionary: (Dz)[b,i,n] = Σ_c Σ_{|k|<M} w_{i,c,k} Z_{b,c,k} e^{2πikn/N} (module header).
 * z: [B, C, N]; wRe, wIm: [cin, C, M]; out: [B, cin, N] (overwritten). Requires N ≥ 2M−2.
 */
export function spectralApply(z: ArrayLike<number>, wRe: ArrayLike<number>, wIm: ArrayLike<number>, B: number, C: number, cin: number, N: number, M: number, out: FloatArray): void {
  const where = 'spectralApply';
  checkDims(where, { B, C, cin });
  checkModes(where, N, M);
  checkLength(where, 'z', z, [B, C, N]);
  checkLength(where, 'wRe', wRe, [cin, C, M]);
  checkLength(where, 'wIm', wIm, [cin, C, M]);
  checkLength(where, 'out', out, [B, cin, N]);
  spectralMac(z, C, cin, wRe, wIm, B, N, M, out, false);
}

/**
 * Exact adjoint of `spectralApply` under the Euclidean inner product of sample vectors. Each real mode
 * term of D is (1/N)·2Re(w e^{2πik(n−m)/N}), whose transpose swaps n and m, i.e. conjugates w; so Dᵀ is
 * the same operator with conj(w) and the channel roles swapped: (Dᵀx)[b,c,m] = Σ_i Σ_k conj(w_{i,c,k}) X_{b,i,k} e^{2πikm/N}.
 * x: [B, cin, N]; wRe, wIm: [cin, C, M]; out: [B, C, N] (overwritten).
 */
export function spectralAdjoint(x: ArrayLike<number>, wRe: ArrayLike<number>, wIm: ArrayLike<number>, B: number, C: number, cin: number, N: number, M: number, out: FloatArray): void {
  const where = 'spectralAdjoint';
  checkDims(where, { B, C, cin });
  checkModes(where, N, M);
  checkLength(where, 'x', x, [B, cin, N]);
  checkLength(where, 'wRe', wRe, [cin, C, M]);
  checkLength(where, 'wIm', wIm, [cin, C, M]);
  checkLength(where, 'out', out, [B, C, N]);
  spectralMac(x, cin, C, wRe, wIm, B, N, M, out, true);
}

/**
 * Accumulates (+=) the gradient of ⟨gx, D z⟩ w.r.t. the weights. With Z, G the forward-normalised spectra
 * of z and gx, and Σ_n gx[n] e^{2πikn/N} = N·conj(G_k):
 *   ∂/∂Re w_{i,c,k} = s_k·N·Σ_b Re(Z_{b,c,k} conj G_{b,i,k}),  ∂/∂Im w_{i,c,k} = −s_k·N·Σ_b Im(Z_{b,c,k} conj G_{b,i,k}),
 * s_k = 2 for 0 < k < N/2 (the ±k pair), 1 at k = 0 and Nyquist, where the imaginary gradient is 0.
 * z: [B, C, N]; gx: [B, cin, N]; gRe, gIm: [cin, C, M] (accumulated; the batch sum is formed in float64).
 */
export function spectralWeightGrad(z: ArrayLike<number>, gx: ArrayLike<number>, B: number, C: number, cin: number, N: number, M: number, gRe: FloatArray, gIm: FloatArray): void {
  const where = 'spectralWeightGrad';
  checkDims(where, { B, C, cin });
  checkModes(where, N, M);
  checkLength(where, 'z', z, [B, C, N]);
  checkLength(where, 'gx', gx, [B, cin, N]);
  checkLength(where, 'gRe', gRe, [cin, C, M]);
  checkLength(where, 'gIm', gIm, [cin, C, M]);
  const len = cin * C * M;
  const p = getPlan(N, M, z instanceof Float32Array ? 'float32' : 'float64');
  p.ensure(Math.min(B, BLOCK) * Math.max(C, cin), len);
  const { tr, srcRe: Zr, srcIm: Zi, auxRe: Gr, auxIm: Gi, sumRe: accRe, sumIm: accIm, gradRe: fr, gradIm: fi } = p;
  accRe.fill(0, 0, len); accIm.fill(0, 0, len);
  for (let b0 = 0; b0 < B; b0 += BLOCK) {
    const nb = Math.min(BLOCK, B - b0);
    retryDetached(() => tr.forward(z, b0 * C * N, nb * C, Zr, Zi, 0));
    retryDetached(() => tr.forward(gx, b0 * cin * N, nb * cin, Gr, Gi, 0));
    for (let j = 0; j < nb; j++) {
      for (let i = 0; i < cin; i++) {
        for (let c = 0; c < C; c++) {
          const w0 = (i * C + c) * M, z0 = (j * C + c) * M, g0 = (j * cin + i) * M;
          for (let k = 0; k < M; k++) {
            const zr = Zr[z0 + k], zi = Zi[z0 + k], gr = Gr[g0 + k], gi = Gi[g0 + k];
            accRe[w0 + k] += zr * gr + zi * gi;
            accIm[w0 + k] += zi * gr - zr * gi;
          }
        }
      }
    }
  }
  for (let j = 0; j < len; j++) {
    const k = j % M;
    gRe[j] += fr[k] * accRe[j];
    gIm[j] -= fi[k] * accIm[j];
  }
}

/**
 * ‖D‖² (squared operator norm, = the Lipschitz constant of ½‖Dz‖²'s gradient). D is block-diagonal over
 * modes, so ‖D‖² = max_k λ_max(W_k W_kᴴ) with W_k = w[:, :, k] (cin×C); for cin = 1 that is max_k Σ_c |w_{c,k}|².
 * The eigenvalue comes from the smaller Gram (cin×cin or C×C), embedded as a real symmetric matrix
 * [[Re, −Im], [Im, Re]] (each eigenvalue doubled), top eigenvalue by kernels/eigen.ts: exact to round-off.
 * Independent of N for N ≥ 2M−1. Imag of k = 0 never acts; pass N = 2M−2 to also drop the Nyquist imag
 * (without N the result is then an upper bound). wRe, wIm: [cin, C, M].
 */
export function spectralNormSq(wRe: ArrayLike<number>, wIm: ArrayLike<number>, cin: number, C: number, M: number, N?: number): number {
  const where = 'spectralNormSq';
  checkDims(where, { cin, C, M });
  if (N !== undefined) checkModes(where, N, M);
  checkLength(where, 'wRe', wRe, [cin, C, M]);
  checkLength(where, 'wIm', wIm, [cin, C, M]);
  const small = Math.min(cin, C), n2 = 2 * small;
  const a = new Float64Array(n2 * n2);
  let best = 0;
  for (let k = 0; k < M; k++) {
    const realOnly = k === 0 || (N !== undefined && 2 * k === N);
    // Gram G = W Wᴴ (cin ≤ C) or Wᴴ W, entries G[u,v] = Σ_t x_{u,t} conj(x_{v,t})
    // with x_{u,t} = w_{u,t} or conj(w_{t,u}); G = A + iB
    a.fill(0);
    for (let u = 0; u < small; u++) {
      for (let v = u; v < small; v++) {
        let gr = 0, gi = 0;
        for (let t = 0; t < Math.max(cin, C); t++) {
          const iu = cin <= C ? (u * C + t) * M + k : (t * C + u) * M + k;
          const iv = cin <= C ? (v * C + t) * M + k : (t * C + v) * M + k;
          const xr = wRe[iu], yr = wRe[iv];
          const sg = cin <= C ? 1 : -1;
          const xi = realOnly ? 0 : sg * wIm[iu], yi = realOnly ? 0 : sg * wIm[iv];
          gr += xr * yr + xi * yi;
          gi += xi * yr - xr * yi;
        }
        if (small === 1) { best = Math.max(best, gr); continue; }
        a[u * n2 + v] = a[v * n2 + u] = gr;
        a[(u + small) * n2 + v + small] = a[(v + small) * n2 + u + small] = gr;
        // B block: [[A, −B], [B, A]] with B[u,v] = gi, B[v,u] = −gi
        a[(u + small) * n2 + v] = gi; a[(v + small) * n2 + u] = -gi;
        a[u * n2 + v + small] = -gi; a[v * n2 + u + small] = gi;
      }
    }
    if (small > 1) best = Math.max(best, maxEigenSymmetric(a, n2));
  }
  return best;
}

/**
 * Spectral weights equivalent to a CNN kernel at resolution N: with all modes (M = ⌊N/2⌋+1) spectralApply
 * equals the circular convolution (Dz)_i[n] = Σ_c Σ_j d[i,c,j] z_c[(n−j) mod N]. Since that convolution is
 * Σ_k D̂_k Z_k e^{2πikn/N} with D̂ the unnormalised DFT of d (taps wrapped mod N), w_k = D̂_k: N times the
 * forward-normalised DFT of the kernel. Fewer modes keep the first M. d: [cin, C, K] (any K ≥ 1);
 * wRe, wIm: [cin, C, M] (overwritten).
 */
export function kernelToSpectral(d: ArrayLike<number>, cin: number, C: number, K: number, N: number, M: number, wRe: FloatArray, wIm: FloatArray): void {
  const where = 'kernelToSpectral';
  checkDims(where, { cin, C, K });
  checkModes(where, N, M);
  checkLength(where, 'd', d, [cin, C, K]);
  checkLength(where, 'wRe', wRe, [cin, C, M]);
  checkLength(where, 'wIm', wIm, [cin, C, M]);
  const fft = getRealFFTPlan(N);
  const buf = new Float64Array(N);
  for (let ic = 0; ic < cin * C; ic++) {
    buf.fill(0);
    for (let j = 0; j < K; j++) buf[j % N] += d[ic * K + j];
    fft.forward(buf, 0, wRe, wIm, ic * M, M, 'backward');
  }
}

/**
 * The spatial kernel of spectral weights at resolution N (inverse of `kernelToSpectral`):
 * d[i,c,j] = (1/N) Σ_{|k|<M} w_{i,c,k} e^{2πikj/N} = κ_{i,c}(j/N)/N, so spectralApply equals circular
 * convolution with d. wRe, wIm: [cin, C, M]; d: [cin, C, N] (overwritten).
 */
export function spectralToKernel(wRe: ArrayLike<number>, wIm: ArrayLike<number>, cin: number, C: number, M: number, N: number, d: FloatArray): void {
  const where = 'spectralToKernel';
  checkDims(where, { cin, C });
  checkModes(where, N, M);
  checkLength(where, 'wRe', wRe, [cin, C, M]);
  checkLength(where, 'wIm', wIm, [cin, C, M]);
  checkLength(where, 'd', d, [cin, C, N]);
  const fft = getRealFFTPlan(N);
  for (let ic = 0; ic < cin * C; ic++) fft.inverse(wRe, wIm, ic * M, d, ic * N, M, 'backward');
}

/** cos(2πkj/N) and sin(2πkj/N) tables [K, M] for `kernelGradFromSpectral`, by (N, K, M). */
const dftTables = new Map<string, { cos: Float64Array; sin: Float64Array }>();

function dftTable(N: number, K: number, M: number): { cos: Float64Array; sin: Float64Array } {
  const key = `${N}:${K}:${M}`;
  let t = dftTables.get(key);
  if (!t) {
    t = { cos: new Float64Array(K * M), sin: new Float64Array(K * M) };
    for (let j = 0; j < K; j++) {
      for (let k = 0; k < M; k++) {
        const r = (k * j) % N; // exact argument reduction keeps the table accurate for large k·j
        t.cos[j * M + k] = Math.cos((2 * Math.PI * r) / N);
        t.sin[j * M + k] = Math.sin((2 * Math.PI * r) / N);
      }
    }
    dftTables.set(key, t);
  }
  return t;
}

/**
 * Adjoint of `kernelToSpectral` for gradients: with ŵ_k = Σ_j d_j e^{−2πikj/N}, accumulates
 * gd[i,c,j] += Σ_{k<M} gRe[i,c,k]·cos(2πkj/N) − gIm[i,c,k]·sin(2πkj/N). gRe, gIm: [cin, C, M]; gd: [cin, C, K].
 */
export function kernelGradFromSpectral(gRe: ArrayLike<number>, gIm: ArrayLike<number>, cin: number, C: number, M: number, N: number, K: number, gd: FloatArray): void {
  const where = 'kernelGradFromSpectral';
  checkDims(where, { cin, C, K });
  checkModes(where, N, M);
  checkLength(where, 'gRe', gRe, [cin, C, M]);
  checkLength(where, 'gIm', gIm, [cin, C, M]);
  checkLength(where, 'gd', gd, [cin, C, K]);
  const { cos, sin } = dftTable(N, K, M);
  for (let ic = 0; ic < cin * C; ic++) {
    for (let j = 0; j < K; j++) {
      let v = 0;
      for (let k = 0; k < M; k++) v += gRe[ic * M + k] * cos[j * M + k] - gIm[ic * M + k] * sin[j * M + k];
      gd[ic * K + j] += v;
    }
  }
}
