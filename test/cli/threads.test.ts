import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { threadCount } from '../../src/core/parallel.js';
import { readSafetensors } from '../../src/io/files.js';
import { decodeState } from '../../src/train/checkpoint.js';
import { bundle, saeno, tempDir } from './run.js';

const dir = tempDir('saeno-threads-');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A few steps of each family's fused kernel, batches of 16 (two samples per chunk), an evaluation mid-way. */
const RUNS: Array<[string, string[]]> = [
  ['sae', ['--model', 'sae', '--kind', 'euclidean', '--m', '12', '--p', '18', '--sparsity', '3', '--iters', '15']],
  ['sae-fno', ['--model', 'sae-fno', '--kind', 'functional', '--family', 'gabor', '--concepts', '3', '--resolution', '32', '--modes', '8', '--iters', '15']],
];
const COMMON = ['--batch', '16', '--eval-every', '3', '--eval-count', '32', '--seed', '2', '--quiet'];

/** The log without wall-clock fields (`time`), split into the start records and the rest. */
function readLog(run: string): { starts: unknown[]; records: unknown[] } {
  const lines = fs.readFileSync(path.join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; time?: number });
  for (const l of lines) delete l.time;
  return { starts: lines.filter((l) => l.type === 'start'), records: lines.filter((l) => l.type !== 'start') };
}

/** The optimizer and data-source state (everything but the elapsed wall time). */
async function stateOf(run: string): Promise<unknown> {
  const { step, optimizer, source } = decodeState(await readSafetensors(path.join(run, 'state.safetensors')));
  return { step, optimizer, source };
}

test('train --threads 2 writes the same bytes as --threads 1 (weights, config; state and log up to wall time), also across a --resume that changes the count', async () => {
  for (const [name, args] of RUNS) {
    const run = (tag: string, ...extra: string[]) => saeno('train', ...args, ...COMMON, '--out', path.join(dir, `${name}-${tag}`), ...extra);
    const one = await run('1', '--steps', '6', '--threads', '1');
    assert.equal(one.code, 0, one.stderr);
    const two = await run('2', '--steps', '6', '--threads', '2');
    assert.equal(two.code, 0, two.stderr);
    // 3 steps on 2 threads, then 3 more on 1: threads are not a run setting
    assert.equal((await run('2+1', '--steps', '3', '--threads', '2')).code, 0);
    const resumed = await saeno('train', '--out', path.join(dir, `${name}-2+1`), '--resume', '--steps', '6', '--threads', '1', '--quiet');
    assert.equal(resumed.code, 0, resumed.stderr);
    const ref = path.join(dir, `${name}-1`);
    // exact equality: the kernels cut every batch into the same chunks and reduce them in chunk order on any thread count
    for (const tag of ['2', '2+1']) {
      const other = path.join(dir, `${name}-${tag}`);
      for (const f of ['weights.safetensors', 'config.json']) assert.ok(fs.readFileSync(path.join(other, f)).equals(fs.readFileSync(path.join(ref, f))), `${name} ${tag}: ${f} differs from --threads 1`);
      assert.deepEqual(await stateOf(other), await stateOf(ref), `${name} ${tag}: optimizer or source state`);
      assert.deepEqual(readLog(other).records, readLog(ref).records, `${name} ${tag}: log losses and metrics`);
    }
    assert.deepEqual(readLog(ref).starts, [{ type: 'start', step: 0, threads: 1 }]);
    assert.deepEqual(readLog(path.join(dir, `${name}-2+1`)).starts, [{ type: 'start', step: 0, threads: 2 }, { type: 'start', step: 3, threads: 1 }]);
    assert.ok(readLog(ref).records.length >= 6 + 3, `${name}: 6 steps and 3 evaluations logged`);
  }
  assert.equal(threadCount(), 1, 'the last command asked for 1 thread');
});

test('train prints the thread count in its header and summary', async () => {
  const r = await saeno('train', ...RUNS[0][1], '--steps', '2', '--batch', '8', '--threads', '2', '--out', path.join(dir, 'header'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^train: sae, steps 1–2 on 2 threads → /);
  assert.match(r.stderr, /train: 2 steps done in [\d.]+ s on 2 threads;/);
  assert.equal(threadCount(), 2, 'the pool stays open for the next command of this process');
});

test('a bad --threads is one error line naming the flag, exit 1, before any work', async () => {
  const data = path.join(dir, 'eu.safetensors');
  await bundle(data, 'euclidean', { m: 6, p: 9, sparsity: 2 }, 8);
  const run = path.join(dir, 'for-infer');
  assert.equal((await saeno('train', '--model', 'sae', '--data', data, '--steps', '1', '--iters', '3', '--threads', '1', '--out', run, '--quiet')).code, 0);
  const cases: Array<[string, string[]]> = [
    ...['0', '9', 'two', '1.5', '-1', '', ' '].map((v): [string, string[]] => ['train', ['train', '--model', 'sae', '--data', data, '--out', path.join(dir, 'never'), '--threads', v]]),
    ['infer', ['infer', '--checkpoint', run, '--input', data, '--out', path.join(dir, 'never.safetensors'), '--threads', '0']],
    ['eval', ['eval', '--checkpoint', run, '--data', data, '--threads', '100']],
    ['reproduce', ['reproduce', 'fig2c', '--quick', '--out', path.join(dir, 'never-report'), '--threads', 'x']],
  ];
  for (const [cmd, argv] of cases) {
    const r = await saeno(...argv);
    const value = argv[argv.length - 1];
    assert.equal(r.code, 1, `${argv.join(' ')}: exit code`);
    assert.equal(r.stderr, `saeno: error: ${cmd}: --threads: must be an integer from 1 to 8, got ${JSON.stringify(value)}\n`, argv.join(' '));
  }
  for (const f of ['never', 'never.safetensors', 'never-report']) assert.ok(!fs.existsSync(path.join(dir, f)), `${f} was created`);
});

test('a CLI process on 2 threads exits by itself as soon as the command is done', () => {
  const script = path.join(dir, 'cli.mts');
  fs.writeFileSync(script, `import { main } from ${JSON.stringify(path.join(root, 'src/cli/main.ts'))};\nprocess.exitCode = await main(process.argv.slice(2));\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, 'train', ...RUNS[1][1], '--steps', '4', '--batch', '16', '--threads', '2', '--quiet', '--out', path.join(dir, 'child')], { cwd: root, encoding: 'utf8', timeout: 60000 });
  const ms = Date.now() - t0;
  assert.equal(r.signal, null, `killed after 60 s: the process hung (${r.stderr})`);
  assert.equal(r.status, 0, r.stderr);
  // start-up (tsx, library, one worker) plus 4 small steps take ≈ 2 s; a worker holding the process would time out
  assert.ok(ms < 20000, `${ms} ms`);
  assert.ok(fs.existsSync(path.join(dir, 'child', 'weights.safetensors')));
});
