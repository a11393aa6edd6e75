/**
 * Fused spectral unrolled-ISTA tape (SAE-FNO; SAE-CNN as the multiplier on all modes; SPEC §4): the whole encoder
 * and its exact backward (equations in ista-common.ts), staying in the Fourier domain between the transform of z
 * and the inverse transform of Dᵀ(x − Dz), so no D z is formed in signal space. In float32 (WASM engine) a chunk's
 * codes and spectra live in the running thread's WASM memory from forward to backward, with SIMD transforms, mode
 * mixing and fused updates. Chunks of samples run on worker threads (core/parallel.ts).
 */
import { CHUNKS, chunkRange, registerTape, TapeMemory, type Alloc, type ChunkedTape } from '../parallel.js';
import type { DType, FloatArray } from '../tensor.js';
import { WasmRowTransform, wasmWorkspace, type InverseUpdate, type WasmWorkspace } from '../wasm/kernels.js';
import { rowTransform, type RowTransform } from './dft.js';
import { grow, maskGrad, stepShrink, sumChunks, sumTheta, type IstaSettings } from './ista-common.js';
import { mixModes, modeGradFactors } from './spectral.js';

export interface SpectralSpec { B: number; C: number; cout: number; N: number; M: number; T: number; dtype: DType }

/** A chunk's code signals during the T steps as JS float64 arrays (any transform), with the elementwise steps on them. */
class JsSignals {
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

/**
 * Spectral ISTA tape for a Fourier-multiplier dictionary w [cout, C, M] (SAE-FNO; SAE-CNN with w = DFT of the
 * kernels and all ⌊N/2⌋+1 modes): x [B, cout, N] → z^T [B, C, N]. Per chunk of samples and step: one row
 * transform of z's channels to M modes (pruned FFT, or the DFT-matrix GEMM, kernels/dft.ts), the mode mixing,
 * one inverse transform. Mode mixing per sample and mode k, like the dense tape:
 *  - direct (C > cout): R = X − W_k·Z, G = W_kᴴ·R (2·C·cout complex MACs); R^t is kept for the backward;
 *  - Gram (C ≤ cout, e.g. lifted): G = W_kᴴX − A_k·Z with A_k = W_kᴴW_k (C² MACs), and the weight gradient
 *    from per-mode sums P_k = Σ (GU ⊗ conj Z + Z ⊗ conj GU) contracted with conj(W) once per step.
 * Two engines with the same steps. JS (float64, or no WASM): float64 loops (`mixModes`), z^t, Z^t and R^t kept
 * in the shared tape. WASM (float32 with a WASM transform): SIMD kernels (`WasmWorkspace.cmix`/`couter`, modes
 * padded to whole f32x4 vectors), and each thread keeps the chunks it ran forward (z^t, Z^t, R^t) in its WASM
 * memory; a backward job takes one of its own chunks first and recomputes the forward of another thread's
 * chunk, so only z^T crosses threads. Im w at k = 0 (and Nyquist) never acts (real operator), so the tape works
 * with it set to 0. Samples are independent; results do not depend on which thread ran a chunk.
 */
export class SpectralIsta implements ChunkedTape {
  readonly kind = 'ista-spectral';
  readonly chunks: number;
  readonly gram: boolean;
  readonly x: FloatArray;
  readonly wRe: Float64Array;
  readonly wIm: Float64Array;
  readonly gzT: FloatArray;
  /** z^t for t = 1…T: [T, B, C, N] (WASM engine: z^T only, the rest stays in the threads' WASM caches) */
  readonly zs: FloatArray;
  /** WASM engine: mode stride of the spectra, M rounded up to a multiple of 4 */
  private readonly ld: number;
  /** JS engine: forward-normalised spectra of z^t, slot t = 0…T−1 (slot 0 unused: z⁰ = 0): [T, B, C, M] */
  private readonly Zr: Float64Array;
  private readonly Zi: Float64Array;
  /** JS engine, direct form: residual spectra R^{t+1} = X − W·Z^t, slot t = 0…T−1 (slot 0 = X), [T, B, cout, M]; Gram form: X only */
  private readonly Rr: Float64Array;
  private readonly Ri: Float64Array;
  /** Gram form: A_k = W_kᴴW_k as [C, C, M] (A[c, c'] = Σ_i conj(W_{i,c}) W_{i,c'}) */
  private readonly Ar: Float64Array;
  private readonly Ai: Float64Array;
  /** JS engine, Gram form: Wᴴ X [B, C, M] */
  private readonly Br: Float64Array;
  private readonly Bi: Float64Array;
  /** α·Σ_t D gu^t: [B, cout, N] (float32 in the WASM engine) */
  readonly gx: FloatArray;
  /** per-chunk Σ_b Σ_t (GU ⊗ conj R − Z ⊗ conj Q) (Gram form: Σ_b S ⊗ conj X): [chunks, 2, cout·C·M] (re, im) */
  private readonly acc: Float64Array;
  /** Gram form, per chunk: P as [chunks, 2, C, C, M] with P[c', c] = Σ (GU_c conj Z_c' + Z_c conj GU_c') */
  private readonly P: Float64Array;
  private readonly gTheta: Float64Array;
  private readonly mem: TapeMemory | null;
  private s: IstaSettings = { T: 1, alpha: 1, theta: 0, oneSided: false };
  private readonly tr: RowTransform;
  /** the WASM engine's workspace (float32 with a WASM transform), else null */
  private readonly ws: WasmWorkspace | null;
  private readonly signals: JsSignals;
  private readonly fr: Float64Array;
  private readonly fi: Float64Array;
  /** largest chunk (samples) */
  private readonly nb: number;
  // per-thread scratch for one chunk (JS engine): spectra [nb·max(C, cout), M]
  private ar = new Float64Array(0);
  private ai = new Float64Array(0);
  private br = new Float64Array(0);
  private bi = new Float64Array(0);
  private qr = new Float64Array(0);
  private qi = new Float64Array(0);
  private gxr = new Float64Array(0);
  private gxi = new Float64Array(0);
  // the calling thread's reduction buffers of backward(): [cout·C·M] ×2 and [C·C·M] ×2
  private readonly sum: Float64Array[];
  /**
   * WASM engine, shared control words: [0, chunks) the token of the thread whose cache holds chunk c's forward,
   * [chunks, 2·chunks) backward claims, [2·chunks] the token counter
   */
  private readonly ctl: Int32Array;
  /** this thread's token, and the forward generation (`gen` of the run) of each chunk in this thread's cache */
  private readonly token: number;
  private readonly valid: Int32Array;
  /** the cache slot of each chunk this thread ran forward; slots are handed out afresh per forward generation */
  private readonly slotOf: Int32Array;
  private slotGen = -1;
  private nextSlot = 0;
  /** the forward generation whose weights this thread has staged in its WASM memory */
  private staged = -1;
  /** forward calls so far (calling thread) */
  private gen = 0;

  constructor(readonly spec: SpectralSpec, alloc?: Alloc) {
    const { B, C, cout, N, M, T, dtype } = spec;
    this.mem = alloc ? null : new TapeMemory();
    const a = alloc ?? (this.mem as TapeMemory).alloc;
    const f64 = (n: number) => a(n, 'float64') as Float64Array;
    // twice the pool's chunk count: dynamic claiming then leaves at most 1/16 of the work as the tail one lane
    // runs alone (a worker woken late, or descheduled on a shared machine), at no cost per sample
    this.chunks = Math.min(2 * CHUNKS, B);
    this.nb = Math.ceil(B / this.chunks);
    this.gram = C <= cout;
    const g = this.gram;
    this.tr = rowTransform(N, M, dtype);
    this.ws = dtype === 'float32' && this.tr instanceof WasmRowTransform ? wasmWorkspace() : null;
    this.ld = this.ws ? (this.tr as WasmRowTransform).ld : M;
    const js = this.ws ? 0 : 1;
    this.x = a(B * cout * N, dtype);
    this.wRe = f64(cout * C * M);
    this.wIm = f64(cout * C * M);
    this.gzT = a(B * C * N, dtype);
    this.zs = a((js ? T : 1) * B * C * N, dtype);
    this.Zr = f64(js * T * B * C * M);
    this.Zi = f64(js * T * B * C * M);
    this.Rr = f64(js * (g ? 1 : T) * B * cout * M);
    this.Ri = f64(js * (g ? 1 : T) * B * cout * M);
    this.Ar = f64(g ? M * C * C : 0);
    this.Ai = f64(g ? M * C * C : 0);
    this.Br = f64(g && !this.ws ? B * C * M : 0);
    this.Bi = f64(g && !this.ws ? B * C * M : 0);
    this.gx = a(B * cout * N, js ? 'float64' : 'float32');
    this.acc = f64(this.chunks * 2 * cout * C * M);
    this.P = f64(g ? this.chunks * 2 * M * C * C : 0);
    this.gTheta = f64(this.chunks);
    const ctl = a(2 * this.chunks + 1, 'float32');
    this.ctl = new Int32Array(ctl.buffer, ctl.byteOffset, 2 * this.chunks + 1);
    this.token = Atomics.add(this.ctl, 2 * this.chunks, 1) + 1;
    this.valid = new Int32Array(this.chunks).fill(-1);
    this.slotOf = new Int32Array(this.chunks);
    this.signals = new JsSignals(this.tr, N);
    this.sum = [cout * C * M, cout * C * M, g ? C * C * M : 0, g ? C * C * M : 0].map((n) => new Float64Array(n));
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
      // A[c, c'] = Σ_i conj(W_{i,c}) W_{i,c'}, per mode
      const { Ar, Ai, wRe: wr, wIm: wi } = this;
      Ar.fill(0);
      Ai.fill(0);
      for (let i = 0; i < cout; i++) {
        for (let c = 0; c < C; c++) {
          for (let c2 = 0; c2 < C; c2++) {
            const u0 = (i * C + c) * M, v0 = (i * C + c2) * M, o = (c * C + c2) * M;
            for (let k = 0; k < M; k++) {
              const ar = wr[u0 + k], ai = wi[u0 + k], br = wr[v0 + k], bi = wi[v0 + k];
              Ar[o + k] += ar * br + ai * bi;
              Ai[o + k] += ar * bi - ai * br;
            }
          }
        }
      }
    }
    this.run('forward', { s, gen: ++this.gen });
    const o = this.ws ? 0 : (T - 1) * B * C * N;
    return this.zs.subarray(o, o + B * C * N);
  }

  /**
   * Backward from gzT [B, C, N]: adds the weight gradient into gRe/gIm [cout, C, M] (when non-null) and α·Σ_t D gu^t
   * into gx [B, cout, N] (when non-null; when it is the tape's own `gx`, the chunks write the gradient there instead,
   * for a caller that adopts the buffer until the tape's next backward); returns ∂L/∂θ.
   */
  backward(gzT: ArrayLike<number>, gRe: FloatArray | null, gIm: FloatArray | null, gx: FloatArray | null): number {
    const { cout, C, M } = this.spec;
    // WASM engine: float32 gz and gx the lanes can reach (no pool, or shared) are read and accumulated in place
    const mem = this.mem as TapeMemory;
    const own = gx === this.gx;
    const gzIn = this.ws && gzT instanceof Float32Array && mem.reaches(gzT) ? gzT : null;
    const gxOut = !own && this.ws && gx instanceof Float32Array && mem.reaches(gx) ? gx : null;
    if (!gzIn) this.gzT.set(gzT);
    this.ctl.fill(0, this.chunks, 2 * this.chunks);
    this.run('backward', { s: this.s, wantGx: gx !== null, gen: this.gen, gz: gzIn, gx: gxOut });
    if (gRe && gIm) {
      const len = cout * C * M;
      const [re, im, Pr, Pi] = this.sum;
      sumChunks(this.acc, this.chunks, 2 * len, 0, len, re);
      sumChunks(this.acc, this.chunks, 2 * len, len, len, im);
      if (this.gram) {
        // acc_{i,c,k} −= Σ_{c'} conj(W_{i,c',k})·P_k[c, c']  (stored at [c', c])
        const pl = M * C * C;
        sumChunks(this.P, this.chunks, 2 * pl, 0, pl, Pr);
        sumChunks(this.P, this.chunks, 2 * pl, pl, pl, Pi);
        const { wRe: wr, wIm: wi } = this;
        for (let i = 0; i < cout; i++) {
          for (let c = 0; c < C; c++) {
            for (let c2 = 0; c2 < C; c2++) {
              const a0 = (i * C + c) * M, w0 = (i * C + c2) * M, o = (c2 * C + c) * M;
              for (let k = 0; k < M; k++) {
                const vr = wr[w0 + k], vi = wi[w0 + k], pr = Pr[o + k], pi = Pi[o + k];
                re[a0 + k] -= vr * pr + vi * pi;
                im[a0 + k] -= vr * pi - vi * pr;
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
    if (gx && !gxOut && !own) for (let j = 0; j < gx.length; j++) gx[j] += this.gx[j];
    return sumTheta(this.gTheta, this.chunks);
  }

  runChunk(method: string, c: number, args: unknown): void {
    const [b0, b1] = chunkRange(c, this.chunks, this.spec.B);
    const { ws } = this, a = args as { s: IstaSettings; wantGx: boolean; gen: number; gz: Float32Array | null; gx: Float32Array | null };
    if (method === 'forward') {
      if (ws) this.forwardWasm(ws, c, b0, b1, a.s, a.gen);
      else this.forwardChunk(b0, b1, a.s);
    } else if (ws) this.backwardWasm(ws, a.s, a.wantGx, a.gen, a.gz ?? this.gzT, a.gx);
    else this.backwardChunk(c, b0, b1, a.s, a.wantGx);
  }

  private scratch(): void {
    const { C, cout, M } = this.spec;
    const rows = this.nb * Math.max(C, cout);
    for (const f of ['ar', 'ai', 'br', 'bi'] as const) this[f] = grow(this[f], rows * M);
    for (const f of ['qr', 'qi', 'gxr', 'gxi'] as const) this[f] = grow(this[f], rows * M);
  }

  /** JS engine: all T steps for samples [b0, b1); each step transforms the chunk's rows at once. */
  private forwardChunk(b0: number, b1: number, s: IstaSettings): void {
    const { B, C, cout, N, M } = this.spec;
    const { T } = s;
    this.scratch();
    const { zs, tr, signals, Zr, Zi, Rr, Ri, Ar, Ai, Br, Bi, wRe, wIm, ar, ai, br, bi, gram } = this;
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
            mixModes(Zr, Zi, zsOff + g0, C, C, Ar, Ai, M, false, ar, ai, g0);
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
    this.scratch();
    const { zs, tr, signals, Zr, Zi, Rr, Ri, Ar, Ai, wRe, wIm, ar: ur, ai: ui, br: hr, bi: hi, qr, qi, gxr, gxi, gram } = this;
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
          // P_k[c', c] += GU_c conj(Z_c') + Z_c conj(GU_c'); H = A·GU
          for (let cc = 0; cc < C; cc++) {
            for (let c2 = 0; c2 < C; c2++) {
              const a = u0 + cc * M, b = u0 + c2 * M, za = zsOff + cc * M, zb = zsOff + c2 * M, o = (c2 * C + cc) * M;
              for (let k = 0; k < M; k++) {
                const gar = ur[a + k], gai = ui[a + k], gbr = ur[b + k], gbi = ui[b + k];
                const zar = Zr[za + k], zai = Zi[za + k], zbr = Zr[zb + k], zbi = Zi[zb + k];
                Pr[o + k] += gar * zbr + gai * zbi + zar * gbr + zai * gbi;
                Pi[o + k] += gai * zbr - gar * zbi + zai * gbr - zar * gbi;
              }
            }
          }
          mixModes(ur, ui, u0, C, C, Ar, Ai, M, false, hr, hi, u0);
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

  /**
   * Reserves a chunk's WASM scratch (float counts; spectra [rows, ld]), claims this thread's cache (`own`) and
   * stages the weights of forward generation `gen` as float32 [cout, C, ld] (and A as [C, C, ld] in the Gram
   * form) unless this thread already has. Returns the buffers' byte offsets.
   */
  private stageWasm(ws: WasmWorkspace, nb: number, gen: number): Record<string, number> {
    const { C, cout, N, M } = this.spec;
    const { ld, gram } = this;
    const CL = nb * C * ld, OL = nb * cout * ld, wide = nb * Math.max(C, cout) * ld;
    ws.ensure({
      y: nb * Math.max(C, cout) * N, g: nb * C * N, ur: CL, ui: CL, hr: CL, hi: CL, qr: OL, qi: OL, sr: wide, si: wide,
      wr: cout * C * ld, wi: cout * C * ld, accR: cout * C * ld, accI: cout * C * ld,
      Ar: gram ? C * C * ld : 0, Ai: gram ? C * C * ld : 0, Pr: gram ? C * C * ld : 0, Pi: gram ? C * C * ld : 0,
    });
    this.own(ws);
    if (this.staged === gen) return ws.at;
    copyRows(this.wRe, M, ws.view('wr', cout * C * ld), ld, cout * C, M);
    copyRows(this.wIm, M, ws.view('wi', cout * C * ld), ld, cout * C, M);
    if (gram) {
      copyRows(this.Ar, M, ws.view('Ar', C * C * ld), ld, C * C, M);
      copyRows(this.Ai, M, ws.view('Ai', C * C * ld), ld, C * C, M);
    }
    this.staged = gen;
    return ws.at;
  }

  /**
   * Byte offsets in cache slot `slot` of this thread's WASM memory (buffers z·, Zr·, Zi·, Rr·, Ri·, sized for the
   * largest chunk, made on first use, so a thread holds only as many chunks as it runs): z^t (t = 1…T), the
   * spectra Z^t (t = 0…T−1) and R^{t+1} (direct form, t = 0…T−1; slot 0 = X; Gram form: X).
   */
  private slots(ws: WasmWorkspace, slot: number): { z: (t: number) => number; Z: (t: number) => [number, number]; R: (t: number) => [number, number] } {
    const { C, cout, N, T } = this.spec;
    const { nb, ld, gram } = this;
    const zn = nb * C * N, Zn = nb * C * ld, Rn = nb * cout * ld, RT = gram ? 1 : T;
    const [z, Zr, Zi, Rr, Ri] = ['z', 'Zr', 'Zi', 'Rr', 'Ri'].map((k) => k + slot);
    ws.ensure({ [z]: T * zn, [Zr]: T * Zn, [Zi]: T * Zn, [Rr]: RT * Rn, [Ri]: RT * Rn });
    const at = ws.at;
    return {
      z: (t) => at[z] + 4 * (t - 1) * zn,
      Z: (t) => [at[Zr] + 4 * t * Zn, at[Zi] + 4 * t * Zn],
      R: (t) => [at[Rr] + 4 * t * Rn, at[Ri] + 4 * t * Rn],
    };
  }

  /** Claims this thread's cache (other tapes may have used it since: then none of its chunks or weights is valid). */
  private own(ws: WasmWorkspace): void {
    if (ws.owner === this) return;
    ws.owner = this;
    this.valid.fill(-1);
    this.staged = -1;
    this.slotGen = -1;
  }

  /**
   * WASM engine: the steps of `forwardChunk` with the chunk's signals and spectra in WASM memory, kept there
   * (this thread's cache) for the backward; only z^T goes to the shared tape (a backward chunk on another
   * thread recomputes this forward).
   */
  private forwardWasm(ws: WasmWorkspace, c: number, b0: number, b1: number, s: IstaSettings, gen: number): void {
    const { C, cout, N, T } = this.spec;
    const { ld, gram } = this;
    const tr = this.tr as WasmRowTransform;
    const nb = b1 - b0, CN = C * N;
    const at = this.stageWasm(ws, nb, gen);
    this.valid[c] = -1;
    if (this.slotGen !== gen) {
      this.slotGen = gen;
      this.nextSlot = 0;
    }
    const sl = this.slots(ws, (this.slotOf[c] = this.nextSlot++));
    const W: [number, number] = [at.wr, at.wi], A: [number, number] = [at.Ar, at.Ai];
    // X, kept for the backward; Gram form: Wᴴ X into the scratch s
    ws.view('y', nb * cout * N).set(this.x.subarray(b0 * cout * N, b1 * cout * N));
    const X = sl.R(0);
    tr.forwardRaw(at.y, nb * cout, X[0], X[1], 0);
    const S: [number, number] = [at.sr, at.si], G: [number, number] = [at.ur, at.ui];
    const step: InverseUpdate = { op: 'first', alpha: s.alpha, theta: s.theta, oneSided: s.oneSided };
    if (gram) ws.cmix(nb, cout, C, ld, W, true, X, S);
    for (let t = 1; t <= T; t++) {
      const Z = sl.Z(t - 1);
      if (t > 1) tr.forwardRaw(sl.z(t - 1), nb * C, Z[0], Z[1], 0);
      // Gram: G = WᴴX − A·Z; direct: R = X − W·Z (kept), G = Wᴴ·R
      let g = G;
      if (gram) {
        if (t > 1) ws.cmix(nb, C, C, ld, A, false, Z, G, S);
        else g = S;
      } else {
        let r = X;
        if (t > 1) {
          r = sl.R(t - 1);
          ws.cmix(nb, C, cout, ld, W, false, Z, r, X);
        }
        ws.cmix(nb, cout, C, ld, W, true, r, G);
      }
      // z^t = S_θ(z^{t−1} + α·inverse(G)), fused into the inverse transform (into z^t's slot)
      step.op = t === 1 ? 'first' : 'step';
      step.prev = t > 1 ? sl.z(t - 1) : undefined;
      tr.inverseRaw(g[0], g[1], nb * C, sl.z(t), 0, step);
    }
    this.zs.set(ws.viewAt(sl.z(T), nb * CN), b0 * CN);
    this.valid[c] = gen;
    Atomics.store(this.ctl, c, this.token);
  }

  /**
   * WASM engine: the steps of `backwardChunk`; the weight-gradient sums accumulate in float32 within the chunk.
   * Runs a chunk whose forward ran on this thread when one is left (its data is in this thread's cache), else
   * any unclaimed chunk, recomputing its forward first. Which thread runs which chunk never changes a result.
   */
  private backwardWasm(ws: WasmWorkspace, s: IstaSettings, wantGx: boolean, gen: number, gzT: FloatArray, gxOut: Float32Array | null): void {
    const { B, C, cout, N, M, T } = this.spec;
    const { ld, gram, chunks, ctl, token } = this;
    let c = -1;
    for (let q = 0; q < chunks && c < 0; q++) if (Atomics.load(ctl, q) === token && Atomics.compareExchange(ctl, chunks + q, 0, 1) === 0) c = q;
    for (let q = 0; q < chunks && c < 0; q++) if (Atomics.compareExchange(ctl, chunks + q, 0, 1) === 0) c = q;
    if (c < 0) throw new RangeError(`ista-spectral: backward found no unclaimed chunk (of ${chunks})`);
    const [b0, b1] = chunkRange(c, chunks, B);
    const { alpha } = s;
    const tr = this.tr as WasmRowTransform;
    const nb = b1 - b0, CN = C * N, CL = C * ld, OL = cout * ld, n = nb * CN;
    const at = this.stageWasm(ws, nb, gen);
    if (this.valid[c] !== gen) this.forwardWasm(ws, c, b0, b1, s, gen);
    const sl = this.slots(ws, this.slotOf[c]);
    const W: [number, number] = [at.wr, at.wi], A: [number, number] = [at.Ar, at.Ai];
    const U: [number, number] = [at.ur, at.ui], Q: [number, number] = [at.qr, at.qi], H: [number, number] = [at.hr, at.hi], S: [number, number] = [at.sr, at.si];
    const acc: [number, number] = [at.accR, at.accI], P: [number, number] = [at.Pr, at.Pi];
    // S = Σ_t GU (Gram form, [nb, C, ld]) or Σ_t Q (direct form, [nb, cout, ld])
    const sn = nb * (gram ? CL : OL);
    for (const name of ['sr', 'si']) ws.view(name, sn).fill(0);
    for (const name of ['accR', 'accI']) ws.view(name, cout * CL).fill(0);
    if (gram) for (const name of ['Pr', 'Pi']) ws.view(name, C * CL).fill(0);
    ws.view('g', n).set(gzT.subarray(b0 * CN, b0 * CN + n));
    const update: InverseUpdate = { op: 'axpy', alpha: -alpha, theta: 0, oneSided: false };
    let gTheta = 0;
    for (let t = T; t >= 1; t--) {
      // gu = gz ⊙ [z^t ≠ 0], fused into the forward transform of gu
      gTheta -= tr.forwardRaw(at.g, nb * C, at.ur, at.ui, 0, sl.z(t));
      const Z = sl.Z(t - 1);
      if (gram) {
        ws.axpy(at.sr, at.ur, sn, 1);
        ws.axpy(at.si, at.ui, sn, 1);
        if (t === 1) break;
        // P1[c', c] += GU_c conj(Z_c') (P = P1 + P1ᴴ per mode, formed once below); H = A·GU
        ws.couter(nb, C, C, ld, U, Z, P);
        ws.cmix(nb, C, C, ld, A, false, U, H);
      } else {
        // Q = W·GU; acc += GU ⊗ conj(R^t) − Z^{t−1} ⊗ conj(Q); H = Wᴴ Q; Σ_t Q
        ws.cmix(nb, C, cout, ld, W, false, U, Q);
        ws.couter(nb, C, cout, ld, U, sl.R(t - 1), acc);
        ws.axpy(at.sr, at.qr, sn, 1);
        ws.axpy(at.si, at.qi, sn, 1);
        if (t === 1) break;
        ws.couter(nb, C, cout, ld, Z, Q, acc, true);
        ws.cmix(nb, cout, C, ld, W, true, Q, H);
      }
      // gz^{t−1} = gu − α·DᵀD gu
      tr.inverseRaw(at.hr, at.hi, nb * C, at.g, 0, update);
    }
    let gxs = S;
    if (gram) {
      // acc += S ⊗ conj(X); Σ_t Q = W·S
      ws.couter(nb, C, cout, ld, S, sl.R(0), acc);
      if (wantGx) ws.cmix(nb, C, cout, ld, W, false, S, Q);
      gxs = Q;
    }
    if (wantGx) {
      // α·D Σ_t gu: added into the caller's gx in place when it is reachable, else into this.gx for backward()
      const o = b0 * cout * N, gn = nb * cout * N;
      if (gxOut) ws.view('y', gn).set(gxOut.subarray(o, o + gn));
      tr.inverseRaw(gxs[0], gxs[1], nb * cout, at.y, 0, { op: gxOut ? 'axpy' : 'scale', alpha, theta: 0, oneSided: false });
      (gxOut ?? this.gx).set(ws.view('y', gn), o);
    }
    // chunk sums out as float64 [rows, M]
    const len = cout * C * M, pl = C * C * M;
    copyRows(ws.view('accR', cout * CL), ld, this.acc.subarray(c * 2 * len, c * 2 * len + len), M, cout * C, M);
    copyRows(ws.view('accI', cout * CL), ld, this.acc.subarray(c * 2 * len + len, (c + 1) * 2 * len), M, cout * C, M);
    if (gram) {
      // P[c', c] = P1[c', c] + conj(P1[c, c'])
      const p1r = ws.view('Pr', C * CL), p1i = ws.view('Pi', C * CL), P = this.P, o = c * 2 * pl;
      for (let c2 = 0; c2 < C; c2++) {
        for (let cc = 0; cc < C; cc++) {
          const a = (c2 * C + cc) * ld, b = (cc * C + c2) * ld, d = o + (c2 * C + cc) * M;
          for (let k = 0; k < M; k++) {
            P[d + k] = p1r[a + k] + p1r[b + k];
            P[d + pl + k] = p1i[a + k] - p1i[b + k];
          }
        }
      }
    }
    this.gTheta[c] = gTheta;
  }
}

/** dst[r·dstStride + k] = src[r·srcStride + k] for r < rows, k < M, and 0 for M ≤ k < dstStride (the SIMD padding). */
function copyRows(src: FloatArray, srcStride: number, dst: FloatArray, dstStride: number, rows: number, M: number): void {
  for (let r = 0; r < rows; r++) {
    const so = r * srcStride, d = r * dstStride;
    for (let k = 0; k < M; k++) dst[d + k] = src[so + k];
    for (let k = M; k < dstStride; k++) dst[d + k] = 0;
  }
}

registerTape('ista-spectral', (spec, alloc) => new SpectralIsta(spec as SpectralSpec, alloc));
