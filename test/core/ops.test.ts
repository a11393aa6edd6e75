import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward, noGrad } from '../../src/core/autodiff.js';
import { circularConv, circularCorr } from '../../src/core/ops/conv.js';
import { add, div, mul, reshape, scale, sub } from '../../src/core/ops/elementwise.js';
import { matmul } from '../../src/core/ops/matmul.js';
import { mean, sqNorm, sum, sumTrailing } from '../../src/core/ops/reduce.js';
import { relu, softThreshold } from '../../src/core/ops/shrink.js';
import { Rng } from '../../src/core/rng.js';
import { ShapeError, Tensor } from '../../src/core/tensor.js';
import { adjointResidual, checkGradients, param } from '../helpers/gradcheck.js';

const rng = new Rng(2024);
const randDims = (lo: number, hi: number) => lo + rng.int(hi - lo + 1);

test('elementwise ops with batch broadcasting: gradients equal finite differences', () => {
  for (let trial = 0; trial < 5; trial++) {
    const B = randDims(1, 4);
    const m = randDims(1, 6);
    const a = param([B, m], rng);
    const v = param([m], rng);
    const col = param([B, 1], rng);
    const pos = Tensor.from(Array.from({ length: m }, () => 1 + rng.uniform()), [m], 'float64', { requiresGrad: true });
    checkGradients(() => sum(mul(add(a, v), sub(a, col))), [a, v, col], { label: 'add/sub/mul' });
    checkGradients(() => sqNorm(div(scale(a, 1.7), pos)), [a, pos], { label: 'div/scale' });
    checkGradients(() => mean(mul(reshape(a, [-1]), reshape(a, [B * m]))), [a], { label: 'reshape/mean' });
    checkGradients(() => sqNorm(sumTrailing(mul(a, a), 1)), [a], { label: 'sumTrailing' });
  }
});

test('broadcast forward values follow NumPy rules', () => {
  const a = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3], 'float64');
  const b = Tensor.from([10, 20, 30], [3], 'float64');
  assert.deepEqual([...add(a, b).data], [11, 22, 33, 14, 25, 36]);
  const c = Tensor.from([1, 2], [2, 1], 'float64');
  assert.deepEqual([...mul(a, c).data], [1, 2, 3, 8, 10, 12]);
  assert.throws(() => add(a, Tensor.zeros([2], 'float64')), (e: unknown) => e instanceof ShapeError && /add: shapes \[2, 3\] and \[2\]/.test(e.message));
  assert.throws(() => add(a, Tensor.zeros([3], 'float32')), /mixed dtypes/);
  assert.throws(() => div(a, Tensor.zeros([3], 'float64')), /zero/);
});

test('matmul with every transpose combination: values and gradients', () => {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const [M, K, N] = [randDims(1, 5), randDims(1, 5), randDims(1, 5)];
      const a = param(transA ? [K, M] : [M, K], rng);
      const b = param(transB ? [N, K] : [K, N], rng);
      const c = noGrad(() => matmul(a, b, { transA, transB }));
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += (transA ? a.data[k * M + i] : a.data[i * K + k]) * (transB ? b.data[j * K + k] : b.data[k * N + j]);
          assert.ok(Math.abs(c.data[i * N + j] - s) < 1e-12);
        }
      }
      const w = Tensor.randn([M, N], rng, 'float64');
      checkGradients(() => sum(mul(matmul(a, b, { transA, transB }), w)), [a, b], { label: `matmul ${transA} ${transB}` });
    }
  }
  assert.throws(() => matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 2])), /inner dimensions differ: \[2, 3\] · \[4, 2\]/);
});

test('circular convolution equals the definition, and passes adjoint and gradient tests', () => {
  for (const [B, C, cin, N, K] of [
    [2, 3, 1, 8, 3],
    [1, 2, 3, 7, 7],
    [3, 1, 2, 5, 9], // K > N wraps around
  ]) {
    const z = param([B, C, N], rng);
    const d = param([cin, C, K], rng);
    const x = noGrad(() => circularConv(z, d));
    for (let b = 0; b < B; b++)
      for (let i = 0; i < cin; i++)
        for (let n = 0; n < N; n++) {
          let s = 0;
          for (let c = 0; c < C; c++) for (let j = 0; j < K; j++) s += d.data[(i * C + c) * K + j] * z.data[(b * C + c) * N + (((n - j) % N) + N) % N];
          assert.ok(Math.abs(x.data[(b * cin + i) * N + n] - s) < 1e-12);
        }
    const dd = d.detach();
    const res = adjointResidual((v) => circularConv(v, dd), (y) => circularCorr(y, dd), [B, C, N], [B, cin, N], rng);
    assert.ok(res < 1e-12, `adjoint residual ${res}`);
    const w = Tensor.randn([B, cin, N], rng, 'float64');
    const xin = param([B, cin, N], rng);
    checkGradients(() => sum(mul(circularConv(z, d), w)), [z, d], { label: 'conv' });
    checkGradients(() => sqNorm(circularCorr(xin, d)), [xin, d], { label: 'corr' });
  }
  assert.throws(() => circularConv(Tensor.zeros([1, 2, 8]), Tensor.zeros([1, 3, 4])), /2 channels, kernel \[1, 3, 4\] needs 3/);
});

test('soft threshold (two- and one-sided) and ReLU: values and gradients incl. learnable threshold', () => {
  const u = Tensor.from([-2, -0.5, 0.1, 0.7, 3], [5], 'float64');
  assert.deepEqual([...softThreshold(u, 1).data], [-1, 0, 0, 0, 2]);
  assert.deepEqual([...softThreshold(u, 0.5, true).data], [0, 0, 0, 0.7 - 0.5, 2.5]);
  assert.deepEqual([...relu(u).data], [0, 0, 0.1, 0.7, 3]);
  // values kept ≥ 0.05 away from the kinks ±θ so central differences with h = 1e-5 are exact
  const vals = [-2.3, -1.2, -0.4, 0.2, 0.9, 1.6, 2.2];
  const x = Tensor.from(vals, [7], 'float64', { requiresGrad: true });
  const th = Tensor.scalar(0.6, 'float64', { requiresGrad: true });
  const w = Tensor.randn([7], rng, 'float64');
  checkGradients(() => sum(mul(softThreshold(x, th), w)), [x, th], { label: 'shrink2' });
  checkGradients(() => sum(mul(softThreshold(x, th, true), w)), [x, th], { label: 'shrink1' });
  checkGradients(() => sum(mul(relu(x), w)), [x], { label: 'relu' });
  assert.throws(() => softThreshold(x, -1), /threshold must be finite and ≥ 0/);
});

test('gradients accumulate for a tensor used many times (unrolled reuse)', () => {
  const d = param([3, 3], rng);
  const x0 = Tensor.randn([3, 1], rng, 'float64');
  const f = () => {
    let z = x0;
    for (let t = 0; t < 6; t++) z = matmul(d, z);
    return sqNorm(z);
  };
  checkGradients(f, [d], { label: 'reuse' });
});

test('noGrad records no tape and backward rejects non-scalars', () => {
  const a = param([2], rng);
  const y = noGrad(() => mul(a, a));
  assert.equal(y.requiresGrad, false);
  const z = mul(a, a);
  assert.throws(() => backward(z), /not a scalar/);
});

test('channel mixing (pointwise lifting) equals per-sample matrix products; gradients', async () => {
  const { channelMix } = await import('../../src/core/ops/pointwise.js');
  const x = param([2, 3, 5], rng);
  const W = param([4, 3], rng);
  const y = noGrad(() => channelMix(x, W));
  for (let b = 0; b < 2; b++)
    for (let i = 0; i < 4; i++)
      for (let n = 0; n < 5; n++) {
        let s = 0;
        for (let j = 0; j < 3; j++) s += W.data[i * 3 + j] * x.data[(b * 3 + j) * 5 + n];
        assert.ok(Math.abs(y.data[(b * 4 + i) * 5 + n] - s) < 1e-12);
      }
  checkGradients(() => sqNorm(channelMix(x, W)), [x, W], { label: 'channelMix' });
  assert.throws(() => channelMix(x, Tensor.zeros([4, 2], 'float64')), /channelMix: input \[2, 3, 5\] and mixing matrix \[4, 2\]/);
});
