/**
 * Row-major GEMM on typed arrays: C = alpha·op(A)·op(B) + beta·C.
 * Hand-written because the core has no native BLAS in Node or the browser: float32 products of
 * some size go to the WASM SIMD kernel (core/wasm/kernels.ts); the JS loops (float64, small products,
 * engines without WASM SIMD) keep the innermost access contiguous for each transpose case.
 */
import type { FloatArray } from '../tensor.js';
import { wasmSgemm } from '../wasm/kernels.js';

/** Below this many multiply-adds the WASM call's packing costs more than it saves. */
const WASM_MIN_MACS = 4096;
/** `gemmRows`: the same bound per row of C (a row block of 16 or more rows clears WASM_MIN_MACS). */
const WASM_MIN_ROW_MACS = 256;

/** c = alpha·A·b + beta·c for A [M, K]: the general loops with j fixed, same operations in the same order. */
function matvec(M: number, K: number, alpha: number, a: ArrayLike<number>, b: ArrayLike<number>, beta: number, c: FloatArray): void {
  for (let i = 0; i < M; i++) {
    const ai = i * K;
    let s = beta === 0 ? 0 : beta === 1 ? c[i] : c[i] * beta;
    for (let k = 0; k < K; k++) {
      const aik = alpha * a[ai + k];
      if (aik !== 0) s += aik * b[k];
    }
    c[i] = s;
  }
}

/**
 * @param transA A is stored [K, M] (use Aᵀ) instead of [M, K]
 * @param transB B is stored [N, K] (use Bᵀ) instead of [K, N]
 * @param c output [M, N]; scaled by `beta` first (beta = 0 overwrites, ignoring NaN in c)
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  beta: number,
  c: FloatArray,
): void {
  if (c instanceof Float32Array && M * N * K >= WASM_MIN_MACS && wasmSgemm(transA, transB, M, N, K, alpha, a, b, beta, c)) return;
  jsGemm(transA, transB, M, N, K, alpha, a, b, beta, c);
}

/**
 * `gemm` whose row i of C depends on row i of op(A) only, never on M: the WASM-or-JS choice looks at N·K, and
 * both kernels compute each entry in the same order for any number of rows. So a batch cut into row blocks of
 * any size (one block per thread) gives the same bits for every blocking. Same arguments as `gemm`.
 */
export function gemmRows(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  beta: number,
  c: FloatArray,
): void {
  if (c instanceof Float32Array && N * K >= WASM_MIN_ROW_MACS && wasmSgemm(transA, transB, M, N, K, alpha, a, b, beta, c)) return;
  jsGemm(transA, transB, M, N, K, alpha, a, b, beta, c);
}

/** The JS loops of `gemm` (any dtype; the innermost access contiguous for each transpose case). */
function jsGemm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  beta: number,
  c: FloatArray,
): void {
  if (N === 1 && !transA) return matvec(M, K, alpha, a, b, beta, c);
  const mn = M * N;
  if (beta === 0) c.fill(0, 0, mn);
  else if (beta !== 1) for (let i = 0; i < mn; i++) c[i] *= beta;
  if (!transB) {
    // C[i,:] += alpha·A[i,k]·B[k,:]: contiguous rows of B and C
    for (let i = 0; i < M; i++) {
      const ci = i * N;
      for (let k = 0; k < K; k++) {
        const aik = alpha * (transA ? a[k * M + i] : a[i * K + k]);
        if (aik === 0) continue;
        const bk = k * N;
        for (let j = 0; j < N; j++) c[ci + j] += aik * b[bk + j];
      }
    }
  } else if (!transA) {
    // C[i,j] += alpha·⟨A[i,:], B[j,:]⟩: both rows contiguous
    for (let i = 0; i < M; i++) {
      const ai = i * K;
      const ci = i * N;
      for (let j = 0; j < N; j++) {
        const bj = j * K;
        let s = 0;
        for (let k = 0; k < K; k++) s += a[ai + k] * b[bj + k];
        c[ci + j] += alpha * s;
      }
    }
  } else {
    // Aᵀ·Bᵀ = (B·A)ᵀ: rare; straightforward loop
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[k * M + i] * b[j * K + k];
        c[i * N + j] += alpha * s;
      }
    }
  }
}
