/**
 * Training data sources: online (a fresh batch from a sparse generative model every step)
 * or an array (epochs, each shuffled by a seeded permutation). The position in the data
 * stream is part of the saved state, so a resumed run sees exactly the batches it would have.
 */
import { z } from 'zod';
import { Rng, type RngState } from '../core/rng.js';
import { allocate, ShapeError, shapeStr, Tensor, type DType } from '../core/tensor.js';
import { EuclideanModel, FunctionalModel, type Occurrence } from '../data/index.js';

/** A sparse generative model as stored in dataset bundles and run configs: `{kind, config, seed, resolution}`. */
export const generatorSpecSchema = z.strictObject({
  kind: z.enum(['euclidean', 'functional']),
  /** the data module's config (Euclidean or functional; validated by the model's constructor). */
  config: z.record(z.string(), z.unknown()),
  seed: z.int(),
  /** N of functional signals (null for Euclidean data). */
  resolution: z.int().positive().nullable(),
});
export type GeneratorSpec = z.output<typeof generatorSpecSchema>;

/** What is known of the data's truth, in the layout the metrics take. */
export interface Truth {
  kind: 'euclidean' | 'functional';
  /** Euclidean: p atoms of length m (the columns of D*); functional: C atoms [c_in, N] flattened, sampled at `resolution`. */
  atoms: Float64Array[];
  /** c_in (1 for Euclidean data). */
  channels: number;
  /** N of the atoms and signals (1 for Euclidean data). */
  resolution: number;
  /** functional: occurrence locations lie on k/baseResolution. */
  baseResolution?: number;
  /** functional: every signal holds exactly one occurrence. */
  oneSparse?: boolean;
}

/** Signals with whatever per-signal truth exists. */
export interface LabelledBatch {
  /** [count, m] or [count, c_in, N], in the model's dtype. */
  x: Tensor;
  /** functional truth occurrences (signal indices into this batch). */
  occurrences?: Occurrence[];
  /** Euclidean truth codes [count, p]. */
  codes?: Float64Array;
}

export type SourceState =
  | { kind: 'online'; rng: RngState }
  /** `rng` is the shuffle Rng's state at the start of `epoch`: the epoch's permutation is redrawn from it. */
  | { kind: 'array'; epoch: number; position: number; rng: RngState };

export interface DataSource {
  /** Shape of one signal: [m] or [c_in, N]. */
  readonly signalShape: readonly number[];
  readonly truth: Truth | null;
  /** The next training batch [batch, ...signalShape] in the source's dtype. */
  next(batch: number): Tensor;
  /** A fixed evaluation set (the same at every call and after a resume). */
  evalSet(): LabelledBatch;
  getState(): SourceState;
  setState(state: SourceState): void;
}

/** Builds the generative model of a spec (functional specs need a resolution). */
export function generatorModel(spec: GeneratorSpec): EuclideanModel | FunctionalModel {
  if (spec.kind === 'euclidean') return new EuclideanModel(spec.config as never, spec.seed);
  if (spec.resolution === null) throw new RangeError('generator: a functional generator needs a resolution N');
  return new FunctionalModel(spec.config as never, spec.seed);
}

/** The truth of a generative model at resolution N. */
export function generatorTruth(model: EuclideanModel | FunctionalModel, N: number): Truth {
  if (model instanceof EuclideanModel) {
    const { m, p, dictionary } = model;
    const atoms = Array.from({ length: p }, (_, j) => {
      const a = new Float64Array(m);
      for (let i = 0; i < m; i++) a[i] = dictionary[i * p + j];
      return a;
    });
    return { kind: 'euclidean', atoms, channels: 1, resolution: 1 };
  }
  const { concepts: C, channels, baseResolution, occurrence } = model.config;
  const all = model.atoms(N);
  const len = channels * N;
  return {
    kind: 'functional',
    atoms: Array.from({ length: C }, (_, c) => all.slice(c * len, (c + 1) * len)),
    channels,
    resolution: N,
    baseResolution,
    oneSparse: occurrence.kind === 'one-sparse',
  };
}

function toTensor(data: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor {
  const out = allocate(dtype, data.length);
  out.set(data);
  return new Tensor(out, shape);
}

/** The first n entries as float64. */
function head(data: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = data[i];
  return out;
}

/** Fresh samples from a generative model every step, drawn from a data Rng that is part of the state. */
export class OnlineSource implements DataSource {
  readonly signalShape: readonly number[];
  readonly truth: Truth;
  private readonly model: EuclideanModel | FunctionalModel;
  private readonly N: number;
  private readonly evaluation: LabelledBatch;

  /**
   * @param spec the generative model (its seed fixes the truth)
   * @param rng training batches (advanced by `next`)
   * @param evalRng draws the fixed evaluation set once, here
   */
  constructor(
    spec: GeneratorSpec,
    private readonly rng: Rng,
    evalRng: Rng,
    evalCount: number,
    private readonly dtype: DType,
  ) {
    this.model = generatorModel(spec);
    this.N = spec.resolution ?? 1;
    this.truth = generatorTruth(this.model, this.N);
    this.signalShape = this.model instanceof EuclideanModel ? [this.model.m] : [this.model.config.channels, this.N];
    this.evaluation = this.draw(evalCount, evalRng);
  }

  private draw(count: number, rng: Rng): LabelledBatch {
    const shape = [count, ...this.signalShape];
    if (this.model instanceof EuclideanModel) {
      const s = this.model.sample(count, rng);
      return { x: toTensor(s.x, shape, this.dtype), codes: s.codes };
    }
    const s = this.model.sample(count, this.N, rng);
    return { x: toTensor(s.x, shape, this.dtype), occurrences: s.occurrences };
  }

  next(batch: number): Tensor {
    return this.draw(batch, this.rng).x;
  }

  evalSet(): LabelledBatch {
    return this.evaluation;
  }

  getState(): SourceState {
    return { kind: 'online', rng: this.rng.getState() };
  }

  setState(state: SourceState): void {
    if (state.kind !== 'online') throw new RangeError(`data source: saved state is for an ${state.kind} source, not online`);
    this.rng.setState(state.rng);
  }
}

/** Signals of an array as a flat buffer plus shape [count, ...signal]. */
export interface ArrayData {
  data: ArrayLike<number>;
  shape: readonly number[];
}

/**
 * Batches from an array, epoch by epoch, each epoch in the order of a permutation drawn
 * from the shuffle Rng; a batch that runs past the end continues into the next epoch.
 * The evaluation set is the first `evalCount` signals, with their truth.
 */
export class ArraySource implements DataSource {
  readonly signalShape: readonly number[];
  private readonly count: number;
  private readonly size: number;
  private epoch = 0;
  private position = 0;
  private epochStart: RngState;
  private order: number[];
  private readonly evaluation: LabelledBatch;

  /**
   * @param x [count, ...signal] signals
   * @param labels truth per signal of x (occurrences or Euclidean codes [count, p])
   * @param rng shuffles the epochs
   */
  constructor(
    private readonly x: ArrayData,
    labels: { occurrences?: readonly Occurrence[]; codes?: ArrayLike<number> },
    readonly truth: Truth | null,
    private readonly rng: Rng,
    evalCount: number,
    private readonly dtype: DType,
  ) {
    if (x.shape.length < 2 || x.shape[0] < 1) throw new ShapeError('ArraySource', `data has shape ${shapeStr(x.shape)}, expected [count ≥ 1, ...signal]`);
    this.count = x.shape[0];
    this.signalShape = x.shape.slice(1);
    this.size = this.signalShape.reduce((a, b) => a * b, 1);
    this.epochStart = rng.getState();
    this.order = rng.permutation(this.count);
    const n = Math.min(evalCount, this.count);
    const evaluation: LabelledBatch = { x: toTensor(head(x.data, n * this.size), [n, ...this.signalShape], dtype) };
    if (labels.occurrences) evaluation.occurrences = labels.occurrences.filter((o) => o.signal < n);
    if (labels.codes) {
      const p = labels.codes.length / this.count;
      evaluation.codes = head(labels.codes, n * p);
    }
    this.evaluation = evaluation;
  }

  next(batch: number): Tensor {
    const out = allocate(this.dtype, batch * this.size);
    const { size } = this;
    for (let b = 0; b < batch; b++) {
      if (this.position === this.count) {
        this.epoch++;
        this.position = 0;
        this.epochStart = this.rng.getState();
        this.order = this.rng.permutation(this.count);
      }
      const row = this.order[this.position++];
      for (let i = 0; i < size; i++) out[b * size + i] = this.x.data[row * size + i];
    }
    return new Tensor(out, [batch, ...this.signalShape]);
  }

  evalSet(): LabelledBatch {
    return this.evaluation;
  }

  getState(): SourceState {
    return { kind: 'array', epoch: this.epoch, position: this.position, rng: this.epochStart };
  }

  setState(state: SourceState): void {
    if (state.kind !== 'array') throw new RangeError(`data source: saved state is for an ${state.kind} source, not an array`);
    if (!(state.position >= 0 && state.position <= this.count)) throw new RangeError(`data source: saved position ${state.position} is outside the ${this.count} signals`);
    this.rng.setState(state.rng);
    this.epochStart = this.rng.getState();
    this.order = this.rng.permutation(this.count);
    this.epoch = state.epoch;
    this.position = state.position;
  }
}
