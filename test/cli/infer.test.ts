import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadRun } from '../../src/cli/runfolder.js';
import { Tensor } from '../../src/core/tensor.js';
import { FunctionalModel } from '../../src/data/index.js';
import { readSafetensors, writeNpy } from '../../src/io/files.js';
import { saeno, tempDir } from './run.js';

const dir = tempDir();
const gen = { concepts: 2, baseResolution: 16, family: 'gaussian' as const, width: [0.02, 0.05] as [number, number] };

/** A 3-step SAE-FNO run at N = 16 with M = 4 modes (so inputs need N ≥ 2M − 1 = 7). */
async function fnoRun(): Promise<string> {
  const run = path.join(dir, 'fno');
  if (fs.existsSync(run)) return run;
  const r = await saeno('train', '--model', 'sae-fno', '--resolution', '16', '--base-resolution', '16', '--family', 'gaussian', '--width', '0.02,0.05',
    '--concepts', '2', '--modes', '4', '--iters', '5', '--steps', '3', '--batch', '4', '--eval-count', '4', '--seed', '5', '--out', run, '--quiet');
  assert.equal(r.code, 0, r.stderr);
  return run;
}

/** Signals of the run's generator at resolution N: [3, 1, N] float32. */
function signals(N: number): Float32Array {
  return Float32Array.from(new FunctionalModel(gen, 5).generate(3, N).x);
}

test('SAE-FNO trained at N = 16 runs at 2× and 4×: codes [..., C, N] and reconstructions in the input shape, equal to library inference', async () => {
  const run = await fnoRun();
  const { model } = await loadRun(run);
  for (const [N, shape] of [
    [32, [3, 1, 32]],
    [64, [3, 64]], // a 2-D array is [count, N] with c_in = 1
  ] as const) {
    const input = path.join(dir, `x${N}.npy`);
    const x = signals(N);
    await writeNpy(input, { dtype: 'float32', shape: [...shape], data: x });
    const out = path.join(dir, `out${N}.safetensors`);
    const r = await saeno('infer', '--checkpoint', run, '--input', input, '--out', out, '--chunk', '2');
    assert.equal(r.code, 0, r.stderr);
    const { tensors } = await readSafetensors(out);
    assert.deepEqual(tensors.codes.shape, [3, 2, N]);
    assert.deepEqual(tensors.reconstruction.shape, [...shape]);
    assert.equal(tensors.codes.dtype, 'float32');
    // chunks of 2 through the CLI = one batch of 3 in the library (per-signal computations; exact)
    const ref = model.infer(new Tensor(x, [3, 1, N]));
    assert.deepEqual(tensors.codes.data, ref.codes.data);
    assert.deepEqual(tensors.reconstruction.data, ref.reconstruction.data);
  }
});

test('infer below 2M − 1 samples, and other bad input: one-line error, non-zero exit, no output file', async () => {
  const run = await fnoRun();
  const low = path.join(dir, 'x6.npy');
  await writeNpy(low, { dtype: 'float64', shape: [2, 1, 6], data: new Float64Array(12).fill(0.5) });
  const ints = path.join(dir, 'int.npy');
  await writeNpy(ints, { dtype: 'int32', shape: [2, 1, 16], data: new Int32Array(32) });
  const ok = path.join(dir, 'x32.npy');
  await writeNpy(ok, { dtype: 'float32', shape: [3, 1, 32], data: signals(32) });
  const out = path.join(dir, 'bad.safetensors');
  const cases: Array<[string[], RegExp]> = [
    [['--checkpoint', run, '--input', low, '--out', out], /input resolution N = 6 is below the minimum 7 \(2M − 1 for M = 4 modes\)/],
    [['--checkpoint', run, '--input', ints, '--out', out], /int\.npy: dtype int32, expected float32 or float64/],
    [['--checkpoint', path.join(dir, 'nope'), '--input', ok, '--out', out], /config\.json: missing \(not a run folder\?\)/],
    [['--checkpoint', run, '--input', path.join(dir, 'missing.npy'), '--out', out], /missing\.npy: cannot read/],
    [['--checkpoint', run, '--input', ok, '--out', path.join(dir, 'out.npy')], /--out .*out\.npy: expected a \.safetensors file name/],
    [['--checkpoint', run, '--input', ok, '--out', path.join(dir, 'no-such-dir', 'o.safetensors')], /o\.safetensors: cannot write/],
  ];
  for (const [args, pattern] of cases) {
    const r = await saeno('infer', ...args);
    assert.notEqual(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^saeno: error: infer: /);
    assert.match(lines[0], pattern);
    assert.ok(!fs.existsSync(args[args.length - 1]), 'no output file');
  }
});

test('SAE infer keeps any leading shape: [2, 3, m] → codes [2, 3, p]', async () => {
  const run = path.join(dir, 'sae');
  assert.equal((await saeno('train', '--model', 'sae', '--kind', 'euclidean', '--m', '5', '--p', '7', '--sparsity', '2', '--steps', '2', '--iters', '3', '--out', run, '--quiet')).code, 0);
  const input = path.join(dir, 'v.npy');
  const data = Float64Array.from({ length: 30 }, (_, i) => Math.sin(i));
  await writeNpy(input, { dtype: 'float64', shape: [2, 3, 5], data });
  const out = path.join(dir, 'v.safetensors');
  const r = await saeno('infer', '--checkpoint', run, '--input', input, '--out', out);
  assert.equal(r.code, 0, r.stderr);
  const { tensors } = await readSafetensors(out);
  assert.deepEqual(tensors.codes.shape, [2, 3, 7]);
  assert.deepEqual(tensors.reconstruction.shape, [2, 3, 5]);
  const { model } = await loadRun(run);
  const ref = model.infer(new Tensor(Float32Array.from(data), [6, 5]));
  assert.deepEqual(tensors.codes.data, ref.codes.data);
  const wrong = path.join(dir, 'w.npy');
  await writeNpy(wrong, { dtype: 'float64', shape: [2, 4], data: new Float64Array(8) });
  const e = await saeno('infer', '--checkpoint', run, '--input', wrong, '--out', path.join(dir, 'w.safetensors'));
  assert.notEqual(e.code, 0);
  assert.match(e.stderr, /^saeno: error: infer: .*w\.npy: input has shape \[2, 4\]; model sae needs \[\.\.\., m = 5\]\n$/);
});
