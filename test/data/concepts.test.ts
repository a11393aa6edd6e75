import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { CONCEPT_FAMILIES, drawConcepts, sampleConcepts, spacedUniform, type Concept, type ConceptFamily } from '../../src/data/concepts.js';

const params = (family: ConceptFamily) => ({ family, support: 0.5, baseResolution: 64 });

/** Σ_ch ∫_0^1 φ(s, ch)² ds by the rectangle rule on Q points, restricted to [a, b). */
function energy(concept: Concept, Q: number, a = 0, b = 1): number {
  let sum = 0;
  for (let q = 0; q < Q; q++) {
    const s = q / Q;
    if (s < a || s >= b) continue;
    for (let ch = 0; ch < concept.channels; ch++) sum += concept.evaluate(s, ch) ** 2;
  }
  return sum / Q;
}

test('every family has unit L2[0,1) norm summed over channels', () => {
  // Tolerances: smooth periodic families (gaussian, gabor, fourier) — the rectangle rule on
  // 2^14 points is spectrally accurate, so only round-off remains (1e-12); random-taps — exact
  // on any multiple of N_base (1e-12); box — each of 2 edges per channel costs at most one
  // sample of height² = 1/(width·c_in), width ≥ 0.04: error ≤ 2/(0.04·2^16) ≈ 7.6e-4 → 1e-3.
  for (const family of CONCEPT_FAMILIES) {
    for (const channels of [1, 3]) {
      const concepts = drawConcepts(params(family), 5, channels, new Rng(11));
      for (const [c, concept] of concepts.entries()) {
        const Q = family === 'box' ? 1 << 16 : family === 'random-taps' ? 64 * 8 : 1 << 14;
        const tol = family === 'box' ? 1e-3 : 1e-12;
        const e = energy(concept, Q);
        assert.ok(Math.abs(e - 1) < tol, `${family} c_in=${channels} concept ${c}: energy ${e}`);
      }
    }
  }
});

test('gaussian profile matches its closed form: exp(−(s−support/2)²/(2w²)) up to scale, periodised', () => {
  // A Gaussian restricted to one channel is a·exp(−(s−c)²/(2w²)) near its centre: log φ is a
  // parabola with vertex at c = 0.25, so log φ(c+h) + log φ(c−h) − 2 log φ(c) = −h²/w² and
  // the derived w must lie in the default range [0.01, 0.08] (1e-9: float64 logs).
  const [concept] = drawConcepts(params('gaussian'), 1, 1, new Rng(5));
  const c = 0.25;
  const h = 0.01;
  const second = Math.log(concept.evaluate(c + h, 0)) + Math.log(concept.evaluate(c - h, 0)) - 2 * Math.log(concept.evaluate(c, 0));
  const w = Math.sqrt(-(h * h) / second);
  assert.ok(w >= 0.01 - 1e-9 && w <= 0.08 + 1e-9, `width ${w}`);
  const w2 = Math.sqrt(-(0.03 * 0.03) / (Math.log(concept.evaluate(c + 0.03, 0)) + Math.log(concept.evaluate(c - 0.03, 0)) - 2 * Math.log(concept.evaluate(c, 0))));
  assert.ok(Math.abs(w2 - w) < 1e-9, 'exactly Gaussian: the same width at every h');
});

test('concepts are 1-periodic: φ(s + k) = φ(s) (1e-12: a shifted argument rounds differently)', () => {
  for (const family of CONCEPT_FAMILIES) {
    const concepts = drawConcepts(params(family), 3, 2, new Rng(2));
    for (const concept of concepts) {
      for (const s of [0.013, 0.2501, 0.37, 0.77]) {
        for (const k of [-3, -1, 1, 2]) {
          for (let ch = 0; ch < 2; ch++) {
            // box and taps jump at edges: probe away from them (s is not within 1e-9 of a cell edge).
            assert.ok(Math.abs(concept.evaluate(s + k, ch) - concept.evaluate(s, ch)) < 1e-12, `${family} s=${s} k=${k}`);
          }
        }
      }
    }
  }
});

test('localized families vanish outside [0, support): energy there < 3e-5 (smooth, ±3σ), exactly 0 (taps, box)', () => {
  for (const family of ['gaussian', 'gabor', 'random-taps', 'box'] as const) {
    for (const support of [0.5, 0.3]) {
      const width = family === 'gaussian' || family === 'gabor' ? ([0.02, support / 6] as const) : family === 'box' ? ([0.04, support] as const) : undefined;
      const concepts = drawConcepts({ family, support, baseResolution: 64, width }, 5, 1, new Rng(8));
      for (const concept of concepts) {
        const outside = energy(concept, 1 << 14, support, 1);
        const bound = family === 'gaussian' || family === 'gabor' ? 3e-5 : 0;
        assert.ok(outside <= bound, `${family} support ${support}: outside energy ${outside}`);
      }
    }
  }
});

test('fourier concepts are band-limited to kMax; random-taps are constant on base cells', () => {
  const N = 64;
  const kMax = 5;
  const [f] = drawConcepts({ ...params('fourier'), kMax }, 1, 1, new Rng(4));
  const x = sampleConcepts([f], 1, N);
  for (let k = 0; k <= N / 2; k++) {
    let re = 0;
    let im = 0;
    for (let n = 0; n < N; n++) {
      re += x[n] * Math.cos((2 * Math.PI * k * n) / N);
      im -= x[n] * Math.sin((2 * Math.PI * k * n) / N);
    }
    const mag = Math.hypot(re, im) / N;
    if (k > kMax) assert.ok(mag < 1e-12, `mode ${k}: ${mag}`);
    else if (k > 0) assert.ok(mag > 1e-3, `mode ${k} present`);
  }
  const [t] = drawConcepts(params('random-taps'), 1, 1, new Rng(4));
  const fine = sampleConcepts([t], 1, 64 * 6); // N = 6·N_base: 6 samples per cell, all equal
  for (let cell = 0; cell < 64; cell++) {
    for (let r = 1; r < 6; r++) assert.equal(fine[cell * 6 + r], fine[cell * 6], `cell ${cell}`);
    if (cell >= 32) assert.equal(fine[cell * 6], 0, 'support 0.5 = 32 cells');
  }
});

test('spacedUniform: values in [lo, hi], pairwise gaps ≥ (hi−lo)/count, every slot order used', () => {
  const rng = new Rng(6);
  const firstIsSmallest = [0, 0];
  for (let draw = 0; draw < 2000; draw++) {
    const v = spacedUniform(rng, 5, 0, 15);
    const sorted = Array.from(v).sort((a, b) => a - b);
    assert.ok(sorted[0] >= 0 && sorted[4] <= 15);
    // 1e-12: lo + u + i·gap rounds once or twice in float64.
    for (let i = 1; i < 5; i++) assert.ok(sorted[i] - sorted[i - 1] >= 3 - 1e-12, `gap ${sorted[i] - sorted[i - 1]}`);
    firstIsSmallest[v[0] === sorted[0] ? 1 : 0]++;
  }
  // random order: concept 0 holds the smallest value with probability 1/5 (400 ± 5·17.9).
  assert.ok(Math.abs(firstIsSmallest[1] - 400) < 90, `concept 0 smallest ${firstIsSmallest[1]} times`);
});

test('gaussian widths of one draw are log-spaced: adjacent ratios ≥ (max/min)^(1/C)', () => {
  // Width from the log-parabola: log φ(c+h) + log φ(c−h) − 2 log φ(c) = −h²/w² (exact for a
  // Gaussian; images are below e^{−40}); 1e-9 covers float64 logs.
  const concepts = drawConcepts(params('gaussian'), 5, 1, new Rng(9));
  const c = 0.25;
  const h = 0.01;
  const widths = concepts
    .map((k) => Math.sqrt(-(h * h) / (Math.log(k.evaluate(c + h, 0)) + Math.log(k.evaluate(c - h, 0)) - 2 * Math.log(k.evaluate(c, 0)))))
    .sort((a, b) => a - b);
  assert.ok(widths[0] >= 0.01 - 1e-9 && widths[4] <= 0.08 + 1e-9, `widths ${widths}`);
  for (let i = 1; i < 5; i++) assert.ok(widths[i] / widths[i - 1] >= 8 ** 0.2 - 1e-9, `ratio ${widths[i] / widths[i - 1]}`);
});
