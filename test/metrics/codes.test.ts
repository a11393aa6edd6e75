import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsError } from '../../src/metrics/assignment.js';
import {
  circularDistance,
  detectSupport,
  fitOneSparseCalibration,
  oneSparseAccuracy,
  supportMetrics,
  supportMetricsEuclidean,
  type Occurrence,
} from '../../src/metrics/codes.js';

// Everything here is built by hand on sample grids: counts are exact integers and
// locations multiples of 1/N, so results are compared exactly or to 1e-12 (round-off of
// a few divisions), far below any off-by-one-sample or wrong-count error.

/** Codes `[count, C, N]` with the given entries `[signal, atom, index, value]`. */
function codesWith(count: number, C: number, N: number, entries: [number, number, number, number][]): Float64Array {
  const z = new Float64Array(count * C * N);
  for (const [s, j, n, v] of entries) z[(s * C + j) * N + n] = v;
  return z;
}

const close = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) < 1e-12, msg ?? `${a} vs ${b}`);

describe('detectSupport', () => {
  const N = 16;
  const codes = codesWith(1, 2, N, [
    [0, 0, 2, 1], [0, 0, 3, 3], [0, 0, 4, 1], // bump at 3
    [0, 0, 10, 2], [0, 0, 11, -0.5], // sign change stops the mass; |−0.5| is not above 0.5
    [0, 0, 15, 0.8], [0, 0, 0, 0.9], // peak at 0, neighbourhood wraps to 15
    [0, 1, 5, 2], [0, 1, 7, 1.5], // two peaks 2 samples apart
    [0, 1, 12, 1], [0, 1, 13, 1], // plateau: one detection at its first sample
  ]);

  it('finds local maxima above the threshold with their masses', () => {
    const d = detectSupport(codes, 1, 2, N, { threshold: 0.5, tolerance: 1 / N });
    assert.deepEqual(
      d.map((x) => [x.concept, x.index, x.value]),
      [[0, 3, 3], [0, 10, 2], [0, 0, 0.9], [1, 5, 2], [1, 7, 1.5], [1, 12, 1]],
    );
    const masses = [5, 2, 1.7, 2, 1.5, 2].map((m) => m / N);
    d.forEach((x, i) => close(x.mass, masses[i]!, `mass of detection ${i}: ${x.mass}`));
    d.forEach((x) => assert.equal(x.tau, x.index / N));
  });

  it('suppresses peaks within the tolerance of a larger one', () => {
    const d = detectSupport(codes, 1, 2, N, { threshold: 0.5, tolerance: 2 / N });
    assert.deepEqual(d.filter((x) => x.concept === 1).map((x) => x.index), [5, 12]);
    // 0 and 15 on atom 0 are one peak; 3 is 3 samples from 0, kept
    assert.deepEqual(d.filter((x) => x.concept === 0).map((x) => x.index), [3, 10, 0]);
    // the mass stops at the zero between 5 and 7 even though 7 is within the radius of 2 samples
    close(d.find((x) => x.concept === 1 && x.index === 5)!.mass, 2 / N);
  });

  it('rejects a wrong layout and non-finite codes', () => {
    assert.throws(() => detectSupport(codes, 1, 3, N, { threshold: 0, tolerance: 0 }), (e: unknown) => e instanceof MetricsError && /count·C·N/.test(e.message));
    const bad = codes.slice();
    bad[7] = NaN;
    assert.throws(() => detectSupport(bad, 1, 2, N, { threshold: 0, tolerance: 0 }), (e: unknown) => e instanceof MetricsError && /codes\[7\]/.test(e.message));
  });
});

describe('supportMetrics', () => {
  const N = 16;
  // concept 0 → atom 2 (codes peak one sample after τ), concept 1 → atom 0; atom 1 unmatched
  const match = [2, 0];
  const offsets = [1 / N, 0];
  const truth: Occurrence[] = [
    { signal: 0, concept: 0, tau: 4 / N, amp: 2 }, // TP: atom 2 at 5
    { signal: 0, concept: 1, tau: 10 / N, amp: 1 }, // FN: the peak at 12 is 2 samples off (and an FP)
    { signal: 0, concept: 1, tau: 0, amp: 1.5 }, // TP: atom 0 at 15, circular distance 1 sample
    { signal: 1, concept: 0, tau: 8 / N, amp: 1 }, // FN: its peaks are on atom 1 (unmatched) and atom 0 (concept 1's)
    { signal: 1, concept: 1, tau: 3 / N, amp: 2 }, // TP: atom 0 at 3
  ];
  const codes = codesWith(2, 3, N, [
    [0, 2, 5, 4.4],
    [0, 0, 12, -3],
    [0, 0, 15, -6],
    [1, 1, 9, 5],
    [1, 0, 9, 1],
    [1, 0, 3, -7],
  ]);
  const base = { count: 2, C: 3, N, match, offsets, tolerance: 1 / N, threshold: 0.1 };

  it('counts TP/FP/FN exactly with location tolerance and concept identity', () => {
    const r = supportMetrics(truth, codes, { ...base, convention: 'height', conceptNorms: [2, 4], sign: [1, -1] });
    assert.deepEqual([r.tp, r.fp, r.fn], [3, 3, 2]);
    close(r.precision, 0.5);
    close(r.recall, 0.6);
    close(r.f1, (2 * 0.5 * 0.6) / 1.1);
    // height: â = sign·value/norm → 4.4/2 = 2.2 (vs 2), 6/4 = 1.5 (vs 1.5), 7/4 = 1.75 (vs 2)
    close(r.amplitudeError, (0.1 + 0 + 0.125) / 3);
  });

  it('without the offsets, the concept-0 detection one sample late still counts, two samples late does not', () => {
    const r1 = supportMetrics(truth, codes, { ...base, offsets: undefined, convention: 'height', conceptNorms: [2, 4] });
    assert.equal(r1.tp, 3);
    const r2 = supportMetrics(truth, codes, { ...base, offsets: [-1 / N, 0], convention: 'height', conceptNorms: [2, 4] });
    assert.deepEqual([r2.tp, r2.fn], [2, 3]);
  });

  it('pairs one-to-one with maximal cardinality (Hungarian, not nearest-first)', () => {
    // truths at 4 and 6, detections at 5 and 7 (tolerance 1 sample): nearest-first could pair
    // 6↔5 and strand 4; the optimal pairing is 4↔5, 6↔7
    const occ: Occurrence[] = [
      { signal: 0, concept: 0, tau: 6 / N, amp: 1 },
      { signal: 0, concept: 0, tau: 4 / N, amp: 1 },
    ];
    const z = codesWith(1, 1, N, [[0, 0, 5, 1], [0, 0, 7, 1]]);
    const opts = { count: 1, C: 1, N, match: [0], tolerance: 1 / N, threshold: 0, convention: 'mass' as const };
    assert.equal(supportMetrics(occ, z, opts).tp, 2);
    // two truths next to a single detection: only one is found
    const one = supportMetrics(occ, codesWith(1, 1, N, [[0, 0, 5, 1]]), opts);
    assert.deepEqual([one.tp, one.fp, one.fn], [1, 0, 1]);
  });

  it('measures amplitude in mass units: (1/N)·Σ z over the peak', () => {
    const z = codesWith(1, 1, N, [[0, 0, 4, 8], [0, 0, 5, 16], [0, 0, 6, 8]]); // mass 32/16 = 2
    const opts = { count: 1, C: 1, N, match: [0], tolerance: 1 / N, threshold: 0, convention: 'mass' as const };
    close(supportMetrics([{ signal: 0, concept: 0, tau: 5 / N, amp: 2 }], z, opts).amplitudeError, 0);
    close(supportMetrics([{ signal: 0, concept: 0, tau: 5 / N, amp: 2.5 }], z, opts).amplitudeError, 0.2);
  });

  it('requires conceptNorms for the height convention', () => {
    assert.throws(() => supportMetrics(truth, codes, { ...base, convention: 'height' }), (e: unknown) => e instanceof MetricsError && /conceptNorms/.test(e.message));
  });
});

describe('supportMetricsEuclidean', () => {
  it('counts TP/FP/FN exactly and measures the amplitude error', () => {
    const trueCodes = Float64Array.of(1, 0, 2, -1); // [2, 2]
    const codes = Float64Array.of(0.5, 1.1, 0, 0, 0.05, -0.9); // [2, 3]
    // s0: atom 0 (unmatched) FP, atom 1 TP (1.1 vs 1); s1: atom 1 below threshold → FN, atom 2 TP (−0.9 vs −1)
    const r = supportMetricsEuclidean(trueCodes, codes, 2, 3, [1, 2], 0.1);
    assert.deepEqual([r.tp, r.fp, r.fn], [2, 1, 1]);
    close(r.precision, 2 / 3);
    close(r.recall, 2 / 3);
    close(r.amplitudeError, 0.1);
    // a sign-flipped matched atom flips the code: with sign −1 the second estimate is +0.9 vs −1
    close(supportMetricsEuclidean(trueCodes, codes, 2, 3, [1, 2], 0.1, [1, -1]).amplitudeError, (0.1 + 1.9) / 2);
  });
});

describe('oneSparseAccuracy', () => {
  const Nbase = 16;
  const N0 = 32;
  const count = 60;
  const match = [2, 0, 3]; // 3 concepts, 4 atoms; atom 1 unmatched
  const occ: Occurrence[] = Array.from({ length: count }, (_, s) => ({ signal: s, concept: s % 3, tau: ((s * 7) % Nbase) / Nbase, amp: 1 }));
  const wrong = new Set([5, 17]); // these signals peak on atom 1

  /** Codes at resolution N whose peak for concept c sits at τ + offset[c] (function units). */
  function build(N: number, offset: number[]): Float64Array {
    const z = new Float64Array(count * 4 * N);
    for (const o of occ) {
      const j = wrong.has(o.signal) ? 1 : match[o.concept]!;
      const n = Math.round((o.tau + offset[o.concept]!) * N);
      const row = (o.signal * 4 + j) * N;
      z[row + (((n % N) + N) % N)] = 2;
      z[row + (((n + 1) % N) + N) % N] = 1.2;
      z[row + (((n - 1) % N) + N) % N] = 1.2;
      z[(o.signal * 4 + ((j + 1) % 4)) * N + 3] = -0.5; // a smaller entry on another atom
    }
    return z;
  }

  const fnOffsets = [4 / 32, -3 / 32, 0];
  const calibration = fitOneSparseCalibration(occ, build(N0, fnOffsets), { count, C: 4, N: N0 });

  it('fits the matching by majority vote and the offsets in function units', () => {
    assert.deepEqual(calibration.match, match);
    calibration.offsets.forEach((o, c) => close(o, fnOffsets[c]!, `offset ${c}: ${o}`));
    assert.equal(calibration.resolution, N0);
  });

  it('keeps its accuracy at 2·N0 when the peaks move consistently in function units', () => {
    for (const N of [N0, 2 * N0]) {
      const r = oneSparseAccuracy(occ, build(N, fnOffsets), { count, C: 4, N, baseResolution: Nbase, fit: calibration });
      assert.equal(r.correct, count - wrong.size, `N = ${N}`);
      close(r.accuracy, (count - wrong.size) / count);
      close(r.identityAccuracy, (count - wrong.size) / count);
    }
  });

  it('drops at 2·N0 when the offsets stay fixed in samples (changing in function units)', () => {
    // offsets of 4 and −3 samples at 2·N0 are 2/32 and −1.5/32: off by more than 1/(2·16) = 1/32
    // for concepts 0 and 1; concept 2 (offset 0) stays right: 20 signals, minus the 2 wrong ones
    const codes = build(2 * N0, [4 / 64, -3 / 64, 0]);
    const fixed = oneSparseAccuracy(occ, codes, { count, C: 4, N: 2 * N0, baseResolution: Nbase, fit: calibration });
    assert.equal(fixed.correct, 18);
    close(fixed.identityAccuracy, 58 / 60);
    // the re-fitted variant recovers (it isolates concept identity)
    const refit = oneSparseAccuracy(occ, codes, { count, C: 4, N: 2 * N0, baseResolution: Nbase });
    assert.equal(refit.correct, 58);
    close(refit.calibration.offsets[0]!, 4 / 64);
  });

  it('matches concepts to atoms one-to-one by total votes, not per-concept argmax', () => {
    // votes: concept 0 → atom 0 ×6, atom 1 ×4; concept 1 → atom 0 ×5. Per-row argmax would give
    // both concepts atom 0; the optimal one-to-one matching is 0 → 1, 1 → 0 (9 votes vs 6)
    const N = 8;
    const atoms = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0];
    const occ15: Occurrence[] = atoms.map((_, s) => ({ signal: s, concept: s < 10 ? 0 : 1, tau: 0, amp: 1 }));
    const z = codesWith(15, 2, N, atoms.map((j, s) => [s, j, 0, 1] as [number, number, number, number]));
    const cal = fitOneSparseCalibration(occ15, z, { count: 15, C: 2, N });
    assert.deepEqual(cal.match, [1, 0]);
    assert.equal(oneSparseAccuracy(occ15, z, { count: 15, C: 2, N, baseResolution: N, fit: cal }).correct, 9);
  });

  it('accepts exactly half a base cell of location error despite round-off in τ + offset', () => {
    // base 10, N = 40: τ = 0.3, offset 0.2, peak at 22/40 = 0.55 is 0.05 = 1/(2·10) away, but
    // 0.55 − (0.3 + 0.2) evaluates to 0.050000000000000044 in float64
    const one: Occurrence[] = [{ signal: 0, concept: 0, tau: 0.3, amp: 1 }, { signal: 1, concept: 0, tau: 0.3, amp: 1 }];
    const z = codesWith(2, 1, 40, [[0, 0, 22, 1], [1, 0, 23, 1]]);
    const r = oneSparseAccuracy(one, z, { count: 2, C: 1, N: 40, baseResolution: 10, fit: { match: [0], offsets: [0.2], resolution: 20 } });
    assert.equal(r.correct, 1);
  });

  it('accepts exactly half a base cell of location error and no more', () => {
    const one: Occurrence[] = [{ signal: 0, concept: 0, tau: 0.25, amp: 1 }, { signal: 1, concept: 0, tau: 0.25, amp: 1 }];
    const N = 64; // 1/(2·16) = 2 samples
    const z = codesWith(2, 1, N, [[0, 0, 16 + 2, 1], [1, 0, 16 - 3, 1]]);
    const r = oneSparseAccuracy(one, z, { count: 2, C: 1, N, baseResolution: Nbase, fit: { match: [0], offsets: [0], resolution: 32 } });
    assert.equal(r.correct, 1);
    assert.equal(circularDistance(0.95, 0.05), circularDistance(0.05, 0.95));
    close(circularDistance(0.95, 0.05), 0.1);
  });

  it('rejects data that is not 1-sparse', () => {
    const two: Occurrence[] = [{ signal: 0, concept: 0, tau: 0, amp: 1 }, { signal: 0, concept: 1, tau: 0.5, amp: 1 }];
    const z = new Float64Array(2 * 2 * 8);
    assert.throws(() => oneSparseAccuracy(two, z, { count: 2, C: 2, N: 8, baseResolution: 8 }), (e: unknown) => e instanceof MetricsError && /signal 0 has more than one/.test(e.message));
    assert.throws(() => oneSparseAccuracy(two.slice(0, 1), z, { count: 2, C: 2, N: 8, baseResolution: 8 }), (e: unknown) => e instanceof MetricsError && /signal 1 has no occurrence/.test(e.message));
  });
});
