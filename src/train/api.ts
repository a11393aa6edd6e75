/**
 * The short library path of SPEC §7: `generate` data with known truth, `train` a model on it,
 * then `model.infer` at any resolution and `evaluate`. Thin wrappers over the data sources and
 * the Trainer, so the same code runs the CLI, the experiments and a browser.
 */
import { Rng } from '../core/rng.js';
import type { DType, Tensor } from '../core/tensor.js';
import type { Occurrence } from '../data/functional.js';
import type { SparseAutoencoder } from '../models/sae.js';
import { OnlineSource, ArraySource, type GeneratorSpec, type LabelledBatch, type Truth } from './source.js';
import { Trainer, type StepRecord, type TrainConfigInput } from './trainer.js';

/** Data with its truth: signals `x` plus what the metrics need (`evaluate(model, data, data.truth)`). */
export interface GeneratedData extends LabelledBatch {
  truth: Truth;
  generator: GeneratorSpec;
}

export interface GenerateOptions {
  kind: 'functional' | 'euclidean';
  /** the data module's config (`FunctionalConfigInput` or `EuclideanConfigInput`). */
  config: Record<string, unknown>;
  /** number of signals. */
  count: number;
  /** N for functional data (the same seed gives the same functions and occurrences at every N). */
  resolution?: number;
  /** fixes the truth (concepts or dictionary). */
  seed?: number;
  /** fixes the sampled signals (default: the seed). */
  dataSeed?: number;
  dtype?: DType;
}

/**
 * `count` signals from a sparse generative model with known truth. Functional signals are
 * [count, c_in, N], Euclidean [count, m].
 */
export function generate(opts: GenerateOptions): GeneratedData {
  const generator: GeneratorSpec = {
    kind: opts.kind,
    config: opts.config,
    seed: opts.seed ?? 0,
    resolution: opts.kind === 'functional' ? (opts.resolution ?? 128) : null,
  };
  const dataRng = new Rng(opts.dataSeed ?? opts.seed ?? 0);
  const source = new OnlineSource(generator, dataRng, dataRng, opts.count, opts.dtype ?? 'float32');
  return { ...source.evalSet(), truth: source.truth, generator };
}

export interface TrainOptions extends TrainConfigInput {
  /** called after every step (the loss before the update). */
  onStep?: (r: StepRecord) => void;
}

/**
 * Trains `model` in place: on fresh batches from the data's generator (online, the default for
 * generated data) or on the signals themselves (`epochs` over `data.x`, shuffled) when
 * `online: false` or when only signals are given. Returns the per-step log.
 */
export function train(model: SparseAutoencoder, data: GeneratedData | { x: Tensor; occurrences?: Occurrence[]; codes?: Float64Array }, opts: TrainOptions & { online?: boolean } = {}): StepRecord[] {
  const { onStep, online, ...config } = opts;
  const seed = config.seed ?? 0;
  const master = new Rng(seed);
  const dtype = model.config.dtype;
  const generated = 'generator' in data ? data : null;
  const source =
    generated && online !== false
      ? new OnlineSource(generated.generator, master.fork(), master.fork(), Math.min(256, data.x.shape[0]), dtype)
      : new ArraySource({ data: data.x.data, shape: data.x.shape }, { occurrences: data.occurrences, codes: data.codes }, generated?.truth ?? null, master.fork(), Math.min(256, data.x.shape[0]), dtype);
  const trainer = new Trainer(model, source, config);
  const log: StepRecord[] = [];
  while (trainer.step < trainer.config.steps) {
    const r = trainer.trainStep();
    log.push(r);
    onStep?.(r);
  }
  return log;
}
