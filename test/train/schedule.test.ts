import assert from 'node:assert/strict';
import { test } from 'node:test';
import { learningRate } from '../../src/train/schedule.js';

test('constant, step decay and cosine rates at known steps', () => {
  assert.equal(learningRate({ kind: 'constant' }, 0.01, 500, 1000), 0.01);
  const step = { kind: 'step' as const, factor: 0.5, every: 100 };
  assert.deepEqual([0, 99, 100, 250, 999].map((s) => learningRate(step, 0.01, s, 1000)), [0.01, 0.01, 0.005, 0.0025, 0.01 * 0.5 ** 9]);
  const cos = { kind: 'cosine' as const, minLr: 0.001 };
  assert.ok(Math.abs(learningRate(cos, 0.01, 0, 1000) - 0.01) < 1e-15);
  // half way: (lr + lr_min)/2; at the end: lr_min (cos π = −1 exactly up to one ulp)
  assert.ok(Math.abs(learningRate(cos, 0.01, 500, 1000) - 0.0055) < 1e-15);
  assert.ok(Math.abs(learningRate(cos, 0.01, 1000, 1000) - 0.001) < 1e-15);
});
