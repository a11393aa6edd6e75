/**
 * Dictionary recovery metrics (SPEC §5): Hungarian-matched, sign-invariant dictionary
 * error, its shift-invariant functional version at a common resolution, and mutual
 * coherence. Correlations over all shifts use the core real FFT (O(c_in·N log N) per pair);
 * the inner product at the chosen shift is then re-evaluated directly, so exact copies
 * score exactly.
 */
import { getRealFFTPlan } from '../core/kernels/fft.js';
import { ShiftCorrelator, shiftedDot } from '../core/kernels/shift-correlation.js';
import { MetricsError, maxWeightAssignment } from './assignment.js';

/** A dictionary as a list of atoms. Euclidean: length m. Functional: `[c_in, N]` flattened channel-major. */
export type Atoms = ArrayLike<ArrayLike<number>>;

/** Result of {@link dictionaryError}; all arrays are indexed by true atom `i`. */
export interface DictionaryErrorResult {
  /** max over true atoms of `perAtom`. */
  max: number;
  /** mean over true atoms of `perAtom`. */
  mean: number;
  /** `sqrt(1 − ⟨d_i, d̂_match[i]⟩²)` for normalised atoms; 1 for an unmatched true atom. */
  perAtom: number[];
  /** learned atom matched to true atom `i`, or −1 when there are fewer learned atoms than true ones. */
  match: number[];
  /** sign of `⟨d_i, d̂_match[i]⟩` (±1; 0 when unmatched): `d̂_match[i] ≈ sign[i]·d_i`. */
  sign: number[];
}

/** Result of {@link shiftInvariantDictionaryError}: the Euclidean result plus the best shifts. */
export interface ShiftInvariantDictionaryErrorResult extends DictionaryErrorResult {
  /** the common resolution N at which the atoms were compared. */
  resolution: number;
  /**
   * Best circular shift `k ∈ (−N/2, N/2]` in samples at `resolution`: the learned atom
   * delayed by `k` samples (`d̂[(n − k) mod N]`) best matches the true atom. 0 when unmatched.
   */
  shift: number[];
  /**
   * `shift/resolution`, in function units. Codes of atom `match[i]` for an occurrence of
   * concept `i` at `τ` peak at `τ + offset[i]` (for both the SAE-CNN and SAE-FNO code conventions).
   */
  offset: number[];
}

/** Result of {@link mutualCoherence}. */
export interface CoherenceResult {
  /** `max_{i≠j} |g_ij|` (0 for fewer than two atoms). */
  max: number;
  /** mean of `|g_ij|` over `i ≠ j` (0 for fewer than two atoms). */
  meanOffDiagonal: number;
  /**
   * `[p, p]` row-major Gram matrix of the normalised atoms; shift-invariant: the inner
   * product of largest magnitude over circular shifts (signed). Zero atoms give zero rows.
   */
  gram: Float64Array;
}

/** Options of {@link shiftInvariantDictionaryError}. */
export interface ShiftInvariantOptions {
  /** input channels `c_in` of every atom (default 1); atoms are `[c_in, N]` flattened. */
  channels?: number;
  /** common resolution for the comparison (default: the larger of the two dictionaries' N). */
  resolution?: number;
  /** how to bring atoms to the common resolution (default `'fourier'`; `'nearest'` for non-smooth atoms). */
  resample?: 'fourier' | 'nearest';
}

/** Validates equal lengths and finiteness, and returns unit-norm float64 copies (zero atoms stay zero, or throw). */
function normalisedAtoms(fn: string, field: string, atoms: Atoms, length?: number, allowZero = true): Float64Array[] {
  if (!allowZero && atoms.length === 0) throw new MetricsError(`${fn}: ${field} has no atoms`);
  const out: Float64Array[] = [];
  const len = length ?? (atoms.length > 0 ? atoms[0]!.length : 0);
  for (let i = 0; i < atoms.length; i++) {
    const a = atoms[i]!;
    if (a.length !== len) throw new MetricsError(`${fn}: ${field}[${i}] has length ${a.length}, expected ${len}`);
    const v = new Float64Array(len);
    let ss = 0;
    for (let n = 0; n < len; n++) {
      const x = a[n]!;
      if (!Number.isFinite(x)) throw new MetricsError(`${fn}: ${field}[${i}][${n}] is ${x}`);
      v[n] = x;
      ss += x * x;
    }
    if (ss === 0 && !allowZero) throw new MetricsError(`${fn}: ${field}[${i}] is a zero atom`);
    if (ss > 0) {
      const s = 1 / Math.sqrt(ss);
      for (let n = 0; n < len; n++) v[n]! *= s;
    }
    out.push(v);
  }
  return out;
}

/**
 * Hungarian matching on a `[pt, pl]` signed similarity matrix, maximising the total
 * |similarity|, then the per-true-atom errors. The error `sqrt(1 − g²)` is evaluated
 * as `residual(i, j, g) = ‖d_i − g·d̂_j‖` (equal for unit atoms), which keeps full
 * relative accuracy near 0 where `1 − g²` cancels to ~1e-16 and its root to ~1e-8.
 * Shared by the Euclidean and functional errors.
 */
function matchBySimilarity(
  sim: Float64Array,
  pt: number,
  pl: number,
  residual: (i: number, j: number, g: number) => number,
): DictionaryErrorResult {
  const weight: number[][] = [];
  for (let i = 0; i < pt; i++) weight.push(Array.from(sim.subarray(i * pl, (i + 1) * pl), Math.abs));
  const match = maxWeightAssignment(weight);
  const perAtom: number[] = [];
  const sign: number[] = [];
  let max = 0;
  let sum = 0;
  for (let i = 0; i < pt; i++) {
    const j = match[i]!;
    const g = j >= 0 ? sim[i * pl + j]! : 0;
    const e = j >= 0 ? residual(i, j, g) : 1;
    perAtom.push(e);
    sign.push(j < 0 ? 0 : g < 0 ? -1 : 1);
    if (e > max) max = e;
    sum += e;
  }
  return { max, mean: pt > 0 ? sum / pt : 0, perAtom, match, sign };
}

/**
 * Euclidean dictionary error (SPEC §5). Atoms are normalised; the matching maximises the
 * total `Σ_i |⟨d_i, d̂_π(i)⟩|` (Hungarian on the cost `−|⟨d_i, d̂_j⟩|`), so it is
 * sign-invariant; the error of true atom `i` is `sqrt(1 − ⟨d_i, d̂_π(i)⟩²)`. True atoms must be non-zero.
 * @param truth `p_true` atoms of length m.
 * @param learned `p_learned` atoms of length m (`p_learned ≥ p_true` expected; extra learned atoms are ignored).
 */
export function dictionaryError(truth: Atoms, learned: Atoms): DictionaryErrorResult {
  const t = normalisedAtoms('dictionaryError', 'truth', truth, undefined, false);
  const m = t.length > 0 ? t[0]!.length : undefined;
  const l = normalisedAtoms('dictionaryError', 'learned', learned, m);
  const len = m ?? 0;
  const sim = new Float64Array(t.length * l.length);
  for (let i = 0; i < t.length; i++) {
    for (let j = 0; j < l.length; j++) sim[i * l.length + j] = shiftedDot(t[i]!, l[j]!, 1, len, 0);
  }
  return matchBySimilarity(sim, t.length, l.length, (i, j, g) => shiftedResidual(t[i]!, l[j]!, 1, len, 0, g));
}

/** `‖a − g·(b delayed by k)‖` over all channels, laid out as {@link shiftedDot}. */
function shiftedResidual(a: Float64Array, b: Float64Array, channels: number, N: number, k: number, g: number): number {
  let r = 0;
  for (let c = 0; c < channels; c++) {
    const o = c * N;
    for (let n = 0; n < k; n++) r += (a[o + n]! - g * b[o + n - k + N]!) ** 2;
    for (let n = k; n < N; n++) r += (a[o + n]! - g * b[o + n - k]!) ** 2;
  }
  return Math.sqrt(r);
}


function checkResolution(fn: string, field: string, atoms: Atoms, channels: number): number {
  if (atoms.length === 0) return 0;
  const len = atoms[0]!.length;
  if (len % channels !== 0 || len === 0) {
    throw new MetricsError(`${fn}: ${field}[0] has length ${len}, not a positive multiple of channels = ${channels}`);
  }
  return len / channels;
}

function checkChannels(fn: string, channels: number): void {
  if (!Number.isInteger(channels) || channels < 1) throw new MetricsError(`${fn}: channels must be a positive integer, got ${channels}`);
}

/**
 * Functional dictionary error (SPEC §5): {@link dictionaryError} with the inner product
 * maximised (in absolute value) over circular shifts applied to all channels together.
 * Both dictionaries are first resampled to a common resolution, then normalised.
 * @param truth `p_true` atoms `[c_in, N_t]` flattened. @param learned `p_learned` atoms `[c_in, N_l]` flattened.
 * @returns the matching, errors, and per true atom the best shift (samples at `resolution`) and offset (function units).
 */
export function shiftInvariantDictionaryError(
  truth: Atoms,
  learned: Atoms,
  opts: ShiftInvariantOptions = {},
): ShiftInvariantDictionaryErrorResult {
  const fn = 'shiftInvariantDictionaryError';
  const channels = opts.channels ?? 1;
  checkChannels(fn, channels);
  if (truth.length === 0) throw new MetricsError(`${fn}: truth has no atoms`);
  const Nt = checkResolution(fn, 'truth', truth, channels);
  const Nl = checkResolution(fn, 'learned', learned, channels);
  const N = opts.resolution ?? Math.max(Nt, Nl);
  if (!Number.isInteger(N) || N < 1) throw new MetricsError(`${fn}: resolution must be a positive integer, got ${N}`);
  const resample = opts.resample === 'nearest' ? resampleNearest : resampleFourier;
  const at = (atoms: Atoms, from: number): Atoms =>
    from === N ? atoms : Array.from({ length: atoms.length }, (_, i) => resample(atoms[i]!, from, N));
  const t = normalisedAtoms(fn, 'truth', at(truth, Nt), channels * N, false);
  const l = normalisedAtoms(fn, 'learned', at(learned, Nl), channels * N);
  const pl = l.length;
  const sim = new Float64Array(t.length * pl);
  const shifts = new Int32Array(t.length * pl);
  const corr = new ShiftCorrelator(channels, N);
  const tSpec = t.map((a) => corr.spectrum(a));
  for (let j = 0; j < pl; j++) {
    const lSpec = corr.spectrum(l[j]!);
    for (let i = 0; i < t.length; i++) {
      const k = corr.bestShift(tSpec[i]!, lSpec);
      sim[i * pl + j] = shiftedDot(t[i]!, l[j]!, channels, N, k);
      shifts[i * pl + j] = k;
    }
  }
  const res = matchBySimilarity(sim, t.length, pl, (i, j, g) => shiftedResidual(t[i]!, l[j]!, channels, N, shifts[i * pl + j]!, g));
  const shift = res.match.map((j, i) => {
    if (j < 0) return 0;
    const k = shifts[i * pl + j]!;
    return k > N / 2 ? k - N : k;
  });
  return { ...res, resolution: N, shift, offset: shift.map((k) => k / N) };
}

/**
 * Mutual coherence of a dictionary (SPEC §5): `max_{i≠j} |⟨d_i, d_j⟩|` and the mean
 * |off-diagonal| of the Gram matrix of the normalised atoms. With `shiftInvariant`, each
 * inner product is maximised in absolute value over circular shifts (functional atoms
 * `[channels, N]` flattened, shifted in all channels together).
 * @param atoms p atoms of equal length.
 */
export function mutualCoherence(atoms: Atoms, opts: { channels?: number; shiftInvariant?: boolean } = {}): CoherenceResult {
  const fn = 'mutualCoherence';
  const channels = opts.channels ?? 1;
  checkChannels(fn, channels);
  const shiftInvariant = opts.shiftInvariant ?? false;
  const N = shiftInvariant ? checkResolution(fn, 'atoms', atoms, channels) : 0;
  const d = normalisedAtoms(fn, 'atoms', atoms);
  const p = d.length;
  const gram = new Float64Array(p * p);
  if (p === 0) return { max: 0, meanOffDiagonal: 0, gram };
  const corr = shiftInvariant ? new ShiftCorrelator(channels, N) : undefined;
  const spec = corr ? d.map((a) => corr.spectrum(a)) : [];
  let max = 0;
  let sum = 0;
  for (let j = 0; j < p; j++) {
    for (let i = 0; i <= j; i++) {
      const k = corr && i !== j ? corr.bestShift(spec[i]!, spec[j]!) : 0;
      const g = corr ? shiftedDot(d[i]!, d[j]!, channels, N, k) : shiftedDot(d[i]!, d[j]!, 1, d[i]!.length, 0);
      gram[i * p + j] = g;
      gram[j * p + i] = g;
      if (i !== j) {
        max = Math.max(max, Math.abs(g));
        sum += 2 * Math.abs(g);
      }
    }
  }
  return { max, meanOffDiagonal: p > 1 ? sum / (p * (p - 1)) : 0, gram };
}

/** Checks a resampling call and returns the channel count `atom.length / fromN`. */
function resampleChannels(fn: string, atom: ArrayLike<number>, fromN: number, toN: number): number {
  if (!Number.isInteger(fromN) || fromN < 1 || !Number.isInteger(toN) || toN < 1) {
    throw new MetricsError(`${fn}: fromN and toN must be positive integers, got ${fromN} and ${toN}`);
  }
  if (atom.length % fromN !== 0 || atom.length === 0) {
    throw new MetricsError(`${fn}: atom length ${atom.length} is not a positive multiple of fromN = ${fromN}`);
  }
  return atom.length / fromN;
}

/**
 * Band-limited (trigonometric) resampling of a periodic function sampled on `n/fromN`
 * to the grid `n/toN`, channel by channel (`[c_in, fromN]` → `[c_in, toN]`, `c_in =
 * atom.length / fromN`). Upsampling evaluates the trigonometric interpolant (the
 * source Nyquist mode, if any, as a cosine), so it is exact for functions with modes
 * `|k| < fromN/2`; downsampling keeps the modes `|k| ≤ toN/2` (an ideal low-pass, then
 * sampling). Uses the core real FFT: O(c_in·(fromN log fromN + toN log toN)).
 */
export function resampleFourier(atom: ArrayLike<number>, fromN: number, toN: number): Float64Array {
  const channels = resampleChannels('resampleFourier', atom, fromN, toN);
  const out = new Float64Array(channels * toN);
  const k = Math.floor(Math.min(fromN, toN) / 2); // highest kept mode
  const fwd = getRealFFTPlan(fromN);
  const inv = getRealFFTPlan(toN);
  const re = new Float64Array(k + 1);
  const im = new Float64Array(k + 1);
  for (let c = 0; c < channels; c++) {
    fwd.forward(atom, c * fromN, re, im, 0, k + 1, 'forward');
    // the inverse counts mode k twice (±k) unless it is the target's Nyquist bin (once): a source
    // Nyquist bin is one real cosine, so halve it when it is not the target's Nyquist; a target
    // Nyquist below the source's must carry X_k + X_{−k} = 2·Re X_k
    if (2 * k === fromN && toN > fromN) re[k]! /= 2;
    else if (2 * k === toN && fromN > toN) re[k]! *= 2;
    inv.inverse(re, im, 0, out, c * toN, k + 1, 'forward');
  }
  return out;
}

/**
 * Sample-and-hold resampling for non-smooth functions: `y[n] = x[floor(n·fromN/toN)]`
 * per channel (the source sample at or before `n/toN`), exact for functions that are
 * constant on the cells `[j/fromN, (j+1)/fromN)` (e.g. `random-taps`, boxes on the grid).
 * @param atom `[c_in, fromN]` flattened. @returns `[c_in, toN]`.
 */
export function resampleNearest(atom: ArrayLike<number>, fromN: number, toN: number): Float64Array {
  const channels = resampleChannels('resampleNearest', atom, fromN, toN);
  const out = new Float64Array(channels * toN);
  for (let c = 0; c < channels; c++) {
    for (let n = 0; n < toN; n++) out[c * toN + n] = atom[c * fromN + Math.floor((n * fromN) / toN)]!;
  }
  return out;
}
