/**
 * Chunked spectral decoder (SPEC §4): x̂ = D z of SAE-FNO outside the ISTA encoder, and in one pass per chunk of
 * samples its adjoint Dᵀg and weight gradient, on the worker pool of core/parallel.ts. Hand-written so the
 * spectra of z from the forward serve the weight gradient and the upstream gradient is transformed once.
 */
import { CHUNKS, chunkRange, registerTape, TapeMemory, type Alloc, type ChunkedTape } from '../parallel.js';
import type { DType, FloatArray } from '../tensor.js';
import { rowTransform, type RowTransform } from './dft.js';
import { grow, sumChunks } from './ista-common.js';
import { mixModes, modeGradFactors, retryDetached } from './spectral.js';

/**
 * Jobs over fewer signal samples than this (B·(C + cout)·N) run on the calling thread: about 12 µs of transforms,
 * the order of handing a job to a (polling) worker. Larger ones go to the pool: S2's conv decoder (98 304
 * samples) made the 2-thread step 7.5 → 6–6.9 ms when it stopped running locally (then below 2^18).
 */
const LOCAL_SAMPLES = 1 << 14;

/** Sizes of a decoder tape: codes [B, C, N] → signals [B, cout, N] with weights [cout, C, M]. */
export interface DecoderSpec { B: number; C: number; cout: number; N: number; M: number; dtype: DType }

/**
 * The operator of kernels/spectral.ts (`spectralApply`, same conventions) as a tape over the batch: `forward`
 * keeps the forward-normalised spectra Z of z; `backward` transforms g once to G, adds the per-chunk sums
 * Σ_b Z ⊗ conj G (the weight gradient, reduced in chunk order, so bit-identical for any thread count) and
 * forms Dᵀg = irfft(conj(w)ᵀ·G). Each chunk makes one batched row transform per direction.
 */
export class SpectralDecoder implements ChunkedTape {
  readonly kind = 'spectral-decoder';
  readonly chunks: number;
  /** copy of the codes z [B, C, N] when the caller's array cannot reach the workers (empty for local jobs) */
  private readonly z: FloatArray;
  readonly wRe: Float64Array;
  readonly wIm: Float64Array;
  /** spectra of z: [B, C, M] */
  private readonly Zr: Float64Array;
  private readonly Zi: Float64Array;
  /** copy of the upstream gradient g [B, cout, N] when the caller's cannot reach the workers (empty for local jobs) */
  private readonly g: FloatArray;
  /** Dᵀ g: [B, C, N] */
  private readonly gz: FloatArray;
  /** per-chunk Σ_b Z ⊗ conj G: [chunks, 2, cout·C·M] (re, im) */
  private readonly acc: Float64Array;
  private readonly mem: TapeMemory | null;
  private readonly tr: RowTransform;
  private readonly fr: Float64Array;
  private readonly fi: Float64Array;
  /** largest chunk (samples) */
  private readonly nb: number;
  /** whether jobs stay on the calling thread (`LOCAL_SAMPLES`) */
  private readonly local: boolean;
  // per-thread scratch for one chunk: spectra [nb·max(C, cout), M]
  private ar = new Float64Array(0);
  private ai = new Float64Array(0);
  private br = new Float64Array(0);
  private bi = new Float64Array(0);

  constructor(readonly spec: DecoderSpec, alloc?: Alloc) {
    const { B, C, cout, N, M, dtype } = spec;
    this.mem = alloc ? null : new TapeMemory();
    const a = alloc ?? (this.mem as TapeMemory).alloc;
    const f64 = (n: number) => a(n, 'float64') as Float64Array;
    this.chunks = Math.min(CHUNKS, B);
    this.nb = Math.ceil(B / this.chunks);
    this.local = B * (C + cout) * N < LOCAL_SAMPLES;
    // copies of the inputs only for jobs that go to workers (a worker's replay has alloc, so its memory is shared)
    const copies = !this.local && (alloc !== undefined || (this.mem as TapeMemory).shared);
    this.z = a(copies ? B * C * N : 0, dtype);
    this.wRe = f64(cout * C * M);
    this.wIm = f64(cout * C * M);
    this.Zr = f64(B * C * M);
    this.Zi = f64(B * C * M);
    this.g = a(copies ? B * cout * N : 0, dtype);
    this.gz = a(B * C * N, dtype);
    this.acc = f64(this.chunks * 2 * cout * C * M);
    this.tr = rowTransform(N, M, dtype);
    ({ re: this.fr, im: this.fi } = modeGradFactors(N, M));
  }

  /** D z for z [B, C, N] and weights [cout, C, M]: a new array [B, cout, N] owned by the caller. */
  forward(z: FloatArray, wRe: ArrayLike<number>, wIm: ArrayLike<number>): FloatArray {
    const { B, cout, N, dtype } = this.spec;
    this.wRe.set(wRe);
    this.wIm.set(wIm);
    const out = this.memory.transient(B * cout * N, dtype);
    this.run('forward', { src: this.reach(z, this.z), out });
    return out;
  }

  private get memory(): TapeMemory {
    return this.mem as TapeMemory;
  }

  /** All chunks of a job: on the pool, or on this thread for small jobs (the same chunks, so the same bits). */
  private run(method: string, args: unknown): void {
    if (this.local) for (let c = 0; c < this.chunks; c++) this.runChunk(method, c, args);
    else this.memory.run(this, method, args, this.chunks);
  }

  /** a itself when the lanes can read it (local jobs, shared memory or no pool), else its copy in the tape's `copy`. */
  private reach(a: FloatArray, copy: FloatArray): FloatArray {
    if (this.local || this.memory.reaches(a)) return a;
    copy.set(a);
    return copy;
  }

  /**
   * From the upstream gradient g [B, cout, N]: adds the weight gradient into gRe/gIm [cout, C, M] (when non-null)
   * and, when `wantGz`, returns the tape's buffer holding Dᵀg [B, C, N] (valid until its next backward; else null).
   */
  backward(g: FloatArray, gRe: FloatArray | null, gIm: FloatArray | null, wantGz: boolean): FloatArray | null {
    const { cout, C, M } = this.spec;
    const wantW = gRe !== null && gIm !== null;
    const gz = wantGz ? this.gz : null;
    this.run('backward', { src: this.reach(g, this.g), wantW, gz });
    if (wantW) {
      const len = cout * C * M;
      const re = new Float64Array(len), im = new Float64Array(len);
      sumChunks(this.acc, this.chunks, 2 * len, 0, len, re);
      sumChunks(this.acc, this.chunks, 2 * len, len, len, im);
      const { fr, fi } = this;
      for (let j = 0; j < len; j++) {
        const k = j % M;
        gRe[j] += fr[k] * re[j];
        gIm[j] -= fi[k] * im[j];
      }
    }
    return gz;
  }

  runChunk(method: string, c: number, args: unknown): void {
    const { C, cout, M } = this.spec;
    const [b0, b1] = chunkRange(c, this.chunks, this.spec.B);
    const rows = this.nb * Math.max(C, cout) * M;
    for (const f of ['ar', 'ai', 'br', 'bi'] as const) this[f] = grow(this[f], rows);
    if (method === 'forward') {
      const a = args as { src: FloatArray; out: FloatArray };
      this.forwardChunk(b0, b1, a.src, a.out);
    } else {
      const a = args as { src: FloatArray; wantW: boolean; gz: FloatArray | null };
      this.backwardChunk(c, b0, b1, a.src, a.wantW, a.gz);
    }
  }

  /** Z = rfft(z) (kept), Y = w·Z, out = irfft(Y) for samples [b0, b1). */
  private forwardChunk(b0: number, b1: number, z: FloatArray, out: FloatArray): void {
    const { C, cout, N, M } = this.spec;
    const { tr, Zr, Zi, wRe, wIm, ar, ai } = this;
    const nb = b1 - b0, CM = C * M, OM = cout * M;
    retryDetached(() => tr.forward(z, b0 * C * N, nb * C, Zr, Zi, b0 * CM));
    for (let j = 0; j < nb; j++) mixModes(Zr, Zi, (b0 + j) * CM, C, cout, wRe, wIm, M, false, ar, ai, j * OM);
    retryDetached(() => out.set(tr.inverse(ar, ai, 0, nb * cout).subarray(0, nb * cout * N), b0 * cout * N));
  }

  /** G = rfft(g); chunk c's Σ_b Z ⊗ conj G (if wantW); gz = irfft(conj(w)ᵀ·G) (if gz) for samples [b0, b1). */
  private backwardChunk(c: number, b0: number, b1: number, g: FloatArray, wantW: boolean, gz: FloatArray | null): void {
    const { C, cout, N, M } = this.spec;
    const { tr, Zr, Zi, wRe, wIm, ar: Gr, ai: Gi, br: Hr, bi: Hi } = this;
    const nb = b1 - b0, CM = C * M, OM = cout * M, len = cout * C * M;
    retryDetached(() => tr.forward(g, b0 * cout * N, nb * cout, Gr, Gi, 0));
    if (wantW) {
      const accRe = this.acc.subarray(c * 2 * len, c * 2 * len + len);
      const accIm = this.acc.subarray(c * 2 * len + len, (c + 1) * 2 * len);
      accRe.fill(0);
      accIm.fill(0);
      for (let j = 0; j < nb; j++) {
        for (let i = 0; i < cout; i++) {
          for (let cc = 0; cc < C; cc++) {
            const w0 = (i * C + cc) * M, z0 = (b0 + j) * CM + cc * M, g0 = j * OM + i * M;
            for (let k = 0; k < M; k++) {
              const zr = Zr[z0 + k], zi = Zi[z0 + k], gr = Gr[g0 + k], gi = Gi[g0 + k];
              accRe[w0 + k] += zr * gr + zi * gi;
              accIm[w0 + k] += zi * gr - zr * gi;
            }
          }
        }
      }
    }
    if (!gz) return;
    for (let j = 0; j < nb; j++) mixModes(Gr, Gi, j * OM, cout, C, wRe, wIm, M, true, Hr, Hi, j * CM);
    retryDetached(() => gz.set(tr.inverse(Hr, Hi, 0, nb * C).subarray(0, nb * C * N), b0 * C * N));
  }
}

registerTape('spectral-decoder', (spec, alloc) => new SpectralDecoder(spec as DecoderSpec, alloc));
