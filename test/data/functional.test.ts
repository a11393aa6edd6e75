import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { CONCEPT_FAMILIES } from '../../src/data/concepts.js';
import { CoherenceBoundError, DataConfigError, DataError, shiftMaxCoherence } from '../../src/data/coherence.js';
import { FunctionalModel, validateFunctionalConfig, type Occurrence } from '../../src/data/functional.js';

/** Circular distance on [0,1). */
const circ = (a: number, b: number) => {
  const d = Math.abs(a - b) % 1;
  return Math.min(d, 1 - d);
};

/** Occurrences grouped by signal. */
function bySignal(occ: Occurrence[], count: number): Occurrence[][] {
  const out: Occurrence[][] = Array.from({ length: count }, () => []);
  for (const o of occ) out[o.signal].push(o);
  return out;
}

/** y[b, ch, n] = scale·Σ_c Σ_m atoms[c, ch, (n − m) mod N]·z[b, c, m] (circular convolution, naive). */
function convolve(atoms: Float64Array, z: Float64Array, count: number, C: number, cin: number, N: number, scale: number): Float64Array {
  const y = new Float64Array(count * cin * N);
  for (let b = 0; b < count; b++) {
    for (let c = 0; c < C; c++) {
      for (let m = 0; m < N; m++) {
        const v = z[(b * C + c) * N + m];
        if (v === 0) continue;
        for (let ch = 0; ch < cin; ch++) {
          for (let n = 0; n < N; n++) y[(b * cin + ch) * N + n] += scale * v * atoms[(c * cin + ch) * N + ((n - m + N) % N)];
        }
      }
    }
  }
  return y;
}

test('locations lie on the grid k/N_base; amplitudes in range; unsigned by default', () => {
  const model = new FunctionalModel({ family: 'gabor', occurrence: { kind: 'fixed', count: 2 }, amplitude: [1, 2] }, 1);
  const occ = model.sampleOccurrences(300, new Rng(1));
  assert.equal(occ.length, 300 * 5 * 2);
  for (const o of occ) {
    // N_base = 64 is a power of two: k/64 and k/64·64 are exact.
    assert.ok(Number.isInteger(o.tau * 64) && o.tau >= 0 && o.tau < 1, `tau ${o.tau}`);
    assert.ok(o.amp >= 1 && o.amp <= 2, `amp ${o.amp}`);
  }
  const perSignal = bySignal(occ, 300);
  for (const list of perSignal) for (let c = 0; c < 5; c++) assert.equal(list.filter((o) => o.concept === c).length, 2);
  const signed = new FunctionalModel({ family: 'gabor', signed: true, baseResolution: 48 }, 1).sampleOccurrences(300, new Rng(2));
  assert.ok(signed.some((o) => o.amp < 0) && signed.some((o) => o.amp > 0));
  for (const o of signed) assert.ok(Math.abs(o.tau * 48 - Math.round(o.tau * 48)) < 1e-12 && Math.abs(o.amp) >= 1 && Math.abs(o.amp) <= 2);
});

test('minimum separation is honoured in every signal and is tight', () => {
  const minSeparation = 0.1; // 7 cells of 1/64 (6/64 = 0.094 < 0.1)
  const model = new FunctionalModel({ family: 'random-taps', occurrence: { kind: 'fixed', count: 1 }, minSeparation, concepts: 9 }, 3);
  const perSignal = bySignal(model.sampleOccurrences(500, new Rng(3)), 500);
  let closest = 1;
  for (const list of perSignal) {
    assert.equal(list.length, 9);
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const d = circ(list[i].tau, list[j].tau);
        assert.ok(d >= minSeparation - 1e-12, `distance ${d}`);
        closest = Math.min(closest, d);
      }
    }
  }
  // 9 points × 7 cells = 63 of 64: nearly every gap is the minimum, 7/64.
  assert.ok(Math.abs(closest - 7 / 64) < 1e-12, `closest ${closest}`);
});

test('with a minimum separation, position sets are uniform over the valid sets', () => {
  // N_base = 8, 2 occurrences ≥ 3 cells apart: 12 valid sets (8 at distance 3, 4 at distance 4).
  // 6000 signals: each set 500 times, sd √(500·11/12) = 21.4; 5 sd = 107.
  const model = new FunctionalModel({ family: 'box', concepts: 2, baseResolution: 8, occurrence: { kind: 'fixed', count: 1 }, minSeparation: 3 / 8, width: [0.1, 0.3], maxCoherence: 1 }, 4);
  const counts = new Map<string, number>();
  for (const list of bySignal(model.sampleOccurrences(6000, new Rng(4)), 6000)) {
    const key = list.map((o) => o.tau * 8).sort((a, b) => a - b).join(',');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assert.equal(counts.size, 12, [...counts.keys()].join(' '));
  for (const [key, n] of counts) assert.ok(Math.abs(n - 500) < 107, `set ${key}: ${n}`);
});

test('an impossible minimum separation is a config error naming minSeparation', () => {
  assert.throws(
    () => validateFunctionalConfig({ family: 'gabor', occurrence: { kind: 'fixed', count: 2 }, minSeparation: 0.2 }),
    (e: unknown) => e instanceof DataConfigError && e.fields.includes('minSeparation') && /at most 4 occurrences .* can need 10/.test(e.message),
  );
  // one occurrence per signal: any separation is possible
  assert.doesNotThrow(() => validateFunctionalConfig({ family: 'gabor', occurrence: { kind: 'one-sparse' }, minSeparation: 0.7 }));
});

test('one-sparse: exactly one occurrence per signal, concepts uniform', () => {
  // 5000 signals, 5 concepts: 1000 ± 5·28.3 each.
  const model = new FunctionalModel({ family: 'fourier', occurrence: { kind: 'one-sparse' } }, 5);
  const occ = model.sampleOccurrences(5000, new Rng(5));
  const perSignal = bySignal(occ, 5000);
  for (const list of perSignal) assert.equal(list.length, 1);
  const perConcept = [0, 0, 0, 0, 0];
  for (const o of occ) perConcept[o.concept]++;
  for (const n of perConcept) assert.ok(Math.abs(n - 1000) < 142, `concept count ${n}`);
});

test('bernoulli: each concept present with probability p, at most once per signal', () => {
  // 2000 signals × 5 concepts = 1e4 Bernoulli(0.3) trials: 3000 ± 5·√(1e4·0.21) = 3000 ± 229.
  const model = new FunctionalModel({ family: 'gabor', occurrence: { kind: 'bernoulli', p: 0.3 } }, 6);
  const occ = model.sampleOccurrences(2000, new Rng(6));
  assert.ok(Math.abs(occ.length - 3000) < 229, `occurrences ${occ.length}`);
  for (const list of bySignal(occ, 2000)) assert.equal(new Set(list.map((o) => o.concept)).size, list.length);
});

test('resolution consistency: x at 2N restricted to even samples equals x at N bit for bit (noise 0)', () => {
  for (const family of CONCEPT_FAMILIES) {
    for (const [nBase, N] of [
      [64, 64],
      [64, 128],
      [48, 96],
    ]) {
      const model = new FunctionalModel({ family, baseResolution: nBase, channels: 2, signed: true, maxCoherence: 1 }, 7);
      const a = model.generate(20, N);
      const b = model.generate(20, 2 * N);
      assert.deepEqual(a.occurrences, b.occurrences, 'occurrences do not depend on N');
      for (let row = 0; row < 20 * 2; row++) {
        for (let n = 0; n < N; n++) assert.equal(b.x[row * 2 * N + 2 * n], a.x[row * N + n], `${family} N_base ${nBase} N ${N}`);
      }
      const atomsN = model.atoms(N);
      const atoms2N = model.atoms(2 * N);
      for (let i = 0; i < atomsN.length; i++) assert.equal(atoms2N[2 * i], atomsN[i]);
    }
  }
});

test('same seed ⇒ identical concepts and data; different seed ⇒ different', () => {
  const cfg = { family: 'gabor' as const, noise: 0.1 };
  const a = new FunctionalModel(cfg, 11).generate(10, 128);
  const b = new FunctionalModel(cfg, 11).generate(10, 128);
  const c = new FunctionalModel(cfg, 12).generate(10, 128);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.x, c.x);
  assert.notDeepEqual(new FunctionalModel(cfg, 11).atoms(64), new FunctionalModel(cfg, 12).atoms(64));
});

test('height codes: circular convolution of unit-norm sampled atoms reproduces x (1e-12)', () => {
  // 1e-12: sums of a few products of O(1) numbers in float64.
  for (const [family, channels] of [
    ['gabor', 1],
    ['random-taps', 2],
    ['box', 1],
  ] as const) {
    const model = new FunctionalModel({ family, channels, signed: true }, 13);
    const N = 128;
    const C = 5;
    const { x, occurrences } = model.generate(8, N);
    const atoms = model.atoms(N);
    for (let c = 0; c < C; c++) {
      let ss = 0;
      for (let i = c * channels * N; i < (c + 1) * channels * N; i++) ss += atoms[i] ** 2;
      for (let i = c * channels * N; i < (c + 1) * channels * N; i++) atoms[i] /= Math.sqrt(ss);
    }
    const y = convolve(atoms, model.codes(occurrences, 8, N, 'height'), 8, C, channels, N, 1);
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(y[i] - x[i]) < 1e-12, `${family} sample ${i}`);
  }
});

test('mass codes: (1/N)·circular convolution of the sampled concepts reproduces x (1e-12); mass per occurrence = a', () => {
  const model = new FunctionalModel({ family: 'fourier', occurrence: { kind: 'fixed', count: 1 } }, 14);
  const N = 256;
  const { x, occurrences } = model.generate(6, N);
  const z = model.codes(occurrences, 6, N, 'mass');
  const y = convolve(model.atoms(N), z, 6, 5, 1, N, 1 / N);
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(y[i] - x[i]) < 1e-12, `sample ${i}`);
  for (const o of occurrences) {
    let mass = 0;
    for (let n = 0; n < N; n++) mass += z[(o.signal * 5 + o.concept) * N + n] / N;
    assert.ok(Math.abs(mass - o.amp) < 1e-12);
  }
});

test('off the base grid (N not a multiple of N_base), x[n] = Σ a·φ(n/N − τ) exactly', () => {
  const model = new FunctionalModel({ family: 'gaussian' }, 15);
  const N = 100;
  const { x, occurrences } = model.generate(4, N);
  const expected = new Float64Array(4 * N);
  for (const o of occurrences) for (let n = 0; n < N; n++) expected[o.signal * N + n] += o.amp * model.evaluate(o.concept, n / N - o.tau);
  assert.deepEqual(x, expected);
});

test('noise: x minus the clean render has standard deviation σ, from a separate stream', () => {
  // 50·2·128 = 12800 samples: variance relative sd √(2/12800) = 1.25 %; 5 sd ≈ 6.3 %.
  const sigma = 0.2;
  const noisy = new FunctionalModel({ family: 'gabor', noise: sigma, channels: 2 }, 16);
  const clean = new FunctionalModel({ family: 'gabor', channels: 2 }, 16);
  const a = noisy.generate(50, 128);
  const b = clean.generate(50, 128);
  assert.deepEqual(a.occurrences, b.occurrences, 'noise does not consume the occurrence stream');
  let ss = 0;
  for (let i = 0; i < a.x.length; i++) ss += (a.x[i] - b.x[i]) ** 2;
  assert.ok(Math.abs(ss / a.x.length / sigma ** 2 - 1) < 0.063, `variance ${ss / a.x.length}`);
});

test('issue-5 recovery data: 5 gabor concepts, N = 128, bernoulli 0.3 on a 64-grid; shift-max coherence ≤ 0.7 by default', () => {
  for (const seed of [0, 1, 2, 3]) {
    const model = new FunctionalModel({ family: 'gabor', concepts: 5, baseResolution: 64, occurrence: { kind: 'bernoulli', p: 0.3 }, amplitude: [1, 2] }, seed);
    assert.deepEqual([model.config.width, model.config.frequency, model.config.maxCoherence], [[0.06, 0.08], [0, 15], 0.7]);
    assert.ok(model.coherence <= 0.7, `seed ${seed}: ${model.coherence}`);
    // independently measured at the reference resolution 512 it is the same number
    assert.equal(model.referenceResolution, 512);
    assert.ok(Math.abs(shiftMaxCoherence(model.atoms(512), 5, 1, 512) - model.coherence) < 1e-12);
    // and at the data resolution N = 128 it is still ≈ 0.7 (coarser shifts and samples)
    assert.ok(shiftMaxCoherence(model.atoms(128), 5, 1, 128) <= 0.72);
    assert.equal(model.generate(4, 128).x.length, 4 * 128);
  }
});

test('every family meets its default coherence bound for the default config', () => {
  for (const family of CONCEPT_FAMILIES) {
    const model = new FunctionalModel({ family }, 21);
    assert.ok(model.coherence <= model.config.maxCoherence, `${family}: ${model.coherence}`);
  }
});

test('an impossible coherence bound throws CoherenceBoundError saying what was reached', () => {
  assert.throws(
    () => new FunctionalModel({ family: 'gabor', maxCoherence: 0.01, maxDraws: 3 }, 1),
    (e: unknown) =>
      e instanceof CoherenceBoundError &&
      e instanceof RangeError &&
      /FunctionalModel\(family gabor, 5 concepts/.test(e.message) &&
      /shift-max coherence ≤ 0\.01 in 3 draws/.test(e.message) &&
      e.reached > 0.3,
  );
});

test('config validation: unknown keys, family parameters of another family, widths beyond the support', () => {
  const fails = (cfg: unknown, pattern: RegExp, field: string) =>
    assert.throws(
      () => validateFunctionalConfig(cfg),
      (e: unknown) => e instanceof DataConfigError && pattern.test(e.message) && e.fields.includes(field),
      JSON.stringify(cfg),
    );
  fails({ family: 'gabor', shape: 1 }, /unknown key 'shape'/, 'shape');
  fails({ family: 'gabor', occurrence: { kind: 'fixed', count: 1, extra: 2 } }, /unknown key 'occurrence\.extra'/, 'occurrence.extra');
  fails({ family: 'fourier', width: [0.1, 0.2] }, /width applies to family gaussian, gabor, box only, not 'fourier'/, 'width');
  fails({ family: 'gaussian', kMax: 3 }, /kMax applies to family fourier only/, 'kMax');
  fails({ family: 'gaussian', support: 0.3 }, /width \[0\.01,0\.08\] \(the default\): max 0\.08 exceeds support\/6 = 0\.05000/, 'width');
  fails({ family: 'box', width: [0.1, 0.6] }, /exceeds support = 0\.5/, 'width');
  fails({ family: 'random-taps', support: 0.01 }, /support 0\.01 holds no cell/, 'support');
  fails({ family: 'spline' }, /^validateFunctionalConfig: family:/, 'family');
  fails({ family: 'gabor', occurrence: { kind: 'bernoulli', p: 1.5 } }, /occurrence\.p/, 'occurrence.p');
  const filled = validateFunctionalConfig({});
  assert.equal(filled.family, 'gabor');
  assert.deepEqual(filled.occurrence, { kind: 'bernoulli', p: 0.3 });
  assert.equal(filled.kMax, undefined);
  assert.equal(validateFunctionalConfig({ family: 'fourier' }).kMax, 8);
});

test('render and codes reject occurrences that do not fit', () => {
  const model = new FunctionalModel({ family: 'gabor' }, 1);
  const bad = [{ signal: 3, concept: 0, tau: 0, amp: 1 }];
  assert.throws(() => model.render(bad, 2, 64), (e: unknown) => e instanceof DataError && /occurrences\[0\]\.signal 3 outside \[0, 2\)/.test(e.message));
  assert.throws(() => model.codes([{ signal: 0, concept: 5, tau: 0, amp: 1 }], 1, 64, 'mass'), /occurrences\[0\]\.concept 5 outside \[0, 5\)/);
  assert.throws(() => model.atoms(0), /resolution N must be a positive integer, got 0/);
  assert.throws(() => model.evaluate(1.5, 0.1), /FunctionalModel\.evaluate: concept 1\.5 or channel 0 outside \[0, 5\) × \[0, 1\)/);
});
