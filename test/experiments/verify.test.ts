import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fnoCnnTrajectory, runVerify } from '../../src/experiments/verify.js';

test('every verify check passes within its float64 tolerance', () => {
  const results = runVerify();
  assert.ok(results.length >= 20);
  for (const r of results) assert.ok(r.pass, `${r.name}: residual ${r.residual} > ${r.tolerance} (${r.statement})`);
});

test('the FNO↔CNN learning-rate derivation matters: without the k = 0 correction the trajectories part', () => {
  // docs/theory.md §4: a single factor N/2 leaves the mean-gradient term (1/N²)Σ∂ℓ/∂d, far above round-off
  const wrong = fnoCnnTrajectory(33, 7, 10, false);
  const right = fnoCnnTrajectory(33, 7, 10, true);
  assert.ok(right < 1e-12, `corrected residual ${right}`);
  assert.ok(wrong > 1e-6, `uncorrected residual ${wrong} should be far above round-off`);
});
