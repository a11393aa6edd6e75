/**
 * Dataset bundles (SPEC §3, §7): a generated dataset's signals, its truth and the generator
 * that made it, as named tensors plus one metadata entry — built from a generator and parsed
 * back with shape checks. Pure (browser-safe); the files live in src/io/dataset.ts.
 *
 * Tensors: `x` float32|float64, [count, c_in, N] (functional) or [count, m] (Euclidean); truth
 * (float64) Euclidean `atoms` [m, p] (columns are atoms) and `codes` [count, p]; functional
 * `atoms` [C, c_in, N] (concepts sampled at N), `codes_height` and `codes_mass` [count, C, N]
 * (SPEC §4 conventions), `occurrences` [K, 4] rows (signal, concept, τ, a).
 * Metadata `saeno` = JSON {format, kind, config, seed, resolution, count, coherence, dtype}.
 */
import { z } from 'zod';
import type { NdArray } from '../io/ndarray.js';
import { DataError } from './coherence.js';
import { EuclideanModel, validateEuclideanConfig, type EuclideanConfig, type EuclideanConfigInput } from './euclidean.js';
import { FunctionalModel, validateFunctionalConfig, type FunctionalConfig, type FunctionalConfigInput, type Occurrence } from './functional.js';

/** The `format` of bundle metadata; a reader refuses other formats. */
export const DATASET_FORMAT = 'saeno-dataset/1';
/** The metadata key holding the bundle's JSON description. */
export const METADATA_KEY = 'saeno';
/**
 * Largest bundle built in memory, bytes: the safetensors encoder makes one buffer, and Node's
 * buffers stop at 2³²; half that leaves room for the copies made while encoding.
 */
export const MAX_BUNDLE_BYTES = 2 ** 31;

/** Element type of the signals `x` (the truth is always float64). */
export type SignalDType = 'float32' | 'float64';
export type DatasetKind = 'euclidean' | 'functional';
type Signals = NdArray<SignalDType>;

/** Truth tensor names per kind, in file order. */
export const TRUTH_TENSORS: Record<DatasetKind, readonly string[]> = {
  euclidean: ['atoms', 'codes'],
  functional: ['atoms', 'codes_height', 'codes_mass', 'occurrences'],
};

/** The metadata JSON before the generator config is validated by the data module. */
const metaSchema = z.strictObject({
  format: z.literal(DATASET_FORMAT),
  kind: z.enum(['euclidean', 'functional']),
  config: z.record(z.string(), z.unknown()),
  seed: z.int(),
  /** N of functional signals; null for Euclidean data. */
  resolution: z.int().min(1).nullable(),
  count: z.int().min(0),
  /** mutual (Euclidean) or shift-max (functional) coherence of the truth. */
  coherence: z.number().min(0).max(1),
  dtype: z.enum(['float32', 'float64']),
});

interface MetaBase {
  format: typeof DATASET_FORMAT;
  seed: number;
  count: number;
  coherence: number;
  dtype: SignalDType;
}
/** Metadata of a Euclidean bundle; `config` is the validated generator config (defaults filled). */
export interface EuclideanMeta extends MetaBase {
  kind: 'euclidean';
  config: EuclideanConfig;
  resolution: null;
}
/** Metadata of a functional bundle; `config` is the validated generator config (defaults filled). */
export interface FunctionalMeta extends MetaBase {
  kind: 'functional';
  config: FunctionalConfig;
  resolution: number;
}
export type DatasetMeta = EuclideanMeta | FunctionalMeta;

/** Euclidean truth: D* and the true codes. */
export interface EuclideanTruth {
  kind: 'euclidean';
  /** [m, p] row-major, atoms are the columns. */
  atoms: Float64Array;
  /** [count, p]. */
  codes: Float64Array;
  m: number;
  p: number;
}

/** Functional truth at the bundle's resolution N. */
export interface FunctionalTruth {
  kind: 'functional';
  /** [C, c_in, N]: concept c sampled at n/N. */
  atoms: Float64Array;
  /** [count, C, N], height convention (SAE-CNN). */
  codesHeight: Float64Array;
  /** [count, C, N], mass convention (SAE-FNO). */
  codesMass: Float64Array;
  occurrences: Occurrence[];
  concepts: number;
}

/** Signals with whatever truth their file carries. */
export interface Dataset {
  kind: DatasetKind;
  /** [count, m] (Euclidean) or [count, c_in, N] (functional). */
  x: Signals;
  count: number;
  /** the bundle's metadata; null for plain arrays (no truth). */
  meta: DatasetMeta | null;
  truth: EuclideanTruth | FunctionalTruth | null;
}

/** A bundle ready to write: named tensors and the string metadata map. */
export interface Bundle {
  tensors: Record<string, NdArray<SignalDType>>;
  /** `{ saeno: JSON.stringify(meta) }`. */
  metadata: Record<string, string>;
  meta: DatasetMeta;
}

/** A bundle or array that does not hold what it should. `field` names the tensor or metadata at fault (`tensor "atoms"`). */
export class BundleError extends DataError {
  override name = 'BundleError';
  readonly field: string;

  /** @param detail what is wrong; the message is `${field}: ${detail}`. */
  constructor(field: string, detail: string) {
    super(`${field}: ${detail}`);
    this.field = field;
  }
}

/**
 * The generator of a bundle's metadata, or of any `{kind, config, seed}` (the config is
 * validated by the model's constructor): the same truth, and `generate(count[, N])` the same data.
 */
export function bundleModel(gen: { kind: DatasetKind; config: object; seed: number }): EuclideanModel | FunctionalModel {
  return gen.kind === 'euclidean' ? new EuclideanModel(gen.config as EuclideanConfigInput, gen.seed) : new FunctionalModel(gen.config as FunctionalConfigInput, gen.seed);
}

/**
 * Draws `count` signals from the model's seeded data stream (`model.generate`) and packs them
 * with the truth. The same model, count and N give the same bytes.
 * @param opts.resolution N of functional signals (required for a FunctionalModel, refused for a EuclideanModel)
 * @param opts.dtype element type of `x` (default float32)
 */
export function buildBundle(model: EuclideanModel | FunctionalModel, count: number, opts: { resolution?: number; dtype?: SignalDType } = {}): Bundle {
  const dtype = opts.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') throw new DataError(`buildBundle: dtype must be float32 or float64, got ${String(dtype)}`);
  if (!Number.isInteger(count) || count < 0) throw new DataError(`buildBundle: count must be a non-negative integer, got ${count}`);
  const xBytes = dtype === 'float32' ? 4 : 8;
  const { seed, coherence } = model;
  if (model instanceof EuclideanModel) {
    if (opts.resolution !== undefined) throw new DataError('buildBundle: a resolution applies to functional data only');
    const { m, p } = model;
    checkBytes(count * m * xBytes + (m * p + count * p) * 8, `${count} signals × m = ${m}, p = ${p}`);
    const { x, codes } = model.generate(count);
    const meta: EuclideanMeta = { format: DATASET_FORMAT, kind: 'euclidean', config: model.config, seed, resolution: null, count, coherence, dtype };
    return pack(meta, {
      x: signals(x, [count, m], dtype),
      atoms: f64(model.dictionary.slice(), [m, p]),
      codes: f64(codes, [count, p]),
    });
  }
  const N = opts.resolution;
  if (N === undefined || !Number.isInteger(N) || N < 1) throw new DataError(`buildBundle: functional data need a resolution N ≥ 1, got ${N}`);
  const { concepts: C, channels: cin } = model.config;
  checkBytes(count * cin * N * xBytes + (C * cin * N + 2 * count * C * N) * 8, `${count} signals × ${C} concepts × N = ${N}`);
  const { x, occurrences } = model.generate(count, N);
  const occ = new Float64Array(occurrences.length * 4);
  occurrences.forEach((o, k) => occ.set([o.signal, o.concept, o.tau, o.amp], 4 * k));
  const meta: FunctionalMeta = { format: DATASET_FORMAT, kind: 'functional', config: model.config, seed, resolution: N, count, coherence, dtype };
  return pack(meta, {
    x: signals(x, [count, cin, N], dtype),
    atoms: f64(model.atoms(N), [C, cin, N]),
    codes_height: f64(model.codes(occurrences, count, N, 'height'), [count, C, N]),
    codes_mass: f64(model.codes(occurrences, count, N, 'mass'), [count, C, N]),
    occurrences: f64(occ, [occurrences.length, 4]),
  });
}

function pack(meta: DatasetMeta, tensors: Record<string, NdArray<SignalDType>>): Bundle {
  return { tensors, metadata: { [METADATA_KEY]: JSON.stringify(meta) }, meta };
}

function checkBytes(bytes: number, what: string): void {
  if (bytes > MAX_BUNDLE_BYTES) {
    throw new DataError(`buildBundle: ${what} need ${(bytes / 2 ** 30).toFixed(1)} GiB with the dense truth codes, above the ${MAX_BUNDLE_BYTES / 2 ** 30} GiB a bundle holds; generate fewer signals per file`);
  }
}

function f64(data: Float64Array, shape: number[]): NdArray<'float64'> {
  return { dtype: 'float64', shape, data };
}

function signals(x: Float64Array, shape: number[], dtype: SignalDType): Signals {
  return dtype === 'float64' ? f64(x, shape) : { dtype, shape, data: new Float32Array(x) };
}

function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** `x` as signals: float32/float64 with a count axis. */
function signalArray(x: NdArray | undefined, names: string[]): Signals {
  if (x === undefined) throw new BundleError('tensor "x"', `missing (tensors: ${names.join(', ') || 'none'})`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new BundleError('tensor "x"', `dtype ${x.dtype}, expected float32 or float64`);
  if (x.shape.length < 1) throw new BundleError('tensor "x"', 'is a scalar, expected [count, m] or [count, c_in, N]');
  return x as Signals;
}

/**
 * Plain signals without truth (a `.npy`, or tensors without `saeno` metadata): 2-D arrays are
 * [count, m], or [count, 1, N] when `kind` is functional; 3-D arrays are [count, c_in, N].
 * @throws BundleError naming `tensor "x"` for another rank or dtype, or a 3-D array with kind euclidean
 */
export function plainDataset(x: NdArray, kind?: DatasetKind): Dataset {
  const sig = signalArray(x, ['x']);
  const { shape } = sig;
  if (shape.length === 2) {
    if (kind === 'functional') return { kind, x: { ...sig, shape: [shape[0], 1, shape[1]] }, count: shape[0], meta: null, truth: null };
    return { kind: 'euclidean', x: sig, count: shape[0], meta: null, truth: null };
  }
  if (shape.length === 3 && kind !== 'euclidean') return { kind: 'functional', x: sig, count: shape[0], meta: null, truth: null };
  const expected = kind === 'euclidean' ? '[count, m]' : kind === 'functional' ? '[count, N] or [count, c_in, N]' : '[count, m] or [count, c_in, N]';
  throw new BundleError('tensor "x"', `shape ${shapeStr(shape)}, expected ${expected}`);
}

/** Parses and validates the `saeno` metadata JSON (the generator config through the data module's strict schema). */
export function parseDatasetMeta(json: string): DatasetMeta {
  const field = `metadata "${METADATA_KEY}"`;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new BundleError(field, `not valid JSON (${(e as Error).message})`);
  }
  const r = metaSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const at = issue.code === 'unrecognized_keys' ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}` : `${issue.path.join('.') || '(root)'}: ${issue.message}`;
    throw new BundleError(field, at);
  }
  const m = r.data;
  try {
    if (m.kind === 'euclidean') {
      if (m.resolution !== null) throw new BundleError(field, `resolution: ${m.resolution} given for Euclidean data (expected null)`);
      return { ...m, kind: 'euclidean', config: validateEuclideanConfig(m.config), resolution: null };
    }
    if (m.resolution === null) throw new BundleError(field, 'resolution: null, but functional data need N');
    return { ...m, kind: 'functional', config: validateFunctionalConfig(m.config), resolution: m.resolution };
  } catch (e) {
    if (e instanceof BundleError) throw e;
    throw new BundleError(`${field}.config`, (e as Error).message);
  }
}

/**
 * Reads a bundle back from its tensors and metadata. Without `saeno` metadata the tensors are
 * plain signals (`plainDataset(tensors.x, kind)`). With it, every truth tensor of the kind is
 * required, float64, with the shape the metadata implies, and `x` must match count, N, c_in
 * (or m) and dtype. Extra tensors are ignored.
 * @param kind how to read 2-D signals when there is no metadata
 * @throws BundleError naming the tensor or metadata field at fault
 */
export function parseBundle(tensors: Record<string, NdArray>, metadata: Record<string, string>, kind?: DatasetKind): Dataset {
  const names = Object.keys(tensors);
  const x = signalArray(tensors.x, names);
  const json = metadata[METADATA_KEY];
  if (json === undefined) return plainDataset(x, kind);
  const meta = parseDatasetMeta(json);
  if (kind !== undefined && kind !== meta.kind) throw new BundleError(`metadata "${METADATA_KEY}"`, `holds ${meta.kind} data, expected ${kind}`);
  const { count } = meta;
  const truthTensor = (name: string, shape: number[], expected = shapeStr(shape)): Float64Array => {
    const t = tensors[name];
    const field = `tensor "${name}"`;
    if (t === undefined) throw new BundleError(field, `missing (a ${meta.kind} bundle holds ${['x', ...TRUTH_TENSORS[meta.kind]].join(', ')})`);
    if (t.dtype !== 'float64') throw new BundleError(field, `dtype ${t.dtype}, expected float64`);
    if (!sameShape(t.shape, shape)) throw new BundleError(field, `shape ${shapeStr(t.shape)}, expected ${expected}`);
    return t.data as Float64Array;
  };
  if (meta.kind === 'euclidean') {
    const { m, p } = meta.config;
    checkSignals(x, [count, m], meta);
    return { kind: 'euclidean', x, count, meta, truth: { kind: 'euclidean', atoms: truthTensor('atoms', [m, p]), codes: truthTensor('codes', [count, p]), m, p } };
  }
  const { concepts: C, channels: cin } = meta.config;
  const N = meta.resolution;
  checkSignals(x, [count, cin, N], meta);
  const occShape = tensors.occurrences?.shape ?? [];
  const rows = truthTensor('occurrences', [occShape.length === 2 ? occShape[0] : -1, 4], '[K, 4] rows (signal, concept, tau, amp)');
  return {
    kind: 'functional',
    x,
    count,
    meta,
    truth: {
      kind: 'functional',
      atoms: truthTensor('atoms', [C, cin, N]),
      codesHeight: truthTensor('codes_height', [count, C, N]),
      codesMass: truthTensor('codes_mass', [count, C, N]),
      occurrences: parseOccurrences(rows, count, C),
      concepts: C,
    },
  };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkSignals(x: Signals, shape: number[], meta: DatasetMeta): void {
  const what = meta.kind === 'euclidean' ? '[count, m]' : '[count, c_in, N]';
  if (!sameShape(x.shape, shape)) throw new BundleError('tensor "x"', `shape ${shapeStr(x.shape)}, expected ${what} = ${shapeStr(shape)} from the metadata`);
  if (x.dtype !== meta.dtype) throw new BundleError('tensor "x"', `dtype ${x.dtype}, but the metadata says ${meta.dtype}`);
}

/** Occurrence rows (signal, concept, τ, a) → objects; signal and concept integer indices in range, τ ∈ [0, 1). */
function parseOccurrences(rows: Float64Array, count: number, C: number): Occurrence[] {
  const out: Occurrence[] = new Array(rows.length / 4);
  for (let k = 0; k < out.length; k++) {
    const signal = rows[4 * k];
    const concept = rows[4 * k + 1];
    const tau = rows[4 * k + 2];
    const amp = rows[4 * k + 3];
    const problem = occurrenceProblem(signal, concept, tau, amp, count, C);
    if (problem) throw new BundleError('tensor "occurrences"', `row ${k}: ${problem}`);
    out[k] = { signal, concept, tau, amp };
  }
  return out;
}

/** What is wrong with one occurrence row, or '' when nothing is. */
function occurrenceProblem(signal: number, concept: number, tau: number, amp: number, count: number, C: number): string {
  if (!Number.isInteger(signal) || signal < 0 || signal >= count) return `signal ${signal} outside [0, ${count})`;
  if (!Number.isInteger(concept) || concept < 0 || concept >= C) return `concept ${concept} outside [0, ${C})`;
  if (!(tau >= 0 && tau < 1)) return `tau ${tau} outside [0, 1)`;
  if (!Number.isFinite(amp)) return `amp ${amp} is not finite`;
  return '';
}
