/**
 * JS side of the WASM SIMD kernels (assembly/kernels.ts): float32 GEMM with operands packed into the module's
 * linear memory (transposes resolved while packing, O(n²) next to the O(n³) product), and pruned real DFTs of
 * rows against tables kept in that memory. The module is ~2.5 KB, so it compiles synchronously in Node and
 * browsers alike; where WebAssembly SIMD is missing, `wasmSgemm` returns false and `WasmDft.create` null, and
 * callers keep their JS loops.
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
 * Real FFT of float32 rows for power-of-two N (the contract of kernels/dft.ts, all or the first M modes), four
 * rows per SIMD pass (f32x4 lanes = rows), radix-4 Stockham with resident twiddles.
 */
export class WasmFft {
  private constructor(private readonly k: KernelExports, readonly N: number, readonly M: number, private readonly t: number[]) {}

  /** Null when WASM SIMD is unavailable or N is not a power of two ≥ 4; `trig(r)` = exact [cos, sin] of 2πr/N. */
  static create(N: number, M: number, trig: (r: number) => [number, number]): WasmFft | null {
    const k = load();
    if (!k || N < 4 || (N & (N - 1)) !== 0) return null;
    const h = N >> 1;
    // e^{−2πij/h} for j < h (radix-4 stages read up to 3h/4)
    const twr = new Float64Array(h), twi = new Float64Array(h);
    for (let j = 0; j < h; j++) [twr[j], twi[j]] = trig(2 * j).map((v, i) => (i === 0 ? v : -v)) as [number, number];
    const wr = new Float64Array((h >> 1) + 1), wi = new Float64Array((h >> 1) + 1);
    for (let j = 0; j <= h >> 1; j++) [wr[j], wi[j]] = trig(j).map((v, i) => (i === 0 ? v : -v)) as [number, number];
    const t = [twr, twi, wr, wi].map((a) => resident(k, a));
    return t.every((o) => o >= 0) ? new WasmFft(k, N, M, t) : null;
  }

  private views(sizes: number[]): Float32Array[] {
    return operandViews(this.k, sizes);
  }

  /** re/im[off + r·M + j] = (1/N)·Σ_n src[srcOff + r·N + n]·e^{−2πijn/N}. */
  forward(src: ArrayLike<number>, srcOff: number, rows: number, re: Float64Array, im: Float64Array, off: number): void {
    const { N, M } = this;
    const [x, yr, yi, buf] = this.views([rows * N, rows * M, rows * M, 4 * (2 * N + 2)]);
    if (src instanceof Float32Array || src instanceof Float64Array) x.set(src.subarray(srcOff, srcOff + rows * N));
    else for (let i = 0; i < rows * N; i++) x[i] = src[srcOff + i];
    const [twr, twi, wr, wi] = this.t;
    this.k.rfftRows(rows, N, M, 1 / N, x.byteOffset, yr.byteOffset, yi.byteOffset, twr, twi, wr, wi, buf.byteOffset);
    re.set(yr, off);
    im.set(yi, off);
  }

  /** Rows [rows, N] of Σ_{|j|<M} Y_j e^{2πijn/N} from re/im at off; a view into WASM memory (valid until its next call). */
  inverse(re: Float64Array, im: Float64Array, off: number, rows: number): Float32Array {
    const { N, M } = this;
    const [yr, yi, out, buf] = this.views([rows * M, rows * M, rows * N, 4 * (2 * N + 2)]);
    yr.set(re.subarray(off, off + rows * M));
    yi.set(im.subarray(off, off + rows * M));
    const [twr, twi, wr, wi] = this.t;
    this.k.irfftRows(rows, N, M, yr.byteOffset, yi.byteOffset, out.byteOffset, twr, twi, wr, wi, buf.byteOffset);
    return out;
  }
}

/** Float views of consecutive per-call operands from `top` (sizes in floats, each 16-byte aligned); grows memory first. */
function operandViews(k: KernelExports, sizes: number[]): Float32Array[] {
  const padded = sizes.map((n) => (n + 3) & ~3);
  const total = padded.reduce((a, b) => a + b, 0);
  if (!k.ensureMemory(top + 4 * total)) throw new RangeError(`wasm kernels: cannot grow WASM memory to ${top + 4 * total} bytes`);
  const out: Float32Array[] = [];
  let o = top;
  sizes.forEach((n, i) => {
    out.push(new Float32Array(k.memory.buffer, o, n));
    o += 4 * padded[i];
  });
  return out;
}

/** Copies `data` into WASM memory for the thread's lifetime; returns its byte offset, or −1. */
function resident(k: KernelExports, data: ArrayLike<number>): number {
  if (!k.ensureMemory(top + 4 * data.length)) return -1;
  const offset = top;
  new Float32Array(k.memory.buffer, offset, data.length).set(data);
  top = (offset + 4 * data.length + 15) & ~15;
  return offset;
}

/**
 * Pruned real DFT of float32 rows of length N to the first M modes and back (the contract of kernels/dft.ts),
 * by the symmetric fold x_n ± x_{N−n} and two half-size GEMMs each way, with the cos/sin tables resident.
 */
export class WasmDft {
  private readonly H: number;

  private constructor(private readonly k: KernelExports, readonly N: number, readonly M: number, private readonly t: number[]) {
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
    const t = [fc, fs, ic, is].map((a) => resident(k, a));
    return t.every((o) => o >= 0) ? new WasmDft(k, N, M, t) : null;
  }

  private views(sizes: number[]): Float32Array[] {
    return operandViews(this.k, sizes);
  }

  /** re/im[off + r·M + j] = (1/N)·Σ_n src[srcOff + r·N + n]·e^{−2πijn/N}. */
  forward(src: ArrayLike<number>, srcOff: number, rows: number, re: Float64Array, im: Float64Array, off: number): void {
    const { N, M, H } = this;
    const [x, a, d, yr, yi] = this.views([rows * N, rows * H, rows * H, rows * M, rows * M]);
    if (src instanceof Float32Array || src instanceof Float64Array) x.set(src.subarray(srcOff, srcOff + rows * N));
    else for (let i = 0; i < rows * N; i++) x[i] = src[srcOff + i];
    this.k.dftForward(rows, N, M, x.byteOffset, this.t[0], this.t[1], a.byteOffset, d.byteOffset, yr.byteOffset, yi.byteOffset);
    re.set(yr, off);
    im.set(yi, off);
  }

  /** Rows [rows, N] of Σ_{|j|<M} Y_j e^{2πijn/N} from re/im at off; a view into WASM memory (valid until its next call). */
  inverse(re: Float64Array, im: Float64Array, off: number, rows: number): Float32Array {
    const { N, M, H } = this;
    const [yr, yi, c, s, out] = this.views([rows * M, rows * M, rows * H, rows * H, rows * N]);
    yr.set(re.subarray(off, off + rows * M));
    yi.set(im.subarray(off, off + rows * M));
    this.k.dftInverse(rows, N, M, yr.byteOffset, yi.byteOffset, this.t[2], this.t[3], c.byteOffset, s.byteOffset, out.byteOffset);
    return out;
  }
}
