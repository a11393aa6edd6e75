import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { EuclideanModel, FunctionalModel, validateEuclideanConfig, validateFunctionalConfig } from '../../src/data/index.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import type { ModelConfigInput } from '../../src/models/config.js';
import { createModel } from '../../src/models/registry.js';
import { decodeState, decodeWeights, encodeCheckpoint, RUN_FORMAT, type RunConfig } from '../../src/train/checkpoint.js';
import { ArraySource, OnlineSource, type DataSource, type GeneratorSpec } from '../../src/train/source.js';
import { DivergenceError, Trainer, type StepRecord, type TrainConfigInput } from '../../src/train/trainer.js';

const euclidean: GeneratorSpec = { kind: 'euclidean', config: validateEuclideanConfig({ m: 8, p: 12, sparsity: 2 }) as Record<string, unknown>, seed: 4, resolution: null };
const functional: GeneratorSpec = {
  kind: 'functional',
  config: validateFunctionalConfig({ concepts: 2, baseResolution: 16, family: 'gaussian', width: [0.02, 0.05] }) as Record<string, unknown>,
  seed: 4,
  resolution: 16,
};

const models: Record<string, { spec: GeneratorSpec; model: ModelConfigInput }> = {
  sae: { spec: euclidean, model: { model: 'sae', inputSize: 8, concepts: 12, iters: 5 } },
  'sae-fno': { spec: functional, model: { model: 'sae-fno', channels: 1, concepts: 2, modes: 4, iters: 5, oneSided: true } },
};

/** A dataset of 10 signals from the spec (fewer than the batches drawn, so epochs wrap). */
function arrayData(spec: GeneratorSpec): { data: Float64Array; shape: number[] } {
  if (spec.kind === 'euclidean') {
    const g = new EuclideanModel(spec.config as never, spec.seed);
    return { data: g.generate(10).x, shape: [10, g.m] };
  }
  const g = new FunctionalModel(spec.config as never, spec.seed);
  return { data: g.generate(10, spec.resolution as number).x, shape: [10, 1, spec.resolution as number] };
}

/** A trainer as a fresh run builds it: seeded Rngs for the model, the batches and the evaluation set. */
function build(name: string, sourceKind: 'online' | 'array', train: TrainConfigInput, weights?: Record<string, { data: ArrayLike<number>; shape: readonly number[] }>): Trainer {
  const { spec, model } = models[name];
  const master = new Rng(train.seed ?? 0);
  const [modelRng, dataRng, evalRng] = [master.fork(), master.fork(), master.fork()];
  const source: DataSource =
    sourceKind === 'online' ? new OnlineSource(spec, dataRng, evalRng, 8, 'float32') : new ArraySource(arrayData(spec), {}, null, dataRng, 8, 'float32');
  const m = createModel(model, modelRng, weights ? { kind: 'arrays', tensors: weights } : { kind: 'random' });
  return new Trainer(m, source, train);
}

function weightBytes(t: Trainer): Uint8Array[] {
  return Object.values(t.model.stateTensors()).map((w) => new Uint8Array(w.data.buffer.slice(0)));
}

for (const name of Object.keys(models)) {
  for (const sourceKind of ['online', 'array'] as const) {
    test(`${name}, ${sourceKind} data, Adam: S steps + checkpoint bytes + resume for S steps = 2S steps, bit for bit`, async () => {
      const train: TrainConfigInput = { steps: 12, batch: 4, lr: 1e-2, evalEvery: 100, seed: 7, schedule: { kind: 'step', factor: 0.5, every: 5 } };
      const whole = build(name, sourceKind, train);
      const losses: number[] = [];
      await whole.run({ onStep: (r) => losses.push(r.loss) });

      const first = build(name, sourceKind, { ...train, steps: 6 });
      await first.run();
      const run: RunConfig = { format: RUN_FORMAT, model: first.model.config, train: first.config, data: { kind: 'file', path: '/x', shape: [1] }, resolution: null, init: 'random' };
      const files = encodeCheckpoint(run, first);
      const weights = decodeWeights(decodeSafetensors(files['weights.safetensors']));
      const state = decodeState(decodeSafetensors(files['state.safetensors']));
      assert.equal(weights.step, 6);
      assert.equal(state.step, 6);
      const resumed = build(name, sourceKind, train, weights.tensors);
      resumed.setState(state);
      const later: number[] = [];
      await resumed.run({ onStep: (r) => later.push(r.loss) });
      assert.equal(resumed.step, 12);
      // bit-identical: every byte of every weight tensor, and the losses of steps 7…12
      assert.deepEqual(weightBytes(resumed), weightBytes(whole));
      assert.deepEqual(later, losses.slice(6));
      // a resume that skipped the optimizer state would differ (so the test can fail)
      const naive = build(name, sourceKind, train, weights.tensors);
      naive.setState({ ...state, optimizer: { ...state.optimizer, buffers: Object.fromEntries(Object.entries(state.optimizer.buffers).map(([k, v]) => [k, v.map(() => 0)])) } });
      await naive.run();
      assert.notDeepEqual(weightBytes(naive), weightBytes(whole));
    });
  }
}

test('same seed ⇒ identical losses and weights; another seed ⇒ different ones', async () => {
  const runOnce = async (seed: number) => {
    const t = build('sae', 'online', { steps: 8, batch: 4, seed, evalEvery: 100 });
    const losses: number[] = [];
    await t.run({ onStep: (r: StepRecord) => losses.push(r.loss) });
    return { losses, weights: weightBytes(t) };
  };
  const a = await runOnce(3);
  const b = await runOnce(3);
  const c = await runOnce(4);
  assert.deepEqual(a.losses, b.losses);
  assert.deepEqual(a.weights, b.weights);
  assert.notDeepEqual(a.losses, c.losses);
});

test('an absurd learning rate stops training with DivergenceError naming the step', async () => {
  // SGD without atom normalisation: w ← w − 1e12·g makes max |w| far exceed the 1e6 bound at step 1
  const t = build('sae', 'online', { steps: 5, batch: 4, lr: 1e12, optimizer: 'sgd', evalEvery: 100 });
  (t.model.config as { normalize: boolean }).normalize = false;
  let checkpoints = 0;
  await assert.rejects(
    t.run({ onCheckpoint: () => void checkpoints++ }),
    (e: unknown) => e instanceof DivergenceError && e.step === 1 && /step 1: weights "D" reached max \|w\| = .* > 1000000/.test(e.message),
  );
  assert.equal(checkpoints, 1, 'only the step-0 checkpoint; none after the divergence');
  assert.equal(t.step, 0);
  // a NaN loss is caught before any update: NaN weights give a NaN loss
  const u = build('sae', 'online', { steps: 5, batch: 4, evalEvery: 100 });
  u.model.stateTensors().D.data[0] = NaN;
  assert.throws(() => u.trainStep(), (e: unknown) => e instanceof DivergenceError && /diverged at step 1: weights "D" hold NaN/.test(e.message));
});

test('step records carry the scheduled learning rate', () => {
  const t = build('sae', 'online', { steps: 6, batch: 2, lr: 0.1, schedule: { kind: 'step', factor: 0.1, every: 2 } });
  const lrs = Array.from({ length: 5 }, () => t.trainStep().lr);
  // 0.1 for updates 0–1, 0.01 for 2–3, 0.001 for 4 (float64 products, exact to 1e-15)
  [0.1, 0.1, 0.01, 0.01, 0.001].forEach((v, i) => assert.ok(Math.abs(lrs[i] - v) <= 1e-15, `update ${i}: ${lrs[i]}`));
});
