/**
 * Training-step benchmark S1–S5 (issue 5 "Speed", issue 7): one full step of the library exactly as
 * training runs it (forward, `full` backward, Adam, `afterUpdate` renormalisation), float32.
 * The data and sizes follow bench/peer/README.md so the PyTorch peer times the same step.
 */
import { backward } from '../src/core/autodiff.js';
import { Adam } from '../src/core/optim.js';
import { Rng } from '../src/core/rng.js';
import { Tensor } from '../src/core/tensor.js';
import type { ModelConfigInput } from '../src/models/config.js';
import { createModel } from '../src/models/registry.js';

/** Sizes of one benchmark case (peer README names). */
export interface StepCase {
  model: 'sae' | 'l-sae' | 'sae-cnn' | 'l-sae-cnn' | 'sae-fno' | 'l-sae-fno';
  m?: number;
  p?: number;
  h?: number;
  C?: number;
  K?: number;
  M?: number;
  N?: number;
  B: number;
  T: number;
}

/** The standard cases of issue 5 (λ = 0.1, Adam lr 1e-3, learned lifting for S4). */
export const CASES: Record<string, StepCase> = {
  S1: { model: 'sae', m: 64, p: 128, B: 128, T: 20 },
  S2: { model: 'sae-cnn', C: 5, K: 32, N: 256, B: 64, T: 20 },
  S3: { model: 'sae-fno', C: 5, M: 16, N: 256, B: 64, T: 20 },
  S4: { model: 'l-sae-fno', h: 16, C: 5, M: 16, N: 256, B: 64, T: 20 },
  S5: { model: 'sae-fno', C: 64, M: 32, N: 1024, B: 32, T: 10 },
};

/**
 * Analytic FLOPs of one training step (peer README): 3× the forward of the canonical algorithm,
 * (2T + 1) operator applications plus the two liftings; c_in = 1 for the functional cases.
 */
export function stepFlops(c: StepCase): number {
  const lifted = c.model.startsWith('l-');
  const base = lifted ? c.model.slice(2) : c.model;
  const cin = base === 'sae' ? (c.m as number) : 1;
  const cop = lifted ? (c.h as number) : cin;
  let op: number;
  let lift: number;
  if (base === 'sae') {
    op = 2 * c.B * cop * (c.p as number);
    lift = 2 * c.B * cop * cin;
  } else {
    const N = c.N as number;
    lift = 2 * c.B * cop * cin * N;
    if (base === 'sae-cnn') op = 2 * c.B * cop * (c.C as number) * (c.K as number) * N;
    else op = c.B * ((c.C as number) + cop) * 2.5 * N * Math.log2(N) + 8 * c.B * cop * (c.C as number) * (c.M as number);
  }
  return 3 * ((2 * c.T + 1) * op + (lifted ? 2 * lift : 0));
}

/** The model configuration of a case. */
export function caseConfig(c: StepCase): ModelConfigInput {
  const functional = !c.model.endsWith('sae');
  return {
    model: c.model,
    dtype: 'float32',
    concepts: functional ? (c.C as number) : (c.p as number),
    ...(functional ? { channels: 1 } : { inputSize: c.m }),
    ...(c.K ? { kernelSize: c.K } : {}),
    ...(c.M ? { modes: c.M } : {}),
    ...(c.model.startsWith('l-') ? { liftWidth: c.h, lifting: 'learned' as const } : {}),
    iters: c.T,
    lambda: 0.1,
    grad: 'full',
  };
}

export interface StepTiming {
  /** median ms per step over `steps` timed steps */
  ms: number;
  ms_min: number;
  /** median process CPU ms per step (user + system, all threads) */
  cpu_ms: number;
  loss: number;
}

/**
 * Times `steps` training steps after a warm-up of at least `warmup` steps and `warmupS` seconds (weights seed 0,
 * a fixed standard-normal batch seed 1). Returns the median wall and CPU times per step.
 *
 * Why a timed warm-up: with both cores busy the engine's background compiler (V8 tiering the JS and the WASM
 * kernels up) gets little CPU, so at 2 threads the first ~1 s of steps runs up to 2× slower than the steady state
 * a training run lives in (measured on S3: 5 warm-up steps 6.7 ms median, 200 steps 3.9 ms).
 */
export function timeSteps(c: StepCase, steps: number, warmup: number, warmupS = 0): StepTiming {
  const model = createModel(caseConfig(c), new Rng(0));
  const shape = model.functional ? [c.B, 1, c.N as number] : [c.B, c.m as number];
  const x = Tensor.randn(shape, new Rng(1), 'float32');
  const opt = new Adam(model.parameters(), 1e-3);
  const step = (): number => {
    opt.zeroGrad();
    const r = model.loss(x);
    backward(r.loss);
    opt.update();
    model.afterUpdate();
    return r.loss.item();
  };
  const warmUntil = performance.now() + 1000 * warmupS;
  for (let i = 0; i < warmup || performance.now() < warmUntil; i++) step();
  const wall: number[] = [];
  const cpu: number[] = [];
  let loss = NaN;
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    loss = step();
    wall.push(performance.now() - t0);
    const dc = process.cpuUsage(c0);
    cpu.push((dc.user + dc.system) / 1000);
  }
  if (!Number.isFinite(loss)) throw new Error(`bench/train: non-finite loss ${loss} for ${c.model}`);
  return { ms: median(wall), ms_min: Math.min(...wall), cpu_ms: median(cpu), loss };
}

export function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : 0.5 * (s[h - 1] + s[h]);
}
