/**
 * Code recovery metrics (SPEC §5): peak detection on functional codes, support
 * precision/recall/F1 with a location tolerance and concept identity, amplitude error in
 * height (SAE-CNN) or mass (SAE-FNO) units, and the 1-sparse accuracy across resolutions.
 */
import type { Occurrence } from '../data/functional.js';
import { MetricsError, maxWeightAssignment, optimalAssignment } from './assignment.js';

/** A true occurrence `amp·φ_concept(s − tau)` in signal `signal`, `tau ∈ [0,1)` in function units (the data module's type). */
export type { Occurrence };

/** A peak found in functional codes `[count, C, N]`. */
export interface Detection {
  signal: number;
  /** learned atom index (code channel). */
  concept: number;
  /** sample index of the peak at the codes' resolution N. */
  index: number;
  /** `index/N`, function units. */
  tau: number;
  /** code value at the peak (height units). */
  value: number;
  /** `(1/N)·Σ z` over the peak's neighbourhood (mass units, signed); see {@link detectSupport}. */
  mass: number;
}

/** Precision/recall/F1 of a detected support against the truth, with the amplitude error of the true positives. */
export interface SupportMetrics {
  /** `tp/(tp+fp)`; 1 when nothing was detected. */
  precision: number;
  /** `tp/(tp+fn)`; 1 when there is nothing to find. */
  recall: number;
  /** harmonic mean of precision and recall (0 when both are 0). */
  f1: number;
  tp: number;
  fp: number;
  fn: number;
  /** mean over true positives of `|â − a|/|a|`; NaN when there is no true positive. */
  amplitudeError: number;
}

/**
 * Code units: `'height'` (SAE-CNN: amplitude a gives a peak ≈ a·‖φ_N‖₂ for a unit-norm
 * atom) or `'mass'` (SAE-FNO: amplitude a gives `(1/N)Σ z ≈ a` near τ).
 */
export type CodeConvention = 'height' | 'mass';

/** Options of {@link supportMetrics}. */
export interface SupportOptions {
  /** codes layout `[count, C, N]`. */
  count: number;
  C: number;
  N: number;
  /** `match[c]` = learned atom matched to true concept c, or −1 (e.g. `shiftInvariantDictionaryError(...).match`). */
  match: ArrayLike<number>;
  /** `offsets[c]`, function units: codes of atom `match[c]` peak at `tau + offsets[c]` (default 0). */
  offsets?: ArrayLike<number>;
  /** location tolerance, function units (circular distance). */
  tolerance: number;
  /** a code counts as active where `|z| > threshold`. */
  threshold: number;
  /** units of the codes for the amplitude error. */
  convention: CodeConvention;
  /** `'height'` only: `‖φ_c sampled at N‖₂` per true concept c (the code height of a unit amplitude). */
  conceptNorms?: ArrayLike<number>;
  /** `sign[c]` with `d̂_match[c] ≈ sign[c]·d_c` (default +1): flips the codes of sign-flipped atoms. */
  sign?: ArrayLike<number>;
}

/** Circular distance on the unit circle [0,1): `min_k |a − b + k|` (exact for |a − b| < 1/2: no wrap-around round-off). */
export function circularDistance(a: number, b: number): number {
  const d = a - b;
  return Math.abs(d - Math.round(d));
}

/** Absolute slack on location comparisons: grid points n/N compared in floating point. */
const LOCATION_EPS = 1e-9;

function checkLayout(fn: string, codes: ArrayLike<number>, count: number, C: number, N: number): void {
  for (const [k, v] of [['count', count], ['C', C], ['N', N]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new MetricsError(`${fn}: ${k} must be a positive integer, got ${v}`);
  }
  if (codes.length !== count * C * N) {
    throw new MetricsError(`${fn}: codes has length ${codes.length}, expected count·C·N = ${count}·${C}·${N} = ${count * C * N}`);
  }
}

function checkOccurrences(fn: string, occ: readonly Occurrence[], count: number): void {
  occ.forEach((o, i) => {
    if (!Number.isInteger(o.signal) || o.signal < 0 || o.signal >= count) {
      throw new MetricsError(`${fn}: trueOcc[${i}].signal = ${o.signal} is not in [0, ${count})`);
    }
    if (!Number.isInteger(o.concept) || o.concept < 0) throw new MetricsError(`${fn}: trueOcc[${i}].concept = ${o.concept} is not a non-negative integer`);
    if (!Number.isFinite(o.tau) || !Number.isFinite(o.amp)) throw new MetricsError(`${fn}: trueOcc[${i}] has tau = ${o.tau}, amp = ${o.amp}`);
  });
}

function nonFinite(fn: string, index: number, v: number): MetricsError {
  return new MetricsError(`${fn}: codes[${index}] is ${v}`);
}

/**
 * Peaks of functional codes: per (signal, atom), the local maxima of |z| (circular; on
 * a plateau the first sample) with `|z| > threshold`, kept greedily from the largest
 * down unless within `tolerance` of a kept peak (non-maximum suppression). The mass of
 * a peak sums z over its neighbourhood: the samples within `tolerance` of it that have
 * the peak's sign, stopping at the first zero or sign change, divided by N.
 * @param codes `[count, C, N]` row-major. @param opts.threshold height units. @param opts.tolerance function units.
 * @returns detections ordered by signal, atom, then decreasing |value|.
 */
export function detectSupport(
  codes: ArrayLike<number>,
  count: number,
  C: number,
  N: number,
  opts: { threshold: number; tolerance: number },
): Detection[] {
  const fn = 'detectSupport';
  checkLayout(fn, codes, count, C, N);
  const { threshold, tolerance } = opts;
  if (!(threshold >= 0) || !(tolerance >= 0)) throw new MetricsError(`${fn}: threshold and tolerance must be ≥ 0, got ${threshold} and ${tolerance}`);
  const radius = Math.min(Math.floor(tolerance * N + LOCATION_EPS), Math.floor((N - 1) / 2));
  const out: Detection[] = [];
  const cand: number[] = [];
  const kept: number[] = [];
  for (let row = 0; row < count * C; row++) {
    const o = row * N;
    cand.length = 0;
    for (let n = 0; n < N; n++) {
      const v = codes[o + n]!;
      if (!Number.isFinite(v)) throw nonFinite(fn, o + n, v);
      const a = Math.abs(v);
      if (a <= threshold) continue;
      if (N === 1 || (a > Math.abs(codes[o + ((n + N - 1) % N)]!) && a >= Math.abs(codes[o + ((n + 1) % N)]!))) cand.push(n);
    }
    cand.sort((x, y) => Math.abs(codes[o + y]!) - Math.abs(codes[o + x]!) || x - y);
    kept.length = 0;
    for (const n of cand) {
      if (kept.some((k) => circularDistance(n / N, k / N) <= tolerance + LOCATION_EPS)) continue;
      kept.push(n);
      const value = codes[o + n]!;
      out.push({ signal: Math.floor(row / C), concept: row % C, index: n, tau: n / N, value, mass: peakMass(codes, o, N, n, radius) / N });
    }
  }
  return out;
}

/** Σ z over the samples within `radius` of peak n with the peak's sign, stopping at a zero or sign change. */
function peakMass(codes: ArrayLike<number>, o: number, N: number, n: number, radius: number): number {
  const peak = codes[o + n]!;
  let sum = peak;
  for (const step of [-1, 1]) {
    for (let r = 1; r <= radius; r++) {
      const v = codes[o + ((n + step * r + N) % N)]!;
      if (v * peak <= 0) break;
      sum += v;
    }
  }
  return sum;
}

/** Groups items by an integer key. */
function groupBy<T>(items: readonly T[], key: (t: T) => number): Map<number, T[]> {
  const m = new Map<number, T[]>();
  for (const t of items) {
    const k = key(t);
    const g = m.get(k);
    if (g) g.push(t);
    else m.set(k, [t]);
  }
  return m;
}

/**
 * One-to-one pairing of truth locations and detections within `tolerance` (circular):
 * Hungarian on the distances, with a cost above any feasible total for out-of-tolerance
 * pairs, so the number of pairs is maximal and, among those, the total distance minimal.
 * @returns pairs `[truthIndex, detectionIndex]` within tolerance.
 */
function pairWithinTolerance(targets: readonly number[], found: readonly number[], tolerance: number): [number, number][] {
  const big = 1 + Math.min(targets.length, found.length);
  const cost = targets.map((t) =>
    found.map((f) => {
      const d = circularDistance(t, f);
      return d <= tolerance + LOCATION_EPS ? d : big;
    }),
  );
  const pairs: [number, number][] = [];
  optimalAssignment(cost).forEach((j, i) => {
    if (j >= 0 && cost[i]![j]! < big) pairs.push([i, j]);
  });
  return pairs;
}

function ratios(tp: number, fp: number, fn: number, ampErrSum: number): SupportMetrics {
  const precision = tp + fp > 0 ? tp / (tp + fp) : 1;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 1;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, tp, fp, fn, amplitudeError: tp > 0 ? ampErrSum / tp : NaN };
}

function checkMatch(fn: string, match: ArrayLike<number>, C: number): void {
  for (let c = 0; c < match.length; c++) {
    const j = match[c]!;
    if (!Number.isInteger(j) || j < -1 || j >= C) throw new MetricsError(`${fn}: match[${c}] = ${j} is not −1 or an atom index in [0, ${C})`);
  }
}

/**
 * Support precision/recall/F1 of functional codes (SPEC §5). Detections come from
 * {@link detectSupport} (`threshold`, `tolerance`). A true occurrence `(s, c, τ, a)` is
 * found by a detection in signal s on atom `match[c]` within `tolerance` of
 * `τ + offsets[c]`; truths and detections are paired one-to-one (Hungarian, see
 * `pairWithinTolerance`). Every other detection, including those on atoms matched to
 * no concept, is a false positive. Amplitude estimates of the pairs: height
 * `â = sign[c]·value/conceptNorms[c]`; mass `â = sign[c]·mass`.
 * @param trueOcc occurrences with `concept < match.length`. @param codes `[count, C, N]` row-major.
 */
export function supportMetrics(trueOcc: readonly Occurrence[], codes: ArrayLike<number>, opts: SupportOptions): SupportMetrics {
  const fn = 'supportMetrics';
  const { count, C, N, match, tolerance, convention } = opts;
  checkLayout(fn, codes, count, C, N);
  checkOccurrences(fn, trueOcc, count);
  checkMatch(fn, match, C);
  const Ct = match.length;
  for (const [k, arr] of [['offsets', opts.offsets], ['sign', opts.sign], ['conceptNorms', opts.conceptNorms]] as const) {
    if (arr && arr.length !== Ct) throw new MetricsError(`${fn}: ${k} has length ${arr.length}, expected match.length = ${Ct}`);
  }
  if (convention === 'height' && !opts.conceptNorms) throw new MetricsError(`${fn}: convention 'height' needs conceptNorms`);
  const bad = trueOcc.findIndex((o) => o.concept >= Ct);
  if (bad >= 0) throw new MetricsError(`${fn}: trueOcc[${bad}].concept = ${trueOcc[bad]!.concept} but match has ${Ct} concepts`);

  const detections = detectSupport(codes, count, C, N, { threshold: opts.threshold, tolerance });
  const bySignalAtom = groupBy(detections, (d) => d.signal * C + d.concept);
  const bySignalConcept = groupBy(trueOcc, (o) => o.signal * Ct + o.concept);
  let tp = 0;
  let ampErr = 0;
  for (const [key, truths] of bySignalConcept) {
    const c = key % Ct;
    const j = match[c]!;
    if (j < 0) continue;
    const found = bySignalAtom.get(Math.floor(key / Ct) * C + j) ?? [];
    const shift = opts.offsets ? opts.offsets[c]! : 0;
    const s = opts.sign ? opts.sign[c]! : 1;
    const pairs = pairWithinTolerance(
      truths.map((t) => t.tau + shift),
      found.map((d) => d.tau),
      tolerance,
    );
    for (const [ti, di] of pairs) {
      const d = found[di]!;
      const a = truths[ti]!.amp;
      const est = convention === 'height' ? (s * d.value) / opts.conceptNorms![c]! : s * d.mass;
      ampErr += Math.abs(est - a) / Math.abs(a);
    }
    tp += pairs.length;
  }
  return ratios(tp, detections.length - tp, trueOcc.length - tp, ampErr);
}

/**
 * Support precision/recall/F1 of Euclidean codes: the truth is active at (s, c) where
 * `trueCodes ≠ 0`; it is found when `|codes[s, match[c]]| > threshold`. Other active
 * learned entries are false positives. Amplitude error `|sign[c]·ẑ − z*|/|z*|` over true
 * positives (atoms unit-norm, so codes are amplitudes).
 * @param trueCodes `[count, p_true]` with `p_true = match.length`. @param codes `[count, p]`.
 */
export function supportMetricsEuclidean(
  trueCodes: ArrayLike<number>,
  codes: ArrayLike<number>,
  count: number,
  p: number,
  match: ArrayLike<number>,
  threshold = 0,
  sign?: ArrayLike<number>,
): SupportMetrics {
  const fn = 'supportMetricsEuclidean';
  checkLayout(fn, codes, count, p, 1);
  const pt = match.length;
  checkMatch(fn, match, p);
  if (trueCodes.length !== count * pt) throw new MetricsError(`${fn}: trueCodes has length ${trueCodes.length}, expected count·match.length = ${count * pt}`);
  if (sign && sign.length !== pt) throw new MetricsError(`${fn}: sign has length ${sign.length}, expected ${pt}`);
  let tp = 0;
  let active = 0;
  let detected = 0;
  let ampErr = 0;
  for (let s = 0; s < count; s++) {
    for (let j = 0; j < p; j++) {
      const v = codes[s * p + j]!;
      if (!Number.isFinite(v)) throw nonFinite(fn, s * p + j, v);
      if (Math.abs(v) > threshold) detected++;
    }
    for (let c = 0; c < pt; c++) {
      const a = trueCodes[s * pt + c]!;
      if (!Number.isFinite(a)) throw new MetricsError(`${fn}: trueCodes[${s * pt + c}] is ${a}`);
      if (a === 0) continue;
      active++;
      const j = match[c]!;
      if (j < 0) continue;
      const v = codes[s * p + j]!;
      if (Math.abs(v) <= threshold) continue;
      tp++;
      ampErr += Math.abs((sign ? sign[c]! : 1) * v - a) / Math.abs(a);
    }
  }
  return ratios(tp, detected - tp, active - tp, ampErr);
}

/**
 * A fixed read-out for 1-sparse codes, fitted once (at the training resolution) and
 * reused at every N. Offsets are in function units, so they transfer across N.
 */
export interface OneSparseCalibration {
  /** `match[c]` = learned atom for true concept c. */
  match: number[];
  /** `offsets[c]`, function units: codes of concept c peak at `τ + offsets[c]`. */
  offsets: number[];
  /** resolution N the calibration was fitted at. */
  resolution: number;
}

/** Codes layout `[count, C, N]` and, optionally, the number of true concepts (default: max concept + 1). */
export interface OneSparseLayout {
  count: number;
  C: number;
  N: number;
  concepts?: number;
}

/** Result of {@link oneSparseAccuracy}. */
export interface OneSparseResult {
  /** fraction of signals whose argmax is on the matched atom and within `1/(2·baseResolution)` of `τ + offset`. */
  accuracy: number;
  /** fraction of signals whose argmax is on the matched atom (concept identity only). */
  identityAccuracy: number;
  correct: number;
  total: number;
  /** the calibration that was applied (the given one, or the one re-fitted on these codes). */
  calibration: OneSparseCalibration;
}

/** Per signal: its single occurrence, and the atom and sample index of its largest |code| (−1 if all zero). */
function oneSparseReadout(fn: string, trueOcc: readonly Occurrence[], codes: ArrayLike<number>, layout: OneSparseLayout) {
  const { count, C, N } = layout;
  checkLayout(fn, codes, count, C, N);
  checkOccurrences(fn, trueOcc, count);
  const occ: (Occurrence | undefined)[] = new Array(count);
  for (const o of trueOcc) {
    if (occ[o.signal]) throw new MetricsError(`${fn}: signal ${o.signal} has more than one occurrence (not 1-sparse)`);
    occ[o.signal] = o;
  }
  const missing = occ.findIndex((o) => o === undefined);
  if (trueOcc.length !== count || missing >= 0) throw new MetricsError(`${fn}: signal ${missing} has no occurrence (not 1-sparse)`);
  const atom = new Int32Array(count).fill(-1);
  const index = new Int32Array(count);
  const per = C * N;
  for (let s = 0; s < count; s++) {
    let best = 0;
    for (let i = 0; i < per; i++) {
      const v = codes[s * per + i]!;
      if (!Number.isFinite(v)) throw nonFinite(fn, s * per + i, v);
      const a = Math.abs(v);
      if (a > best) {
        best = a;
        atom[s] = Math.floor(i / N);
        index[s] = i % N;
      }
    }
  }
  const concepts = layout.concepts ?? trueOcc.reduce((m, o) => Math.max(m, o.concept + 1), 0);
  const bad = trueOcc.findIndex((o) => o.concept >= concepts);
  if (bad >= 0) throw new MetricsError(`${fn}: trueOcc[${bad}].concept = ${trueOcc[bad]!.concept} ≥ concepts = ${concepts}`);
  return { occ: occ as Occurrence[], atom, index, concepts };
}

/** Signed circular difference `a − b` wrapped to [−1/2, 1/2]. */
function wrapDiff(a: number, b: number): number {
  const d = a - b;
  return d - Math.round(d);
}

/** Robust circular centre of differences in [−1/2, 1/2]: the median around the circular mean. */
function circularMedian(d: number[]): number {
  if (d.length === 0) return 0;
  let sx = 0;
  let sy = 0;
  for (const v of d) {
    sx += Math.cos(2 * Math.PI * v);
    sy += Math.sin(2 * Math.PI * v);
  }
  const mean = Math.atan2(sy, sx) / (2 * Math.PI);
  const r = d.map((v) => wrapDiff(v, mean)).sort((a, b) => a - b);
  const h = r.length >> 1;
  const med = r.length % 2 ? r[h]! : (r[h - 1]! + r[h]!) / 2;
  return wrapDiff(mean + med, 0);
}

/**
 * Fits the 1-sparse read-out on one set of codes (resolution N0): the concept → atom
 * matching by majority vote of the argmax atoms, one-to-one (Hungarian maximising the
 * confusion counts), then per concept the offset = circular median of `n̂/N − τ` over
 * its signals whose argmax is on the matched atom (0 if none).
 * @param trueOcc exactly one occurrence per signal. @param codes `[count, C, N]`; argmax of |z|.
 */
export function fitOneSparseCalibration(trueOcc: readonly Occurrence[], codes: ArrayLike<number>, layout: OneSparseLayout): OneSparseCalibration {
  const { occ, atom, index, concepts } = oneSparseReadout('fitOneSparseCalibration', trueOcc, codes, layout);
  const { C, N } = layout;
  const confusion = Array.from({ length: concepts }, () => new Array<number>(C).fill(0));
  occ.forEach((o, s) => {
    if (atom[s]! >= 0) confusion[o.concept]![atom[s]!]!++;
  });
  const match = maxWeightAssignment(confusion);
  const diffs: number[][] = Array.from({ length: concepts }, () => []);
  occ.forEach((o, s) => {
    if (atom[s]! >= 0 && atom[s] === match[o.concept]) diffs[o.concept]!.push(wrapDiff(index[s]! / N, o.tau));
  });
  return { match, offsets: diffs.map(circularMedian), resolution: N };
}

/**
 * 1-sparse accuracy (SPEC §5): per signal, the largest |code| entry (atom ĉ, index n̂)
 * is right when ĉ = `match[c]` for the true concept c and the circular distance between
 * `n̂/N` and `τ + offsets[c]` is ≤ `1/(2·baseResolution)` (+1e-9 for round-off).
 * With `fit` (a calibration from {@link fitOneSparseCalibration} at the training
 * resolution N0) this is the generalisation metric at this N; without it the
 * calibration is re-fitted on these codes (isolates concept identity per resolution).
 * @param trueOcc exactly one occurrence per signal. @param codes `[count, C, N]` row-major.
 */
export function oneSparseAccuracy(
  trueOcc: readonly Occurrence[],
  codes: ArrayLike<number>,
  opts: OneSparseLayout & { baseResolution: number; fit?: OneSparseCalibration },
): OneSparseResult {
  const fn = 'oneSparseAccuracy';
  if (!(opts.baseResolution > 0)) throw new MetricsError(`${fn}: baseResolution must be > 0, got ${opts.baseResolution}`);
  const calibration = opts.fit ?? fitOneSparseCalibration(trueOcc, codes, opts);
  const { match, offsets } = calibration;
  const layout = { ...opts, concepts: opts.concepts ?? match.length };
  if (layout.concepts !== match.length || offsets.length !== match.length) {
    throw new MetricsError(`${fn}: calibration has ${match.length} matches and ${offsets.length} offsets for ${layout.concepts} concepts`);
  }
  const { occ, atom, index } = oneSparseReadout(fn, trueOcc, codes, layout);
  const halfCell = 1 / (2 * opts.baseResolution) + LOCATION_EPS;
  let identity = 0;
  let correct = 0;
  occ.forEach((o, s) => {
    if (atom[s]! < 0 || atom[s] !== match[o.concept]) return;
    identity++;
    if (circularDistance(index[s]! / opts.N, o.tau + offsets[o.concept]!) <= halfCell) correct++;
  });
  return { accuracy: correct / opts.count, identityAccuracy: identity / opts.count, correct, total: opts.count, calibration };
}
