/**
 * float32 GEMM through the WASM SIMD kernel (assembly/kernels.ts): operands are packed into the module's
 * linear memory (transposes resolved while packing, O(n²) next to the O(n³) product), multiplied with f32x4
 * lanes, and copied back. The module is 2 KB, so it compiles synchronously in Node and browsers alike; where
 * WebAssembly SIMD is missing, `wasmSgemm` returns false and callers keep their JS loops.
 */
import { KERNELS_WASM } from './kernels.wasm.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  ensureMemory(bytes: number): number;
  sgemm(M: number, N: number, K: number, alpha: number, a: number, b: number, beta: number, c: number): void;
}

let kernels: KernelExports | null | undefined;

/** The instantiated module, or null when this engine cannot run it. */
function load(): KernelExports | null {
  if (kernels !== undefined) return kernels;
  try {
    const bin = atob(KERNELS_WASM);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    kernels = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as KernelExports;
  } catch {
    kernels = null;
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
 * A float32 matrix B [K, N] kept in this thread's WASM memory, for many products rows·B with fresh left
 * operands (the DFT matrices of the pruned spectral transforms). Fill `input(rows)` then call `run(rows)`.
 */
export class ResidentMatrix {
  private constructor(private readonly k: KernelExports, private readonly offset: number, readonly K: number, readonly N: number) {}

  /** Copies `data` ([K, N] row-major) into WASM memory for good; null when WASM SIMD is unavailable. */
  static create(data: ArrayLike<number>, K: number, N: number): ResidentMatrix | null {
    const k = load();
    if (!k || !k.ensureMemory(top + 4 * K * N)) return null;
    const offset = top;
    new Float32Array(k.memory.buffer, offset, K * N).set(data);
    top = (offset + 4 * K * N + 15) & ~15;
    return new ResidentMatrix(k, offset, K, N);
  }

  /** The left operand's memory [rows, K] (valid until the next WASM call of this thread); also reserves the output. */
  input(rows: number): Float32Array {
    if (!this.k.ensureMemory(top + 4 * rows * (this.K + this.N))) throw new RangeError(`ResidentMatrix.input: cannot grow WASM memory for ${rows} rows`);
    return new Float32Array(this.k.memory.buffer, top, rows * this.K);
  }

  /** rows·B for the left operand just written to `input(rows)`; returns the product [rows, N] in WASM memory. */
  run(rows: number): Float32Array {
    const out = top + 4 * rows * this.K;
    this.k.sgemm(rows, this.N, this.K, 1, top, this.offset, 0, out);
    return new Float32Array(this.k.memory.buffer, out, rows * this.N);
  }
}
