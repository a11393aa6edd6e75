import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { gemm } from '../../src/core/kernels/matmul.js';
import { Rng } from '../../src/core/rng.js';
import { wasmSgemm } from '../../src/core/wasm/kernels.js';

/** float64 reference C = alpha·op(A)·op(B) + beta·C0. */
function reference(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, a: Float32Array, b: Float32Array, beta: number, c0: Float32Array): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += (tA ? a[k * M + i] : a[i * K + k]) * (tB ? b[j * K + k] : b[k * N + j]);
    out[i * N + j] = alpha * s + (beta === 0 ? 0 : beta * c0[i * N + j]);
  }
  return out;
}

test('WASM SIMD sgemm equals the float64 product to float32 round-off for every transpose, tail sizes and beta', () => {
  const rng = new Rng(12);
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  // sizes hit the 4×8 block, the 4-column and scalar column tails, and the single-row tail
  for (const [M, N, K] of [[4, 8, 16], [7, 13, 5], [9, 4, 33], [1, 3, 70], [17, 31, 9]] as const) {
    for (const tA of [false, true]) for (const tB of [false, true]) for (const [alpha, beta] of [[1, 0], [0.5, 1], [-2, 0.25]] as const) {
      const a = rand(M * K), b = rand(K * N), c0 = rand(M * N);
      const c = c0.slice();
      if (beta === 0) c.fill(NaN); // beta = 0 must overwrite, never read, the old C
      assert.ok(wasmSgemm(tA, tB, M, N, K, alpha, a, b, beta, c), 'WASM SIMD must be available in Node 20');
      const ref = reference(tA, tB, M, N, K, alpha, a, b, beta, c0);
      // float32 accumulation of K products of O(1) terms: error ≲ K·2⁻²⁴·Σ|terms| ≈ 1e-5 relative to the scale √K
      for (let i = 0; i < M * N; i++) assert.ok(Math.abs(c[i] - ref[i]) <= 1e-5 * (Math.abs(ref[i]) + Math.sqrt(K) * Math.abs(alpha)), `M=${M} N=${N} K=${K} tA=${tA} tB=${tB} entry ${i}: ${c[i]} vs ${ref[i]}`);
    }
  }
});

test('gemm routes large float32 products through WASM and keeps float64 in exact JS loops', () => {
  const rng = new Rng(13);
  const M = 24, N = 20, K = 30;
  const a = Float64Array.from({ length: M * K }, () => rng.normal());
  const b = Float64Array.from({ length: K * N }, () => rng.normal());
  const c64 = new Float64Array(M * N);
  gemm(false, false, M, N, K, 1, a, b, 0, c64);
  const c32 = new Float32Array(M * N);
  gemm(false, false, M, N, K, 1, Float32Array.from(a), Float32Array.from(b), 0, c32);
  for (let i = 0; i < M * N; i++) assert.ok(Math.abs(c32[i] - c64[i]) <= 1e-5 * Math.sqrt(K), `entry ${i}: ${c32[i]} vs ${c64[i]}`);
});

test('the shipped WASM module is the compiled assembly/kernels.ts (no drift between source and base64)', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const r = spawnSync(process.execPath, [join(root, 'assembly/build.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `assembly/build.mjs --check failed: ${r.stderr}`);
});
