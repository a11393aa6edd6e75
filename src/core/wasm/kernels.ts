/**
 * JS side of the WASM SIMD kernels (assembly/kernels.ts): float32 GEMM with operands packed into the module's
 * linear memory (transposes resolved while packing, O(n²) next to the O(n³) product), and pruned real DFTs of
 * rows (DFT GEMMs, SIMD FFT) against tables kept in that memory, and elementwise ISTA steps on code signals kept
 * there. Where WebAssembly SIMD is missing, `wasmSgemm` returns false and the `create`s null, and callers keep
 * their JS loops.
 */
import { KERNELS_WASM } from './kernels.wasm.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  ensureMemory(bytes: number): number;
  sgemm(M: number, N: number, K: number, alpha: number, a: number, b: number, beta: number, c: number): void;
  dftForward(rows: number, N: number, M: number, x: number, cosT: number, sinT: number, a: number, d: number, re: number, im: number): void;
  dftInverse(rows: number, N: number, M: number, re: number, im: number, cosT: number, sinT: number, c: number, s: number, out: number): void;
  rfftRows(rows: number, N: number, M: number, scale: number, x: number, re: number, im: number, twr: number, twi: number, wr: number, wi: number, buf: number): void;
  irfftRows(rows: number, N: number, M: number, re: number, im: number, out: number, twr: number, twi: number, wr: number, wi: number, buf: number): void;
  shrinkStep(z: number, y: number, n: number, alpha: number, theta: number, oneSided: number, first: number): void;
  maskGrad(gz: number, z: number, n: number): number;
  axpy(y: number, x: number, n: number, a: number): void;
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

/** Reserves `n` floats of WASM memory for the thread's lifetime (optionally filled); returns the byte offset, or −1. */
function resident(k: KernelExports, n: number, data?: ArrayLike<number>): number {
  if (!k.ensureMemory(top + 4 * n)) return -1;
  const offset = top;
  if (data) new Float32Array(k.memory.buffer, offset, n).set(data);
  top = (offset + 4 * n + 15) & ~15;
  return offset;
}

/**
 * A row transform of float32 rows in WASM (the contract of kernels/dft.ts `RowTransform`). The `…At`/`…To`
 * entry points take rows already in WASM memory (byte offsets), so a caller keeping its signals there
 * (`WasmSignals`) copies nothing; the array entry points stage through the per-call operand area.
 */
export abstract class WasmRowTransform {
  constructor(protected readonly k: KernelExports, readonly N: number, readonly M: number) {}

  /** re/im[off + r·M + j] = (1/N)·Σ_n x_r[n]·e^{−2πijn/N} for the rows at byte offset x. */
  abstract forwardAt(x: number, rows: number, re: Float64Array, im: Float64Array, off: number): void;

  /** Rows Σ_{|j|<M} Y_j e^{2πijn/N} (Hermitian extension) from re/im at off, written to byte offset out. */
  abstract inverseTo(re: Float64Array, im: Float64Array, off: number, rows: number, out: number): void;

  forward(src: ArrayLike<number>, srcOff: number, rows: number, re: Float64Array, im: Float64Array, off: number): void {
    const n = rows * this.N;
    const [x] = operandViews(this.k, [n]);
    if (src instanceof Float32Array || src instanceof Float64Array) x.set(src.subarray(srcOff, srcOff + n));
    else for (let i = 0; i < n; i++) x[i] = src[srcOff + i];
    this.forwardAt(x.byteOffset, rows, re, im, off);
  }

  /** `inverseTo` a per-call buffer, returned as a view (valid until the thread's next WASM call). */
  inverse(re: Float64Array, im: Float64Array, off: number, rows: number): Float32Array {
    const n = rows * this.N;
    const o = operandViews(this.k, [n])[0].byteOffset;
    this.inverseTo(re, im, off, rows, o);
    return new Float32Array(this.k.memory.buffer, o, n);
  }

  /** Operand views placed above the live rows [at, at + 4·floats). */
  protected operands(sizes: number[], at: number, floats: number): Float32Array[] {
    return operandViews(this.k, sizes, at + 4 * floats);
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

  forwardAt(x: number, rows: number, re: Float64Array, im: Float64Array, off: number): void {
    const { N, M } = this;
    const [yr, yi, buf] = this.operands([rows * M, rows * M, 4 * (2 * N + 2)], x, rows * N);
    const [twr, twi, wr, wi] = this.t;
    this.k.rfftRows(rows, N, M, 1 / N, x, yr.byteOffset, yi.byteOffset, twr, twi, wr, wi, buf.byteOffset);
    re.set(yr, off);
    im.set(yi, off);
  }

  inverseTo(re: Float64Array, im: Float64Array, off: number, rows: number, out: number): void {
    const { N, M } = this;
    const [yr, yi, buf] = this.operands([rows * M, rows * M, 4 * (2 * N + 2)], out, rows * N);
    yr.set(re.subarray(off, off + rows * M));
    yi.set(im.subarray(off, off + rows * M));
    const [twr, twi, wr, wi] = this.t;
    this.k.irfftRows(rows, N, M, yr.byteOffset, yi.byteOffset, out, twr, twi, wr, wi, buf.byteOffset);
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
   * Tables: forward [H, M] cos(2πkn/N)/N and −sin(2πkn/N)/N; inverse [M, H] c_k·cos and c'_k·sin (c = 1 at
   * DC and Nyquist, else 2; c' = 0 there, so their imaginary parts never act). `trig(r)` gives the exact
   * [cos, sin] of 2πr/N. Null when WASM SIMD is unavailable.
   */
  static create(N: number, M: number, trig: (r: number) => [number, number]): WasmDft | null {
    const k = load();
    if (!k) return null;
    const H = (N >> 1) + 1;
    const fc = new Float64Array(H * M), fs = new Float64Array(H * M), ic = new Float64Array(M * H), is = new Float64Array(M * H);
    for (let n = 0; n < H; n++) {
      for (let j = 0; j < M; j++) {
        const [c, s] = trig(j * n);
        const single = j === 0 || 2 * j === N;
        fc[n * M + j] = c / N;
        fs[n * M + j] = -s / N;
        ic[j * H + n] = (single ? 1 : 2) * c;
        is[j * H + n] = single ? 0 : 2 * s;
      }
    }
    const t = [fc, fs, ic, is].map((a) => resident(k, a.length, a));
    return t.every((o) => o >= 0) ? new WasmDft(k, N, M, t) : null;
  }

  forwardAt(x: number, rows: number, re: Float64Array, im: Float64Array, off: number): void {
    const { N, M, H } = this;
    const [a, d, yr, yi] = this.operands([rows * H, rows * H, rows * M, rows * M], x, rows * N);
    this.k.dftForward(rows, N, M, x, this.t[0], this.t[1], a.byteOffset, d.byteOffset, yr.byteOffset, yi.byteOffset);
    re.set(yr, off);
    im.set(yi, off);
  }

  inverseTo(re: Float64Array, im: Float64Array, off: number, rows: number, out: number): void {
    const { N, M, H } = this;
    const [yr, yi, c, s] = this.operands([rows * M, rows * M, rows * H, rows * H], out, rows * N);
    yr.set(re.subarray(off, off + rows * M));
    yi.set(im.subarray(off, off + rows * M));
    this.k.dftInverse(rows, N, M, yr.byteOffset, yi.byteOffset, this.t[2], this.t[3], c.byteOffset, s.byteOffset, out);
  }
}

/**
 * This thread's three float32 buffers in WASM memory for a chunk's code signals during the ISTA steps — the
 * codes z (also the forward transform's input), the inverse transform's output y, the code gradient g — with
 * the SIMD elementwise steps on them. Grown (never shrunk) to the largest chunk seen.
 */
export class WasmSignals {
  private cap = 0;
  /** byte offsets of z, y, g */
  z = 0;
  y = 0;
  g = 0;

  private constructor(private readonly k: KernelExports) {}

  /** Null without WASM SIMD. */
  static create(): WasmSignals | null {
    const k = load();
    return k ? new WasmSignals(k) : null;
  }

  /** Room for n floats in each buffer. */
  ensure(n: number): void {
    if (n <= this.cap) return;
    const [z, y, g] = [0, 1, 2].map(() => resident(this.k, n));
    if (z < 0 || y < 0 || g < 0) throw new RangeError(`WasmSignals: cannot grow WASM memory for ${n} floats`);
    Object.assign(this, { z, y, g, cap: n });
  }

  /** A view of n floats at byte offset p (fresh: memory growth detaches old views). */
  view(p: number, n: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, p, n);
  }

  /** z = S_θ(z + α·y) on n floats (first step: z = S_θ(α·y)). */
  shrinkStep(n: number, alpha: number, theta: number, oneSided: boolean, first: boolean): void {
    this.k.shrinkStep(this.z, this.y, n, alpha, theta, oneSided ? 1 : 0, first ? 1 : 0);
  }

  /** g = g ⊙ [z ≠ 0]; returns Σ g·sign(z). */
  maskGrad(n: number): number {
    return this.k.maskGrad(this.g, this.z, n);
  }

  /** g += a·y. */
  axpy(n: number, a: number): void {
    this.k.axpy(this.g, this.y, n, a);
  }
}

let signals: WasmSignals | null | undefined;

/** This thread's `WasmSignals`, or null without WASM SIMD. */
export function wasmSignals(): WasmSignals | null {
  if (signals === undefined) signals = WasmSignals.create();
  return signals;
}
