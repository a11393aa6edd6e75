import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { createModel } from '../../src/models/registry.js';
import { validateEuclideanConfig } from '../../src/data/index.js';
import { CheckpointError, decodeRunConfig, decodeState, decodeWeights, encodeCheckpoint, RUN_FORMAT, type RunConfig } from '../../src/train/checkpoint.js';
import { OnlineSource } from '../../src/train/source.js';
import { Trainer } from '../../src/train/trainer.js';

function trained(): { run: RunConfig; trainer: Trainer } {
  const generator = { kind: 'euclidean' as const, config: validateEuclideanConfig({ m: 4, p: 5, sparsity: 1 }) as Record<string, unknown>, seed: 1, resolution: null };
  const model = createModel({ model: 'l-sae', inputSize: 4, concepts: 5, liftWidth: 6, lifting: 'learned', learnLambda: true, iters: 3 }, new Rng(1));
  const trainer = new Trainer(model, new OnlineSource(generator, new Rng(2), new Rng(3), 4, 'float32'), { steps: 3, batch: 2 });
  for (let i = 0; i < 3; i++) trainer.trainStep();
  const run: RunConfig = { format: RUN_FORMAT, model: model.config, train: trainer.config, data: { kind: 'online', generator }, resolution: null, init: 'random' };
  return { run, trainer };
}

test('a checkpoint round-trips: config, every state tensor (D, L, P, λ) in the model dtype, optimizer buffers, Rng state', () => {
  const { run, trainer } = trained();
  const files = encodeCheckpoint(run, trainer);
  assert.deepEqual(decodeRunConfig(files['config.json']), run);
  const w = decodeWeights(decodeSafetensors(files['weights.safetensors']));
  assert.equal(w.step, 3);
  assert.deepEqual(w.model, trainer.model.config);
  for (const [name, t] of Object.entries(trainer.model.stateTensors())) {
    assert.ok(w.tensors[name].data instanceof Float32Array, `${name} stays float32`);
    assert.deepEqual(Array.from(w.tensors[name].data), Array.from(t.data), name);
    assert.deepEqual(w.tensors[name].shape, t.shape);
  }
  const s = decodeState(decodeSafetensors(files['state.safetensors']));
  const live = trainer.getState();
  assert.equal(s.step, 3);
  assert.deepEqual(s.source, live.source);
  assert.deepEqual(Object.keys(s.optimizer.buffers).sort(), Object.keys(live.optimizer.buffers).sort());
  for (const [k, v] of Object.entries(live.optimizer.buffers)) assert.deepEqual(s.optimizer.buffers[k], v, k);
  assert.equal(Object.keys(live.optimizer.buffers).length, 2 * 4, 'Adam m and v for D_L, L, P, λ');
});

test('bad checkpoint files: errors name the file and the field', () => {
  const { run } = trained();
  assert.throws(() => decodeRunConfig('{', 'r/config.json'), (e: unknown) => e instanceof CheckpointError && /^r\/config\.json: not valid JSON/.test(e.message));
  assert.throws(() => decodeRunConfig(JSON.stringify({ ...run, extra: 1 }), 'c.json'), /c\.json: unknown key 'extra'/);
  assert.throws(() => decodeRunConfig(JSON.stringify({ ...run, train: { ...run.train, lr: -1 } }), 'c.json'), /c\.json: train\.lr: /);
  assert.throws(() => decodeState(decodeSafetensors(encodeSafetensors({})), 's.safetensors'), /s\.safetensors: metadata "saeno" is missing/);
  const bad = encodeSafetensors({}, { saeno: JSON.stringify({ format: RUN_FORMAT, step: 1, elapsed: 0, optimizer: { kind: 'adam', step: 1 }, source: { kind: 'online' } }) });
  assert.throws(() => decodeState(decodeSafetensors(bad), 's.safetensors'), /s\.safetensors: metadata "saeno": source\.rng: /);
  const ints = encodeSafetensors({ D: { dtype: 'int32', shape: [1], data: new Int32Array(1) } });
  assert.throws(() => decodeWeights(decodeSafetensors(ints), 'w.safetensors'), /w\.safetensors: tensor "D" has dtype int32/);
});
