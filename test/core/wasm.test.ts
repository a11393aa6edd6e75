import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { gemm } from '../../src/core/kernels/matmul.js';
import { Rng } from '../../src/core/rng.js';
import { wasmSgemm, wasmWorkspace, type WasmWorkspace } from '../../src/core/wasm/kernels.js';

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

/** The workspace buffer `name` filled with `data`; returns its byte offset. */
function place(ws: WasmWorkspace, name: string, data: Float32Array): number {
  ws.ensure({ [name]: data.length });
  ws.view(name, data.length).set(data);
  return ws.at[name];
}

test('workspace gemm: Aᵀ read in place gives the bits of the plain kernel on the transposed copy, and the float64 product to round-off', () => {
  const ws = wasmWorkspace();
  assert.ok(ws, 'WASM SIMD must be available in Node 20');
  const rng = new Rng(14);
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  for (const [M, N, K] of [[4, 8, 16], [7, 13, 5], [9, 4, 33], [1, 3, 70], [17, 31, 9]] as const) {
    for (const [alpha, beta] of [[1, 0], [-2, 0.25]] as const) {
      const aT = rand(K * M), b = rand(K * N), c0 = rand(M * N);
      const a = new Float32Array(M * K);
      for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) a[i * K + k] = aT[k * M + i];
      const [pa, paT, pb] = [place(ws, 'test.a', a), place(ws, 'test.aT', aT), place(ws, 'test.b', b)];
      const pc = place(ws, 'test.c', c0), pcT = place(ws, 'test.cT', c0);
      ws.gemm(false, M, N, K, alpha, pa, pb, beta, pc);
      ws.gemm(true, M, N, K, alpha, paT, pb, beta, pcT);
      const c = ws.view('test.c', M * N), cT = ws.view('test.cT', M * N);
      // same products summed in the same order: exact
      assert.deepEqual(cT, c, `M=${M} N=${N} K=${K}: transposed A differs`);
      const ref = reference(false, false, M, N, K, alpha, a, b, beta, c0);
      // float32 accumulation, as for sgemm above
      for (let i = 0; i < M * N; i++) assert.ok(Math.abs(c[i] - ref[i]) <= 1e-5 * (Math.abs(ref[i]) + Math.sqrt(K) * Math.abs(alpha)), `M=${M} N=${N} K=${K} entry ${i}`);
    }
  }
});

test('workspace gemmUpdate: the fused ISTA step equals the plain GEMM then S_θ(prev + y) in float32, exactly (K = 0: S_θ(prev))', () => {
  const ws = wasmWorkspace();
  assert.ok(ws);
  const rng = new Rng(15);
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const f = Math.fround;
  for (const [M, N, K] of [[4, 8, 16], [7, 13, 5], [17, 31, 9], [5, 12, 0]] as const) {
    for (const oneSided of [false, true]) {
      const theta = 0.3, th = f(theta);
      const [pa, pb, pp] = [place(ws, 'test.a', rand(M * K)), place(ws, 'test.b', rand(K * N)), place(ws, 'test.prev', rand(M * N))];
      const py = place(ws, 'test.c', new Float32Array(M * N)), po = place(ws, 'test.cT', new Float32Array(M * N).fill(NaN));
      ws.gemm(false, M, N, K, 1, pa, pb, 0, py);
      ws.gemmUpdate(M, N, K, pa, pb, po, { op: 'step', alpha: 1, theta, oneSided, prev: pp });
      const y = ws.view('test.c', M * N), prev = ws.view('test.prev', M * N), out = ws.view('test.cT', M * N);
      for (let i = 0; i < M * N; i++) {
        const u = f(prev[i] + y[i]);
        const want = u > th ? f(u - th) : !oneSided && u < -th ? f(u + th) : 0;
        assert.equal(out[i], want, `M=${M} N=${N} K=${K} oneSided=${oneSided} entry ${i}`);
      }
    }
  }
});

test('workspace maskAccumulate: masks g by z ≠ 0, adds to gb, copies to the stack exactly, and returns Σ gu·sign(z)', () => {
  const ws = wasmWorkspace();
  assert.ok(ws);
  const rng = new Rng(16);
  for (const n of [64, 37, 3]) {
    const z = Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : rng.normal()));
    const g = Float32Array.from({ length: n }, () => rng.normal()), gb = Float32Array.from({ length: n }, () => rng.normal());
    const [pg, pz, pgb, ps] = [place(ws, 'test.a', g), place(ws, 'test.b', z), place(ws, 'test.c', gb), place(ws, 'test.cT', new Float32Array(n))];
    const s = ws.maskAccumulate(pg, pz, n, pgb, ps);
    let want = 0;
    for (let i = 0; i < n; i++) {
      const gu = z[i] === 0 ? 0 : g[i];
      assert.equal(ws.view('test.a', n)[i], gu, `n=${n} gu[${i}]`);
      assert.equal(ws.view('test.cT', n)[i], gu, `n=${n} stack[${i}]`);
      assert.equal(ws.view('test.c', n)[i], Math.fround(gb[i] + gu), `n=${n} gb[${i}]`);
      want += Math.sign(z[i]) * gu;
    }
    // the sum runs in four float32 lanes: n/4 roundings of partial sums ≲ √n, so 1e-5·n bounds the error
    assert.ok(Math.abs(s - want) <= 1e-5 * n, `n=${n}: ${s} vs ${want}`);
  }
});
