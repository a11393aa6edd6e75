import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EigenError, maxEigenSymmetric, smallGram, spectralNormSqDense } from '../../src/core/kernels/eigen.js';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { DenseDictionary } from '../../src/models/operators/dense.js';

// Both solvers are backward stable in float64: each eigenvalue is off by ≲ c·n·ε·‖A‖ with n ≤ 64 here
// (≈ 1e-14·λ_max), so 1e-12 relative leaves two orders of margin and still catches any real bug
// (a wrong reflection or Sturm count is off by O(1), a stopped iteration by far more than 1e-12).
const REL = 1e-12;

/** Independent reference: cyclic Jacobi on the explicit matrix until the off-diagonal is negligible; max diagonal. */
function jacobiMax(src: Float64Array, n: number): number {
  const a = src.slice();
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i] ** 2;
      for (let j = i + 1; j < n; j++) off += a[i * n + j] ** 2;
    }
    if (off <= 1e-32 * diag || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const th = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = (th >= 0 ? 1 : -1) / (Math.abs(th) + Math.sqrt(th * th + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  let mx = -Infinity;
  for (let i = 0; i < n; i++) mx = Math.max(mx, a[i * n + i]);
  return mx;
}

/** Explicit Gram of the smaller side, written independently of smallGram (plain triple loop). */
function explicitGram(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const n = Math.min(rows, cols);
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    if (rows <= cols) for (let t = 0; t < cols; t++) s += x[i * cols + t] * x[j * cols + t];
    else for (let t = 0; t < rows; t++) s += x[t * cols + i] * x[t * cols + j];
    g[i * n + j] = s;
  }
  return g;
}

function gaussian(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** Q·diag(lam)·Qᵀ with Q a product of random Householder reflections (known spectrum). */
function withSpectrum(lam: number[], rng: Rng): Float64Array {
  const n = lam.length;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = lam[i];
  for (let r = 0; r < 3; r++) {
    const v = Float64Array.from({ length: n }, () => rng.normal());
    const vv = v.reduce((s, x) => s + x * x, 0);
    // A ← H A H, H = I − 2vvᵀ/vᵀv
    const av = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) av[i] += a[i * n + j] * v[j];
    const vav = v.reduce((s, x, i) => s + x * av[i], 0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      a[i * n + j] += (-2 * (av[i] * v[j] + v[i] * av[j])) / vv + (4 * vav * v[i] * v[j]) / (vv * vv);
    }
  }
  return a;
}

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

test('smallGram equals the explicit Gram of the smaller side (m < p, m > p, odd sizes)', () => {
  const rng = new Rng(1);
  for (const [r, c] of [[3, 5], [5, 3], [7, 7], [1, 4], [4, 1]]) {
    const x = gaussian(r * c, rng);
    const g = smallGram(x, r, c), e = explicitGram(x, r, c);
    // same products, different summation order only through the 2×2 blocking: ≤ k·ε relative per entry
    for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i] - e[i]) <= 1e-13 * (1 + Math.abs(e[i])), `${r}×${c} entry ${i}: ${g[i]} vs ${e[i]}`);
  }
});

test('‖D‖² matches Jacobi on the explicit float64 Gram to 1e-12 (m < p, m > p, square, rank-deficient)', () => {
  const rng = new Rng(2);
  const cases: [number, number, number | null][] = [[64, 128, null], [128, 64, null], [33, 33, null], [17, 40, 5], [40, 17, 1], [2, 9, null]];
  for (const [m, p, rank] of cases) {
    let D: Float32Array;
    if (rank === null) D = gaussian(m * p, rng);
    else {
      // D = U·V with U [m, r], V [r, p]: rank r < min(m, p), so the Gram is singular
      const U = gaussian(m * rank, rng), V = gaussian(rank * p, rng);
      D = new Float32Array(m * p);
      for (let i = 0; i < m; i++) for (let j = 0; j < p; j++) {
        let s = 0;
        for (let k = 0; k < rank; k++) s += U[i * rank + k] * V[k * p + j];
        D[i * p + j] = s;
      }
    }
    const got = spectralNormSqDense(D, m, p);
    const want = jacobiMax(explicitGram(D, m, p), Math.min(m, p));
    assert.ok(relErr(got, want) <= REL, `${m}×${p} rank ${rank ?? 'full'}: ${got} vs Jacobi ${want}`);
  }
});

test('‖D‖² with a repeated top singular value (D = Q₁·Σ·Q₂, Σ = diag(3, 3, 3, 1, 0.5, …)) is 9 to 1e-12', () => {
  const rng = new Rng(6);
  for (const [m, p] of [[12, 20], [20, 12]]) {
    const n = Math.min(m, p);
    const sigma = Array.from({ length: n }, (_, i) => (i < 3 ? 3 : 1 / (i - 1)));
    // Q₁, Q₂: random Householder reflections (orthogonal), so the singular values of D are exactly Σ
    const reflect = (k: number) => {
      const v = Float64Array.from({ length: k }, () => rng.normal());
      const vv = v.reduce((s, x) => s + x * x, 0);
      const q = new Float64Array(k * k);
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) q[i * k + j] = (i === j ? 1 : 0) - (2 * v[i] * v[j]) / vv;
      return q;
    };
    const Q1 = reflect(m), Q2 = reflect(p);
    const D = new Float64Array(m * p);
    for (let i = 0; i < m; i++) for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += Q1[i * m + k] * sigma[k] * Q2[k * p + j];
      D[i * p + j] = s;
    }
    const got = spectralNormSqDense(D, m, p);
    assert.ok(Math.abs(got - 9) <= REL * 9, `${m}×${p}: ${got} vs 9`);
  }
});

test('maxEigenSymmetric: known spectra with a repeated top eigenvalue, a close pair, negatives, zero', () => {
  const rng = new Rng(3);
  const spectra = [
    [5, 5, 5, 1, 0.5, 0, 0, 0, 2, 3], // top eigenvalue of multiplicity 3
    [1, 1 + 1e-9, 0.3, 0.2, 0.1, 1 - 1e-9], // close pair at the top
    [-1, -2, -3, -0.5], // negative definite: the top is −0.5
    [0, 0, 0], // zero matrix
    [7], // 1×1
  ];
  for (const lam of spectra) {
    const a = withSpectrum(lam, rng);
    const want = Math.max(...lam);
    const got = maxEigenSymmetric(a.slice(), lam.length);
    const scale = Math.max(...lam.map(Math.abs), 1e-300);
    assert.ok(Math.abs(got - want) <= REL * scale, `spectrum ${lam}: ${got} vs ${want}`);
  }
  // an already tridiagonal (and diagonal) matrix takes the no-reflection branch
  const diag = new Float64Array([2, 0, 0, 0, 9, 0, 0, 0, 4]);
  assert.equal(maxEigenSymmetric(diag, 3), 9);
  assert.equal(maxEigenSymmetric(new Float64Array(0), 0), 0);
});

test('DenseDictionary.normSq is exact and a pure function of D (same bits from a fresh operator)', () => {
  const rng = new Rng(4);
  const [m, p] = [24, 48];
  const D = gaussian(m * p, rng);
  const op = new DenseDictionary(new Tensor(D.slice(), [m, p]));
  const first = op.normSq();
  const want = jacobiMax(explicitGram(D, m, p), m);
  assert.ok(relErr(first, want) <= REL, `${first} vs ${want}`);
  // a different dictionary in between, then the same D again (as after a checkpoint reload): identical bits
  new DenseDictionary(new Tensor(gaussian(m * p, rng), [m, p])).normSq();
  assert.equal(new DenseDictionary(new Tensor(D.slice(), [m, p])).normSq(), first);
  assert.equal(op.normSq(), first);
});

test('bad sizes throw EigenError naming the function and field', () => {
  assert.throws(() => maxEigenSymmetric(new Float64Array(3), 2), (e: Error) => e instanceof EigenError && /maxEigenSymmetric.*a has 3/.test(e.message));
  assert.throws(() => maxEigenSymmetric(new Float64Array(4), -1), (e: Error) => e instanceof EigenError && /maxEigenSymmetric: n/.test(e.message));
  assert.throws(() => smallGram(new Float64Array(5), 2, 3), (e: Error) => e instanceof EigenError && /smallGram: x has 5/.test(e.message));
  assert.throws(() => smallGram(new Float64Array(6), 2.5, 3), (e: Error) => e instanceof EigenError && /smallGram: rows, cols/.test(e.message));
});
