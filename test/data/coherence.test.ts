import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { CoherenceBoundError, DataError, drawWithinCoherence, mutualCoherence, shiftMaxCoherence } from '../../src/data/coherence.js';

/** Naive reference: explicit mod, explicit normalisation. */
function naiveShiftMax(atoms: Float64Array, C: number, cin: number, N: number): number {
  const norm = (c: number) => Math.sqrt(atoms.subarray(c * cin * N, (c + 1) * cin * N).reduce((s, v) => s + v * v, 0));
  let max = 0;
  for (let i = 0; i < C; i++) {
    for (let j = 0; j < C; j++) {
      if (i === j) continue;
      for (let t = 0; t < N; t++) {
        let dot = 0;
        for (let ch = 0; ch < cin; ch++) {
          for (let n = 0; n < N; n++) dot += atoms[(i * cin + ch) * N + n] * atoms[(j * cin + ch) * N + ((n - t + N) % N)];
        }
        max = Math.max(max, Math.abs(dot) / (norm(i) * norm(j)));
      }
    }
  }
  return max;
}

test('mutualCoherence: known angle, orthonormal columns, unnormalised input', () => {
  // columns (3, 0) and (cos θ, sin θ)·2 in R^2: coherence |cos θ|.
  const th = 1.1;
  const D = Float64Array.from([3, 2 * Math.cos(th), 0, 2 * Math.sin(th)]);
  assert.ok(Math.abs(mutualCoherence(D, 2, 2) - Math.cos(th)) < 1e-15);
  const I = Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  assert.equal(mutualCoherence(I, 3, 3), 0);
  assert.equal(mutualCoherence(Float64Array.from([1, 2]), 2, 1), 0, 'one atom: no pairs');
  assert.throws(() => mutualCoherence(I, 3, 2), (e: unknown) => e instanceof DataError && /D has length 9, expected m·p = 6/.test(e.message));
});

test('shiftMaxCoherence: shifted copy → 1, distinct Fourier modes → 0, cos vs sin → 1', () => {
  const N = 32;
  const atoms = new Float64Array(4 * N);
  for (let n = 0; n < N; n++) {
    atoms[n] = Math.exp(-(((n - 5) / 3) ** 2));
    atoms[N + n] = atoms[(n - 11 + N) % N] * 2.5; // atom 1: atom 0 shifted by 11, scaled
  }
  // 1e-14: a normalised self inner product in float64.
  assert.ok(Math.abs(shiftMaxCoherence(atoms.subarray(0, 2 * N), 2, 1, N) - 1) < 1e-14);
  const modes = new Float64Array(2 * N);
  for (let n = 0; n < N; n++) {
    modes[n] = Math.cos((2 * Math.PI * 3 * n) / N);
    modes[N + n] = Math.cos((2 * Math.PI * 5 * n) / N + 0.4);
  }
  assert.ok(shiftMaxCoherence(modes, 2, 1, N) < 1e-14, 'orthogonal at every shift');
  const cs = new Float64Array(2 * N);
  for (let n = 0; n < N; n++) {
    cs[n] = Math.cos((2 * Math.PI * 4 * n) / N);
    cs[N + n] = Math.sin((2 * Math.PI * 4 * n) / N);
  }
  assert.ok(Math.abs(shiftMaxCoherence(cs, 2, 1, N) - 1) < 1e-14, 'a quarter-period shift aligns them');
});

test('shiftMaxCoherence shifts all channels together', () => {
  // atom 0 = (δ_0, δ_0), atom 1 = (δ_0, δ_5): one joint shift aligns one channel only → 1/2
  // (independent per-channel shifts would give 1).
  const N = 8;
  const atoms = new Float64Array(2 * 2 * N);
  atoms[0] = 1;
  atoms[N] = 1;
  atoms[2 * N] = 1;
  atoms[3 * N + 5] = 1;
  assert.ok(Math.abs(shiftMaxCoherence(atoms, 2, 2, N) - 0.5) < 1e-15);
});

test('shiftMaxCoherence equals a naive implementation on random atoms (1e-12)', () => {
  const rng = new Rng(3);
  for (const [C, cin, N] of [
    [3, 1, 17],
    [4, 2, 12],
    [2, 3, 9],
  ]) {
    const atoms = rng.fillNormal(new Float64Array(C * cin * N)) as Float64Array;
    const got = shiftMaxCoherence(atoms, C, cin, N);
    assert.ok(Math.abs(got - naiveShiftMax(atoms, C, cin, N)) < 1e-12, `C=${C} cin=${cin} N=${N}`);
  }
  assert.throws(() => shiftMaxCoherence(new Float64Array(10), 2, 1, 4), DataError);
});

test('drawWithinCoherence keeps the first acceptable draw, or reports the closest', () => {
  let k = 0;
  const values = [0.9, 0.8, 0.5, 0.4];
  const got = drawWithinCoherence(() => values[k++], (v) => v, (mu) => mu - 0.6, 10, 'test', 'coherence ≤ 0.6');
  assert.deepEqual(got, { value: 0.5, coherence: 0.5, draws: 3 });
  k = 0;
  assert.throws(
    () => drawWithinCoherence(() => values[k++], (v) => v, (mu) => mu - 0.3, 4, 'thing', 'coherence ≤ 0.3'),
    (e: unknown) => e instanceof CoherenceBoundError && e.reached === 0.4 && e.draws === 4 && /^thing: no draw met coherence ≤ 0\.3 in 4 draws \(closest coherence reached: 0\.4000\)/.test(e.message),
  );
});
