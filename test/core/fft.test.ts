import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ComplexFFT, FFTError, fft, getComplexFFTPlan, getRealFFTPlan, ifft, RealFFT } from '../../src/core/kernels/fft.js';
import type { FFTNorm } from '../../src/core/kernels/fft.js';
import { Rng } from '../../src/core/rng.js';

const rng = new Rng(7);
const SIZES = [...Array.from({ length: 64 }, (_, i) => i + 1), 96, 100, 127, 134, 243, 1000, 1024];
const NORMS: FFTNorm[] = ['backward', 'forward'];
// Float64 FFT round-off grows like eps·log2(N) ≈ 1e-15; the naive O(N²) reference like eps·√N ≈ 1e-14.
// 1e-10 (the bound) leaves a wide margin, while any wrong twiddle, index or factor gives O(1).
const TOL = 1e-10;

function rand(n: number): Float64Array {
  return rng.fillUniform(new Float64Array(n), -1, 1) as Float64Array;
}

/** Σ_m x_m e^{sign·2πikm/n} by the definition (angles reduced exactly via (k·m) mod n). */
function naiveDft(re: ArrayLike<number>, im: ArrayLike<number>, sign: 1 | -1): [Float64Array, Float64Array] {
  const n = re.length;
  const c = Float64Array.from({ length: n }, (_, j) => Math.cos((2 * Math.PI * j) / n));
  const s = Float64Array.from({ length: n }, (_, j) => sign * Math.sin((2 * Math.PI * j) / n));
  const or = new Float64Array(n), oi = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let sr = 0, si = 0;
    for (let m = 0; m < n; m++) {
      const j = (k * m) % n;
      sr += re[m] * c[j] - im[m] * s[j];
      si += re[m] * s[j] + im[m] * c[j];
    }
    or[k] = sr; oi[k] = si;
  }
  return [or, oi];
}

/** max |got − want| / max |want| over complex entries (both arrays truncated to `len`). */
function relErr(gr: ArrayLike<number>, gi: ArrayLike<number> | null, wr: ArrayLike<number>, wi: ArrayLike<number> | null, len: number): number {
  let e = 0, m = 0;
  for (let k = 0; k < len; k++) {
    const di = gi && wi ? gi[k] - wi[k] : 0;
    e = Math.max(e, Math.hypot(gr[k] - wr[k], di));
    m = Math.max(m, Math.hypot(wr[k], wi ? wi[k] : 0));
  }
  return e / m;
}

/** Hermitian spectrum X_0..X_{K−1} → the naive real inverse Σ_{k=0}^{n−1} X_k e^{+2πikm/n} (imag of DC/Nyquist dropped). */
function naiveRealInverse(xr: ArrayLike<number>, xi: ArrayLike<number>, n: number, modes: number): Float64Array {
  const re = new Float64Array(n), im = new Float64Array(n);
  re[0] = xr[0];
  for (let k = 1; k < modes; k++) {
    if (2 * k === n) { re[k] = xr[k]; continue; }
    re[k] = xr[k]; im[k] = xi[k];
    re[n - k] = xr[k]; im[n - k] = -xi[k];
  }
  return naiveDft(re, im, 1)[0];
}

/** Runs `fn` with the plan forced onto each path (FFT, direct DFT), restoring the default. */
function eachPath(p: RealFFT, fn: (path: string) => void): void {
  const saved = p.directMaxModes;
  for (const [path, v] of [['fft', 0], ['direct', p.bins]] as const) {
    p.directMaxModes = v;
    fn(path);
  }
  p.directMaxModes = saved;
}

test('complex FFT equals the naive DFT for every N, forward and inverse, both normalisations', () => {
  for (const n of SIZES) {
    const re = rand(n), im = rand(n);
    const [fr, fi] = naiveDft(re, im, -1);
    const [br, bi] = naiveDft(re, im, 1);
    const p = getComplexFFTPlan(n);
    const yr = new Float64Array(n), yi = new Float64Array(n);
    for (const norm of NORMS) {
      const sf = norm === 'forward' ? 1 / n : 1, si = norm === 'backward' ? 1 / n : 1;
      p.forward(re, im, yr, yi, norm);
      assert.ok(relErr(yr, yi, fr.map((v) => v * sf), fi.map((v) => v * sf), n) <= TOL, `forward n=${n} ${norm}`);
      p.inverse(re, im, yr, yi, norm);
      assert.ok(relErr(yr, yi, br.map((v) => v * si), bi.map((v) => v * si), n) <= TOL, `inverse n=${n} ${norm}`);
    }
    // in-place round trip
    const cr = re.slice(), ci = im.slice();
    fft(cr, ci);
    ifft(cr, ci);
    assert.ok(relErr(cr, ci, re, im, n) <= TOL, `ifft∘fft n=${n}`);
  }
  // the sizes must exercise both algorithms and the generic odd-prime butterfly (7 ≤ p, mixed radix)
  assert.ok(SIZES.some((n) => getComplexFFTPlan(n).algorithm === 'bluestein'), 'some size uses Bluestein');
  assert.equal(getComplexFFTPlan(49).algorithm, 'mixed-radix');
});

test('real FFT equals the naive DFT for every N on both paths (FFT and direct), both normalisations', () => {
  for (const n of SIZES) {
    const x = rand(n);
    const [wr, wi] = naiveDft(x, new Float64Array(n), -1);
    const p = getRealFFTPlan(n);
    const K = p.bins;
    assert.equal(K, Math.floor(n / 2) + 1);
    const yr = new Float64Array(K + 2), yi = new Float64Array(K + 2);
    eachPath(p, (path) => {
      for (const norm of NORMS) {
        const s = norm === 'forward' ? 1 / n : 1;
        p.forward(x, 0, yr, yi, 1, K, norm);
        const gr = yr.subarray(1), gi = yi.subarray(1);
        assert.ok(relErr(gr, gi, wr.map((v) => v * s), wi.map((v) => v * s), K) <= TOL, `rfft n=${n} ${path} ${norm}`);
        assert.equal(gi[0], 0, `imag of DC exactly 0, n=${n} ${path}`);
        if (n % 2 === 0) assert.equal(gi[K - 1], 0, `imag of Nyquist exactly 0, n=${n} ${path}`);
      }
    });
  }
});

test('inverse real FFT equals the naive Hermitian inverse, ignores imag of DC/Nyquist, both paths and normalisations', () => {
  for (const n of SIZES) {
    const p = getRealFFTPlan(n);
    const K = p.bins;
    const xr = rand(K), xi = rand(K); // xi[0] and xi[n/2] are garbage that must be ignored
    const want = naiveRealInverse(xr, xi, n, K);
    const out = new Float64Array(n + 3);
    eachPath(p, (path) => {
      for (const norm of NORMS) {
        const s = norm === 'backward' ? 1 / n : 1;
        p.inverse(xr, xi, 0, out, 3, K, norm);
        assert.ok(relErr(out.subarray(3), null, want.map((v) => v * s), null, n) <= TOL, `irfft n=${n} ${path} ${norm}`);
      }
    });
  }
});

test('pruned modes: forward gives the full result\'s first M, inverse equals the full inverse with higher modes zeroed', () => {
  for (const n of [1, 2, 3, 8, 9, 31, 64, 100, 127, 1000, 1024]) {
    const p = getRealFFTPlan(n);
    const K = p.bins;
    const x = rand(n);
    const fullR = new Float64Array(K), fullI = new Float64Array(K);
    p.directMaxModes = 0;
    p.forward(x, 0, fullR, fullI);
    const sr = rand(K), si = rand(K);
    for (const M of new Set([1, Math.min(2, K), Math.min(5, K), Math.ceil(K / 2), K])) {
      const zr = sr.map((v, k) => (k < M ? v : 0)), zi = si.map((v, k) => (k < M ? v : 0));
      const want = naiveRealInverse(zr, zi, n, K).map((v) => v / n);
      eachPath(p, (path) => {
        const yr = new Float64Array(M), yi = new Float64Array(M);
        p.forward(x, 0, yr, yi, 0, M);
        assert.ok(relErr(yr, yi, fullR, fullI, M) <= TOL, `forward n=${n} M=${M} ${path}`);
        const out = new Float64Array(n);
        p.inverse(sr, si, 0, out, 0, M);
        assert.ok(relErr(out, null, want, null, n) <= TOL, `inverse n=${n} M=${M} ${path}`);
      });
    }
    p.directMaxModes = new RealFFT(n).directMaxModes;
  }
});

test('batch rows (odd n pairs two rows per complex FFT) equal the naive DFT per row; inverse∘forward is the identity', () => {
  for (const n of [1, 2, 5, 12, 97, 128, 1000, 1001]) {
    const p = getRealFFTPlan(n);
    const rows = 5; // odd: pairs plus a leftover row
    const x = rand(rows * n);
    for (const M of new Set([p.bins, Math.min(2, p.bins)])) {
      eachPath(p, (path) => {
        for (const norm of NORMS) {
          const re = new Float64Array(rows * M + 1), im = new Float64Array(rows * M + 1);
          p.forwardRows(x, 0, rows, re, im, 1, M, norm);
          const s = norm === 'forward' ? 1 / n : 1;
          for (let r = 0; r < rows; r++) {
            const [wr, wi] = naiveDft(x.subarray(r * n, (r + 1) * n), new Float64Array(n), -1);
            const gr = re.subarray(1 + r * M), gi = im.subarray(1 + r * M);
            assert.ok(relErr(gr, gi, wr.map((v) => v * s), wi.map((v) => v * s), M) <= TOL, `forwardRows n=${n} M=${M} row ${r} ${path} ${norm}`);
          }
          const back = new Float64Array(rows * n + 2);
          p.inverseRows(re, im, 1, rows, back, 2, M, norm);
          for (let r = 0; r < rows; r++) {
            const want = naiveRealInverse(re.subarray(1 + r * M), im.subarray(1 + r * M), n, M).map((v) => (norm === 'backward' ? v / n : v));
            assert.ok(relErr(back.subarray(2 + r * n), null, want, null, n) <= TOL, `inverseRows n=${n} M=${M} row ${r} ${path} ${norm}`);
          }
          if (M === p.bins) assert.ok(relErr(back.subarray(2), null, x, null, rows * n) <= TOL, `identity n=${n} ${path} ${norm}`);
        }
      });
    }
  }
});

test('Float32Array inputs and outputs give the float64 result to float32 precision', () => {
  // float32 storage rounds inputs and outputs at 2^-24 ≈ 6e-8 relative; the sums stay float64,
  // so 1e-6 relative to the spectrum's max bounds the difference.
  for (const n of [16, 100, 127]) {
    const p = getRealFFTPlan(n);
    const x32 = new Float32Array(rand(n));
    const x64 = Float64Array.from(x32);
    const r32 = new Float32Array(p.bins), i32 = new Float32Array(p.bins);
    const r64 = new Float64Array(p.bins), i64 = new Float64Array(p.bins);
    p.forward(x32, 0, r32, i32);
    p.forward(x64, 0, r64, i64);
    assert.ok(relErr(r32, i32, r64, i64, p.bins) <= 1e-6, `forward f32 n=${n}`);
    const back = new Float32Array(n);
    p.inverse(r32, i32, 0, back);
    assert.ok(relErr(back, null, x64, null, n) <= 1e-6, `round trip f32 n=${n}`);
    const cr = new Float32Array(rand(n)), ci = new Float32Array(rand(n));
    const [wr, wi] = naiveDft(cr, ci, -1);
    new ComplexFFT(n).forward(cr, ci);
    assert.ok(relErr(cr, ci, wr, wi, n) <= 1e-6, `complex f32 n=${n}`);
  }
});

test('bad lengths and mode counts throw FFTError naming the field', () => {
  assert.throws(() => new RealFFT(0), (e: unknown) => e instanceof FFTError && /length n/.test(e.message));
  assert.throws(() => new ComplexFFT(2.5), FFTError);
  const p = getRealFFTPlan(10);
  const a = new Float64Array(10);
  assert.throws(() => p.forward(a, 0, a, a, 0, 7), (e: unknown) => e instanceof FFTError && /modes .*\[1, 6\].*got 7/.test(e.message));
  assert.throws(() => p.inverse(a, a, 0, a, 0, 0), (e: unknown) => e instanceof FFTError && /RealFFT\(10\)\.inverse: modes/.test(e.message));
  assert.throws(() => getComplexFFTPlan(8).forward(a, new Float64Array(4)), (e: unknown) => e instanceof FFTError && /ComplexFFT\(8\)/.test(e.message));
  assert.throws(() => fft(new Float64Array(4), new Float64Array(3)), (e: unknown) => e instanceof FFTError && /lengths differ/.test(e.message));
});
