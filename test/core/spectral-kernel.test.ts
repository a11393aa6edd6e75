import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kernelToSpectral, SpectralError, spectralAdjoint, spectralApply, spectralNormSq, spectralToKernel, spectralWeightGrad } from '../../src/core/kernels/spectral.js';
import { Rng } from '../../src/core/rng.js';

const rng = new Rng(11);
const randn = (n: number): Float64Array => rng.fillNormal(new Float64Array(n)) as Float64Array;
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

// (N, M, cin, C): odd N, N = 2M−1 (smallest without Nyquist), N = 2M−2 (Nyquist kept), even N > 2M−1, M = 1, larger odd N
const CASES: Array<[number, number, number, number]> = [
  [7, 3, 2, 3],
  [9, 5, 1, 2],
  [8, 5, 2, 3],
  [16, 4, 3, 2],
  [10, 6, 1, 1],
  [5, 1, 2, 2],
  [45, 12, 2, 3], // odd N on the FFT path (rows paired per complex FFT)
];

/** Dense matrix of x ↦ op(x) (x: [inCh, N] → [outCh, N]) built column by column from unit vectors. */
function denseOf(op: (x: Float64Array, B: number, out: Float64Array) => void, inCh: number, outCh: number, N: number): Float64Array {
  const cols = inCh * N;
  const eye = new Float64Array(cols * cols);
  for (let j = 0; j < cols; j++) eye[j * cols + j] = 1;
  const out = new Float64Array(cols * outCh * N);
  op(eye, cols, out); // batch of unit vectors: row j of `out` is column j of the matrix
  const A = new Float64Array(outCh * N * cols);
  for (let j = 0; j < cols; j++) for (let r = 0; r < outCh * N; r++) A[r * cols + j] = out[j * outCh * N + r];
  return A;
}

/** A[(i,n),(c,m)] = (1/N)·κ_{i,c}((n−m)/N), κ summed over distinct grid frequencies (Nyquist once, real part). */
function analyticDense(wRe: Float64Array, wIm: Float64Array, cin: number, C: number, N: number, M: number): Float64Array {
  const A = new Float64Array(cin * N * C * N);
  for (let i = 0; i < cin; i++) {
    for (let c = 0; c < C; c++) {
      const w0 = (i * C + c) * M;
      for (let n = 0; n < N; n++) {
        for (let m = 0; m < N; m++) {
          const s = (n - m) / N;
          let kappa = wRe[w0];
          for (let k = 1; k < M; k++) {
            const th = 2 * Math.PI * k * s;
            const term = wRe[w0 + k] * Math.cos(th) - wIm[w0 + k] * Math.sin(th);
            kappa += 2 * k === N ? wRe[w0 + k] * Math.cos(th) : 2 * term;
          }
          A[(i * N + n) * C * N + c * N + m] = kappa / N;
        }
      }
    }
  }
  return A;
}

test('spectralApply equals the dense κ-matrix (1/N)·κ((n−m)/N), incl. odd N, N = 2M−1 and N = 2M−2 (Nyquist)', () => {
  // float64 FFT round-off ≈ 1e-15 of the largest entry; 1e-12 flags any wrong mode weight, sign or factor
  for (const [N, M, cin, C] of CASES) {
    const wRe = randn(cin * C * M), wIm = randn(cin * C * M);
    const A = denseOf((x, B, out) => spectralApply(x, wRe, wIm, B, C, cin, N, M, out), C, cin, N);
    const ref = analyticDense(wRe, wIm, cin, C, N, M);
    assert.ok(maxDiff(A, ref) <= 1e-12 * maxAbs(ref), `apply N=${N} M=${M}: ${maxDiff(A, ref)}`);
  }
});

test('spectralAdjoint is the exact transpose: dense Dᵀ = (dense D)ᵀ and ⟨Dz, x⟩ = ⟨z, Dᵀx⟩ to 1e-12', () => {
  for (const [N, M, cin, C] of CASES) {
    const wRe = randn(cin * C * M), wIm = randn(cin * C * M);
    const A = denseOf((x, B, out) => spectralApply(x, wRe, wIm, B, C, cin, N, M, out), C, cin, N);
    const At = denseOf((x, B, out) => spectralAdjoint(x, wRe, wIm, B, C, cin, N, M, out), cin, C, N);
    const rows = cin * N, cols = C * N;
    let worst = 0;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) worst = Math.max(worst, Math.abs(A[r * cols + c] - At[c * rows + r]));
    assert.ok(worst <= 1e-12 * maxAbs(A), `transpose N=${N} M=${M}: ${worst}`);
    // random batch: sums of ~B·N·C products, round-off ≈ 1e-15 relative
    const B = 3;
    const z = randn(B * C * N), x = randn(B * cin * N);
    const Dz = new Float64Array(B * cin * N), Dtx = new Float64Array(B * C * N);
    spectralApply(z, wRe, wIm, B, C, cin, N, M, Dz);
    spectralAdjoint(x, wRe, wIm, B, C, cin, N, M, Dtx);
    const lhs = dot(Dz, x), rhs = dot(z, Dtx);
    assert.ok(Math.abs(lhs - rhs) <= 1e-12 * Math.max(Math.abs(lhs), Math.abs(rhs)), `adjoint N=${N} M=${M}: ${lhs} vs ${rhs}`);
  }
});

test('spectralWeightGrad equals central finite differences of ⟨gx, D_w z⟩ (real and imaginary parts) and accumulates', () => {
  // L(w) = ⟨gx, D_w z⟩ is linear in w, so central differences are exact up to round-off ≈ 1e-16·|L|/h;
  // with h = 1e-4 that is ≈ 1e-11 relative, far inside the 1e-6 bound
  const h = 1e-4;
  for (const [N, M, cin, C] of CASES) {
    const B = 2;
    const wRe = randn(cin * C * M), wIm = randn(cin * C * M);
    const z = randn(B * C * N), gx = randn(B * cin * N);
    const out = new Float64Array(B * cin * N);
    const L = (): number => {
      spectralApply(z, wRe, wIm, B, C, cin, N, M, out);
      return dot(gx, out);
    };
    const gRe = new Float64Array(cin * C * M), gIm = new Float64Array(cin * C * M);
    spectralWeightGrad(z, gx, B, C, cin, N, M, gRe, gIm);
    for (const [w, g, name] of [[wRe, gRe, 're'], [wIm, gIm, 'im']] as const) {
      let num = 0, den = 0;
      for (let j = 0; j < w.length; j++) {
        const old = w[j];
        w[j] = old + h;
        const lp = L();
        w[j] = old - h;
        const lm = L();
        w[j] = old;
        const fd = (lp - lm) / (2 * h);
        num += (g[j] - fd) ** 2;
        den += fd ** 2;
      }
      // with M = 1 no imaginary part acts: both sides are then exactly 0
      const rel = den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
      assert.ok(rel <= 1e-6, `grad ${name} N=${N} M=${M}: ${rel}`);
    }
    // parameters that do not act get exactly zero gradient: Im at k = 0 and at Nyquist
    for (let ic = 0; ic < cin * C; ic++) {
      assert.equal(gIm[ic * M], 0);
      if (2 * (M - 1) === N) assert.equal(gIm[ic * M + M - 1], 0, `Nyquist imag grad N=${N}`);
    }
    const again = gRe.slice();
    spectralWeightGrad(z, gx, B, C, cin, N, M, gRe, gIm);
    assert.ok(maxDiff(gRe, again.map((v) => 2 * v)) <= 1e-12 * maxAbs(gRe), 'accumulates with +=');
  }
});

/** ‖D‖² by power iteration on DᵀD at resolution N (Rayleigh quotient ‖Dv‖² with ‖v‖ = 1). */
function powerNormSq(wRe: Float64Array, wIm: Float64Array, cin: number, C: number, N: number, M: number): number {
  let v = randn(C * N);
  const Dv = new Float64Array(cin * N), DtDv = new Float64Array(C * N);
  let lam = 0;
  for (let it = 0; it < 3000; it++) {
    const nv = Math.sqrt(dot(v, v));
    v = v.map((t) => t / nv);
    spectralApply(v, wRe, wIm, 1, C, cin, N, M, Dv);
    lam = dot(Dv, Dv);
    spectralAdjoint(Dv, wRe, wIm, 1, C, cin, N, M, DtDv);
    v = DtDv.slice();
  }
  return lam;
}

test('spectralNormSq equals power iteration on DᵀD at two resolutions (N-independent), c_in = 1 and c_in = 3', () => {
  // Power iteration converges like (λ₂/λ₁)^{2t}; one mode is scaled ×1.5 so the top eigenvalue stands
  // apart and 3000 steps reach round-off. 1e-9 relative bounds the remaining iteration error.
  for (const [cin, C, M] of [[1, 4, 4], [3, 5, 4], [4, 2, 3]] as const) {
    const wRe = randn(cin * C * M), wIm = randn(cin * C * M);
    for (let ic = 0; ic < cin * C; ic++) { wRe[ic * M + 1] *= 1.5; wIm[ic * M + 1] *= 1.5; }
    const closed = spectralNormSq(wRe, wIm, cin, C, M);
    for (const N of [2 * M - 1, 6 * M + 1]) {
      const pw = powerNormSq(wRe, wIm, cin, C, N, M);
      assert.ok(Math.abs(closed - pw) <= 1e-9 * closed, `normSq cin=${cin} C=${C} N=${N}: ${closed} vs ${pw}`);
    }
    if (cin === 1) {
      // closed form max_k Σ_c |w_{c,k}|² (Im w_0 does not act)
      let best = 0;
      for (let k = 0; k < M; k++) {
        let s = 0;
        for (let c = 0; c < C; c++) s += wRe[c * M + k] ** 2 + (k === 0 ? 0 : wIm[c * M + k] ** 2);
        best = Math.max(best, s);
      }
      assert.ok(Math.abs(best - closed) <= 1e-13 * best);
    }
  }
  // Nyquist kept (N = 2M−2): passing N drops the Nyquist imag, and the result is again exact
  const [cin, C, M] = [2, 3, 4];
  const wRe = randn(cin * C * M), wIm = randn(cin * C * M);
  for (let ic = 0; ic < cin * C; ic++) { wRe[ic * M + M - 1] *= 3; wIm[ic * M + M - 1] *= 3; }
  const N = 2 * M - 2;
  const pw = powerNormSq(wRe, wIm, cin, C, N, M);
  assert.ok(Math.abs(spectralNormSq(wRe, wIm, cin, C, M, N) - pw) <= 1e-9 * pw, 'normSq with Nyquist');
  assert.ok(spectralNormSq(wRe, wIm, cin, C, M) >= pw, 'without N the closed form bounds the Nyquist case from above');
});

test('full-mode spectral weights from kernelToSpectral give circular convolution; spectralToKernel inverts it', () => {
  // both sides are float64 sums of ≤ N·C·K terms: 1e-12 relative leaves round-off room, any factor-N slip fails
  for (const [N, K] of [[12, 5], [13, 4], [12, 15], [7, 7]] as const) {
    const cin = 2, C = 3, B = 2, M = Math.floor(N / 2) + 1;
    const d = randn(cin * C * K);
    const wRe = new Float64Array(cin * C * M), wIm = new Float64Array(cin * C * M);
    kernelToSpectral(d, cin, C, K, N, M, wRe, wIm);
    const z = randn(B * C * N);
    const got = new Float64Array(B * cin * N);
    spectralApply(z, wRe, wIm, B, C, cin, N, M, got);
    const want = new Float64Array(B * cin * N);
    for (let b = 0; b < B; b++) for (let i = 0; i < cin; i++) for (let n = 0; n < N; n++) {
      let s = 0;
      for (let c = 0; c < C; c++) for (let j = 0; j < K; j++) s += d[(i * C + c) * K + j] * z[(b * C + c) * N + ((((n - j) % N) + N) % N)];
      want[(b * cin + i) * N + n] = s;
    }
    assert.ok(maxDiff(got, want) <= 1e-12 * maxAbs(want), `conv N=${N} K=${K}: ${maxDiff(got, want)}`);
    const back = new Float64Array(cin * C * N);
    spectralToKernel(wRe, wIm, cin, C, M, N, back);
    const wrapped = new Float64Array(cin * C * N);
    for (let ic = 0; ic < cin * C; ic++) for (let j = 0; j < K; j++) wrapped[ic * N + (j % N)] += d[ic * K + j];
    assert.ok(maxDiff(back, wrapped) <= 1e-12 * maxAbs(wrapped), `spectralToKernel N=${N} K=${K}`);
  }
});

test('float32 arrays give the float64 result to float32 precision', () => {
  // inputs and outputs are rounded to float32 (2^-24 ≈ 6e-8); internal sums are float64, so 1e-5 is ample
  const [N, M, cin, C, B] = [32, 6, 2, 3, 2];
  const wRe = randn(cin * C * M), wIm = randn(cin * C * M), z = randn(B * C * N);
  const w32r = new Float32Array(wRe), w32i = new Float32Array(wIm), z32 = new Float32Array(z);
  const o32 = new Float32Array(B * cin * N), o64 = new Float64Array(B * cin * N);
  spectralApply(z32, w32r, w32i, B, C, cin, N, M, o32);
  spectralApply(Float64Array.from(z32), Float64Array.from(w32r), Float64Array.from(w32i), B, C, cin, N, M, o64);
  assert.ok(maxDiff(o32, o64) <= 1e-5 * maxAbs(o64));
});

test('too-small resolution and wrong lengths throw SpectralError naming N, M or the field', () => {
  const w = new Float64Array(1 * 1 * 5);
  const z = new Float64Array(7);
  const out = new Float64Array(7);
  // M = 5 needs N ≥ 8 (Nyquist) — N = 7 is too small
  assert.throws(() => spectralApply(z, w, w, 1, 1, 1, 7, 5, out), (e: unknown) => e instanceof SpectralError && e instanceof RangeError && /spectralApply: resolution N=7 .*M=5/.test(e.message));
  assert.throws(() => spectralAdjoint(z, w, w, 1, 1, 1, 7, 0, out), (e: unknown) => e instanceof SpectralError && /modes M/.test(e.message));
  assert.throws(() => spectralApply(z, w, w, 1, 1, 1, 9, 5, out), (e: unknown) => e instanceof SpectralError && /z has length 7, expected \[1, 1, 9\]/.test(e.message));
  assert.throws(() => spectralWeightGrad(new Float64Array(9), new Float64Array(9), 1, 1, 1, 9, 5, w, new Float64Array(4)), (e: unknown) => e instanceof SpectralError && /gIm/.test(e.message));
  assert.throws(() => spectralNormSq(w, w, 1, 2, 5), (e: unknown) => e instanceof SpectralError && /wRe has length 5, expected \[1, 2, 5\]/.test(e.message));
  assert.throws(() => kernelToSpectral(new Float64Array(3), 1, 1, 3, 4, 4, w, w), (e: unknown) => e instanceof SpectralError && /N=4/.test(e.message));
});
