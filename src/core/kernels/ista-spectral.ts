/**
 * Fused spectral unrolled-ISTA tape (SAE-FNO; SAE-CNN as the multiplier on all modes; SPEC §4): the whole encoder
 * and its exact backward (equations in ista-common.ts), staying in the Fourier domain between the transform of z
 * and the inverse transform of Dᵀ(x − Dz), so no D z is formed in signal space; in float32 the code signals stay
 * in WASM memory with SIMD elementwise steps. Chunks of samples run on worker threads (core/parallel.ts).
 */
import { CHUNKS, chunkRange, registerTape, TapeMemory, type Alloc, type ChunkedTape } from '../parallel.js';
import type { DType, FloatArray } from '../tensor.js';
import { WasmRowTransform, wasmSignals, type WasmSignals } from '../wasm/kernels.js';
import { rowTransform, type RowTransform } from './dft.js';
import { grow, maskGrad, stepShrink, sumChunks, sumTheta, type IstaSettings } from './ista-common.js';
import { mixModes, modeGradFactors } from './spectral.js';

export interface SpectralSpec { B: number; C: number; cout: number; N: number; M: number; T: number; dtype: DType }

/**
 * Where a chunk's code signals live during the T steps, and the elementwise steps on them: JS float64 arrays
 * (any transform), or for float32 with a WASM transform this thread's WASM buffers (`WasmSignals`, SIMD steps,
 * no copies into and out of the transforms). The mode mixing between the transforms is the same for both.
 */
interface ChunkSignals {
  /** Spectra of z^{t−1} (zs at zOff, `rows` rows), for t ≥ 2 right after `step` of t − 1. */
  forwardCodes(zs: FloatArray, zOff: number, rows: number, re: Float64Array, im: Float64Array, off: number): void;
  /** z^t = S_θ(z^{t−1} + α·inverse(G)) (z⁰ = 0 when first), stored to zs at outOff; z^{t−1} at prevOff. */
  step(gr: Float64Array, gi: Float64Array, rows: number, s: IstaSettings, first: boolean, zs: FloatArray, prevOff: number, outOff: number): void;
  /** gz = gzT[off .. off + n). */
  loadGrad(gzT: FloatArray, off: number, n: number): void;
  /** gu = gz ⊙ [z^t ≠ 0] with z^t = zs at zOff; returns Σ gu·sign(z^t). */
  mask(zs: FloatArray, zOff: number, n: number): number;
  /** Spectra of gu. */
  forwardGrad(rows: number, re: Float64Array, im: Float64Array): void;
  /** gz −= α·inverse(H). */
  update(hr: Float64Array, hi: Float64Array, rows: number, alpha: number): void;
}

class JsSignals implements ChunkSignals {
  private gz = new Float64Array(0);
  constructor(private readonly tr: RowTransform, private readonly N: number) {}
  forwardCodes(zs: FloatArray, zOff: number, rows: number, re: Float64Array, im: Float64Array, off: number): void {
    this.tr.forward(zs, zOff, rows, re, im, off);
  }
  step(gr: Float64Array, gi: Float64Array, rows: number, s: IstaSettings, first: boolean, zs: FloatArray, prevOff: number, outOff: number): void {
    stepShrink(this.tr.inverse(gr, gi, 0, rows), first ? null : zs, prevOff, s.alpha, s.theta, s.oneSided, zs, outOff, rows * this.N);
  }
  loadGrad(gzT: FloatArray, off: number, n: number): void {
    this.gz = grow(this.gz, n);
    for (let q = 0; q < n; q++) this.gz[q] = gzT[off + q];
  }
  mask(zs: FloatArray, zOff: number, n: number): number {
    return maskGrad(this.gz, 0, zs, zOff, n);
  }
  forwardGrad(rows: number, re: Float64Array, im: Float64Array): void {
    this.tr.forward(this.gz, 0, rows, re, im, 0);
  }
  update(hr: Float64Array, hi: Float64Array, rows: number, alpha: number): void {
    const h = this.tr.inverse(hr, hi, 0, rows), gz = this.gz;
    for (let q = 0; q < rows * this.N; q++) gz[q] -= alpha * h[q];
  }
}

/** float32 signals in this thread's WASM buffers: z stays there between `step` and the next `forwardCodes`. */
class WasmChunkSignals implements ChunkSignals {
  constructor(private readonly tr: WasmRowTransform, private readonly w: WasmSignals, private readonly N: number) {}
  forwardCodes(_zs: FloatArray, _zOff: number, rows: number, re: Float64Array, im: Float64Array, off: number): void {
    this.tr.forwardAt(this.w.z, rows, re, im, off);
  }
  step(gr: Float64Array, gi: Float64Array, rows: number, s: IstaSettings, first: boolean, zs: FloatArray, _prevOff: number, outOff: number): void {
    const n = rows * this.N, w = this.w;
    w.ensure(n);
    this.tr.inverseTo(gr, gi, 0, rows, w.y);
    w.shrinkStep(n, s.alpha, s.theta, s.oneSided, first);
    zs.set(w.view(w.z, n), outOff);
  }
  loadGrad(gzT: FloatArray, off: number, n: number): void {
    this.w.ensure(n);
    this.w.view(this.w.g, n).set(gzT.subarray(off, off + n));
  }
  mask(zs: FloatArray, zOff: number, n: number): number {
    this.w.view(this.w.z, n).set(zs.subarray(zOff, zOff + n));
    return this.w.maskGrad(n);
  }
  forwardGrad(rows: number, re: Float64Array, im: Float64Array): void {
    this.tr.forwardAt(this.w.g, rows, re, im, 0);
  }
  update(hr: Float64Array, hi: Float64Array, rows: number, alpha: number): void {
    this.tr.inverseTo(hr, hi, 0, rows, this.w.y);
    this.w.axpy(rows * this.N, -alpha);
  }
}

/**
 * Spectral ISTA tape for a Fourier-multiplier dictionary w [cout, C, M] (SAE-FNO; SAE-CNN with w = DFT of the
 * kernels and all ⌊N/2⌋+1 modes): x [B, cout, N] → z^T [B, C, N]. Per chunk of samples and step: one row
 * transform of z's channels to M modes (pruned FFT, or the DFT-matrix GEMM, kernels/dft.ts), the mode mixing,
 * one inverse transform. Mode mixing per sample and mode k, like the dense tape:
 *  - direct (C > cout): R = X − W_k·Z, G = W_kᴴ·R (2·C·cout complex MACs); R^t is kept for the backward;
 *  - Gram (C ≤ cout, e.g. lifted): G = W_kᴴX − A_k·Z with A_k = W_kᴴW_k (C² MACs), and the weight gradient
 *    from per-mode sums P_k = Σ (GU ⊗ conj Z + Z ⊗ conj GU) contracted with conj(W) once per step.
 * Im w at k = 0 (and Nyquist) never acts (real operator), so the tape works with it set to 0. Keeps z^t and the
 * spectra Z^t for the backward. Samples are independent.
 */
export class SpectralIsta implements ChunkedTape {
  readonly kind = 'ista-spectral';
  readonly chunks: number;
  readonly gram: boolean;
  readonly x: FloatArray;
  readonly wRe: Float64Array;
  readonly wIm: Float64Array;
  readonly gzT: FloatArray;
  /** z^t for t = 1…T: [T, B, C, N] */
  readonly zs: FloatArray;
  /** forward-normalised spectra of z^t, slot t = 0…T−1 (slot 0 unused: z⁰ = 0): [T, B, C, M] */
  private readonly Zr: Float64Array;
  private readonly Zi: Float64Array;
  /** direct form: residual spectra R^{t+1} = X − W·Z^t, slot t = 0…T−1 (slot 0 = X), [T, B, cout, M]; Gram form: X only */
  private readonly Rr: Float64Array;
  private readonly Ri: Float64Array;
  /** Gram form: A_k = W_kᴴW_k [M, C, C] and Wᴴ X [B, C, M] */
  private readonly Ar: Float64Array;
  private readonly Ai: Float64Array;
  private readonly Br: Float64Array;
  private readonly Bi: Float64Array;
  /** α·Σ_t D gu^t: [B, cout, N] */
  readonly gx: Float64Array;
  /** per-chunk Σ_b Σ_t (GU ⊗ conj R − Z ⊗ conj Q) (Gram form: Σ_b S ⊗ conj X): [chunks, 2, cout·C·M] (re, im) */
  private readonly acc: Float64Array;
  /** Gram form, per chunk: P [chunks, 2, M·C·C] */
  private readonly P: Float64Array;
  private readonly gTheta: Float64Array;
  private readonly mem: TapeMemory | null;
  private s: IstaSettings = { T: 1, alpha: 1, theta: 0, oneSided: false };
  private readonly tr: RowTransform;
  private readonly signals: ChunkSignals;
  private readonly fr: Float64Array;
  private readonly fi: Float64Array;
  /** largest chunk (samples) */
  private readonly nb: number;
  // per-thread scratch for one chunk: spectra [nb·max(C, cout), M]
  private ar = new Float64Array(0);
  private ai = new Float64Array(0);
  private br = new Float64Array(0);
  private bi = new Float64Array(0);
  private qr = new Float64Array(0);
  private qi = new Float64Array(0);
  private gxr = new Float64Array(0);
  private gxi = new Float64Array(0);

  constructor(readonly spec: SpectralSpec, alloc?: Alloc) {
    const { B, C, cout, N, M, T, dtype } = spec;
    this.mem = alloc ? null : new TapeMemory();
    const a = alloc ?? (this.mem as TapeMemory).alloc;
    const f64 = (n: number) => a(n, 'float64') as Float64Array;
    this.chunks = Math.min(CHUNKS, B);
    this.nb = Math.ceil(B / this.chunks);
    this.gram = C <= cout;
    const g = this.gram;
    this.x = a(B * cout * N, dtype);
    this.wRe = f64(cout * C * M);
    this.wIm = f64(cout * C * M);
    this.gzT = a(B * C * N, dtype);
    this.zs = a(T * B * C * N, dtype);
    this.Zr = f64(T * B * C * M);
    this.Zi = f64(T * B * C * M);
    this.Rr = f64((g ? 1 : T) * B * cout * M);
    this.Ri = f64((g ? 1 : T) * B * cout * M);
    this.Ar = f64(g ? M * C * C : 0);
    this.Ai = f64(g ? M * C * C : 0);
    this.Br = f64(g ? B * C * M : 0);
    this.Bi = f64(g ? B * C * M : 0);
    this.gx = f64(B * cout * N);
    this.acc = f64(this.chunks * 2 * cout * C * M);
    this.P = f64(g ? this.chunks * 2 * M * C * C : 0);
    this.gTheta = f64(this.chunks);
    this.tr = rowTransform(N, M, dtype);
    const w = dtype === 'float32' && this.tr instanceof WasmRowTransform ? wasmSignals() : null;
    this.signals = w ? new WasmChunkSignals(this.tr as WasmRowTransform, w, N) : new JsSignals(this.tr, N);
    ({ re: this.fr, im: this.fi } = modeGradFactors(N, M));
  }

  private run(method: string, args: unknown): void {
    (this.mem as TapeMemory).run(this, method, args, this.chunks);
  }

  /** Forward from x [B, cout, N] and weights [cout, C, M] with settings `s` (s.T = spec.T); returns the view of z^T. */
  forward(x: ArrayLike<number>, wRe: ArrayLike<number>, wIm: ArrayLike<number>, s: IstaSettings): FloatArray {
    const { B, C, cout, N, M, T } = this.spec;
    this.s = s;
    this.x.set(x);
    this.wRe.set(wRe);
    this.wIm.set(wIm);
    const nyq = N % 2 === 0 && M - 1 === N / 2;
    for (let ic = 0; ic < cout * C; ic++) {
      this.wIm[ic * M] = 0;
      if (nyq) this.wIm[ic * M + M - 1] = 0;
    }
    if (this.gram) {
      // A_k[c, c'] = Σ_i conj(W_{i,c,k}) W_{i,c',k}
      const { Ar, Ai, wRe: wr, wIm: wi } = this;
      Ar.fill(0);
      Ai.fill(0);
      for (let i = 0; i < cout; i++) {
        for (let c = 0; c < C; c++) {
          for (let c2 = 0; c2 < C; c2++) {
            const u0 = (i * C + c) * M, v0 = (i * C + c2) * M;
            for (let k = 0; k < M; k++) {
              const ar = wr[u0 + k], ai = wi[u0 + k], br = wr[v0 + k], bi = wi[v0 + k];
              const o = (k * C + c) * C + c2;
              Ar[o] += ar * br + ai * bi;
              Ai[o] += ar * bi - ai * br;
            }
          }
        }
      }
    }
    this.run('forward', s);
    return this.zs.subarray((T - 1) * B * C * N, T * B * C * N);
  }

  /**
   * Backward from gzT [B, C, N]: adds the weight gradient into gRe/gIm [cout, C, M] (when non-null) and α·Σ_t D gu^t
   * into gx [B, cout, N] (when non-null); returns ∂L/∂θ.
   */
  backward(gzT: ArrayLike<number>, gRe: FloatArray | null, gIm: FloatArray | null, gx: FloatArray | null): number {
    const { cout, C, M } = this.spec;
    this.gzT.set(gzT);
    this.run('backward', { s: this.s, wantGx: gx !== null });
    if (gRe && gIm) {
      const len = cout * C * M;
      const re = new Float64Array(len), im = new Float64Array(len);
      sumChunks(this.acc, this.chunks, 2 * len, 0, len, re);
      sumChunks(this.acc, this.chunks, 2 * len, len, len, im);
      if (this.gram) {
        // acc_{i,c,k} −= Σ_{c'} conj(W_{i,c',k})·P_k[c, c']
        const pl = M * C * C;
        const Pr = new Float64Array(pl), Pi = new Float64Array(pl);
        sumChunks(this.P, this.chunks, 2 * pl, 0, pl, Pr);
        sumChunks(this.P, this.chunks, 2 * pl, pl, pl, Pi);
        const { wRe: wr, wIm: wi } = this;
        for (let i = 0; i < cout; i++) {
          for (let c = 0; c < C; c++) {
            for (let c2 = 0; c2 < C; c2++) {
              const a0 = (i * C + c) * M, w0 = (i * C + c2) * M;
              for (let k = 0; k < M; k++) {
                const o = (k * C + c) * C + c2, vr = wr[w0 + k], vi = wi[w0 + k];
                re[a0 + k] -= vr * Pr[o] + vi * Pi[o];
                im[a0 + k] -= vr * Pi[o] - vi * Pr[o];
              }
            }
          }
        }
      }
      const a = this.s.alpha, { fr, fi } = this;
      for (let j = 0; j < len; j++) {
        const k = j % M;
        gRe[j] += a * fr[k] * re[j];
        gIm[j] -= a * fi[k] * im[j];
      }
    }
    if (gx) for (let j = 0; j < gx.length; j++) gx[j] += this.gx[j];
    return sumTheta(this.gTheta, this.chunks);
  }

  runChunk(method: string, c: number, args: unknown): void {
    const [b0, b1] = chunkRange(c, this.chunks, this.spec.B);
    this.scratch();
    if (method === 'forward') this.forwardChunk(b0, b1, args as IstaSettings);
    else {
      const a = args as { s: IstaSettings; wantGx: boolean };
      this.backwardChunk(c, b0, b1, a.s, a.wantGx);
    }
  }

  private scratch(): void {
    const { C, cout, M } = this.spec;
    const rows = this.nb * Math.max(C, cout);
    for (const f of ['ar', 'ai', 'br', 'bi'] as const) this[f] = grow(this[f], rows * M);
    for (const f of ['qr', 'qi', 'gxr', 'gxi'] as const) this[f] = grow(this[f], rows * M);
  }

  /** out[oo + c·M + k] = Σ_{c'} A_k[c, c']·V[vo + c'·M + k] (Gram form), overwriting. */
  private gramApply(vr: Float64Array, vi: Float64Array, vo: number, outR: Float64Array, outI: Float64Array, oo: number): void {
    const { C, M } = this.spec;
    const { Ar, Ai } = this;
    outR.fill(0, oo, oo + C * M);
    outI.fill(0, oo, oo + C * M);
    for (let c = 0; c < C; c++) {
      for (let c2 = 0; c2 < C; c2++) {
        const y0 = oo + c * M, v0 = vo + c2 * M;
        for (let k = 0; k < M; k++) {
          const o = (k * C + c) * C + c2, xr = Ar[o], xi = Ai[o], zr = vr[v0 + k], zi = vi[v0 + k];
          outR[y0 + k] += xr * zr - xi * zi;
          outI[y0 + k] += xr * zi + xi * zr;
        }
      }
    }
  }

  /** All T steps for samples [b0, b1): each step transforms the chunk's rows at once (one GEMM or a batch of FFTs). */
  private forwardChunk(b0: number, b1: number, s: IstaSettings): void {
    const { B, C, cout, N, M } = this.spec;
    const { T } = s;
    const { zs, tr, signals, Zr, Zi, Rr, Ri, Br, Bi, wRe, wIm, ar, ai, br, bi, gram } = this;
    const nb = b1 - b0, CN = C * N, CM = C * M, OM = cout * M;
    tr.forward(this.x, b0 * cout * N, nb * cout, Rr, Ri, b0 * OM);
    if (gram) for (let j = 0; j < nb; j++) mixModes(Rr, Ri, (b0 + j) * OM, cout, C, wRe, wIm, M, true, Br, Bi, (b0 + j) * CM);
    for (let t = 1; t <= T; t++) {
      const prev = ((t - 2) * B + b0) * CN;
      const zsOff = ((t - 1) * B + b0) * CM;
      if (t > 1) signals.forwardCodes(zs, prev, nb * C, Zr, Zi, zsOff);
      for (let j = 0; j < nb; j++) {
        const g0 = j * CM, x0 = (b0 + j) * OM;
        if (gram) {
          // G = WᴴX − A·Z
          const b = (b0 + j) * CM;
          if (t > 1) {
            this.gramApply(Zr, Zi, zsOff + g0, ar, ai, g0);
            for (let q = 0; q < CM; q++) { ar[g0 + q] = Br[b + q] - ar[g0 + q]; ai[g0 + q] = Bi[b + q] - ai[g0 + q]; }
          } else {
            ar.set(Br.subarray(b, b + CM), g0);
            ai.set(Bi.subarray(b, b + CM), g0);
          }
          continue;
        }
        // R = X − W·Z (W·Z in the scratch first), G = Wᴴ·R
        const r0 = ((t - 1) * B + b0 + j) * OM;
        if (t > 1) {
          mixModes(Zr, Zi, zsOff + g0, C, cout, wRe, wIm, M, false, br, bi, 0);
          for (let q = 0; q < OM; q++) { Rr[r0 + q] = Rr[x0 + q] - br[q]; Ri[r0 + q] = Ri[x0 + q] - bi[q]; }
        }
        mixModes(Rr, Ri, r0, cout, C, wRe, wIm, M, true, ar, ai, g0);
      }
      // z^t = S(z^{t−1} + α·Dᵀ(x − D z^{t−1})) in one pass over the inverse transform
      signals.step(ar, ai, nb * C, s, t === 1, zs, prev, ((t - 1) * B + b0) * CN);
    }
  }

  private backwardChunk(c: number, b0: number, b1: number, s: IstaSettings, wantGx: boolean): void {
    const { B, C, cout, N, M } = this.spec;
    const { T, alpha } = s;
    const { zs, tr, signals, Zr, Zi, Rr, Ri, wRe, wIm, ar: ur, ai: ui, br: hr, bi: hi, qr, qi, gxr, gxi, gram } = this;
    const nb = b1 - b0, CN = C * N, CM = C * M, OM = cout * M, len = cout * C * M, n = nb * CN;
    const accRe = this.acc.subarray(c * 2 * len, c * 2 * len + len);
    const accIm = this.acc.subarray(c * 2 * len + len, (c + 1) * 2 * len);
    accRe.fill(0);
    accIm.fill(0);
    const pl = M * C * C;
    const Pr = this.P.subarray(c * 2 * pl, c * 2 * pl + pl), Pi = this.P.subarray(c * 2 * pl + pl, (c + 1) * 2 * pl);
    Pr.fill(0);
    Pi.fill(0);
    signals.loadGrad(this.gzT, b0 * CN, n);
    // Σ_t Q (direct form, [nb, cout, M]) or Σ_t GU (Gram form, [nb, C, M])
    gxr.fill(0, 0, nb * (gram ? CM : OM)); gxi.fill(0, 0, nb * (gram ? CM : OM));
    let gTheta = 0;
    for (let t = T; t >= 1; t--) {
      gTheta -= signals.mask(zs, ((t - 1) * B + b0) * CN, n);
      signals.forwardGrad(nb * C, ur, ui);
      for (let j = 0; j < nb; j++) {
        const u0 = j * CM, zsOff = ((t - 1) * B + b0 + j) * CM;
        if (gram) {
          for (let q = 0; q < CM; q++) { gxr[u0 + q] += ur[u0 + q]; gxi[u0 + q] += ui[u0 + q]; }
          if (t === 1) continue;
          // P_k[c, c'] += GU_c conj(Z_c') + Z_c conj(GU_c'); H = A·GU
          for (let cc = 0; cc < C; cc++) {
            for (let c2 = 0; c2 < C; c2++) {
              const a = u0 + cc * M, b = u0 + c2 * M, za = zsOff + cc * M, zb = zsOff + c2 * M;
              for (let k = 0; k < M; k++) {
                const o = (k * C + cc) * C + c2;
                const gar = ur[a + k], gai = ui[a + k], gbr = ur[b + k], gbi = ui[b + k];
                const zar = Zr[za + k], zai = Zi[za + k], zbr = Zr[zb + k], zbi = Zi[zb + k];
                Pr[o] += gar * zbr + gai * zbi + zar * gbr + zai * gbi;
                Pi[o] += gai * zbr - gar * zbi + zai * gbr - zar * gbi;
              }
            }
          }
          this.gramApply(ur, ui, u0, hr, hi, u0);
          continue;
        }
        // Q = W·GU; then in one pass over (i, c, k): acc += GU ⊗ conj(R) − Z^{t−1} ⊗ conj(Q) and H = Wᴴ Q; Σ_t Q
        const q0 = j * OM;
        mixModes(ur, ui, u0, C, cout, wRe, wIm, M, false, qr, qi, q0);
        const rOff = ((t - 1) * B + b0 + j) * OM;
        for (let i = 0; i < cout; i++) {
          for (let cc = 0; cc < C; cc++) {
            const a0 = (i * C + cc) * M, uu = u0 + cc * M, r0 = rOff + i * M, v0 = q0 + i * M, z0 = zsOff + cc * M;
            if (t === 1) {
              for (let k = 0; k < M; k++) {
                const xr = ur[uu + k], xi = ui[uu + k], rr = Rr[r0 + k], ri = Ri[r0 + k];
                accRe[a0 + k] += xr * rr + xi * ri;
                accIm[a0 + k] += xi * rr - xr * ri;
              }
              continue;
            }
            for (let k = 0; k < M; k++) {
              const xr = ur[uu + k], xi = ui[uu + k], rr = Rr[r0 + k], ri = Ri[r0 + k];
              const zr = Zr[z0 + k], zi = Zi[z0 + k], vr = qr[v0 + k], vi = qi[v0 + k];
              accRe[a0 + k] += xr * rr + xi * ri - (zr * vr + zi * vi);
              accIm[a0 + k] += xi * rr - xr * ri - (zi * vr - zr * vi);
              const wr = wRe[a0 + k], wi = wIm[a0 + k];
              const hre = wr * vr + wi * vi, him = wr * vi - wi * vr;
              if (i === 0) { hr[uu + k] = hre; hi[uu + k] = him; } else { hr[uu + k] += hre; hi[uu + k] += him; }
            }
          }
        }
        for (let q = 0; q < OM; q++) { gxr[q0 + q] += qr[q0 + q]; gxi[q0 + q] += qi[q0 + q]; }
      }
      if (t === 1) break;
      // gz^{t−1} = gu − α·DᵀD gu (one inverse transform of the chunk)
      signals.update(hr, hi, nb * C, alpha);
    }
    if (gram) {
      // S = Σ_t GU: acc += S ⊗ conj(X); Σ_t Q = W·S
      for (let j = 0; j < nb; j++) {
        const u0 = j * CM, x0 = (b0 + j) * OM;
        for (let i = 0; i < cout; i++) {
          for (let cc = 0; cc < C; cc++) {
            const a0 = (i * C + cc) * M, uu = u0 + cc * M, r0 = x0 + i * M;
            for (let k = 0; k < M; k++) {
              const xr = gxr[uu + k], xi = gxi[uu + k], rr = Rr[r0 + k], ri = Ri[r0 + k];
              accRe[a0 + k] += xr * rr + xi * ri;
              accIm[a0 + k] += xi * rr - xr * ri;
            }
          }
        }
        if (wantGx) mixModes(gxr, gxi, u0, C, cout, wRe, wIm, M, false, qr, qi, j * OM);
      }
    }
    if (wantGx) {
      const o = b0 * cout * N;
      const y = tr.inverse(gram ? qr : gxr, gram ? qi : gxi, 0, nb * cout);
      for (let q = 0; q < nb * cout * N; q++) this.gx[o + q] = alpha * y[q];
    }
    this.gTheta[c] = gTheta;
  }
}

registerTape('ista-spectral', (spec, alloc) => new SpectralIsta(spec as SpectralSpec, alloc));
