import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { EuclideanModel, validateEuclideanConfig, validateFunctionalConfig } from '../../src/data/index.js';
import { ArraySource, OnlineSource, type GeneratorSpec } from '../../src/train/source.js';

/** count signals of length 2 whose first entry is the row index. */
function rows(count: number): { data: Float64Array; shape: number[] } {
  const data = new Float64Array(2 * count);
  for (let i = 0; i < count; i++) data.set([i, -i], 2 * i);
  return { data, shape: [count, 2] };
}

function drawRows(src: ArraySource, batches: number, batch: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < batches; b++) {
    const x = src.next(batch);
    for (let i = 0; i < batch; i++) out.push(x.data[2 * i]);
  }
  return out;
}

test('ArraySource: every epoch visits every signal once, epochs are shuffled differently, batches run across epochs', () => {
  const src = new ArraySource(rows(7), {}, null, new Rng(3), 4, 'float64');
  const seen = drawRows(src, 7, 3); // 21 draws = 3 epochs of 7
  const epochs = [seen.slice(0, 7), seen.slice(7, 14), seen.slice(14, 21)];
  for (const e of epochs) assert.deepEqual([...e].sort(), [0, 1, 2, 3, 4, 5, 6]);
  assert.notDeepEqual(epochs[0], epochs[1]);
  assert.notDeepEqual(epochs[0], [0, 1, 2, 3, 4, 5, 6], 'shuffled');
  const other = drawRows(new ArraySource(rows(7), {}, null, new Rng(4), 4, 'float64'), 7, 3);
  assert.notDeepEqual(other, seen, 'the seed decides the order');
  const st = src.getState();
  assert.ok(st.kind === 'array' && st.epoch === 2 && st.position === 7, JSON.stringify(st));
});

test('ArraySource: a saved state mid-epoch continues with exactly the same batches', () => {
  const a = new ArraySource(rows(5), {}, null, new Rng(9), 4, 'float32');
  drawRows(a, 3, 4); // 12 draws: epoch 2, position 2
  const state = structuredClone(a.getState());
  const rest = drawRows(a, 4, 3);
  const b = new ArraySource(rows(5), {}, null, new Rng(123), 4, 'float32');
  b.setState(state);
  assert.deepEqual(drawRows(b, 4, 3), rest);
  assert.equal(b.next(1).dtype, 'float32');
});

test('ArraySource: the evaluation set is the first evalCount signals with their truth', () => {
  const occurrences = [
    { signal: 0, concept: 1, tau: 0.25, amp: 1 },
    { signal: 3, concept: 0, tau: 0.5, amp: 2 },
  ];
  const src = new ArraySource(rows(6), { occurrences, codes: Float64Array.from({ length: 12 }, (_, i) => i) }, null, new Rng(1), 3, 'float64');
  const ev = src.evalSet();
  assert.deepEqual(ev.x.shape, [3, 2]);
  assert.deepEqual(Array.from(ev.x.data), [0, -0, 1, -1, 2, -2]);
  assert.deepEqual(ev.occurrences, [occurrences[0]]);
  assert.deepEqual(Array.from(ev.codes!), [0, 1, 2, 3, 4, 5]);
});

test('OnlineSource: fresh batches from the data Rng, restorable; a fixed evaluation set; the generator\'s truth', () => {
  const spec: GeneratorSpec = { kind: 'euclidean', config: validateEuclideanConfig({ m: 4, p: 6, sparsity: 2 }) as Record<string, unknown>, seed: 2, resolution: null };
  const src = new OnlineSource(spec, new Rng(5), new Rng(6), 10, 'float32');
  const ev = Array.from(src.evalSet().x.data);
  const first = Array.from(src.next(3).data);
  const state = structuredClone(src.getState());
  const second = Array.from(src.next(3).data);
  assert.notDeepEqual(first, second, 'fresh data every batch');
  src.setState(state);
  assert.deepEqual(Array.from(src.next(3).data), second);
  assert.deepEqual(Array.from(src.evalSet().x.data), ev, 'the evaluation set does not move');
  assert.equal(src.evalSet().codes!.length, 10 * 6);
  const g = new EuclideanModel(spec.config as never, 2);
  src.truth.atoms.forEach((a, j) => a.forEach((v, i) => assert.equal(v, g.dictionary[i * 6 + j])));

  const fspec: GeneratorSpec = { kind: 'functional', config: validateFunctionalConfig({ concepts: 3, family: 'box', baseResolution: 8 }) as Record<string, unknown>, seed: 1, resolution: 16 };
  const f = new OnlineSource(fspec, new Rng(5), new Rng(6), 4, 'float64');
  assert.deepEqual(f.signalShape, [1, 16]);
  assert.deepEqual(f.next(2).shape, [2, 1, 16]);
  assert.equal(f.truth.atoms.length, 3);
  assert.equal(f.truth.baseResolution, 8);
  assert.equal(f.truth.oneSparse, false);
  assert.ok(f.evalSet().occurrences!.every((o) => o.signal < 4));
});
