/**
 * Fused dense unrolled-ISTA tape (SAE, L-SAE; SPEC §4): the whole encoder and its exact backward on typed arrays
 * (equations in ista-common.ts), GEMMs over the batch (WASM SIMD in float32; the float32 Gram form runs whole in the
 * thread's WASM workspace, its masks and shrinks fused into SIMD kernels). A tape owns its inputs, iterates and
 * outputs, so blocks of samples run on worker threads over shared memory (core/parallel.ts).
 *
 * The batch runs as one row block per thread (a "unit" of whole fixed chunks): rows evolve independently and
 * `gemmRows` gives a row the same bits in any block, so larger blocks only save per-GEMM overhead; the sums over
 * samples (∂/∂D, ∂/∂θ) stay per fixed chunk, reduced in chunk order, so no result depends on the thread count.
 */
import { CHUNKS, chunkRange, registerTape, TapeMemory, threadCount, type Alloc, type ChunkedTape } from '../parallel.js';
import type { DType, FloatArray } from '../tensor.js';
import { maskGrad, sumTheta, type IstaSettings } from './ista-common.js';
import { gemm, gemmRows } from './matmul.js';
import { wasmWorkspace, type InverseUpdate, type WasmWorkspace } from '../wasm/kernels.js';

export interface DenseSpec { B: number; m: number; p: number; T: number; dtype: DType }

/**
 * Dense ISTA tape: x [B, m], D [m, p] → z^T [B, p]. When p ≤ 2m each step is one GEMM with the Gram
 * operator, u = z·(I − αDᵀD) + α·xD (as many FLOPs as D then Dᵀ, one pass); otherwise u = z + α·(x − zDᵀ)D.
 * Rows evolve independently, so each row block runs all T steps on its own.
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
  /** Gram form: α·xD (JS path), then (backward) Σ_t gu^t [B, p] */
  private readonly bx: FloatArray;
  private readonly u: FloatArray;
  private readonly h: FloatArray;
  /**
   * Gram-form backward of the JS path (float64, or no WASM SIMD), per chunk from (T−1)·b0·p, for one gM GEMM:
   * gu^t for t = 2…T stacked [(T−1)·rows, p], and z^{t−1} stacked the same way but stored transposed,
   * [p, (T−1)·rows] (the GEMM's left operand, written while hot)
   */
  private readonly stackZ: FloatArray;
  private readonly stackG: FloatArray;
  /** α·D gu summed over steps (direct form) or α·gb·Dᵀ (Gram form): [B, m] */
  readonly gx: FloatArray;
  /** per-chunk partial sums: Gram form Σ z^{t−1}ᵀ gu^t [p, p]; direct form ∂/∂D [m, p] (model dtype: the GEMM kernels write them) */
  private readonly part: FloatArray;
  private readonly gTheta: Float64Array;
  private readonly mem: TapeMemory | null;
  private s: IstaSettings = { T: 1, alpha: 1, theta: 0, oneSided: false };
  /** calling-thread scratch for the sum over chunks of `part`, and a ones vector (allocated on first backward; workers never need them) */
  private sum: FloatArray | null = null;
  private ones: Float64Array | null = null;

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

  private run(method: string, args: RunArgs): void {
    (this.mem as TapeMemory).run(this, method, args, args.units);
  }

  /** Row blocks per run: one per thread (never more than the fixed chunks). */
  private units(): number {
    return Math.min(this.chunks, threadCount());
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
    this.run('forward', { s, units: this.units(), wantGD: false });
    return this.zs.subarray((T - 1) * B * p, T * B * p);
  }

  /** Backward from gzT [B, p]: accumulates into gD [m, p] and gx [B, m] when non-null; returns ∂L/∂θ. */
  backward(gzT: ArrayLike<number>, gD: FloatArray | null, gx: FloatArray | null): number {
    const { B, m, p } = this.spec;
    const { alpha } = this.s;
    this.gzT.set(gzT);
    this.run('backward', { s: this.s, units: this.units(), wantGD: gD !== null });
    if (gD) {
      const len = this.gram ? p * p : m * p;
      // Σ_c part_c in chunk order, as the GEMM ones[1, chunks]·part[chunks, len] (each entry summed over c in order)
      const sum = (this.sum ??= this.part instanceof Float32Array ? new Float32Array(len) : new Float64Array(len));
      gemm(false, false, 1, len, this.chunks, 1, (this.ones ??= new Float64Array(this.chunks).fill(1)), this.part, 0, sum);
      if (this.gram) {
        // M = I − αDᵀD ⇒ gD −= α·D(gM + gMᵀ); b = α·xD ⇒ gD += α·xᵀ·Σ_t gu^t (left in bx by the chunks)
        for (let i = 0; i < p; i++) {
          for (let j = 0; j < i; j++) sum[i * p + j] = sum[j * p + i] = sum[i * p + j] + sum[j * p + i];
          sum[i * p + i] *= 2;
        }
        gemm(false, false, m, p, p, -alpha, this.D, sum, 1, gD);
        gemm(true, false, m, p, B, alpha, this.x, this.bx, 1, gD);
      } else {
        for (let j = 0; j < m * p; j++) gD[j] += sum[j];
      }
    }
    if (gx) for (let j = 0; j < B * m; j++) gx[j] += this.gx[j];
    return sumTheta(this.gTheta, this.chunks);
  }

  /** Runs row block `u` of `args.units`: the fixed chunks [c0, c1). */
  runChunk(method: string, u: number, args: unknown): void {
    const a = args as RunArgs;
    const c0 = Math.floor((u * this.chunks) / a.units), c1 = Math.floor(((u + 1) * this.chunks) / a.units);
    const ws = this.gram && this.spec.dtype === 'float32' ? wasmWorkspace() : null;
    if (method === 'forward') {
      if (ws) this.forwardGramWasm(ws, c0, c1, a.s);
      else this.forwardRows(c0, c1, a.s);
    } else if (ws) this.backwardGramWasm(ws, c0, c1, a.s, a.wantGD);
    else if (this.gram) this.backwardGram(c0, c1, a.s, a.wantGD);
    else for (let c = c0; c < c1; c++) this.backwardDirect(c, a.s, a.wantGD);
  }

  /** Samples [b0, b1) of the fixed chunks [c0, c1). */
  private rowsOf(c0: number, c1: number): [number, number] {
    return [chunkRange(c0, this.chunks, this.spec.B)[0], chunkRange(c1 - 1, this.chunks, this.spec.B)[1]];
  }

  private forwardRows(c0: number, c1: number, s: IstaSettings): void {
    const { B, m, p } = this.spec;
    const { T, alpha, theta, oneSided } = s;
    const [b0, b1] = this.rowsOf(c0, c1);
    const rows = b1 - b0, bp = B * p, bm = B * m, n = rows * p;
    const zs = this.zs, D = this.D;
    const u = this.u.subarray(b0 * p, b1 * p);
    const x = this.x.subarray(b0 * m, b1 * m);
    const zAt = (t: number) => zs.subarray((t - 1) * bp + b0 * p, (t - 1) * bp + b1 * p);
    if (this.gram) {
      // z¹ = S(α·xD); z^t = S(α·xD + z^{t−1}·M)
      const bx = this.bx.subarray(b0 * p, b1 * p);
      gemmRows(false, false, rows, p, m, alpha, x, D, 0, bx);
      addShrink(bx, null, n, theta, oneSided, zs, b0 * p);
      for (let t = 2; t <= T; t++) {
        gemmRows(false, false, rows, p, p, 1, zAt(t - 1), this.aux, 0, u);
        addShrink(u, bx, n, theta, oneSided, zs, (t - 1) * bp + b0 * p);
      }
    } else {
      for (let t = 1; t <= T; t++) {
        const r = this.aux.subarray((t - 1) * bm + b0 * m, (t - 1) * bm + b1 * m);
        r.set(x);
        if (t > 1) {
          gemmRows(false, true, rows, m, p, -1, zAt(t - 1), D, 1, r);
          u.set(zAt(t - 1));
        } else u.fill(0);
        gemmRows(false, false, rows, p, m, alpha, r, D, 1, u);
        addShrink(u, null, n, theta, oneSided, zs, (t - 1) * bp + b0 * p);
      }
    }
  }

  /**
   * `forwardRows` of the Gram form in float32 with every operand in this thread's WASM workspace: each step is one
   * GEMM whose stores apply z^t = S_θ(α·xD + z^{t−1}·M) (z¹ = S_θ(α·xD): the update alone), and z^t is copied out.
   */
  private forwardGramWasm(ws: WasmWorkspace, c0: number, c1: number, s: IstaSettings): void {
    const { B, m, p } = this.spec;
    const { T, alpha } = s;
    const [b0, b1] = this.rowsOf(c0, c1);
    const rows = b1 - b0, n = rows * p, bp = B * p;
    ws.ensure({ 'dense.M': p * p, 'dense.x': rows * m, 'dense.D': m * p, 'dense.b': n, 'dense.z': 2 * n });
    const at = ws.at;
    ws.view('dense.M', p * p).set(this.aux);
    ws.view('dense.x', rows * m).set(this.x.subarray(b0 * m, b1 * m));
    ws.view('dense.D', m * p).set(this.D);
    ws.gemm(false, rows, p, m, alpha, at['dense.x'], at['dense.D'], 0, at['dense.b']);
    const z = ws.view('dense.z', 2 * n);
    const step: InverseUpdate = { op: 'step', alpha: 1, theta: s.theta, oneSided: s.oneSided, prev: at['dense.b'] };
    for (let t = 1; t <= T; t++) {
      const cur = (t & 1) * n, prev = n - cur;
      ws.gemmUpdate(rows, p, t === 1 ? 0 : p, at['dense.z'] + 4 * prev, at['dense.M'], at['dense.z'] + 4 * cur, step);
      this.zs.set(z.subarray(cur, cur + n), (t - 1) * bp + b0 * p);
    }
  }

  /**
   * `backwardGram` in float32 on this thread's WASM workspace: z¹…z^T of each chunk are copied in once, stacked
   * per chunk as [T·rows_c, p], so the slots of z¹…z^{T−1} are the left operand of the chunk's gM GEMM as they
   * are (read down their columns: no transpose); gu^t is stacked beside them by the mask pass.
   */
  private backwardGramWasm(ws: WasmWorkspace, c0: number, c1: number, s: IstaSettings, wantGD: boolean): void {
    const { B, m, p } = this.spec;
    const { T, alpha } = s;
    const [b0, b1] = this.rowsOf(c0, c1);
    const rows = b1 - b0, n = rows * p, bp = B * p;
    ws.ensure({ 'dense.M': p * p, 'dense.g': 2 * n, 'dense.b': n, 'dense.zS': T * n, 'dense.gS': (T - 1) * n, 'dense.gM': p * p });
    const at = ws.at;
    ws.view('dense.M', p * p).set(this.aux);
    ws.view('dense.g', n).set(this.gzT.subarray(b0 * p, b1 * p));
    const gb = ws.view('dense.b', n).fill(0);
    const zS = ws.view('dense.zS', T * n);
    for (let c = c0; c < c1; c++) {
      const [r0, r1] = chunkRange(c, this.chunks, B);
      const nc = (r1 - r0) * p, base = T * (r0 - b0) * p;
      for (let t = 1; t <= T; t++) zS.set(this.zs.subarray((t - 1) * bp + r0 * p, (t - 1) * bp + r1 * p), base + (t - 1) * nc);
      this.gTheta[c] = 0;
    }
    let g = at['dense.g'], next = g + 4 * n;
    for (let t = T; t >= 1; t--) {
      const stack = wantGD && t >= 2;
      for (let c = c0; c < c1; c++) {
        const [r0, r1] = chunkRange(c, this.chunks, B);
        const nc = (r1 - r0) * p, off = (r0 - b0) * p;
        const gS = stack ? at['dense.gS'] + 4 * ((T - 1) * off + (t - 2) * nc) : 0;
        this.gTheta[c] -= ws.maskAccumulate(g + 4 * off, at['dense.zS'] + 4 * (T * off + (t - 1) * nc), nc, at['dense.b'] + 4 * off, gS);
      }
      if (t === 1) break;
      ws.gemm(false, rows, p, p, 1, g, at['dense.M'], 0, next);
      const done = g;
      g = next;
      next = done;
    }
    for (let c = c0; c < c1; c++) {
      const [r0, r1] = chunkRange(c, this.chunks, B);
      const k = (T - 1) * (r1 - r0), off = (r0 - b0) * p;
      const gM = this.part.subarray(c * p * p, (c + 1) * p * p);
      if (!wantGD || T === 1) {
        gM.fill(0);
        continue;
      }
      ws.gemm(true, p, p, k, 1, at['dense.zS'] + 4 * T * off, at['dense.gS'] + 4 * (T - 1) * off, 0, at['dense.gM']);
      gM.set(ws.view('dense.gM', p * p));
    }
    const gbOut = this.bx.subarray(b0 * p, b1 * p);
    gbOut.set(gb);
    gemmRows(false, true, rows, m, p, alpha, gbOut, this.D, 0, this.gx.subarray(b0 * m, b1 * m));
  }

  /**
   * Gram-form backward of the chunks [c0, c1) as one row block: gu^t = gz^t ⊙ [z^t ≠ 0], gz^{t−1} = gu^t·M
   * (M symmetric), gb = Σ_t gu^t (kept in bx), gx = α·gb·Dᵀ; per chunk, z^{t−1} and gu^t (t ≥ 2) are stacked
   * (see stackZ) for one gM = Σ_t z^{t−1}ᵀ gu^t GEMM into the chunk's partial.
   */
  private backwardGram(c0: number, c1: number, s: IstaSettings, wantGD: boolean): void {
    const { B, m, p } = this.spec;
    const { T, alpha } = s;
    const [b0, b1] = this.rowsOf(c0, c1);
    const rows = b1 - b0, bp = B * p;
    const zs = this.zs;
    let g = this.u.subarray(b0 * p, b1 * p);
    let next = this.h.subarray(b0 * p, b1 * p);
    const gb = this.bx.subarray(b0 * p, b1 * p);
    g.set(this.gzT.subarray(b0 * p, b1 * p));
    gb.fill(0);
    for (let c = c0; c < c1; c++) this.gTheta[c] = 0;
    for (let t = T; t >= 1; t--) {
      const stack = wantGD && t >= 2;
      for (let c = c0; c < c1; c++) {
        const [r0, r1] = chunkRange(c, this.chunks, B);
        const nc = r1 - r0, n = nc * p, st = (T - 1) * r0 * p;
        this.gTheta[c] -= maskAccumulate(g, (r0 - b0) * p, zs, (t - 1) * bp + r0 * p, gb, n, stack ? this.stackG : null, st + (t - 2) * n);
        if (stack) transposeInto(zs, (t - 2) * bp + r0 * p, nc, p, this.stackZ, st + (t - 2) * nc, (T - 1) * nc);
      }
      if (t === 1) break;
      gemmRows(false, false, rows, p, p, 1, g, this.aux, 0, next);
      const done = g;
      g = next;
      next = done;
    }
    for (let c = c0; c < c1; c++) {
      const [r0, r1] = chunkRange(c, this.chunks, B);
      const k = (T - 1) * (r1 - r0), st = (T - 1) * r0 * p;
      const gM = this.part.subarray(c * p * p, (c + 1) * p * p);
      if (wantGD && T > 1) gemm(false, false, p, p, k, 1, this.stackZ.subarray(st, st + k * p), this.stackG.subarray(st, st + k * p), 0, gM);
      else gM.fill(0);
    }
    gemmRows(false, true, rows, m, p, alpha, gb, this.D, 0, this.gx.subarray(b0 * m, b1 * m));
  }

  /** Direct-form backward of fixed chunk c (its ∂/∂D partial is a sum over its samples and steps). */
  private backwardDirect(c: number, s: IstaSettings, wantGD: boolean): void {
    const { B, m, p } = this.spec;
    const { T, alpha } = s;
    const [b0, b1] = chunkRange(c, this.chunks, B);
    const rows = b1 - b0, bp = B * p, bm = B * m, n = rows * p;
    const zs = this.zs, D = this.D;
    const gz = this.u.subarray(b0 * p, b1 * p);
    const gx = this.gx.subarray(b0 * m, b1 * m);
    gz.set(this.gzT.subarray(b0 * p, b1 * p));
    const zAt = (t: number) => zs.subarray((t - 1) * bp + b0 * p, (t - 1) * bp + b1 * p);
    let gTheta = 0;
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
    this.gTheta[c] = gTheta;
  }
}

/** Arguments of a run: settings, row blocks, whether ∂/∂D is wanted. */
interface RunArgs {
  s: IstaSettings;
  units: number;
  wantGD: boolean;
}

/*
 * The elementwise loops below avoid data-dependent branches: code signs are random and ~15% of codes are zero,
 * so the branchy forms of ista-common.ts mispredict and, on S1, cost 3× more (and stall the loads of z^t). They
 * give the same values, with one difference: a NaN or ±∞ where the code is zero propagates instead of being
 * cleared (only after divergence, which the trainer reports).
 */

/** out[o + i] = S_θ(b[i] + u[i]) for i < n (b = null: S_θ(u[i])); one-sided: max(·, 0). Zeros are +0. */
function addShrink(u: FloatArray, b: FloatArray | null, n: number, theta: number, oneSided: boolean, out: FloatArray, o: number): void {
  if (oneSided) {
    for (let i = 0; i < n; i++) {
      const t = (b ? b[i] : 0) + u[i] - theta;
      out[o + i] = t * +(t > 0) + 0;
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = (b ? b[i] : 0) + u[i];
    const t = Math.abs(v) - theta; // |S_θ(v)| when positive; sign(v)·t is v − θ or v + θ exactly
    out[o + i] = t * +(t > 0) * (+(v > 0) - +(v < 0)) + 0;
  }
}

/**
 * ista-common's maskGrad fused with what the Gram backward does next to it (one pass instead of three):
 * gu = g ⊙ [z ≠ 0] in place on g[go..go+n) (z at zo), gb[go..] += gu, and a copy of gu to stack[so..] when
 * given. Returns Σ gu·sign(z) (−∂L/∂θ's share).
 */
function maskAccumulate(g: FloatArray, go: number, z: FloatArray, zo: number, gb: FloatArray, n: number, stack: FloatArray | null, so: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const v = z[zo + i];
    const gu = g[go + i] * +(v !== 0);
    g[go + i] = gu;
    gb[go + i] += gu;
    s += (+(v > 0) - +(v < 0)) * gu;
  }
  if (stack) stack.set(g.subarray(go, go + n), so);
  return s;
}

/** dst[o + k·ld + r] = src[so + r·cols + k] for r < rows, k < cols; four source rows per pass fill each destination line while it is hot. */
function transposeInto(src: FloatArray, so: number, rows: number, cols: number, dst: FloatArray, o: number, ld: number): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const s0 = so + r * cols;
    for (let k = 0; k < cols; k++) {
      const d = o + k * ld + r, q = s0 + k;
      dst[d] = src[q];
      dst[d + 1] = src[q + cols];
      dst[d + 2] = src[q + 2 * cols];
      dst[d + 3] = src[q + 3 * cols];
    }
  }
  for (; r < rows; r++) for (let k = 0; k < cols; k++) dst[o + k * ld + r] = src[so + r * cols + k];
}

registerTape('ista-dense', (spec, alloc) => new DenseIsta(spec as DenseSpec, alloc));
