/**
 * First-order optimizers over parameter tensors: SGD (with momentum) and Adam. Their
 * state (moments, step count) round-trips exactly through `getState`/`setState`, so a
 * resumed run is bit-identical to an uninterrupted one.
 */
import { allocate, type FloatArray, Tensor } from './tensor.js';

/** Named buffers plus scalars: what a checkpoint stores. */
export interface OptimizerState {
  kind: 'sgd' | 'adam';
  step: number;
  buffers: Record<string, FloatArray>;
}

export abstract class Optimizer {
  /** Learning rate; schedules set it before each step. */
  lr: number;
  protected stepCount = 0;

  constructor(
    readonly params: Tensor[],
    lr: number,
  ) {
    if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`optimizer: learning rate must be a positive finite number, got ${lr}`);
    this.lr = lr;
  }

  get step(): number {
    return this.stepCount;
  }

  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** Applies one update from the parameters' accumulated `.grad` (missing grad = 0). */
  abstract update(): void;
  abstract getState(): OptimizerState;
  abstract setState(state: OptimizerState): void;

  protected buffersFor(prefix: string, bufs: FloatArray[]): Record<string, FloatArray> {
    const out: Record<string, FloatArray> = {};
    bufs.forEach((b, i) => (out[`${prefix}.${i}`] = b.slice()));
    return out;
  }

  protected restore(prefix: string, bufs: FloatArray[], state: OptimizerState): void {
    bufs.forEach((b, i) => {
      const src = state.buffers[`${prefix}.${i}`];
      if (!src || src.length !== b.length) throw new RangeError(`optimizer state: buffer ${prefix}.${i} missing or of wrong length`);
      b.set(src);
    });
  }
}

/** SGD with (heavy-ball) momentum μ: v ← μv + g, p ← p − lr·v. */
export class SGD extends Optimizer {
  private readonly velocity: FloatArray[];

  constructor(
    params: Tensor[],
    lr: number,
    readonly momentum = 0,
  ) {
    super(params, lr);
    this.velocity = params.map((p) => allocate(p.dtype, p.size));
  }

  update(): void {
    this.stepCount++;
    this.params.forEach((p, k) => {
      const g = p.grad;
      if (!g) return;
      const v = this.velocity[k];
      const d = p.data;
      const mu = this.momentum;
      for (let i = 0; i < d.length; i++) {
        v[i] = mu * v[i] + g[i];
        d[i] -= this.lr * v[i];
      }
    });
  }

  getState(): OptimizerState {
    return { kind: 'sgd', step: this.stepCount, buffers: this.buffersFor('velocity', this.velocity) };
  }

  setState(state: OptimizerState): void {
    if (state.kind !== 'sgd') throw new RangeError(`optimizer state is for ${state.kind}, not sgd`);
    this.restore('velocity', this.velocity, state);
    this.stepCount = state.step;
  }
}

/** Adam (Kingma & Ba) with bias correction, as in PyTorch's default (no weight decay). */
export class Adam extends Optimizer {
  private readonly m: FloatArray[];
  private readonly v: FloatArray[];

  constructor(
    params: Tensor[],
    lr: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-8,
  ) {
    super(params, lr);
    this.m = params.map((p) => allocate(p.dtype, p.size));
    this.v = params.map((p) => allocate(p.dtype, p.size));
  }

  update(): void {
    this.stepCount++;
    const t = this.stepCount;
    const { beta1: b1, beta2: b2, eps } = this;
    const c1 = 1 - Math.pow(b1, t);
    const c2 = Math.sqrt(1 - Math.pow(b2, t));
    const stepSize = this.lr / c1;
    this.params.forEach((p, k) => {
      const g = p.grad;
      if (!g) return;
      const m = this.m[k];
      const v = this.v[k];
      const d = p.data;
      for (let i = 0; i < d.length; i++) {
        const gi = g[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        d[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / c2 + eps);
      }
    });
  }

  getState(): OptimizerState {
    return { kind: 'adam', step: this.stepCount, buffers: { ...this.buffersFor('m', this.m), ...this.buffersFor('v', this.v) } };
  }

  setState(state: OptimizerState): void {
    if (state.kind !== 'adam') throw new RangeError(`optimizer state is for ${state.kind}, not adam`);
    this.restore('m', this.m, state);
    this.restore('v', this.v, state);
    this.stepCount = state.step;
  }
}
