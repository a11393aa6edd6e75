/**
 * Fused dense unrolled-ISTA tape (SAE, L-SAE; SPEC §4): the whole encoder and its exact backward on typed arrays
 * (equations in ista-common.ts), GEMMs over the batch (WASM SIMD in float32). A tape owns its inputs, iterates and
 * outputs, so chunks of samples run on worker threads over shared memory (core/parallel.ts).
 */
import { CHUNKS, chunkRange, registerTape, TapeMemory, type Alloc, type ChunkedTape } from '../parallel.js';
import type { DType, FloatArray } from '../tensor.js';
import { maskGrad, shrinkInto, sumChunks, sumTheta, type IstaSettings } from './ista-common.js';
import { gemm } from './matmul.js';

export interface DenseSpec { B: number; m: number; p: number; T: number; dtype: DType }

/**
 * Dense ISTA tape: x [B, m], D [m, p] → z^T [B, p]. When p ≤ 2m each step is one GEMM with the Gram
 * operator, u = z·(I − αDᵀD) + α·xD (as many FLOPs as D then Dᵀ, one pass); otherwise u = z + α·(x − zDᵀ)D.
 * Rows evolve independently, so chunks of rows run all T steps on their own.
 */
export class DenseIsta implements ChunkedTape {
  readonly kind = 'ista-dense';
  readonly gram: boolean;
  readonly chunks: number;
  readonly x: FloatArray;
  readonly D: FloatArray;
  readonly gzT: FloatArray;
  /** z^t for t = 1…T: [T, B, p] */
  readonly zs: FloatArray;
  /** Gram form: I − αDᵀD [p, p]; direct form: r^t = x − D z^{t−1} for t = 1…T, [T, B, m] */
  private readonly aux: FloatArray;
  /** Gram form: α·xD, then (backward) Σ_t gu^t [B, p] */
  private readonly bx: FloatArray;
  private readonly u: FloatArray;
  private readonly h: FloatArray;
  /** Gram-form backward: z^{t−1} and gu^t for t = 2…T, stacked per chunk ([(T−1)·rows, p] from (T−1)·b0·p) for one gM GEMM */
  private readonly stackZ: FloatArray;
  private readonly stackG: FloatArray;
  /** α·D gu summed over steps (direct form) or α·gb·Dᵀ (Gram form): [B, m] */
  readonly gx: FloatArray;
  /** per-chunk partial sums: Gram form Σ z^{t−1}ᵀ gu^t [p, p]; direct form ∂/∂D [m, p] (model dtype: the GEMM kernels write them) */
  private readonly part: FloatArray;
  private readonly gTheta: Float64Array;
  private readonly mem: TapeMemory | null;
  private s: IstaSettings = { T: 1, alpha: 1, theta: 0, oneSided: false };

  constructor(readonly spec: DenseSpec, alloc?: Alloc) {
    const { B, m, p, T, dtype } = spec;
    this.mem = alloc ? null : new TapeMemory();
    const a = alloc ?? (this.mem as TapeMemory).alloc;
    this.gram = p <= 2 * m;
    this.chunks = Math.min(CHUNKS, B);
    this.x = a(B * m, dtype);
    this.D = a(m * p, dtype);
    this.gzT = a(B * p, dtype);
    this.zs = a(T * B * p, dtype);
    this.aux = a(this.gram ? p * p : T * B * m, dtype);
    this.bx = a(B * p, dtype);
    this.u = a(B * p, dtype);
    this.h = a(B * p, dtype);
    this.stackZ = a(this.gram ? (T - 1) * B * p : 0, dtype);
    this.stackG = a(this.gram ? (T - 1) * B * p : 0, dtype);
    this.gx = a(B * m, dtype);
    this.part = a(this.chunks * (this.gram ? p * p : m * p), dtype);
    this.gTheta = a(this.chunks, 'float64') as Float64Array;
  }

  private run(method: string, args: unknown): void {
    (this.mem as TapeMemory).run(this, method, args, this.chunks);
  }

  /** Forward from x [B, m] and D [m, p] with settings `s` (s.T = spec.T); returns the view of z^T in the tape. */
  forward(x: ArrayLike<number>, D: ArrayLike<number>, s: IstaSettings): FloatArray {
    const { B, m, p, T } = this.spec;
    this.s = s;
    this.x.set(x);
    this.D.set(D);
    if (this.gram) {
      const G = this.aux;
      gemm(true, false, p, p, m, -s.alpha, this.D, this.D, 0, G);
      for (let i = 0; i < p; i++) G[i * p + i] += 1;
    }
    this.run('forward', s);
    return this.zs.subarray((T - 1) * B * p, T * B * p);
  }

  /** Backward from gzT [B, p]: accumulates into gD [m, p] and gx [B, m] when non-null; returns ∂L/∂θ. */
  backward(gzT: ArrayLike<number>, gD: FloatArray | null, gx: FloatArray | null): number {
    const { B, m, p } = this.spec;
    const { alpha } = this.s;
    this.gzT.set(gzT);
    this.run('backward', { s: this.s, wantGD: gD !== null });
    if (gD) {
      if (this.gram) {
        // M = I − αDᵀD ⇒ gD −= α·D(gM + gMᵀ); b = α·xD ⇒ gD += α·xᵀ·Σ_t gu^t
        const gM = new Float64Array(p * p);
        sumChunks(this.part, this.chunks, p * p, 0, p * p, gM);
        const sym = new Float64Array(p * p);
        for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) sym[i * p + j] = gM[i * p + j] + gM[j * p + i];
        gemm(false, false, m, p, p, -alpha, this.D, sym, 1, gD);
        gemm(true, false, m, p, B, alpha, this.x, this.bx, 1, gD);
      } else {
        const part = new Float64Array(m * p);
        sumChunks(this.part, this.chunks, m * p, 0, m * p, part);
        for (let j = 0; j < m * p; j++) gD[j] += part[j];
      }
    }
    if (gx) for (let j = 0; j < B * m; j++) gx[j] += this.gx[j];
    return sumTheta(this.gTheta, this.chunks);
  }

  runChunk(method: string, c: number, args: unknown): void {
    const [b0, b1] = chunkRange(c, this.chunks, this.spec.B);
    if (method === 'forward') this.forwardRows(b0, b1, args as IstaSettings);
    else {
      const a = args as { s: IstaSettings; wantGD: boolean };
      this.backwardRows(c, b0, b1, a.s, a.wantGD);
    }
  }

  private forwardRows(b0: number, b1: number, s: IstaSettings): void {
    const { B, m, p } = this.spec;
    const { T, alpha, theta, oneSided } = s;
    const rows = b1 - b0, bp = B * p, bm = B * m, n = rows * p;
    const zs = this.zs, D = this.D;
    const u = this.u.subarray(b0 * p, b1 * p);
    const x = this.x.subarray(b0 * m, b1 * m);
    const zAt = (t: number) => zs.subarray((t - 1) * bp + b0 * p, (t - 1) * bp + b1 * p);
    if (this.gram) {
      const bx = this.bx.subarray(b0 * p, b1 * p);
      gemm(false, false, rows, p, m, alpha, x, D, 0, bx);
      shrinkInto(bx, 0, n, theta, oneSided, zs, b0 * p);
      for (let t = 2; t <= T; t++) {
        u.set(bx);
        gemm(false, false, rows, p, p, 1, zAt(t - 1), this.aux, 1, u);
        shrinkInto(u, 0, n, theta, oneSided, zs, (t - 1) * bp + b0 * p);
      }
    } else {
      for (let t = 1; t <= T; t++) {
        const r = this.aux.subarray((t - 1) * bm + b0 * m, (t - 1) * bm + b1 * m);
        r.set(x);
        if (t > 1) {
          gemm(false, true, rows, m, p, -1, zAt(t - 1), D, 1, r);
          u.set(zAt(t - 1));
        } else u.fill(0);
        gemm(false, false, rows, p, m, alpha, r, D, 1, u);
        shrinkInto(u, 0, n, theta, oneSided, zs, (t - 1) * bp + b0 * p);
      }
    }
  }

  private backwardRows(c: number, b0: number, b1: number, s: IstaSettings, wantGD: boolean): void {
    const { B, m, p } = this.spec;
    const { T, alpha } = s;
    const rows = b1 - b0, bp = B * p, bm = B * m, n = rows * p;
    const zs = this.zs, D = this.D;
    const gz = this.u.subarray(b0 * p, b1 * p);
    const h = this.h.subarray(b0 * p, b1 * p);
    const gx = this.gx.subarray(b0 * m, b1 * m);
    gz.set(this.gzT.subarray(b0 * p, b1 * p));
    const zAt = (t: number) => zs.subarray((t - 1) * bp + b0 * p, (t - 1) * bp + b1 * p);
    let gTheta = 0;
    if (this.gram) {
      // gb = Σ_t gu^t (kept in bx); gM = Σ_{t≥2} z^{t−1}ᵀ gu^t (one GEMM over the stacked steps); gz^{t−1} = gu^t·M (M symmetric)
      const gb = this.bx.subarray(b0 * p, b1 * p);
      gb.fill(0);
      const st = (T - 1) * b0 * p;
      for (let t = T; t >= 1; t--) {
        gTheta -= maskGrad(gz, 0, zs, (t - 1) * bp + b0 * p, n);
        for (let i = 0; i < n; i++) gb[i] += gz[i];
        if (t === 1) break;
        if (wantGD) {
          this.stackZ.set(zAt(t - 1), st + (t - 2) * n);
          this.stackG.set(gz, st + (t - 2) * n);
        }
        gemm(false, false, rows, p, p, 1, gz, this.aux, 0, h);
        gz.set(h);
      }
      const gM = this.part.subarray(c * p * p, (c + 1) * p * p);
      if (wantGD && T > 1) gemm(true, false, p, p, (T - 1) * rows, 1, this.stackZ.subarray(st, st + (T - 1) * n), this.stackG.subarray(st, st + (T - 1) * n), 0, gM);
      else gM.fill(0);
      gemm(false, true, rows, m, p, alpha, gb, D, 0, gx);
    } else {
      const q = this.h.subarray(b0 * m, b1 * m); // rows·m ≤ rows·p here (p > 2m)
      const gDc = this.part.subarray(c * m * p, (c + 1) * m * p);
      gDc.fill(0);
      gx.fill(0);
      for (let t = T; t >= 1; t--) {
        gTheta -= maskGrad(gz, 0, zs, (t - 1) * bp + b0 * p, n);
        // q = D gu (rows: gu·Dᵀ); gx += α·q
        gemm(false, true, rows, m, p, 1, gz, D, 0, q);
        for (let i = 0; i < rows * m; i++) gx[i] += alpha * q[i];
        if (wantGD) {
          gemm(true, false, m, p, rows, alpha, this.aux.subarray((t - 1) * bm + b0 * m, (t - 1) * bm + b1 * m), gz, 1, gDc);
          if (t > 1) gemm(true, false, m, p, rows, -alpha, q, zAt(t - 1), 1, gDc);
        }
        if (t === 1) break;
        gemm(false, false, rows, p, m, -alpha, q, D, 1, gz);
      }
    }
    this.gTheta[c] = gTheta;
  }
}

registerTape('ista-dense', (spec, alloc) => new DenseIsta(spec as DenseSpec, alloc));
