import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { backward } from '../../src/core/autodiff.js';
import { mul } from '../../src/core/ops/elementwise.js';
import { istaConv, istaDense, istaSpectral, type FusedIstaOptions } from '../../src/core/ops/ista.js';
import { sqNorm } from '../../src/core/ops/reduce.js';
import { spectralConv } from '../../src/core/ops/spectral.js';
import { chunkRange, threadCount } from '../../src/core/parallel.js';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { useThreads, type ThreadPool } from '../../src/io/threads.js';

/** Output and every gradient of a fused op under ‖z ⊙ y‖², as plain arrays. */
function run(f: (inputs: Tensor[]) => Tensor, inputs: Tensor[], y: Tensor): Float64Array[] {
  for (const p of inputs) p.zeroGrad();
  const z = f(inputs);
  backward(sqNorm(mul(z, y)));
  return [Float64Array.from(z.data), ...inputs.map((p) => Float64Array.from(p.ensureGrad()))];
}

function cases(): Array<[string, (i: Tensor[]) => Tensor, Tensor[], Tensor]> {
  const rng = new Rng(8);
  const p = (shape: number[], std = 1) => {
    const t = Tensor.randn(shape, rng, 'float32', std);
    t.requiresGrad = true;
    return t;
  };
  const lambda = Tensor.scalar(0.1, 'float32', { requiresGrad: true });
  const o: FusedIstaOptions = { iters: 6, alpha: 0.3, lambda, oneSided: false };
  // B = 13 is not a multiple of the chunk count, so chunks have unequal sizes
  return [
    ['dense Gram', (i) => istaDense(i[0], i[1], o), [p([13, 6], 2), p([6, 9], 0.4), lambda], Tensor.randn([13, 9], rng)],
    ['dense direct', (i) => istaDense(i[0], i[1], o), [p([13, 3], 2), p([3, 8], 0.4), lambda], Tensor.randn([13, 8], rng)],
    ['spectral', (i) => istaSpectral(i[0], i[1], i[2], o), [p([13, 2, 16], 2), p([2, 3, 5], 0.3), p([2, 3, 5], 0.3), lambda], Tensor.randn([13, 3, 16], rng)],
    ['spectral Gram (C ≤ c_out)', (i) => istaSpectral(i[0], i[1], i[2], o), [p([13, 4, 16], 2), p([4, 3, 5], 0.3), p([4, 3, 5], 0.3), lambda], Tensor.randn([13, 3, 16], rng)],
    ['conv', (i) => istaConv(i[0], i[1], o), [p([13, 1, 16], 2), p([1, 3, 4], 0.3), lambda], Tensor.randn([13, 3, 16], rng)],
    // decoder jobs of ≥ 2^14 signal samples B·(C + c_out)·N, so they go to the pool (smaller ones stay on the caller)
    ['spectral decoder', (i) => spectralConv(i[0], i[1], i[2]), [p([13, 8, 2048], 2), p([2, 8, 5], 0.3), p([2, 8, 5], 0.3)], Tensor.randn([13, 2, 2048], rng)],
    ['spectral decoder (c_out > C)', (i) => spectralConv(i[0], i[1], i[2]), [p([13, 2, 4096], 2), p([4, 2, 5], 0.3), p([4, 2, 5], 0.3)], Tensor.randn([13, 4, 4096], rng)],
  ];
}

let pool: ThreadPool | null = null;
after(async () => {
  if (pool) await pool.close();
});

test('chunks cover the batch exactly once, in order', () => {
  for (const B of [1, 5, 8, 13, 64]) {
    const chunks = Math.min(8, B);
    let next = 0;
    for (let c = 0; c < chunks; c++) {
      const [b0, b1] = chunkRange(c, chunks, B);
      assert.equal(b0, next);
      assert.ok(b1 > b0);
      next = b1;
    }
    assert.equal(next, B);
  }
});

test('fused ops and the spectral decoder give bit-identical codes and gradients on 1 and 3 threads (fixed chunks, ordered reductions)', async () => {
  const single = cases().map(([name, f, inputs, y]) => [name, run(f, inputs, y)] as const);
  pool = useThreads(3);
  await pool.ready; // else the first chunks run on this thread while the workers load
  assert.equal(threadCount(), 3);
  const multi = cases().map(([, f, inputs, y]) => run(f, inputs, y));
  const stats = await pool.stats();
  assert.ok(stats.every((s) => s.jobs >= 2 * cases().length), `every worker was sent every job: ${JSON.stringify(stats)}`);
  single.forEach(([name, ref], k) => {
    ref.forEach((a, j) => assert.deepEqual(multi[k][j], a, `${name}: array ${j} differs between 1 and 3 threads`));
    assert.ok(ref[0].some((v) => v !== 0), `${name}: codes all zero`);
  });
});
