import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { FunctionalModel } from '../../src/data/index.js';
import { createModel } from '../../src/models/registry.js';
import { evaluate, fitCalibration } from '../../src/train/evaluate.js';
import { generatorTruth, type Truth } from '../../src/train/source.js';

test('SAE with D = D* = I: every metric equals its closed form (codes = soft threshold of x)', () => {
  const m = 6;
  const lambda = 0.1;
  const identity = Float64Array.from({ length: m * m }, (_, i) => (i % (m + 1) === 0 ? 1 : 0));
  // ISTA on D = I with α = 0.95 contracts by 1 − α = 0.05 per iteration: after 100 the codes are S_λ(x) to round-off
  const model = createModel({ model: 'sae', inputSize: m, concepts: m, iters: 100, lambda, dtype: 'float64' }, new Rng(0), { kind: 'arrays', tensors: { D: { data: identity, shape: [m, m] } } });
  const codes = new Float64Array([1, 0, 0, -2, 0, 0, 0, 1.5, 0, 0, 0, -1.25, 0, 0, 2, 0, 1, 0]); // 3 signals, 2 non-zeros each
  const x = new Tensor(codes.slice(), [3, m]);
  const truth: Truth = { kind: 'euclidean', atoms: Array.from({ length: m }, (_, j) => identity.slice(j * m, (j + 1) * m)), channels: 1, resolution: 1 };
  const r = evaluate(model, { x, codes }, truth);
  const amps = Array.from(codes).filter((v) => v !== 0);
  const sumSq = amps.reduce((s, a) => s + a * a, 0);
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
  close(r.loss, (0.5 * amps.length * lambda ** 2) / 3, 'loss'); // each non-zero loses λ, zeros stay 0
  close(r.relError, (amps.length * lambda ** 2) / sumSq, 'relative error');
  close(r.psnr, 10 * Math.log10(4 / ((amps.length * lambda ** 2) / codes.length)), 'psnr');
  assert.equal(r.meanL0, 2);
  assert.equal(r.dictErrorMax, 0);
  assert.equal(r.coherenceMax, 0);
  assert.equal(r.supportPrecision, 1);
  assert.equal(r.supportRecall, 1);
  close(r.amplitudeError!, amps.reduce((s, a) => s + lambda / Math.abs(a), 0) / amps.length, 'amplitude error');
  assert.equal(r.oneSparseAccuracy, undefined);
  // without truth: reconstruction and sparsity only
  assert.deepEqual(Object.keys(evaluate(model, { x }, null)).sort(), ['coherenceMax', 'coherenceMean', 'loss', 'meanL0', 'psnr', 'relError']);
});

test('SAE-CNN whose kernels are the truth delayed by 4 samples: shift-invariant error 0, and the support read at the matched offset', () => {
  const N = 32;
  const K = 20;
  const shift = 4;
  const gen = new FunctionalModel({ concepts: 2, baseResolution: 16, family: 'gaussian', width: [0.02, 0.05], occurrence: { kind: 'one-sparse' } }, 3);
  const truth = generatorTruth(gen, N);
  const kernels = new Float64Array(2 * K);
  truth.atoms.forEach((a, c) => {
    let n2 = 0;
    for (let j = 0; j < K; j++) n2 += a[(j - shift + N) % N] ** 2;
    for (let j = 0; j < K; j++) kernels[c * K + j] = a[(j - shift + N) % N] / Math.sqrt(n2);
  });
  const model = createModel({ model: 'sae-cnn', channels: 1, concepts: 2, kernelSize: K, iters: 100, lambda: 0.5, oneSided: true, dtype: 'float64' }, new Rng(0), {
    kind: 'arrays',
    tensors: { kernels: { data: kernels, shape: [1, 2, K] } },
  });
  const { x, occurrences } = gen.generate(40, N);
  const data = { x: new Tensor(x, [40, 1, N]), occurrences };
  const r = evaluate(model, data, truth);
  // the atoms vanish outside the 20 kept taps to < 1e-6 of their norm (gaussians of width ≤ 0.05 centred at 1/4)
  assert.ok(r.dictErrorMax! < 1e-5, `dictionary error ${r.dictErrorMax}`);
  // codes peak 4 samples = 2 base cells before τ, outside the 1-cell tolerance: read without the offset, recall would be ≈ 0
  assert.ok(r.supportRecall! >= 0.95, `recall ${r.supportRecall}`);
  assert.equal(r.oneSparseIdentity, 1);
  assert.equal(r.oneSparseAccuracy, 1);
  const cal = fitCalibration(model, data);
  cal.offsets.forEach((o) => assert.ok(Math.abs(o + shift / N) < 1e-12, `calibrated offset ${o}, expected ${-shift / N}`));
});
