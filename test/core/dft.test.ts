import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prefersGemm, rowTransform } from '../../src/core/kernels/dft.js';
import { Rng } from '../../src/core/rng.js';

test('DFT-matrix GEMM rows equal the float64 FFT rows to float32 precision (forward and inverse, odd N, Nyquist kept at N = 18)', () => {
  const rng = new Rng(21);
  for (const [N, M] of [[32, 5], [27, 14], [18, 10], [256, 8]] as const) {
    assert.ok(prefersGemm(N, M, 'float32') && !prefersGemm(N, M, 'float64'), `N=${N} M=${M} should take the GEMM path in float32 only`);
    const rows = 5;
    const x = Float32Array.from({ length: rows * N }, () => rng.normal());
    const ref = rowTransform(N, M, 'float64');
    const got = rowTransform(N, M, 'float32');
    const [rr, ri, gr, gi] = [0, 0, 0, 0].map(() => new Float64Array(rows * M));
    ref.forward(x, 0, rows, rr, ri, 0);
    got.forward(x, 0, rows, gr, gi, 0);
    // float32 sums of N terms of size ≤ 1/N·|x|: error ≲ √N·2⁻²⁴·max|x|, < 1e-6 here
    for (let i = 0; i < rows * M; i++) {
      assert.ok(Math.abs(rr[i] - gr[i]) < 1e-6 && Math.abs(ri[i] - gi[i]) < 1e-6, `N=${N} M=${M} forward ${i}: ${gr[i]},${gi[i]} vs ${rr[i]},${ri[i]}`);
    }
    // inverse from spectra with non-zero imaginary parts at k = 0 (and Nyquist): both must ignore them
    const yr = Float64Array.from({ length: rows * M }, () => rng.normal());
    const yi = Float64Array.from({ length: rows * M }, () => rng.normal());
    const a = Float64Array.from(ref.inverse(yr, yi, 0, rows));
    const b = Float64Array.from(got.inverse(yr, yi, 0, rows));
    // 2M terms of size ≤ 2: float32 error ≲ 4M·2⁻²⁴ < 1e-4
    for (let i = 0; i < rows * N; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-4 * Math.sqrt(M), `N=${N} M=${M} inverse ${i}: ${b[i]} vs ${a[i]}`);
  }
});

test('WASM FFT rows (float32, power-of-two N, many modes) equal the float64 FFT rows to float32 precision', () => {
  const rng = new Rng(22);
  for (const [N, M, rows] of [[256, 129, 7], [128, 65, 4], [256, 16, 1], [1024, 513, 9], [512, 257, 3], [8, 4, 6]] as const) {
    assert.ok(!prefersGemm(N, M, 'float32'), `N=${N} M=${M} should take the FFT path`);
    const x = Float32Array.from({ length: rows * N }, () => rng.normal());
    const ref = rowTransform(N, M, 'float64');
    const got = rowTransform(N, M, 'float32');
    const [rr, ri, gr, gi] = [0, 0, 0, 0].map(() => new Float64Array(rows * M));
    ref.forward(x, 0, rows, rr, ri, 0);
    got.forward(x, 0, rows, gr, gi, 0);
    // float32 FFT round-off ≈ log₂N·2⁻²⁴·‖x‖/√N per coefficient of the forward-normalised spectrum: < 1e-6 here
    for (let i = 0; i < rows * M; i++) assert.ok(Math.abs(rr[i] - gr[i]) < 1e-6 && Math.abs(ri[i] - gi[i]) < 1e-6, `N=${N} forward ${i}: ${gr[i]},${gi[i]} vs ${rr[i]},${ri[i]}`);
    const yr = Float64Array.from({ length: rows * M }, () => rng.normal());
    const yi = Float64Array.from({ length: rows * M }, () => rng.normal());
    const a = Float64Array.from(ref.inverse(yr, yi, 0, rows).subarray(0, rows * N));
    const b = Float64Array.from(got.inverse(yr, yi, 0, rows).subarray(0, rows * N));
    // sums of 2M terms of size ≤ 2 with log₂N rounding stages: < 1e-5·√M
    for (let i = 0; i < rows * N; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5 * Math.sqrt(M), `N=${N} inverse ${i}: ${b[i]} vs ${a[i]}`);
  }
});

test('few modes take the GEMM, many the FFT (its cost grows as N log N, the GEMM as N·M); the JS FFT loses sooner', () => {
  assert.ok(prefersGemm(256, 8, 'float32') && !prefersGemm(256, 16, 'float32') && !prefersGemm(256, 129, 'float32'));
  assert.ok(!prefersGemm(1024, 32, 'float32') && prefersGemm(1000, 32, 'float32'));
  assert.ok(!prefersGemm(256, 8, 'float64'));
});
