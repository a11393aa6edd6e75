/** Kernel benchmarks of issue 3: float32 GEMM (with GFLOP/s) and circular conv forward + adjoint. */
import { noGrad } from '../src/core/autodiff.js';
import { gemm } from '../src/core/kernels/matmul.js';
import { circularConv, circularCorr } from '../src/core/ops/conv.js';
import { Rng } from '../src/core/rng.js';
import { Tensor } from '../src/core/tensor.js';
import { emit, log, timeMedian } from './lib.js';

/** C = A·B for A [M, K], B [K, N] float32; case names read M×K×N. */
function benchGemm(M: number, K: number, N: number): void {
  const rng = new Rng(1);
  const a = Tensor.randn([M, K], rng).data;
  const b = Tensor.randn([K, N], rng).data;
  const c = new Float32Array(M * N);
  const ms = timeMedian(() => gemm(false, false, M, N, K, 1, a, b, 0, c), { warmup: 5, minMs: 500 });
  const gflops = (2 * M * N * K) / ms / 1e6;
  emit({ case: `matmul ${M}x${K}x${N}`, impl: 'saeno', ms, params: { M, K, N, dtype: 'float32' }, gflops });
  log(`matmul ${M}x${K}x${N}: ${ms.toFixed(3)} ms, ${gflops.toFixed(2)} GFLOP/s`);
}

/** Circular convolution D z then its adjoint Dᵀ x, float32, no tape. */
function benchConv(C: number, K: number, N: number, B: number): void {
  const rng = new Rng(2);
  const d = Tensor.randn([1, C, K], rng);
  const z = Tensor.randn([B, C, N], rng);
  const x = Tensor.randn([B, 1, N], rng);
  const ms = timeMedian(() => noGrad(() => {
    circularConv(z, d);
    circularCorr(x, d);
  }), { warmup: 5, minMs: 500 });
  // direct-convolution count of both maps (peer README convention)
  const gflops = (2 * 2 * B * C * K * N) / ms / 1e6;
  emit({ case: `conv C=${C} K=${K} N=${N} B=${B}`, impl: 'saeno', ms, params: { C, K, N, B, dtype: 'float32' }, gflops });
  log(`conv C=${C} K=${K} N=${N} B=${B} forward+adjoint: ${ms.toFixed(3)} ms (${gflops.toFixed(2)} GFLOP/s direct-equivalent)`);
}

/** The `matmul …` and `conv …` cases. */
export function runKernelBench(): void {
  benchGemm(256, 256, 256);
  benchGemm(64, 1024, 256);
  benchConv(5, 32, 256, 64);
}
