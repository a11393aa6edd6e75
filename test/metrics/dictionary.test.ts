import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { MetricsError } from '../../src/metrics/assignment.js';
import {
  dictionaryError,
  mutualCoherence,
  resampleFourier,
  resampleNearest,
  shiftInvariantDictionaryError,
} from '../../src/metrics/dictionary.js';

// Exact copies (permuted, sign-flipped, circularly shifted) differ from the truth only by
// float64 round-off of the normalisation, ~1e-16 per entry, so 1e-12 is a safe bound that
// any wrong match, sign or shift (errors of order 0.1–1) cannot meet.
const EXACT = 1e-12;

/** A random real trigonometric polynomial with modes 0..K, as coefficient arrays. */
function randomBandLimited(rng: Rng, K: number): { a: number[]; b: number[] } {
  return { a: Array.from({ length: K + 1 }, () => rng.normal()), b: Array.from({ length: K + 1 }, (_, k) => (k === 0 ? 0 : rng.normal())) };
}

/** Samples `f(n/N − delay)` for n = 0..N−1 (delay in function units). */
function sample(f: { a: number[]; b: number[] }, N: number, delay = 0): Float64Array {
  const out = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const s = n / N - delay;
    let v = 0;
    for (let k = 0; k < f.a.length; k++) v += f.a[k]! * Math.cos(2 * Math.PI * k * s) + f.b[k]! * Math.sin(2 * Math.PI * k * s);
    out[n] = v;
  }
  return out;
}

/** Multi-channel atom `[channels, N]` from per-channel functions, all delayed together. */
function sampleChannels(fs: { a: number[]; b: number[] }[], N: number, delay = 0): Float64Array {
  const out = new Float64Array(fs.length * N);
  fs.forEach((f, c) => out.set(sample(f, N, delay), c * N));
  return out;
}

function orthonormal(rng: Rng, m: number, count: number): Float64Array[] {
  const q: Float64Array[] = [];
  while (q.length < count) {
    const v = new Float64Array(m);
    rng.fillNormal(v);
    for (const u of q) {
      let d = 0;
      for (let i = 0; i < m; i++) d += u[i]! * v[i]!;
      for (let i = 0; i < m; i++) v[i]! -= d * u[i]!;
    }
    const nrm = Math.hypot(...v);
    q.push(v.map((x) => x / nrm));
  }
  return q;
}

function scaled(v: ArrayLike<number>, s: number): Float64Array {
  return Float64Array.from(v, (x) => s * x);
}

describe('dictionaryError (Euclidean)', () => {
  it('is 0 for a permuted, sign-flipped, rescaled copy, with the right match and signs', () => {
    const rng = new Rng(2);
    const truth = Array.from({ length: 6 }, () => rng.fillNormal(new Float64Array(20)));
    const perm = [3, 0, 5, 1, 4, 2]; // learned[perm[i]] = ±truth[i]
    const signs = [1, -1, -1, 1, 1, -1];
    const learned: Float64Array[] = new Array(6);
    perm.forEach((j, i) => (learned[j] = scaled(truth[i]!, signs[i]! * (1 + i))));
    const r = dictionaryError(truth, learned);
    assert.ok(r.max <= EXACT, `max ${r.max}`);
    assert.ok(r.mean <= EXACT);
    assert.deepEqual(r.match, perm);
    assert.deepEqual(r.sign, signs);
  });

  it('equals sin θ for atoms rotated by a known angle (extra learned atoms ignored)', () => {
    const rng = new Rng(3);
    const q = orthonormal(rng, 20, 12);
    const theta = [0.05, 0.3, 0.7, 1.2, 1.5];
    const truth = theta.map((_, i) => q[i]!);
    const learned: Float64Array[] = theta.map((t, i) => q[i]!.map((u, n) => Math.cos(t) * u + Math.sin(t) * q[5 + i]![n]!));
    learned.push(q[10]!, q[11]!); // orthogonal to every true atom
    const r = dictionaryError(truth, learned);
    assert.deepEqual(r.match, [0, 1, 2, 3, 4]);
    // cross inner products are exactly 0 in exact arithmetic, ~1e-16 here: closed form to 1e-12
    theta.forEach((t, i) => assert.ok(Math.abs(r.perAtom[i]! - Math.sin(t)) < 1e-12, `atom ${i}: ${r.perAtom[i]} vs ${Math.sin(t)}`));
    assert.ok(Math.abs(r.max - Math.sin(1.5)) < 1e-12);
    assert.ok(Math.abs(r.mean - theta.reduce((s, t) => s + Math.sin(t), 0) / 5) < 1e-12);
  });

  it('uses the optimal (Hungarian) matching where greedy matching is worse', () => {
    // similarities [[0.6, 0.55], [0.58, 0.1]]: greedy takes 0.6 then 0.1, Hungarian 0.55 + 0.58
    const e = (k: number) => Float64Array.from({ length: 4 }, (_, i) => (i === k ? 1 : 0));
    const truth = [e(0), e(1)];
    const learned = [
      Float64Array.of(0.6, 0.58, Math.sqrt(1 - 0.36 - 0.58 ** 2), 0),
      Float64Array.of(0.55, 0.1, 0, Math.sqrt(1 - 0.55 ** 2 - 0.01)),
    ];
    const r = dictionaryError(truth, learned);
    assert.deepEqual(r.match, [1, 0]);
    const err = (g: number) => Math.sqrt(1 - g * g);
    const hungarianMean = (err(0.55) + err(0.58)) / 2;
    const greedyMean = (err(0.6) + err(0.1)) / 2;
    assert.ok(Math.abs(r.mean - hungarianMean) < 1e-12);
    assert.ok(r.mean < greedyMean - 0.05, `Hungarian ${r.mean} vs greedy ${greedyMean}`);
  });

  it('gives error 1 to true atoms left unmatched when there are fewer learned atoms', () => {
    const q = orthonormal(new Rng(4), 6, 3);
    const r = dictionaryError(q, [q[1]!]);
    assert.deepEqual(r.match, [-1, 0, -1]);
    assert.deepEqual(r.perAtom, [1, r.perAtom[1], 1]);
    assert.ok(r.perAtom[1]! <= EXACT);
    assert.deepEqual(r.sign, [0, 1, 0]);
  });

  it('rejects bad input with a MetricsError naming the field', () => {
    const a = [Float64Array.of(1, 0, 0)];
    assert.throws(() => dictionaryError(a, [Float64Array.of(1, 0)]), (e: unknown) => e instanceof MetricsError && /learned\[0\]/.test(e.message));
    assert.throws(() => dictionaryError(a, [Float64Array.of(1, NaN, 0)]), (e: unknown) => e instanceof MetricsError && /learned\[0\]\[1\]/.test(e.message));
    assert.throws(() => dictionaryError([new Float64Array(3)], a), (e: unknown) => e instanceof MetricsError && /zero atom/.test(e.message));
  });
});

/** Naive reference: max |Σ_c Σ_n a[c,n] b[c,(n−k) mod N]| over k, with modulo indexing. */
function naiveShiftSim(a: Float64Array, b: Float64Array, channels: number, N: number): number {
  const na = Math.hypot(...a);
  const nb = Math.hypot(...b);
  let best = 0;
  for (let k = 0; k < N; k++) {
    let s = 0;
    for (let c = 0; c < channels; c++) for (let n = 0; n < N; n++) s += a[c * N + n]! * b[c * N + ((n - k + N) % N)]!;
    best = Math.max(best, Math.abs(s) / (na * nb));
  }
  return best;
}

describe('shiftInvariantDictionaryError', () => {
  it('is 0 for permuted, sign-flipped, circularly shifted copies and reports the shifts', () => {
    const rng = new Rng(5);
    for (const channels of [1, 2]) {
      const N = 64;
      const fs = Array.from({ length: 4 }, () => Array.from({ length: channels }, () => randomBandLimited(rng, 12)));
      const truth = fs.map((f) => sampleChannels(f, N));
      const perm = [2, 3, 0, 1];
      const signs = [-1, 1, 1, -1];
      const delays = [5, -7, 0, 32]; // samples; the learned atom is the true one delayed
      const learned: Float64Array[] = new Array(4);
      perm.forEach((j, i) => (learned[j] = scaled(sampleChannels(fs[i]!, N, delays[i]! / N), signs[i]!)));
      const r = shiftInvariantDictionaryError(truth, learned, { channels });
      assert.ok(r.max <= EXACT, `channels ${channels}: max ${r.max}`);
      assert.deepEqual(r.match, perm);
      assert.deepEqual(r.sign, signs);
      // the learned atom delayed by shift matches: shift = −delay, wrapped to (−N/2, N/2]
      assert.deepEqual(r.shift, [-5, 7, 0, 32]);
      assert.deepEqual(r.offset, r.shift.map((k) => k / N));
      assert.equal(r.resolution, N);
    }
  });

  it('is 0 for band-limited atoms sampled at 2N (and at a non-multiple resolution)', () => {
    const rng = new Rng(6);
    const fs = Array.from({ length: 3 }, () => [randomBandLimited(rng, 10), randomBandLimited(rng, 10)]);
    const truth = fs.map((f) => sampleChannels(f, 48));
    for (const Nl of [96, 64]) {
      const learned = fs.map((f, i) => sampleChannels(f, Nl, (3 * i) / 48));
      const r = shiftInvariantDictionaryError(truth, learned, { channels: 2 });
      assert.equal(r.resolution, Nl);
      assert.ok(r.max <= EXACT, `N_l = ${Nl}: max ${r.max}`);
      // delays are 3i/48 in function units; at the common resolution the shift is −delay·N
      assert.deepEqual(r.offset.map((o) => Math.round(o * 48)), [0, -3, -6]);
      // the same comparison forced to the coarse grid (learned downsampled) is exact as well
      const coarse = shiftInvariantDictionaryError(truth, learned, { channels: 2, resolution: 48 });
      assert.ok(coarse.max <= EXACT, `resolution 48 from ${Nl}: ${coarse.max}`);
    }
  });

  it('shifts all channels together: channels shifted by different amounts leave an error', () => {
    const rng = new Rng(7);
    const N = 32;
    const f = [randomBandLimited(rng, 8), randomBandLimited(rng, 8)];
    const truth = [sampleChannels(f, N)];
    const learned = new Float64Array(2 * N);
    learned.set(sample(f[0]!, N, 3 / N), 0);
    learned.set(sample(f[1]!, N, 9 / N), N);
    const r = shiftInvariantDictionaryError(truth, [learned], { channels: 2 });
    const g = naiveShiftSim(truth[0]!, learned, 2, N);
    assert.ok(Math.abs(r.perAtom[0]! - Math.sqrt(1 - g * g)) < 1e-12);
    assert.ok(r.perAtom[0]! > 0.05, `inconsistent channel shifts must not look recovered: ${r.perAtom[0]}`);
  });

  it('agrees with a naive all-shifts, all-permutations reference on random atoms', () => {
    const rng = new Rng(8);
    const N = 12;
    const channels = 2;
    const truth = Array.from({ length: 3 }, () => rng.fillNormal(new Float64Array(channels * N)) as Float64Array);
    const learned = Array.from({ length: 4 }, () => rng.fillNormal(new Float64Array(channels * N)) as Float64Array);
    const sim = truth.map((t) => learned.map((l) => naiveShiftSim(t, l, channels, N)));
    let best = -1;
    let bestPerm: number[] = [];
    for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) for (let c = 0; c < 4; c++) {
      if (a === b || b === c || a === c) continue;
      const s = sim[0]![a]! + sim[1]![b]! + sim[2]![c]!;
      if (s > best) [best, bestPerm] = [s, [a, b, c]];
    }
    const r = shiftInvariantDictionaryError(truth, learned, { channels });
    assert.deepEqual(r.match, bestPerm);
    // random atoms: g well away from 1, so sqrt(1 − g²) loses no precision; round-off ~1e-15
    bestPerm.forEach((j, i) => assert.ok(Math.abs(r.perAtom[i]! - Math.sqrt(1 - sim[i]![j]! ** 2)) < 1e-12));
  });

  it('offset is where circular-convolution codes peak: τ + offset', () => {
    // decoder (Dz)[n] = Σ_j d[j]·z[(n−j) mod N] places the atom's origin at the code location, so
    // the adjoint Dᵀx[n] = Σ_j d[j]·x[(n+j) mod N] peaks there; the learned atom is φ delayed by 6
    const rng = new Rng(12);
    const N = 64;
    const phi = randomBandLimited(rng, 8);
    const d = sample(phi, N, 6 / N);
    const { offset } = shiftInvariantDictionaryError([sample(phi, N)], [d]);
    for (const tau of [0, 10 / N, 60 / N]) {
      const x = sample(phi, N, tau);
      const z = Array.from({ length: N }, (_, n) => d.reduce((s, dj, j) => s + dj * x[(n + j) % N]!, 0));
      const peak = z.indexOf(Math.max(...z));
      assert.equal(peak, Math.round(((tau + offset[0]! + 1) % 1) * N), `tau = ${tau}`);
    }
  });

  it('rejects lengths that are not a multiple of channels', () => {
    assert.throws(
      () => shiftInvariantDictionaryError([new Float64Array(7).fill(1)], [new Float64Array(8).fill(1)], { channels: 2 }),
      (e: unknown) => e instanceof MetricsError && /truth\[0\] has length 7/.test(e.message),
    );
  });
});

describe('resampling', () => {
  it('resampleFourier is exact for band-limited functions: up, down, odd N, non-multiples', () => {
    const rng = new Rng(9);
    for (const [from, to, K] of [[45, 90, 20], [32, 96, 15], [40, 64, 19], [128, 64, 31], [64, 45, 22], [30, 30, 14]] as const) {
      const f = [randomBandLimited(rng, K), randomBandLimited(rng, K)];
      const y = resampleFourier(sampleChannels(f, from), from, to);
      const want = sampleChannels(f, to);
      const err = Math.max(...y.map((v, i) => Math.abs(v - want[i]!)));
      // direct DFT sums of ~100 terms of size ~5: round-off ~1e-13
      assert.ok(err < 1e-11, `${from} → ${to}: ${err}`);
    }
  });

  it('resampleFourier keeps the source Nyquist mode as a cosine when upsampling', () => {
    const N = 16;
    const x = Float64Array.from({ length: N }, (_, n) => (n % 2 ? -1 : 1)); // cos(2π·8·s) at n/16
    const y = resampleFourier(x, N, 32);
    y.forEach((v, n) => assert.ok(Math.abs(v - Math.cos((2 * Math.PI * 8 * n) / 32)) < 1e-12, `n = ${n}: ${v}`));
  });

  it('resampleFourier keeps the target Nyquist mode when downsampling', () => {
    // modes |k| ≤ toN/2 are kept, so a function whose top mode is exactly 32 = 64/2 is
    // downsampled from 128 to 64 exactly: cos(2π·32·n/64 + 0.7) = cos(0.7)·(−1)^n
    const f = (s: number) => Math.cos(2 * Math.PI * 32 * s + 0.7) + Math.sin(2 * Math.PI * 5 * s);
    const x = Float64Array.from({ length: 128 }, (_, n) => f(n / 128));
    const y = resampleFourier(x, 128, 64);
    y.forEach((v, n) => assert.ok(Math.abs(v - f(n / 64)) < 1e-12, `n = ${n}: ${v} vs ${f(n / 64)}`));
  });

  it('resampleNearest is exact for functions constant on the source cells', () => {
    const base = [0.3, -1, 2, 0.5, 0, 1.5, -0.7, 1]; // cells of width 1/8
    const at = (N: number) => Float64Array.from({ length: N }, (_, n) => base[Math.floor((n * 8) / N)]!);
    assert.deepEqual(resampleNearest(at(16), 16, 48), at(48));
    assert.deepEqual(resampleNearest(at(48), 48, 24), at(24));
  });
});

describe('mutualCoherence', () => {
  it('is 0 for an orthonormal basis and |cos θ| for two atoms at angle θ', () => {
    const q = orthonormal(new Rng(10), 8, 8);
    const r = mutualCoherence(q);
    assert.ok(r.max < 1e-12 && r.meanOffDiagonal < 1e-12, `max ${r.max}`);
    for (let i = 0; i < 8; i++) assert.ok(Math.abs(r.gram[i * 9]! - 1) < 1e-12);
    const t = 0.4;
    const two = mutualCoherence([q[0]!, scaled(q[0]!.map((u, n) => Math.cos(t) * u - Math.sin(t) * q[1]![n]!), 5)]);
    assert.ok(Math.abs(two.max - Math.cos(t)) < 1e-12);
    assert.ok(Math.abs(two.meanOffDiagonal - Math.cos(t)) < 1e-12);
  });

  it('is 1 for two shifted copies of one function with shift-invariance, < 1 without', () => {
    const f = randomBandLimited(new Rng(11), 10);
    const atoms = [sample(f, 64), sample(f, 64, 13 / 64)];
    const si = mutualCoherence(atoms, { shiftInvariant: true });
    assert.ok(Math.abs(si.max - 1) < 1e-12, `shift-invariant ${si.max}`);
    const plain = mutualCoherence(atoms);
    const direct = atoms[0]!.reduce((s, v, n) => s + v * atoms[1]![n]!, 0) / (Math.hypot(...atoms[0]!) * Math.hypot(...atoms[1]!));
    assert.ok(Math.abs(plain.max - Math.abs(direct)) < 1e-12);
    assert.ok(plain.max < 0.99, `plain ${plain.max}`);
  });
});
