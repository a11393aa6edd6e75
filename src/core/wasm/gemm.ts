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

/** Operands start past the first KiB (the module keeps no static data, the margin costs nothing). */
const BASE = 1024;

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
  const oa = BASE / 4, ob = oa + M * K, oc = ob + K * N;
  if (!k.ensureMemory(4 * (oc + M * N))) return false;
  const mem = new Float32Array(k.memory.buffer);
  pack(mem, oa, a, M, K, transA);
  pack(mem, ob, b, K, N, transB);
  if (beta !== 0) mem.set(c.subarray(0, M * N), oc);
  k.sgemm(M, N, K, alpha, 4 * oa, 4 * ob, beta, 4 * oc);
  c.set(mem.subarray(oc, oc + M * N));
  return true;
}
