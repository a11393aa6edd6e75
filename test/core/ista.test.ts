import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward, noGrad } from '../../src/core/autodiff.js';
import { circularConv, circularCorr } from '../../src/core/ops/conv.js';
import { mul } from '../../src/core/ops/elementwise.js';
import { istaConv, istaDense, istaSpectral, type FusedIstaOptions } from '../../src/core/ops/ista.js';
import { matmul } from '../../src/core/ops/matmul.js';
import { sqNorm } from '../../src/core/ops/reduce.js';
import { spectralConv, spectralConvAdjoint } from '../../src/core/ops/spectral.js';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { composedIsta, type LinearMap } from '../../src/models/ista.js';
import { checkGradients, param } from '../helpers/gradcheck.js';

/**
 * A fused op and the composed reference compute the same float64 numbers up to round-off
 * (sums reordered: ≤ 1e-12 relative); the gradients of ⟨y, z^T⟩ likewise. Finite differences
 * (helpers/gradcheck, 1e-6) then check the fused backward independently of the reference.
 */
function compare(label: string, fused: () => Tensor, map: LinearMap, x: Tensor, opts: FusedIstaOptions, inputs: Tensor[], y: Tensor): void {
  // ‖z ⊙ y‖² weighs the codes unevenly, so every gradient entry is exercised
  const lossOf = (z: Tensor) => sqNorm(mul(z, y));
  for (const p of inputs) p.zeroGrad();
  const zf = fused();
  backward(lossOf(zf));
  const gf = inputs.map((p) => p.ensureGrad().slice());
  for (const p of inputs) p.zeroGrad();
  const zc = composedIsta(map, x, opts);
  backward(lossOf(zc));
  const gc = inputs.map((p) => p.ensureGrad().slice());
  assert.ok(relErr(zf.data, zc.data) <= 1e-12, `${label}: z^T differs from the composed iteration by ${relErr(zf.data, zc.data)}`);
  let active = 0;
  for (const v of zf.data) if (v !== 0) active++;
  assert.ok(active > 0 && active < zf.size, `${label}: test point must have both active and inactive codes (${active}/${zf.size})`);
  gf.forEach((g, k) => assert.ok(relErr(g, gc[k]) <= 1e-12, `${label}: gradient ${k} differs by ${relErr(g, gc[k])}`));
  checkGradients(() => lossOf(fused()), inputs, { label });
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num += (a[i] - b[i]) ** 2; den += b[i] ** 2; }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-300);
}

test('istaDense equals the composed iteration (Gram form p ≤ 2m and direct form p > 2m), with gradients', () => {
  const rng = new Rng(3);
  for (const [m, p, oneSided] of [[6, 9, false], [3, 8, false], [4, 7, true]] as const) {
    const D = param([m, p], rng, 0.5);
    const x = param([5, m], rng, 2);
    const lambda = Tensor.scalar(0.2, 'float64', { requiresGrad: true });
    const opts: FusedIstaOptions = { iters: 5, alpha: 0.3, lambda, oneSided };
    const map: LinearMap = { apply: (z) => matmul(z, D, { transB: true }), adjoint: (r) => matmul(r, D) };
    compare(`dense m=${m} p=${p}`, () => istaDense(x, D, opts), map, x, opts, [x, D, lambda], Tensor.randn([5, p], rng, 'float64'));
  }
});

test('istaSpectral equals the composed iteration (odd and even N, N = 2M−1, c_out > 1; the Nyquist mode is covered by istaConv), with gradients', () => {
  const rng = new Rng(4);
  for (const [cout, C, M, N, oneSided] of [[1, 3, 4, 13, false], [2, 3, 4, 7, true], [2, 2, 5, 10, false]] as const) {
    const wRe = param([cout, C, M], rng, 0.4);
    const wIm = param([cout, C, M], rng, 0.4);
    // Im w at k = 0 is left non-zero: it must not act (a real operator), in the fused op as in the composed one
    const x = param([3, cout, N], rng, 2);
    const opts: FusedIstaOptions = { iters: 4, alpha: 0.4, lambda: 0.05, oneSided };
    const map: LinearMap = { apply: (z) => spectralConv(z, wRe, wIm), adjoint: (r) => spectralConvAdjoint(r, wRe, wIm) };
    compare(`spectral cout=${cout} C=${C} M=${M} N=${N}`, () => istaSpectral(x, wRe, wIm, opts), map, x, opts, [x, wRe, wIm], Tensor.randn([3, C, N], rng, 'float64'));
  }
});

test('istaConv equals the composed iteration (even and odd N, K > N wraps), with gradients', () => {
  const rng = new Rng(5);
  for (const [cout, C, K, N] of [[1, 3, 4, 12], [2, 2, 5, 9], [1, 2, 7, 6]] as const) {
    const d = param([cout, C, K], rng, 0.3);
    const x = param([3, cout, N], rng, 2);
    const lambda = Tensor.scalar(0.1, 'float64', { requiresGrad: true });
    const opts: FusedIstaOptions = { iters: 4, alpha: 0.3, lambda, oneSided: false };
    const map: LinearMap = { apply: (z) => circularConv(z, d), adjoint: (r) => circularCorr(r, d) };
    compare(`conv cout=${cout} C=${C} K=${K} N=${N}`, () => istaConv(x, d, opts), map, x, opts, [x, d, lambda], Tensor.randn([3, C, N], rng, 'float64'));
  }
});

test('fused ops in float32 (WASM DFT-GEMM, WASM FFT and WASM GEMM paths) match float64 codes and gradients; pooled tapes repeat exactly', () => {
  const rng = new Rng(6);
  // N = 32, M = 5 takes the DFT GEMM in float32; N = 64, M = 10 and N = 256 with all modes (conv) the WASM FFT; float64 the JS FFT
  // [name, op, input shapes, output shape, weight scale, λ]: α = 0.5 stays below 1/‖D‖² for these scales
  const cases: Array<[string, (t: Tensor[], o: FusedIstaOptions) => Tensor, number[][], number[], number, number]> = [
    ['spectral', (t, o) => istaSpectral(t[0], t[1], t[2], o), [[8, 1, 32], [1, 4, 5], [1, 4, 5]], [8, 4, 32], 0.3, 0.02],
    ['spectral Gram', (t, o) => istaSpectral(t[0], t[1], t[2], o), [[8, 5, 32], [5, 3, 5], [5, 3, 5]], [8, 3, 32], 0.3, 0.02],
    // N = 64, M = 10 takes the WASM FFT with modes padded to 12 (Gram and direct form)
    ['spectral Gram (FFT)', (t, o) => istaSpectral(t[0], t[1], t[2], o), [[8, 5, 64], [5, 3, 10], [5, 3, 10]], [8, 3, 64], 0.3, 0.02],
    ['spectral (FFT)', (t, o) => istaSpectral(t[0], t[1], t[2], o), [[8, 2, 64], [2, 5, 10], [2, 5, 10]], [8, 5, 64], 0.3, 0.02],
    ['conv', (t, o) => istaConv(t[0], t[1], o), [[6, 1, 256], [1, 3, 16]], [6, 3, 256], 0.1, 0.3],
    ['dense (WASM GEMM)', (t, o) => istaDense(t[0], t[1], o), [[40, 24], [24, 40]], [40, 40], 0.1, 0.1],
  ];
  for (const [name, f, shapes, outShape, wScale, lambda] of cases) {
    const base = shapes.map((sh, k) => Tensor.randn(sh, rng, 'float64', k === 0 ? 1 : wScale));
    const y = Tensor.randn(outShape, rng, 'float64');
    const opts: FusedIstaOptions = { iters: 10, alpha: 0.5, lambda, oneSided: false };
    const run = (dtype: 'float32' | 'float64') => {
      const inputs = base.map((t) => {
        const c = t.to(dtype);
        c.requiresGrad = true;
        return c;
      });
      const z = f(inputs, opts);
      backward(sqNorm(mul(z, y.to(dtype))));
      return [Float64Array.from(z.data), ...inputs.map((t) => Float64Array.from(t.ensureGrad()))];
    };
    const ref = run('float64');
    const a = run('float32');
    // 10 iterations in float32 (storage, transforms, SIMD updates): error ~ T·2⁻²⁴·cond, far below 1e-3
    ref.forEach((r, k) => assert.ok(relErr(a[k], r) <= 1e-3, `${name}: float32 vs float64, array ${k}: ${relErr(a[k], r)}`));
    assert.ok(ref[0].some((v) => v !== 0) && ref[0].some((v) => v === 0), `${name}: codes must be partly active`);
    assert.deepEqual(run('float32'), a, `${name}: a repeated float32 run must be identical`);
  }
});

test('spectral ISTA on an op output (x adopts the tape\'s gradient buffer): the input gradient equals the leaf one through the op, step after step', () => {
  const rng = new Rng(12);
  for (const dtype of ['float32', 'float64'] as const) {
    // c_out = 5 > C = 3: the lifted (Gram) form, N = 64 takes the WASM FFT in float32
    const x0 = Tensor.randn([6, 5, 64], rng, dtype);
    const wRe = Tensor.randn([5, 3, 10], rng, dtype, 0.3), wIm = Tensor.randn([5, 3, 10], rng, dtype, 0.3);
    const y = Tensor.randn([6, 3, 64], rng, dtype);
    const opts: FusedIstaOptions = { iters: 6, alpha: 0.5, lambda: 0.02, oneSided: false };
    // leaf input 2·x0: its gradient; op output 2·x0 (mul): x0's gradient must be exactly twice that
    const leaf = Tensor.from(Array.from(x0.data, (v) => 2 * v), x0.shape, dtype, { requiresGrad: true });
    backward(sqNorm(mul(istaSpectral(leaf, wRe, wIm, opts), y)));
    const want = Float64Array.from(leaf.ensureGrad(), (v) => 2 * v);
    x0.requiresGrad = true;
    for (let step = 0; step < 3; step++) {
      x0.zeroGrad();
      backward(sqNorm(mul(istaSpectral(mul(x0, Tensor.scalar(2, dtype)), wRe, wIm, opts), y)));
      assert.deepEqual(Float64Array.from(x0.ensureGrad()), want, `${dtype}, step ${step}: x0's gradient differs`);
    }
  }
});

test('float32 spectral tapes interleaved (a second tape takes over the thread\'s WASM cache before the first backward) give the same results as one at a time', () => {
  const rng = new Rng(9);
  const opts: FusedIstaOptions = { iters: 6, alpha: 0.5, lambda: 0.02, oneSided: false };
  // Gram and direct form, FFT (N = 64, M = 10) and DFT-GEMM (N = 32, M = 5) rows
  for (const [cout, C, M, N] of [[5, 3, 10, 64], [2, 5, 10, 64], [1, 4, 5, 32]] as const) {
    const make = (sh: number[], std: number) => Tensor.randn(sh, rng, 'float32', std);
    const w = [make([cout, C, M], 0.3), make([cout, C, M], 0.3)];
    const xs = [make([6, cout, N], 1), make([6, cout, N], 1)];
    const ys = [make([6, C, N], 1), make([6, C, N], 1)];
    const fresh = (t: Tensor) => {
      const c = t.to('float32');
      c.requiresGrad = true;
      return c;
    };
    const grads = (ts: Tensor[]) => ts.map((t) => Float64Array.from(t.ensureGrad()));
    // one at a time: codes, x gradient and weight gradients of each call
    const single = [0, 1].map((k) => {
      const [x, wr, wi] = [fresh(xs[k]), fresh(w[0]), fresh(w[1])];
      const z = istaSpectral(x, wr, wi, opts);
      backward(sqNorm(mul(z, ys[k])));
      return [Float64Array.from(z.data), ...grads([x, wr, wi])];
    });
    const [x0, x1, wr, wi] = [fresh(xs[0]), fresh(xs[1]), fresh(w[0]), fresh(w[1])];
    const z0 = istaSpectral(x0, wr, wi, opts), z1 = istaSpectral(x1, wr, wi, opts);
    backward(sqNorm(mul(z0, ys[0])));
    backward(sqNorm(mul(z1, ys[1])));
    const label = `cout=${cout} C=${C} M=${M} N=${N}`;
    assert.deepEqual(Float64Array.from(z0.data), single[0][0], `${label}: codes of the first call`);
    assert.deepEqual(Float64Array.from(x0.ensureGrad()), single[0][1], `${label}: x gradient of the first call`);
    assert.deepEqual(Float64Array.from(x1.ensureGrad()), single[1][1], `${label}: x gradient of the second call`);
    // weight gradients: the two calls' sums accumulated into one float32 gradient (one rounding per entry)
    [wr, wi].forEach((t, j) => {
      const sum = Float32Array.from(single[0][2 + j], (v, i) => v + single[1][2 + j][i]);
      assert.ok(relErr(t.ensureGrad(), sum) <= 1e-6, `${label}: weight gradient ${j} differs by ${relErr(t.ensureGrad(), sum)}`);
    });
  }
});

test('fused ops reject bad shapes and settings with messages naming the op', () => {
  const x = Tensor.zeros([2, 3], 'float64');
  assert.throws(() => istaDense(x, Tensor.zeros([4, 5], 'float64'), { iters: 2, alpha: 1, lambda: 0, oneSided: false }), /istaDense: expects x \[B, m\] and D \[m, p\], got \[2, 3\] and \[4, 5\]/);
  assert.throws(() => istaDense(x, Tensor.zeros([3, 5], 'float64'), { iters: 0, alpha: 1, lambda: 0, oneSided: false }), /istaDense: iters T/);
  const w = Tensor.zeros([1, 2, 5], 'float64');
  assert.throws(() => istaSpectral(Tensor.zeros([1, 1, 7], 'float64'), w, w, { iters: 1, alpha: 1, lambda: 0, oneSided: false }), /istaSpectral: resolution N = 7 is below 2M − 1 = 9/);
  assert.throws(() => istaConv(Tensor.zeros([1, 2, 7], 'float64'), Tensor.zeros([1, 2, 3], 'float64'), { iters: 1, alpha: 1, lambda: 0, oneSided: false }), /istaConv: expects/);
});
