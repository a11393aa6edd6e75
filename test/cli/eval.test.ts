import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { writeNpy } from '../../src/io/files.js';
import { bundle, saeno, tempDir } from './run.js';

const dir = tempDir();

function lastEval(run: string): Record<string, unknown> {
  const lines = fs.readFileSync(path.join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const metrics = { ...lines.filter((l) => l.type === 'eval').at(-1)! };
  for (const k of ['type', 'step', 'time']) delete metrics[k];
  return metrics;
}

function parseJson(stdout: string): { step: number; count: number; resolution: number | null; truth: boolean; metrics: Record<string, number | null> } {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON object on one line');
  return JSON.parse(lines[0]);
}

test('eval --json on a Euclidean bundle: one JSON object whose metrics equal the trainer\'s own evaluation of the same signals', async () => {
  const data = path.join(dir, 'eu.safetensors');
  await bundle(data, 'euclidean', { m: 8, p: 12, sparsity: 2 }, 40);
  const run = path.join(dir, 'sae');
  assert.equal((await saeno('train', '--model', 'sae', '--data', data, '--steps', '6', '--iters', '10', '--eval-count', '40', '--init', 'perturbed-truth:0.2', '--out', run, '--quiet')).code, 0);
  const r = await saeno('eval', '--checkpoint', run, '--data', data, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', 'human output only without --json');
  const j = parseJson(r.stdout);
  assert.equal(j.step, 6);
  assert.equal(j.count, 40);
  assert.equal(j.resolution, null);
  assert.equal(j.truth, true);
  const keys = ['loss', 'relError', 'psnr', 'meanL0', 'coherenceMax', 'coherenceMean', 'dictErrorMax', 'dictErrorMean', 'supportPrecision', 'supportRecall', 'supportF1', 'amplitudeError'];
  assert.deepEqual(Object.keys(j.metrics).sort(), [...keys].sort());
  // the evaluation set of a dataset run is its first eval-count (here: all 40) signals: same function, same numbers
  assert.deepEqual(j.metrics, lastEval(run));
  assert.ok(j.metrics.dictErrorMean! > 0 && j.metrics.dictErrorMean! < 0.5, `perturbed truth ε = 0.2 is far from random: ${j.metrics.dictErrorMean}`);
});

test('eval on 1-sparse functional data: support and 1-sparse metrics; a calibration file adds the re-fitted accuracy', async () => {
  const gen = { concepts: 2, baseResolution: 16, family: 'gaussian' as const, width: [0.02, 0.05] as [number, number], occurrence: { kind: 'one-sparse' as const } };
  const data = path.join(dir, 'fn.safetensors');
  await bundle(data, 'functional', gen, 24, 3, 32);
  const run = path.join(dir, 'fno');
  const t = await saeno('train', '--model', 'sae-fno', '--data', data, '--modes', '16', '--iters', '50', '--steps', '3', '--init', 'perturbed-truth:0', '--one-sided', '--out', run, '--quiet');
  assert.equal(t.code, 0, t.stderr);
  const r = await saeno('eval', '--checkpoint', run, '--data', data, '--json', '--calibrate', data);
  assert.equal(r.code, 0, r.stderr);
  const j = parseJson(r.stdout);
  assert.equal(j.resolution, 32);
  for (const k of ['dictErrorMax', 'supportF1', 'amplitudeError', 'oneSparseAccuracy', 'oneSparseIdentity', 'oneSparseAccuracyRefit']) assert.ok(k in j.metrics, k);
  // calibrated on the very same codes, the fixed and the re-fitted read-outs agree
  assert.equal(j.metrics.oneSparseAccuracy, j.metrics.oneSparseAccuracyRefit);
  // started at the truth (ε = 0, all M = 16 modes at N = 32: measured 100 %); a wrong matching or read-out gives ≈ 50 % for 2 concepts
  assert.ok(j.metrics.oneSparseIdentity! >= 0.9, `identity ${j.metrics.oneSparseIdentity}`);
  // human output: lines on stderr, nothing on stdout
  const h = await saeno('eval', '--checkpoint', run, '--data', data);
  assert.equal(h.stdout, '');
  assert.match(h.stderr, /^eval: sae-fno \(step 3\) on 24 signals .* at N = 32\n/);
  assert.match(h.stderr, /1-sparse accuracy\s+[\d.]+/);
});

test('eval on a truth-less array: reconstruction and sparsity only; errors are one line', async () => {
  const x = path.join(dir, 'x.npy');
  await writeNpy(x, { dtype: 'float64', shape: [10, 6], data: Float64Array.from({ length: 60 }, (_, i) => Math.cos(i)) });
  const run = path.join(dir, 'plain');
  assert.equal((await saeno('train', '--model', 'sae', '--data', x, '--steps', '2', '--iters', '3', '--out', run, '--quiet')).code, 0);
  const r = await saeno('eval', '--checkpoint', run, '--data', x, '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = parseJson(r.stdout);
  assert.equal(j.truth, false);
  assert.deepEqual(Object.keys(j.metrics).sort(), ['coherenceMax', 'coherenceMean', 'loss', 'meanL0', 'psnr', 'relError']);
  assert.ok(j.metrics.relError! > 0 && j.metrics.relError! < 1, `relative error ${j.metrics.relError}`);

  const fn = path.join(dir, 'fn-small.safetensors'); // functional data for a Euclidean model
  await bundle(fn, 'functional', { concepts: 2, baseResolution: 8, family: 'box' }, 2, 1, 8);
  for (const [args, pattern] of [
    [['--checkpoint', run, '--data', fn], /fn-small\.safetensors: metadata "saeno": holds functional data, expected euclidean/],
    [['--checkpoint', run, '--data', path.join(dir, 'none.npy')], /none\.npy: cannot read/],
    [['--checkpoint', path.join(dir, 'none'), '--data', x], /config\.json: missing/],
  ] as Array<[string[], RegExp]>) {
    const e = await saeno('eval', ...args, '--json');
    assert.notEqual(e.code, 0);
    assert.equal(e.stdout, '', 'no JSON on failure');
    assert.equal(e.stderr.trim().split('\n').length, 1, e.stderr);
    assert.match(e.stderr, pattern);
  }
});
