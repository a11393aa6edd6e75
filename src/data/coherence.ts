/**
 * Coherence of a truth dictionary (SPEC §3 "recoverable truth", §5), the bounded redraw
 * both generators share, and the data module's errors and config parsing. Shift-max
 * coherence correlates all shifts at once (core/kernels/shift-correlation.ts): O(C²·c_in·N + C²·N log N).
 */
import { z } from 'zod';
import { ShiftCorrelator, shiftedDot } from '../core/kernels/shift-correlation.js';

/** Base class of every error thrown by src/data (bad shapes, bad configs, unmeetable bounds). */
export class DataError extends RangeError {
  override name = 'DataError';
}

/**
 * An invalid generator config. The message starts with the validating function and names
 * each offending field, e.g. `validateEuclideanConfig: sparsity: sparsity 120 exceeds p = 100`.
 */
export class DataConfigError extends DataError {
  override name = 'DataConfigError';
  /** The offending fields (dotted paths, `(root)` for the object itself). */
  readonly fields: string[];

  constructor(message: string, fields: string[]) {
    super(message);
    this.fields = fields;
  }
}

/** No draw of the truth met the coherence requirement within `maxDraws` draws. */
export class CoherenceBoundError extends DataError {
  override name = 'CoherenceBoundError';

  constructor(
    message: string,
    /** the requirement, e.g. `coherence ≤ 0.01`. */
    readonly requirement: string,
    /** the coherence of the draw closest to meeting it. */
    readonly reached: number,
    readonly draws: number,
  ) {
    super(message);
  }
}

/**
 * Parses `input` with a zod schema; on failure throws one DataConfigError listing every
 * issue as `field: message` (unknown keys of strict objects as `unknown key 'name'`).
 * @param fn the public function name that starts the message.
 */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, fn: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields: string[] = [];
  const lines = result.error.issues.map((issue) => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => (at ? `${at}.${k}` : k));
      fields.push(...keys);
      return `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')}`;
    }
    fields.push(at || '(root)');
    return `${at || '(root)'}: ${issue.message}`;
  });
  throw new DataConfigError(`${fn}: ${lines.join('; ')}`, fields);
}

/**
 * Schema of a `[min, max]` range of finite numbers ≥ `lowest` with min ≤ max
 * (amplitudes, widths, frequencies).
 */
export function rangeSchema(lowest: number, exclusive = false) {
  const bound = exclusive ? z.number().gt(lowest) : z.number().min(lowest);
  return z.tuple([bound, bound]).refine(([lo, hi]) => lo <= hi, { message: 'need min ≤ max' });
}

/**
 * Mutual coherence of a Euclidean dictionary: max_{i≠j} |⟨d_i, d_j⟩| / (‖d_i‖‖d_j‖).
 * @param D row-major [m, p], atoms are the p columns (need not be normalised; zero columns count as 0).
 * @returns a number in [0, 1]; 0 when p < 2.
 */
export function mutualCoherence(D: Float64Array, m: number, p: number): number {
  checkLength('mutualCoherence', 'D', D, [m, p], 'm·p');
  const atoms = new Float64Array(p * m); // [p, m]: atoms contiguous
  for (let r = 0; r < m; r++) for (let i = 0; i < p; i++) atoms[i * m + r] = D[r * p + i];
  normaliseRows(atoms, p, m);
  return rowsCoherence(atoms, p, m);
}

/**
 * max_{i≠j} |⟨r_i, r_j⟩| of `count` unit-norm contiguous rows of length `len`
 * (the mutual coherence of atoms stored as rows).
 */
export function rowsCoherence(rows: Float64Array, count: number, len: number): number {
  let max = 0;
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) {
      max = Math.max(max, Math.abs(shiftedDot(rows.subarray(i * len, (i + 1) * len), rows.subarray(j * len, (j + 1) * len), 1, len, 0)));
    }
  }
  return Math.min(max, 1);
}

/**
 * Shift-maximised coherence of functional atoms (SPEC §5):
 * max over i ≠ j and circular shifts t of |⟨φ_i, φ_j(· − t)⟩| / (‖φ_i‖‖φ_j‖), with the
 * inner product summed over channels and all channels shifted together.
 * @param atoms [C, cin, N] samples (need not be normalised; zero atoms count as 0).
 * @returns a number in [0, 1]; 0 when C < 2.
 */
export function shiftMaxCoherence(atoms: Float64Array, C: number, cin: number, N: number): number {
  checkLength('shiftMaxCoherence', 'atoms', atoms, [C, cin, N], 'C·cin·N');
  const len = cin * N;
  const a = Float64Array.from(atoms);
  normaliseRows(a, C, len);
  const rows = Array.from({ length: C }, (_, i) => a.subarray(i * len, (i + 1) * len));
  const corr = new ShiftCorrelator(cin, N);
  const spec = rows.map((r) => corr.spectrum(r));
  let max = 0;
  for (let i = 0; i < C; i++) {
    for (let j = i + 1; j < C; j++) max = Math.max(max, Math.abs(shiftedDot(rows[i], rows[j], cin, N, corr.bestShift(spec[i], spec[j]))));
  }
  return Math.min(max, 1);
}

/** Result of a bounded redraw: the accepted value, its coherence and how many draws it took. */
export interface BoundedDraw<T> {
  value: T;
  coherence: number;
  draws: number;
}

/**
 * Draws until `violation(coherence) ≤ 0` (at most `maxDraws` times), keeping the first
 * accepted draw. Throws CoherenceBoundError naming `what`, the requirement and the closest
 * coherence reached, so the user knows how far the bound is from this family/config.
 * @param violation how far a coherence is from acceptable (≤ 0 accepts); the draw with
 *   the smallest violation is the one reported on failure.
 */
export function drawWithinCoherence<T>(
  draw: () => T,
  coherenceOf: (value: T) => number,
  violation: (coherence: number) => number,
  maxDraws: number,
  what: string,
  requirement: string,
): BoundedDraw<T> {
  let closest = NaN;
  let closestViolation = Infinity;
  for (let d = 1; d <= maxDraws; d++) {
    const value = draw();
    const coherence = coherenceOf(value);
    const v = violation(coherence);
    if (v <= 0) return { value, coherence, draws: d };
    if (v < closestViolation) {
      closestViolation = v;
      closest = coherence;
    }
  }
  throw new CoherenceBoundError(
    `${what}: no draw met ${requirement} in ${maxDraws} draws (closest coherence reached: ${closest.toFixed(4)}); ` +
      `the bound cannot be met for this family/config — relax it or change the config`,
    requirement,
    closest,
    maxDraws,
  );
}

/** Scales each of `rows` contiguous rows of length `len` to unit Euclidean norm (zero rows stay zero). */
export function normaliseRows(a: Float64Array, rows: number, len: number): void {
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let k = r * len; k < (r + 1) * len; k++) ss += a[k] * a[k];
    if (ss === 0) continue;
    const inv = 1 / Math.sqrt(ss);
    for (let k = r * len; k < (r + 1) * len; k++) a[k] *= inv;
  }
}

/** Throws DataError unless `arr.length` is the product of positive integer `dims`. */
function checkLength(fn: string, name: string, arr: Float64Array, dims: number[], formula: string): void {
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 1) throw new DataError(`${fn}: sizes must be positive integers, got ${formula} = ${dims.join('·')}`);
  }
  const expected = dims.reduce((x, y) => x * y, 1);
  if (arr.length !== expected) throw new DataError(`${fn}: ${name} has length ${arr.length}, expected ${formula} = ${expected}`);
}
