/**
 * Where one training step's time goes, in a fresh process: `tsx bench/profile-child.ts --case S4 [--threads 2]
 * [--steps 40] [--warmup-s 2]` prints one JSON line {case, impl: 'saeno-profile', threads, ms, phases}: the
 * median per step of the fused encoder (ISTA tape) forward and backward, the decoder tape forward and backward,
 * the operator norm for α, Adam, the renormalisation, and the rest (autodiff glue, loss, dense decoder matmuls,
 * liftings, copies, GC). The kernels' methods are wrapped with timers here, so the library carries no
 * instrumentation; the wrappers cost a few µs per step.
 */
import { backward } from '../src/core/autodiff.js';
import { DenseIsta } from '../src/core/kernels/ista-dense.js';
import { SpectralIsta } from '../src/core/kernels/ista-spectral.js';
import { SpectralDecoder } from '../src/core/kernels/decoder.js';
import { Adam } from '../src/core/optim.js';
import { Rng } from '../src/core/rng.js';
import { Tensor } from '../src/core/tensor.js';
import { useThreads } from '../src/io/threads.js';
import { createModel } from '../src/models/registry.js';
import { arg } from './lib.js';
import { CASES, caseConfig, median } from './train.js';

const name = arg('case') ?? 'S1';
const c = CASES[name];
if (!c) throw new Error(`bench/profile-child: unknown case ${name}; expected one of ${Object.keys(CASES).join(', ')}`);
const threads = Number(arg('threads') ?? '1');
const steps = Number(arg('steps') ?? '40');
const warmupS = Number(arg('warmup-s') ?? '2');

/** time spent in each phase during the current step */
const current: Record<string, number> = {};
function timed(proto: object, method: string, phase: string): void {
  const p = proto as Record<string, (...a: unknown[]) => unknown>;
  const f = p[method];
  p[method] = function (this: unknown, ...a: unknown[]) {
    const t0 = performance.now();
    try {
      return f.apply(this, a);
    } finally {
      current[phase] = (current[phase] ?? 0) + performance.now() - t0;
    }
  };
}
for (const tape of [DenseIsta.prototype, SpectralIsta.prototype]) {
  timed(tape, 'forward', 'encoder_forward');
  timed(tape, 'backward', 'encoder_backward');
}
timed(SpectralDecoder.prototype, 'forward', 'decoder_forward');
timed(SpectralDecoder.prototype, 'backward', 'decoder_backward');

const pool = useThreads(threads);
await pool.ready;
const model = createModel(caseConfig(c), new Rng(0));
timed(Object.getPrototypeOf(model.dictionary) as object, 'normSq', 'operator_norm');
const x = Tensor.randn(model.functional ? [c.B, 1, c.N as number] : [c.B, c.m as number], new Rng(1), 'float32');
const opt = new Adam(model.parameters(), 1e-3);
const phases: Record<string, number[]> = {};
const run = (record: boolean): void => {
  for (const k of Object.keys(current)) current[k] = 0;
  const t0 = performance.now();
  opt.zeroGrad();
  const r = model.loss(x);
  backward(r.loss);
  const t1 = performance.now();
  opt.update();
  const t2 = performance.now();
  model.afterUpdate();
  const t3 = performance.now();
  if (!record) return;
  const step = t3 - t0;
  const inner = Object.values(current).reduce((a, b) => a + b, 0);
  Object.assign(current, { adam: t2 - t1, renormalise: t3 - t2, rest: t1 - t0 - inner, step });
  for (const [k, v] of Object.entries(current)) (phases[k] ??= []).push(v);
};
for (const until = performance.now() + 1000 * warmupS; performance.now() < until; ) run(false);
for (let i = 0; i < steps; i++) run(true);
const med = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, median(v)]));
process.stdout.write(`${JSON.stringify({ case: name, impl: 'saeno-profile', threads, ms: med.step, phases: med, params: { ...c, steps, warmup_s: warmupS } })}\n`);
await pool.close();
