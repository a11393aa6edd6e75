/**
 * JS side of the WASM SIMD kernels (assembly/kernels.ts): float32 GEMM with operands packed into the module's
 * linear memory (transposes resolved while packing, O(n²) next to the O(n³) product); pruned real DFTs of rows
 * (DFT GEMMs, SIMD FFT) against tables kept in that memory, with the ISTA update fused into the inverse's last
 * pass; and a thread's workspace of named buffers with the complex mode-mixing kernels (`WasmWorkspace`), so
 * the spectral ISTA keeps its signals and spectra there. Where WebAssembly SIMD is missing, `wasmSgemm` returns
 * false and the `create`s null, and callers keep their JS loops.
 */
import { KERNELS_WASM } from './kernels.wasm.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  ensureMemory(bytes: number): number;
  sgemm(M: number, N: number, K: number, alpha: number, a: number, b: number, beta: number, c: number): void;
  sgemmT(M: number, N: number, K: number, alpha: number, a: number, b: number, beta: number, c: number): void;
  sgemmUpdate(M: number, N: number, K: number, a: number, b: number, out: number, op: number, alpha: number, theta: number, oneSided: number, prev: number): void;
  dftForward(rows: number, N: number, M: number, x: number, cosT: number, sinT: number, a: number, d: number, re: number, im: number): void;
  dftInverse(rows: number, N: number, M: number, re: number, im: number, cosT: number, sinT: number, c: number, s: number, out: number, op: number, alpha: number, theta: number, oneSided: number, prev: number): void;
  rfftRows(rows: number, N: number, M: number, ld: number, scale: number, x: number, re: number, im: number, twr: number, twi: number, wr: number, wi: number, buf: number, mask: number): number;
  irfftRows(rows: number, N: number, M: number, ld: number, re: number, im: number, out: number, twr: number, twi: number, wr: number, wi: number, buf: number, op: number, alpha: number, theta: number, oneSided: number, prev: number): void;
  maskGrad(gz: number, z: number, n: number): number;
  maskAccumulate(gz: number, z: number, n: number, gb: number, stack: number): number;
  axpy(y: number, x: number, n: number, a: number): void;
  cmix(nb: number, src: number, dst: number, ld: number, wr: number, wi: number, adjoint: number, sr: number, si: number, yr: number, yi: number, sub: number, xr: number, xi: number): void;
  couter(nb: number, na: number, nj: number, ld: number, ar: number, ai: number, br: number, bi: number, accR: number, accI: number, negate: number): void;
}

let kernels: KernelExports | null | undefined;

/**
 * The instantiated module, or null when this engine cannot run it (yet). Compiles synchronously; where that is
 * refused (browser main threads allow it only for tiny modules) it compiles asynchronously and later calls
 * get the module, earlier ones the JS fallbacks.
 */
function load(): KernelExports | null {
  if (kernels !== undefined) return kernels;
  kernels = null;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    const bin = atob(KERNELS_WASM);
    bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  } catch {
    return null;
  }
  try {
    kernels = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as KernelExports;
  } catch {
    WebAssembly.instantiate(bytes, {}).then(
      (r) => { kernels = r.instance.exports as unknown as KernelExports; },
      () => { kernels = null; },
    );
  }
  return kernels;
}

/**
 * Linear memory: resident matrices from the first KiB up (bump-allocated, kept for the thread's lifetime),
 * then per-call operands from `top` (the module keeps no static data; the margin costs nothing).
 */
let top = 1024;

/** Copies op(x) as a row-major [rows, cols] block into mem at float index o; x is [rows, cols], or [cols, rows] when trans. */
function pack(mem: Float32Array, o: number, x: ArrayLike<number>, rows: number, cols: number, trans: boolean): void {
  if (!trans) {
    if (x instanceof Float32Array || x instanceof Float64Array) mem.set(x.subarray(0, rows * cols), o);
    else for (let i = 0; i < rows * cols; i++) mem[o + i] = x[i];
    return;
  }
  for (let j = 0; j < cols; j++) {
    const src = j * rows;
    for (let i = 0; i < rows; i++) mem[o + i * cols + j] = x[src + i];
  }
}

/**
 * C = alpha·op(A)·op(B) + beta·C in float32 (same contract as kernels/matmul `gemm`); returns false (C untouched)
 * when the WASM kernel is unavailable.
 */
export function wasmSgemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, a: ArrayLike<number>, b: ArrayLike<number>, beta: number, c: Float32Array): boolean {
  const k = load();
  if (!k) return false;
  const oa = top / 4, ob = oa + M * K, oc = ob + K * N;
  if (!k.ensureMemory(4 * (oc + M * N))) return false;
  const mem = new Float32Array(k.memory.buffer);
  pack(mem, oa, a, M, K, transA);
  pack(mem, ob, b, K, N, transB);
  if (beta !== 0) mem.set(c.subarray(0, M * N), oc);
  k.sgemm(M, N, K, alpha, 4 * oa, 4 * ob, beta, 4 * oc);
  c.set(mem.subarray(oc, oc + M * N));
  return true;
}

/**
 * Float views of consecutive per-call operands (sizes in floats, each 16-byte aligned) from byte offset `base`
 * (≥ `top`: above the resident data, and above any live operand the caller passes its end of); grows memory first.
 */
function operandViews(k: KernelExports, sizes: number[], base = top): Float32Array[] {
  const padded = sizes.map((n) => (n + 3) & ~3);
  const start = (Math.max(base, top) + 15) & ~15;
  const total = padded.reduce((a, b) => a + b, 0);
  if (!k.ensureMemory(start + 4 * total)) throw new RangeError(`wasm kernels: cannot grow WASM memory to ${start + 4 * total} bytes`);
  const out: Float32Array[] = [];
  let o = start;
  sizes.forEach((n, i) => {
    out.push(new Float32Array(k.memory.buffer, o, n));
    o += 4 * padded[i];
  });
  return out;
}

/** Byte offset of a per-call scratch area of `floats` floats from byte `base` (as `operandViews`, without views). */
function scratch(k: KernelExports, floats: number, base: number): number {
  const start = (Math.max(base, top) + 15) & ~15;
  if (!k.ensureMemory(start + 4 * floats)) throw new RangeError(`wasm kernels: cannot grow WASM memory to ${start + 4 * floats} bytes`);
  return start;
}

/** Reserves `n` floats of WASM memory for the thread's lifetime (optionally filled); returns the byte offset, or −1. */
function resident(k: KernelExports, n: number, data?: ArrayLike<number>): number {
  if (!k.ensureMemory(top + 4 * n)) return -1;
  const offset = top;
  if (data) new Float32Array(k.memory.buffer, offset, n).set(data);
  top = (offset + 4 * n + 15) & ~15;
  return offset;
}

/**
 * What an inverse transform does with its result y at the output: store it, store α·y (`scale`), add α·y
 * (`axpy`: out = prev + α·y), or apply the ISTA step out = S_θ(prev + α·y) (`first`: S_θ(α·y)), fused into the
 * transform's last pass. prev: byte offset of rows shaped like the output (default: the output itself).
 */
export interface InverseUpdate {
  op: 'store' | 'axpy' | 'step' | 'first' | 'scale';
  alpha: number;
  theta: number;
  oneSided: boolean;
  prev?: number;
}

const OPS = { store: 0, axpy: 1, step: 2, first: 3, scale: 4 } as const;
const STORE: InverseUpdate = { op: 'store', alpha: 0, theta: 0, oneSided: false };

/**
 * A row transform of float32 rows in WASM (the contract of kernels/dft.ts `RowTransform`). The `…Raw` entry
 * points take rows and spectra in WASM memory (byte offsets; spectra as float32 rows of `ld` = M rounded up to
 * a multiple of 4, entries M … ld − 1 zero), so a caller keeping its signals and spectra there (`WasmWorkspace`)
 * copies nothing; the array entry points stage through the per-call operand area.
 */
export abstract class WasmRowTransform {
  /** Row stride of the spectra in WASM memory: M rounded up to a multiple of 4 (whole f32x4 vectors). */
  readonly ld: number;

  constructor(protected readonly k: KernelExports, readonly N: number, readonly M: number) {
    this.ld = (M + 3) & ~3;
  }

  /**
   * re/im[r·ld + j] = (1/N)·Σ_n x_r[n]·e^{−2πijn/N} for the rows at byte offset x; scratch above byte `free`.
   * With mask ≠ 0 (byte offset of codes z, same shape as x) x is first masked in place, x ⊙ [z ≠ 0], and
   * Σ x·sign(z) returned (else 0).
   */
  abstract forwardRaw(x: number, rows: number, re: number, im: number, free: number, mask?: number): number;

  /**
   * Rows y = Σ_{|j|<M} Y_j e^{2πijn/N} (Hermitian extension) from spectra re/im [rows, ld] into the rows at byte
   * offset out by `update` (default: stored); scratch above byte `free`.
   */
  abstract inverseRaw(re: number, im: number, rows: number, out: number, free: number, update?: InverseUpdate): void;

  forward(src: ArrayLike<number>, srcOff: number, rows: number, re: Float64Array, im: Float64Array, off: number): void {
    const { N, M, ld } = this, n = rows * N;
    const [x, yr, yi] = operandViews(this.k, [n, rows * ld, rows * ld]);
    if (src instanceof Float32Array || src instanceof Float64Array) x.set(src.subarray(srcOff, srcOff + n));
    else for (let i = 0; i < n; i++) x[i] = src[srcOff + i];
    this.forwardRaw(x.byteOffset, rows, yr.byteOffset, yi.byteOffset, yi.byteOffset + 4 * rows * ld);
    for (let r = 0; r < rows; r++) {
      re.set(yr.subarray(r * ld, r * ld + M), off + r * M);
      im.set(yi.subarray(r * ld, r * ld + M), off + r * M);
    }
  }

  /** The inverse into a per-call buffer, returned as a view (valid until the thread's next WASM call). */
  inverse(re: Float64Array, im: Float64Array, off: number, rows: number): Float32Array {
    const { N, M, ld } = this;
    const [out, yr, yi] = operandViews(this.k, [rows * N, rows * ld, rows * ld]);
    for (let r = 0; r < rows; r++) {
      yr.set(re.subarray(off + r * M, off + (r + 1) * M), r * ld);
      yi.set(im.subarray(off + r * M, off + (r + 1) * M), r * ld);
      yr.fill(0, r * ld + M, (r + 1) * ld);
      yi.fill(0, r * ld + M, (r + 1) * ld);
    }
    this.inverseRaw(yr.byteOffset, yi.byteOffset, rows, out.byteOffset, yi.byteOffset + 4 * rows * ld);
    return out;
  }
}

/**
 * Real FFT of float32 rows for power-of-two N (all or the first M modes), four rows per SIMD pass (f32x4 lanes =
 * rows), radix-4 Stockham with resident twiddles.
 */
export class WasmFft extends WasmRowTransform {
  private constructor(k: KernelExports, N: number, M: number, private readonly t: number[]) {
    super(k, N, M);
  }

  /** Null when WASM SIMD is unavailable or N is not a power of two ≥ 4; `trig(r)` = exact [cos, sin] of 2πr/N. */
  static create(N: number, M: number, trig: (r: number) => [number, number]): WasmFft | null {
    const k = load();
    if (!k || N < 4 || (N & (N - 1)) !== 0) return null;
    const h = N >> 1;
    // e^{−2πij/h} for j < h (radix-4 stages read up to 3h/4), and e^{−2πik/N} for k ≤ h/2
    const twr = new Float64Array(h), twi = new Float64Array(h);
    for (let j = 0; j < h; j++) [twr[j], twi[j]] = trig(2 * j).map((v, i) => (i === 0 ? v : -v)) as [number, number];
    const wr = new Float64Array((h >> 1) + 1), wi = new Float64Array((h >> 1) + 1);
    for (let j = 0; j <= h >> 1; j++) [wr[j], wi[j]] = trig(j).map((v, i) => (i === 0 ? v : -v)) as [number, number];
    const t = [twr, twi, wr, wi].map((a) => resident(k, a.length, a));
    return t.every((o) => o >= 0) ? new WasmFft(k, N, M, t) : null;
  }

  forwardRaw(x: number, rows: number, re: number, im: number, free: number, mask = 0): number {
    const buf = scratch(this.k, 4 * (3 * this.N + 8), free);
    const [twr, twi, wr, wi] = this.t;
    return this.k.rfftRows(rows, this.N, this.M, this.ld, 1 / this.N, x, re, im, twr, twi, wr, wi, buf, mask);
  }

  inverseRaw(re: number, im: number, rows: number, out: number, free: number, u = STORE): void {
    const buf = scratch(this.k, 4 * (3 * this.N + 8), free);
    const [twr, twi, wr, wi] = this.t;
    this.k.irfftRows(rows, this.N, this.M, this.ld, re, im, out, twr, twi, wr, wi, buf, OPS[u.op], u.alpha, u.theta, u.oneSided ? 1 : 0, u.prev ?? out);
  }
}

/**
 * Pruned real DFT of float32 rows of length N to the first M modes and back, by the symmetric fold x_n ± x_{N−n}
 * and two half-size GEMMs each way, with the cos/sin tables resident.
 */
export class WasmDft extends WasmRowTransform {
  private readonly H: number;

  private constructor(k: KernelExports, N: number, M: number, private readonly t: number[]) {
    super(k, N, M);
    this.H = (N >> 1) + 1;
  }

  /**
   * Tables: forward [H, ld] cos(2πkn/N)/N and −sin(2πkn/N)/N; inverse [ld, H] c_k·cos and c'_k·sin (c = 1 at
   * DC and Nyquist, else 2; c' = 0 there, so their imaginary parts never act). `trig(r)` gives the exact
   * [cos, sin] of 2πr/N. Null when WASM SIMD is unavailable.
   */
  static create(N: number, M: number, trig: (r: number) => [number, number]): WasmDft | null {
    const k = load();
    if (!k) return null;
    const H = (N >> 1) + 1, ld = (M + 3) & ~3;
    const fc = new Float64Array(H * ld), fs = new Float64Array(H * ld), ic = new Float64Array(ld * H), is = new Float64Array(ld * H);
    for (let n = 0; n < H; n++) {
      for (let j = 0; j < M; j++) {
        const [c, s] = trig(j * n);
        const single = j === 0 || 2 * j === N;
        fc[n * ld + j] = c / N;
        fs[n * ld + j] = -s / N;
        ic[j * H + n] = (single ? 1 : 2) * c;
        is[j * H + n] = single ? 0 : 2 * s;
      }
    }
    const t = [fc, fs, ic, is].map((a) => resident(k, a.length, a));
    return t.every((o) => o >= 0) ? new WasmDft(k, N, M, t) : null;
  }

  // the tables have ld columns (forward) or rows (inverse), zero beyond M, so the GEMMs run with M = ld
  forwardRaw(x: number, rows: number, re: number, im: number, free: number, mask = 0): number {
    const a = scratch(this.k, 2 * rows * this.H, free), d = a + 4 * rows * this.H;
    const s = mask ? this.k.maskGrad(x, mask, rows * this.N) : 0;
    this.k.dftForward(rows, this.N, this.ld, x, this.t[0], this.t[1], a, d, re, im);
    return s;
  }

  inverseRaw(re: number, im: number, rows: number, out: number, free: number, u = STORE): void {
    const c = scratch(this.k, 2 * rows * this.H, free), s = c + 4 * rows * this.H;
    this.k.dftInverse(rows, this.N, this.ld, re, im, this.t[2], this.t[3], c, s, out, OPS[u.op], u.alpha, u.theta, u.oneSided ? 1 : 0, u.prev ?? out);
  }
}

/**
 * This thread's named float32 buffers in WASM memory (resident, grown to the largest request, never shrunk) and
 * the SIMD kernels on them, all addressed by byte offset: the fused spectral ISTA keeps a chunk's code signals
 * and their spectra here between the transforms and the mode mixing. Contents are only meaningful within one
 * caller's run (every user of the thread's workspace shares it).
 */
export class WasmWorkspace {
  private readonly cap = new Map<string, number>();
  /** byte offset of each named buffer */
  readonly at: Record<string, number> = {};
  /** the user whose data the buffers hold across calls (users that keep data there check and set it) */
  owner: unknown = null;

  private constructor(private readonly k: KernelExports) {}

  /** Null without WASM SIMD. */
  static create(): WasmWorkspace | null {
    const k = load();
    return k ? new WasmWorkspace(k) : null;
  }

  /** Room for `sizes[name]` floats in each named buffer (contents of a grown buffer are lost). */
  ensure(sizes: Record<string, number>): void {
    for (const [name, n] of Object.entries(sizes)) {
      if ((this.cap.get(name) ?? -1) >= n) continue;
      const o = resident(this.k, n);
      if (o < 0) throw new RangeError(`WasmWorkspace: cannot grow WASM memory for buffer ${name} of ${n} floats`);
      this.at[name] = o;
      this.cap.set(name, n);
    }
  }

  /** A view of n floats of buffer `name` from float index `off` (fresh: memory growth detaches old views). */
  view(name: string, n: number, off = 0): Float32Array {
    return new Float32Array(this.k.memory.buffer, this.at[name] + 4 * off, n);
  }

  /** A view of n floats at byte offset p. */
  viewAt(p: number, n: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, p, n);
  }

  /**
   * C = alpha·op(A)·B + beta·C in float32 on buffers here: A [M, K], or [K, M] when transA; B [K, N]; C [M, N]
   * (byte offsets). A row of C gets the same bits in any row block (see assembly `gemmCore`).
   */
  gemm(transA: boolean, M: number, N: number, K: number, alpha: number, a: number, b: number, beta: number, c: number): void {
    (transA ? this.k.sgemmT : this.k.sgemm)(M, N, K, alpha, a, b, beta, c);
  }

  /**
   * out [M, N] = `update` of y = A·B (A [M, K], B [K, N]; byte offsets), fused into the GEMM's stores; `update.prev`
   * is required for 'step' and 'axpy'. K = 0 applies the update to y = 0 (op 'step': out = S_θ(prev)).
   */
  gemmUpdate(M: number, N: number, K: number, a: number, b: number, out: number, u: InverseUpdate): void {
    this.k.sgemmUpdate(M, N, K, a, b, out, OPS[u.op], u.alpha, u.theta, u.oneSided ? 1 : 0, u.prev ?? out);
  }

  /**
   * gu = g ⊙ [z ≠ 0] in place on n floats at g, gb += gu, and a copy of gu at `stack` (0: none); returns
   * Σ gu·sign(z) (summed in four float32 lanes, then float64).
   */
  maskAccumulate(g: number, z: number, n: number, gb: number, stack: number): number {
    return this.k.maskAccumulate(g, z, n, gb, stack);
  }

  /** y += a·x on n floats. */
  axpy(y: number, x: number, n: number, a: number): void {
    this.k.axpy(y, x, n, a);
  }

  /**
   * Mode mixing, SIMD over modes (rows of ld floats, ld a multiple of 4): Y[b, d] = Σ_s op(W)[d, s] ⊙ S[b, s] for
   * b < nb, op(W)[d, s] = W[d, s] (W [dst, src, ld]) or conj(W[s, d]) when adjoint (W [src, dst, ld]); S [nb, src, ld],
   * Y [nb, dst, ld]; with x = [xr, xi] (not overlapping Y), Y = X − that. Each pair is (re, im) byte offsets.
   */
  cmix(nb: number, src: number, dst: number, ld: number, w: [number, number], adjoint: boolean, sIn: [number, number], y: [number, number], x?: [number, number]): void {
    this.k.cmix(nb, src, dst, ld, w[0], w[1], adjoint ? 1 : 0, sIn[0], sIn[1], y[0], y[1], x ? 1 : 0, x ? x[0] : 0, x ? x[1] : 0);
  }

  /** acc[j, a] ±= Σ_{b<nb} A[b, a] ⊙ conj(Bm[b, j]) per mode: A [nb, na, ld], Bm [nb, nj, ld], acc [nj, na, ld]; (re, im) byte offsets. */
  couter(nb: number, na: number, nj: number, ld: number, a: [number, number], bm: [number, number], acc: [number, number], negate = false): void {
    this.k.couter(nb, na, nj, ld, a[0], a[1], bm[0], bm[1], acc[0], acc[1], negate ? 1 : 0);
  }
}

let workspace: WasmWorkspace | null | undefined;

/** This thread's `WasmWorkspace`, or null without WASM SIMD. */
export function wasmWorkspace(): WasmWorkspace | null {
  if (workspace === undefined) workspace = WasmWorkspace.create();
  return workspace;
}
