import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { CoherenceBoundError, DataConfigError, mutualCoherence } from '../../src/data/coherence.js';
import { EuclideanModel, validateEuclideanConfig, welchBound } from '../../src/data/euclidean.js';

const base = { m: 50, p: 100, sparsity: 5 };

test('dictionary: [m, p] with unit-norm columns (1e-12: one normalisation in float64)', () => {
  const model = new EuclideanModel(base, 1);
  assert.equal(model.dictionary.length, 50 * 100);
  for (let i = 0; i < 100; i++) {
    let ss = 0;
    for (let r = 0; r < 50; r++) ss += model.dictionary[r * 100 + i] ** 2;
    assert.ok(Math.abs(Math.sqrt(ss) - 1) < 1e-12, `atom ${i} norm ${Math.sqrt(ss)}`);
  }
  assert.ok(Math.abs(model.coherence - mutualCoherence(model.dictionary, 50, 100)) < 1e-12);
  // Gaussian atoms, m = 50, p = 100: coherence ≈ 0.5, far from 0 and 1.
  assert.ok(model.coherence > 0.3 && model.coherence < 0.8, `coherence ${model.coherence}`);
});

test('codes: exactly s nonzeros, amplitudes in range, both signs; x = D z without noise (1e-12)', () => {
  const model = new EuclideanModel({ ...base, amplitude: [1, 2] }, 3);
  const count = 500;
  const { x, codes } = model.generate(count);
  let pos = 0;
  let neg = 0;
  for (let b = 0; b < count; b++) {
    let nnz = 0;
    for (let j = 0; j < 100; j++) {
      const a = codes[b * 100 + j];
      if (a === 0) continue;
      nnz++;
      assert.ok(Math.abs(a) >= 1 && Math.abs(a) <= 2, `amplitude ${a}`);
      if (a > 0) pos++;
      else neg++;
    }
    assert.equal(nnz, 5, `signal ${b}`);
    for (let r = 0; r < 50; r++) {
      let dz = 0;
      for (let j = 0; j < 100; j++) dz += model.dictionary[r * 100 + j] * codes[b * 100 + j];
      assert.ok(Math.abs(dz - x[b * 50 + r]) < 1e-12);
    }
  }
  // 2500 fair signs: sd 25, so each side is 1250 ± 125 at 5 sd.
  assert.ok(Math.abs(pos - 1250) < 125 && Math.abs(neg - 1250) < 125, `signs ${pos}/${neg}`);
});

test('unsigned codes are all positive', () => {
  const model = new EuclideanModel({ ...base, signed: false, amplitude: [0.5, 0.7] }, 2);
  const { codes } = model.generate(200);
  for (const a of codes) assert.ok(a === 0 || (a >= 0.5 && a <= 0.7), `amplitude ${a}`);
});

test('support is uniform over atoms', () => {
  // 4000 signals × 5 of 100 atoms: each atom used Binomial(4000, 0.05) times, mean 200, sd 13.8; 5 sd = 69.
  const model = new EuclideanModel(base, 4);
  const { codes } = model.generate(4000);
  const used = new Array<number>(100).fill(0);
  for (let i = 0; i < codes.length; i++) if (codes[i] !== 0) used[i % 100]++;
  for (const u of used) assert.ok(Math.abs(u - 200) < 69, `atom used ${u} times`);
});

test('noise: x − D z has standard deviation σ', () => {
  // 400·50 = 2e4 residuals: the sample variance has relative sd √(2/2e4) = 1 %; 5 sd = 5 %.
  const sigma = 0.3;
  const model = new EuclideanModel({ ...base, noise: sigma }, 5);
  const { x, codes } = model.generate(400);
  let ss = 0;
  for (let b = 0; b < 400; b++) {
    for (let r = 0; r < 50; r++) {
      let dz = 0;
      for (let j = 0; j < 100; j++) dz += model.dictionary[r * 100 + j] * codes[b * 100 + j];
      ss += (x[b * 50 + r] - dz) ** 2;
    }
  }
  const variance = ss / 2e4;
  assert.ok(Math.abs(variance / sigma ** 2 - 1) < 0.05, `variance ${variance}`);
});

test('same seed ⇒ identical dictionary and data; different seed ⇒ different; sample(rng) is deterministic in the rng', () => {
  const a = new EuclideanModel(base, 7);
  const b = new EuclideanModel(base, 7);
  const c = new EuclideanModel(base, 8);
  assert.deepEqual(a.dictionary, b.dictionary);
  assert.deepEqual(a.generate(20), b.generate(20));
  assert.deepEqual(a.generate(20), a.generate(20));
  assert.notDeepEqual(a.dictionary, c.dictionary);
  assert.notDeepEqual(a.generate(20).x, c.generate(20).x);
  const r1 = new Rng(99);
  const r2 = new Rng(99);
  const first = a.sample(10, r1);
  assert.deepEqual(first, a.sample(10, r2));
  assert.notDeepEqual(first.x, a.sample(10, r1).x, 'an rng moves on: fresh batches');
});

test('a coherence target is reached within 0.01, above (mixing) and below (decorrelation) the Gaussian draw', () => {
  for (const target of [0.8, 0.3, 0.2]) {
    const model = new EuclideanModel({ ...base, coherence: target }, 1);
    assert.ok(Math.abs(model.coherence - target) <= 0.01, `target ${target}: reached ${model.coherence}`);
    // 1e-12: mutualCoherence renormalises the (already unit) atoms, moving the last bits.
    assert.ok(Math.abs(model.coherence - mutualCoherence(model.dictionary, 50, 100)) < 1e-12);
  }
});

test('maxCoherence: redraws until met; an unmeetable bound throws CoherenceBoundError (a RangeError)', () => {
  const ok = new EuclideanModel({ m: 20, p: 10, sparsity: 2, maxCoherence: 0.7 }, 1);
  assert.ok(ok.coherence <= 0.7);
  // Gaussian draws at m = 50, p = 100 have coherence ≈ 0.5; 0.2 (above Welch 0.10) is never met by chance.
  assert.throws(
    () => new EuclideanModel({ ...base, maxCoherence: 0.2, maxDraws: 3 }, 1),
    (e: unknown) => e instanceof CoherenceBoundError && e instanceof RangeError && /coherence ≤ 0\.2/.test(e.message) && /3 draws/.test(e.message) && e.reached > 0.3,
  );
});

test('validation names the offending field; unknown keys are rejected', () => {
  const fails = (cfg: unknown, pattern: RegExp, field: string) =>
    assert.throws(
      () => validateEuclideanConfig(cfg),
      (e: unknown) => e instanceof DataConfigError && pattern.test(e.message) && e.fields.includes(field),
    );
  fails({ m: 50, p: 100, sparsity: 120 }, /sparsity 120 exceeds p = 100/, 'sparsity');
  fails({ ...base, colour: 'red' }, /unknown key 'colour'/, 'colour');
  fails({ ...base, amplitude: [2, 1] }, /amplitude: need min ≤ max/, 'amplitude');
  fails({ ...base, noise: -1 }, /^validateEuclideanConfig: noise:/, 'noise');
  fails({ p: 100, sparsity: 5 }, /^validateEuclideanConfig: m:/, 'm');
  fails({ ...base, coherence: 0.05 }, /below the Welch bound 0\.1005/, 'coherence');
  fails({ ...base, maxCoherence: 0.01 }, /maxCoherence 0\.01 is below the Welch bound/, 'maxCoherence');
  assert.throws(() => new EuclideanModel(base, 1.5), DataConfigError);
  assert.ok(Math.abs(welchBound(50, 100) - Math.sqrt(50 / (50 * 99))) < 1e-15);
  const filled = validateEuclideanConfig(base);
  assert.deepEqual(filled, { ...base, amplitude: [1, 2], signed: true, noise: 0, maxDraws: 100 });
});
