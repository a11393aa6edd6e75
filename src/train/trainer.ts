/**
 * The training loop: zeroGrad → loss(x) → backward → update → afterUpdate, with a learning-rate
 * schedule, divergence checks, periodic evaluation and checkpoint hooks. Browser-safe: file IO
 * is the caller's (the hooks); the state round-trips exactly for bit-identical resume.
 */
import { z } from 'zod';
import { backward } from '../core/autodiff.js';
import { Adam, SGD, type Optimizer, type OptimizerState } from '../core/optim.js';
import type { SparseAutoencoder } from '../models/sae.js';
import { TRAIN_DEFAULTS } from './defaults.js';
import { evaluate, type Metrics } from './evaluate.js';
import { learningRate, scheduleSchema } from './schedule.js';
import type { DataSource, SourceState } from './source.js';

/** Optimisation settings, saved in every run's `config.json`. */
export const trainConfigSchema = z.strictObject({
  steps: z.int().positive().default(TRAIN_DEFAULTS.steps),
  batch: z.int().positive().default(TRAIN_DEFAULTS.batch),
  lr: z.number().positive().default(TRAIN_DEFAULTS.lr),
  optimizer: z.enum(['adam', 'sgd']).default(TRAIN_DEFAULTS.optimizer),
  /** SGD heavy-ball momentum μ ∈ [0, 1). */
  momentum: z.number().min(0).lt(1).default(TRAIN_DEFAULTS.momentum),
  schedule: scheduleSchema.default({ kind: 'constant' }),
  /** evaluate and checkpoint every this many steps (and at the end). */
  evalEvery: z.int().positive().default(TRAIN_DEFAULTS.evalEvery),
  evalCount: z.int().positive().default(TRAIN_DEFAULTS.evalCount),
  seed: z.int().default(TRAIN_DEFAULTS.seed),
  /** weights with max |w| above this count as diverged. */
  maxWeight: z.number().positive().default(TRAIN_DEFAULTS.maxWeight),
});
export type TrainConfigInput = z.input<typeof trainConfigSchema>;
export type TrainConfig = z.output<typeof trainConfigSchema>;

/** Everything besides the weights that a resumed run needs. */
export interface TrainerState {
  /** completed updates. */
  step: number;
  /** wall-clock seconds spent training so far (log times continue across resumes). */
  elapsed: number;
  optimizer: OptimizerState;
  source: SourceState;
}

/** One line of `log.jsonl` per step: the batch loss before the update, the rate it used. */
export interface StepRecord {
  type: 'step';
  step: number;
  loss: number;
  lr: number;
  /** seconds since the run started (summed over resumes). */
  time: number;
}

/** One line of `log.jsonl` per evaluation, after `step` updates. */
export type EvalRecord = { type: 'eval'; step: number; time: number } & Metrics;

/** Training stopped: a non-finite loss, or weights that are non-finite or beyond the bound. */
export class DivergenceError extends Error {
  override name = 'DivergenceError';
  constructor(
    readonly step: number,
    readonly reason: string,
  ) {
    super(`training diverged at step ${step}: ${reason}`);
  }
}

export interface TrainHooks {
  onStep?: (r: StepRecord) => void;
  onEval?: (r: EvalRecord) => void;
  /** Called at step 0 of a fresh run, every `evalEvery` steps and at the end; awaited before training goes on. */
  onCheckpoint?: (trainer: Trainer) => void | Promise<void>;
}

/** Seconds on a monotonic clock (performance.now exists in Node and browsers). */
function seconds(): number {
  return performance.now() / 1000;
}

export class Trainer {
  readonly optimizer: Optimizer;
  readonly config: TrainConfig;
  private stepCount = 0;
  private elapsedBefore = 0;
  private startedAt = seconds();
  private resumed = false;

  constructor(
    readonly model: SparseAutoencoder,
    readonly source: DataSource,
    config: TrainConfigInput,
  ) {
    this.config = trainConfigSchema.parse(config);
    const params = model.parameters();
    const { lr } = this.config;
    this.optimizer = this.config.optimizer === 'adam' ? new Adam(params, lr) : new SGD(params, lr, this.config.momentum);
  }

  /** Completed updates. */
  get step(): number {
    return this.stepCount;
  }

  /** Seconds of training so far, including earlier sessions of a resumed run. */
  get time(): number {
    return this.elapsedBefore + seconds() - this.startedAt;
  }

  /**
   * One update on the next batch. Throws DivergenceError (weights then unusable; the
   * caller keeps its last checkpoint) on a non-finite loss or diverged weights.
   */
  trainStep(): StepRecord {
    const { model, optimizer, config } = this;
    const step = this.stepCount + 1;
    optimizer.lr = learningRate(config.schedule, config.lr, this.stepCount, config.steps);
    const x = this.source.next(config.batch);
    optimizer.zeroGrad();
    let loss;
    try {
      loss = model.loss(x).loss;
    } catch (e) {
      this.checkWeights(step); // weights that are already bad (set from outside) are a divergence, not a bug
      throw e;
    }
    const value = loss.item();
    if (!Number.isFinite(value)) throw new DivergenceError(step, `loss is ${value}`);
    backward(loss);
    optimizer.update();
    model.afterUpdate();
    this.checkWeights(step);
    this.stepCount = step;
    return { type: 'step', step, loss: value, lr: optimizer.lr, time: this.time };
  }

  private checkWeights(step: number): void {
    for (const [name, t] of Object.entries(this.model.stateTensors())) {
      let max = 0;
      const d = t.data;
      for (let i = 0; i < d.length; i++) {
        const a = Math.abs(d[i]);
        if (!(a <= max)) {
          if (!Number.isFinite(a)) throw new DivergenceError(step, `weights "${name}" hold ${d[i]}`);
          max = a;
        }
      }
      if (max > this.config.maxWeight) throw new DivergenceError(step, `weights "${name}" reached max |w| = ${max.toExponential(3)} > ${this.config.maxWeight}`);
    }
  }

  /** Metrics on the source's fixed evaluation set. */
  evaluate(): EvalRecord {
    const metrics = evaluate(this.model, this.source.evalSet(), this.source.truth);
    return { type: 'eval', step: this.stepCount, time: this.time, ...metrics };
  }

  getState(): TrainerState {
    return { step: this.stepCount, elapsed: this.time, optimizer: this.optimizer.getState(), source: this.source.getState() };
  }

  /** Restores a saved state (weights are restored separately, into the model). */
  setState(state: TrainerState): void {
    if (state.optimizer.step !== state.step) throw new RangeError(`trainer state: optimizer step ${state.optimizer.step} differs from step ${state.step}`);
    this.optimizer.setState(state.optimizer);
    this.source.setState(state.source);
    this.stepCount = state.step;
    this.elapsedBefore = state.elapsed;
    this.startedAt = seconds();
    this.resumed = true;
  }

  /**
   * Trains up to `config.steps`: evaluates and checkpoints at the start of a fresh run, every
   * `evalEvery` steps and at the end. A DivergenceError propagates after no further checkpoint.
   */
  async run(hooks: TrainHooks = {}): Promise<void> {
    const { steps, evalEvery } = this.config;
    const checkpoint = async () => {
      const record = this.evaluate();
      hooks.onEval?.(record);
      await hooks.onCheckpoint?.(this);
    };
    if (!this.resumed) await checkpoint();
    while (this.stepCount < steps) {
      const record = this.trainStep(); // not inside `onStep?.(…)`: optional chaining would skip the step
      hooks.onStep?.(record);
      if (this.stepCount % evalEvery === 0 || this.stepCount === steps) await checkpoint();
    }
  }
}
