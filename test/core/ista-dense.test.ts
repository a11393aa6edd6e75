import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { useThreads, type ThreadPool } from '../../src/io/threads.js';
import type { IstaSettings } from '../../src/core/kernels/ista-common.js';
import { DenseIsta } from '../../src/core/kernels/ista-dense.js';
import { gemm, gemmRows } from '../../src/core/kernels/matmul.js';
import { Rng } from '../../src/core/rng.js';

let pool: ThreadPool | null = null;
after(async () => {
  if (pool) await pool.close();
});

function randn(n: number, rng: Rng, std = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = std * rng.normal();
  return a;
}

test('gemmRows: any row blocking gives the same bits as one call (WASM-sized and JS-sized rows, both B layouts)', () => {
  const rng = new Rng(1);
  for (const [N, K] of [[32, 24], [5, 3]]) {
    for (const transB of [false, true]) {
      const M = 23;
      const a = randn(M * K, rng), b = randn(K * N, rng), c0 = randn(M * N, rng);
      const whole = c0.slice();
      gemmRows(false, transB, M, N, K, 0.7, a, b, 1, whole);
      for (const block of [1, 3, 4, 7]) {
        const parts = c0.slice();
        for (let r = 0; r < M; r += block) {
          const r1 = Math.min(M, r + block);
          gemmRows(false, transB, r1 - r, N, K, 0.7, a.subarray(r * K, r1 * K), b, 1, parts.subarray(r * N, r1 * N));
        }
        assert.deepEqual(parts, whole, `N=${N} K=${K} transB=${transB} blocks of ${block}`);
      }
      // and it is the same product as gemm (float32 rounding: |Σ| ≤ K·ε·Σ|a||b| ≈ 1e-5 here)
      const ref = c0.slice();
      gemm(false, transB, M, N, K, 0.7, a, b, 1, ref);
      for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(ref[i] - whole[i]) <= 1e-4, `gemm vs gemmRows entry ${i}`);
    }
  }
});

/** One forward + backward of a fresh tape; everything it returns, as float64 copies. */
function runTape(spec: { B: number; m: number; p: number; T: number }, dtype: 'float32' | 'float64', x: Float32Array, D: Float32Array, gzT: Float32Array, s: IstaSettings): Float64Array[] {
  const tape = new DenseIsta({ ...spec, dtype });
  const z = Float64Array.from(tape.forward(x, D, s));
  const make = (n: number) => (dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));
  const gD = make(spec.m * spec.p), gx = make(spec.B * spec.m);
  const gTheta = tape.backward(gzT, gD, gx);
  return [z, Float64Array.from(gD), Float64Array.from(gx), Float64Array.of(gTheta)];
}

// Sizes where the float32 GEMMs take the WASM kernel (p·p and m·p ≥ 256 per row); B = 45 is not a multiple of 8
// chunks, and on 3 threads the row blocks (3 of whole chunks) differ from the 1-thread block.
const CASES: Array<[string, { B: number; m: number; p: number; T: number }, boolean]> = [
  ['Gram form', { B: 45, m: 24, p: 40, T: 6 }, false],
  ['Gram form one-sided', { B: 45, m: 24, p: 40, T: 6 }, true],
  ['Gram form, one step', { B: 45, m: 24, p: 40, T: 1 }, false],
  ['direct form', { B: 45, m: 12, p: 40, T: 6 }, false],
];

function inputs(spec: { B: number; m: number; p: number }, seed: number) {
  const rng = new Rng(seed);
  const D = randn(spec.m * spec.p, rng, 1 / Math.sqrt(spec.m));
  return { x: randn(spec.B * spec.m, rng), D, gzT: randn(spec.B * spec.p, rng) };
}

test('dense tape (float32, WASM GEMMs): float64 agreement, and bit-identical on 1 and 3 threads', async () => {
  const one = CASES.map(([, spec, oneSided], i) => {
    const { x, D, gzT } = inputs(spec, 10 + i);
    const s: IstaSettings = { T: spec.T, alpha: 0.2, theta: 0.02, oneSided };
    // float32 vs float64 on the same (float32-representable) inputs: T steps of float32 GEMMs with K ≤ 40 terms
    // keep relative errors near 1e-6; 1e-4 of each output's scale catches any wrong index or missing term
    // (those are O(1)), while a code that sits within round-off of the threshold can only move a value by ~1e-6.
    const r32 = runTape(spec, 'float32', x, D, gzT, s), r64 = runTape(spec, 'float64', x, D, gzT, s);
    r32.forEach((a, j) => {
      const scale = Math.max(...Array.from(r64[j], Math.abs), 1e-30);
      for (let k = 0; k < a.length; k++) assert.ok(Math.abs(a[k] - r64[j][k]) <= 1e-4 * scale, `${CASES[i][0]} output ${j}[${k}]: ${a[k]} vs ${r64[j][k]}`);
    });
    return r32;
  });
  pool = useThreads(3);
  await pool.ready; // else the first chunks run on this thread while the workers load
  CASES.forEach(([name, spec, oneSided], i) => {
    const { x, D, gzT } = inputs(spec, 10 + i);
    const r = runTape(spec, 'float32', x, D, gzT, { T: spec.T, alpha: 0.2, theta: 0.02, oneSided });
    r.forEach((a, j) => assert.deepEqual(a, one[i][j], `${name}: output ${j} differs between 1 and 3 threads`));
  });
});
