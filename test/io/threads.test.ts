import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { backward } from '../../src/core/autodiff.js';
import { mul } from '../../src/core/ops/elementwise.js';
import { istaDense, istaSpectral } from '../../src/core/ops/ista.js';
import { sqNorm } from '../../src/core/ops/reduce.js';
import { CHUNKS, TapeMemory, threadCount, type ChunkedTape } from '../../src/core/parallel.js';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { MAX_THREADS, ThreadError, useThreads, withThreads } from '../../src/io/threads.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Codes and every gradient of a dense and a spectral fused ISTA under ‖z ⊙ y‖², as plain arrays (B = 13: unequal chunks). */
function fusedRun(): Float64Array[] {
  const rng = new Rng(3);
  const p = (shape: number[], std: number) => {
    const t = Tensor.randn(shape, rng, 'float32', std);
    t.requiresGrad = true;
    return t;
  };
  const o = { iters: 5, alpha: 0.3, lambda: 0.1, oneSided: false };
  const out: Float64Array[] = [];
  const x = p([13, 6], 2), D = p([6, 9], 0.4);
  const xs = p([13, 2, 16], 2), wRe = p([2, 3, 5], 0.3), wIm = p([2, 3, 5], 0.3);
  for (const [z, inputs] of [[istaDense(x, D, o), [x, D]], [istaSpectral(xs, wRe, wIm, o), [xs, wRe, wIm]]] as const) {
    backward(sqNorm(mul(z, Tensor.randn(z.shape, rng))));
    out.push(Float64Array.from(z.data), ...inputs.map((t) => Float64Array.from(t.ensureGrad())));
  }
  return out;
}

test('useThreads: 2 threads give bit-identical fused-ISTA codes and gradients; the worker got the tapes and jobs; close goes back to 1 thread', async () => {
  const single = fusedRun();
  const pool = useThreads(2);
  try {
    await pool.ready;
    assert.equal(threadCount(), 2);
    const multi = fusedRun();
    // exact equality: fixed chunks and chunk-ordered reductions make the arithmetic independent of the lanes
    single.forEach((a, j) => assert.deepEqual(multi[j], a, `array ${j} differs between 1 and 2 threads`));
    assert.ok(single[0].some((v) => v !== 0));
    const [s] = await pool.stats();
    // 2 tapes (dense, spectral); each runs a forward and a backward job at least
    assert.ok(s.tapes >= 2 && s.jobs >= 4, `worker stats ${JSON.stringify(s)}`);
    assert.deepEqual(pool.failures, []);
  } finally {
    await pool.close();
  }
  assert.equal(threadCount(), 1);
  await pool.close(); // idempotent
});

test('useThreads rejects bad counts and a second active pool with a ThreadError naming the function', async () => {
  for (const n of [0, -1, 1.5, MAX_THREADS + 1, Number.NaN]) assert.throws(() => useThreads(n), (e: Error) => e instanceof ThreadError && /^useThreads: threads must be an integer from 1 to 8, got /.test(e.message), String(n));
  const pool = useThreads(1);
  assert.throws(() => useThreads(2), /useThreads: a pool of 1 threads is already active/);
  await pool.close();
  await withThreads(1, () => assert.equal(threadCount(), 1));
});

test('a chunk that fails in a worker is one ThreadError naming the worker and its error, not a hang', async () => {
  /** A tape kind that no module registers: the worker cannot build it, the calling thread's chunks wait for it. */
  class Unregistered implements ChunkedTape {
    readonly kind = 'test-unregistered';
    readonly spec = {};
    private readonly mem = new TapeMemory();
    runChunk(): void {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); // leave the worker time to take its job
    }
    run(): void {
      this.mem.run(this, 'noop', null, CHUNKS);
    }
  }
  const started = Date.now();
  await assert.rejects(
    withThreads(2, () => new Unregistered().run()),
    (e: Error) => e instanceof ThreadError && /^parallel: a chunk of test-unregistered\.noop failed .*: worker thread 1 of 1: ParallelError: parallel worker: unknown tape kind "test-unregistered"/.test(e.message),
  );
  assert.ok(Date.now() - started < 10000, 'took longer than the start-up and one job');
  assert.equal(threadCount(), 1);
});

/** Runs a module with a plain `node` (no loader) or with tsx; returns its status, output and wall time. */
function runNode(file: string, tsx: boolean): { status: number | null; signal: string | null; out: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [...(tsx ? ['--import', 'tsx'] : []), file], { cwd: root, encoding: 'utf8', timeout: 30000 });
  return { status: r.status, signal: r.signal, out: `${r.stdout}${r.stderr}`, ms: Date.now() - t0 };
}

test('from the TypeScript sources (tsx), from compiled JavaScript, from a `node --input-type=module -e` string and under inherited V8 flags, an unclosed pool starts and does not keep the process alive', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'saeno-threads-'));
  try {
    // the compiled layout of dist/: every src/*.ts as .js next to each other, run by node without a loader
    const sources = fs.readdirSync(path.join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    buildSync({ entryPoints: sources.map((f) => path.join(root, 'src', f)), outdir: path.join(dir, 'src'), outbase: path.join(root, 'src'), format: 'esm', platform: 'node', logLevel: 'error' });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    const script = (lib: string, ext: string) => `
      import { useThreads } from ${JSON.stringify(`${lib}/io/threads.${ext}`)};
      import { istaDense } from ${JSON.stringify(`${lib}/core/ops/ista.${ext}`)};
      import { Tensor } from ${JSON.stringify(`${lib}/core/tensor.${ext}`)};
      import { Rng } from ${JSON.stringify(`${lib}/core/rng.${ext}`)};
      const pool = useThreads(2);
      await pool.ready;
      const rng = new Rng(1);
      istaDense(Tensor.randn([16, 4], rng, 'float32'), Tensor.randn([4, 6], rng, 'float32'), { iters: 3, alpha: 0.2, lambda: 0.1, oneSided: false });
      const [s] = await pool.stats();
      console.log('jobs', s.jobs); // no close: the unref'd worker must not hold the process
    `;
    const compiled = path.join(dir, 'compiled.mjs');
    fs.writeFileSync(compiled, script(path.join(dir, 'src'), 'js'));
    const source = path.join(dir, 'source.mts');
    fs.writeFileSync(source, script(path.join(root, 'src'), 'ts'));
    for (const [name, file, tsx] of [['compiled', compiled, false], ['source', source, true]] as const) {
      const r = runNode(file, tsx);
      assert.equal(r.signal, null, `${name}: killed after 30 s (the process hung): ${r.out}`);
      assert.equal(r.status, 0, `${name}: ${r.out}`);
      assert.match(r.out, /^jobs [1-9]/, name);
    }
    // the same compiled module from a `node --input-type=module -e` string, and under V8 and process flags the
    // workers inherit (a worker's file entry is refused under --input-type; explicit execArgv would refuse the others)
    const runs: Array<[string, string[]]> = [
      ['--input-type=module -e', ['--input-type=module', '-e', `await import(${JSON.stringify(compiled)});`]],
      ['V8 and process flags', ['--max-old-space-size=2048', '--trace-gc', '--title=saeno-test', compiled]],
    ];
    for (const [name, args] of runs) {
      const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 30000 });
      assert.equal(r.status, 0, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /^jobs [1-9]/m, name);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
