import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { writeNpy } from '../../src/io/files.js';
import { bundle, saeno, tempDir } from './run.js';

const dir = tempDir();

interface LogLine {
  type: string;
  step: number;
  loss: number;
  dictErrorMean?: number;
  dictErrorMax?: number;
}

function readLog(run: string): LogLine[] {
  return fs
    .readFileSync(path.join(run, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as LogLine);
}

/** Exit code ≠ 0, exactly one line on stderr, starting with `saeno: error: train:` and without a stack trace. */
function assertOneLineError(r: { code: number; stderr: string; stdout: string }, pattern: RegExp): void {
  assert.notEqual(r.code, 0, 'non-zero exit');
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
  assert.match(lines[0], /^saeno: error: train: /);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.match(lines[0], pattern);
  assert.equal(r.stdout, '');
}

test('SAE recovery through the CLI: m=20, p=30, perturbed truth ε=0.3, 300 steps halve the mean dictionary error', async () => {
  const out = path.join(dir, 'recover');
  const r = await saeno('train', '--model', 'sae', '--kind', 'euclidean', '--m', '20', '--p', '30', '--sparsity', '3', '--init', 'perturbed-truth:0.3',
    '--steps', '300', '--iters', '50', '--lr', '3e-3', '--batch', '16', '--eval-every', '150', '--seed', '1', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  const evals = readLog(out).filter((l) => l.type === 'eval');
  assert.deepEqual(evals.map((e) => e.step), [0, 150, 300]);
  const [first, , last] = evals;
  // ε = 0.3 perturbation: mean error ≈ 0.27 at step 0 (measured 0.273); this setting reaches ≈ 0.03, a working trainer halves it with margin
  assert.ok(first.dictErrorMean! > 0.2, `initial mean error ${first.dictErrorMean}`);
  assert.ok(last.dictErrorMean! <= 0.5 * first.dictErrorMean!, `mean dictionary error ${first.dictErrorMean} → ${last.dictErrorMean}`);
  const steps = readLog(out).filter((l) => l.type === 'step');
  assert.equal(steps.length, 300);
  assert.ok(steps.every((s, i) => s.step === i + 1 && Number.isFinite(s.loss)));
  for (const f of ['config.json', 'weights.safetensors', 'state.safetensors']) assert.ok(fs.existsSync(path.join(out, f)), f);
});

test('resume through the run folder: S steps + --resume to 2S equals 2S steps (weights bytes, losses), dataset and online', async () => {
  const data = path.join(dir, 'eu.safetensors');
  await bundle(data, 'euclidean', { m: 6, p: 9, sparsity: 2 }, 20);
  const cases: Array<[string, string[]]> = [
    ['dataset', ['--model', 'sae', '--data', data]],
    ['online', ['--model', 'sae-fno', '--kind', 'functional', '--resolution', '16', '--base-resolution', '16', '--concepts', '2', '--modes', '4']],
  ];
  for (const [name, args] of cases) {
    const common = [...args, '--iters', '5', '--batch', '4', '--eval-every', '3', '--eval-count', '8', '--seed', '2', '--quiet'];
    const whole = path.join(dir, `whole-${name}`);
    const split = path.join(dir, `split-${name}`);
    assert.equal((await saeno('train', ...common, '--steps', '10', '--out', whole)).code, 0);
    assert.equal((await saeno('train', ...common, '--steps', '5', '--out', split)).code, 0);
    const r = await saeno('train', '--resume', '--steps', '10', '--out', split, '--quiet');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fs.readFileSync(path.join(split, 'weights.safetensors')), fs.readFileSync(path.join(whole, 'weights.safetensors')), `${name}: weights`);
    const strip = (l: LogLine[]) => l.map((x) => ({ ...x, time: 0 }));
    const [a, b] = [strip(readLog(split)), strip(readLog(whole))];
    assert.deepEqual(a.filter((l) => l.type === 'step'), b.filter((l) => l.type === 'step'), `${name}: step losses`);
    // the split run also evaluated at its first end (step 5); every evaluation of the whole run is in it, equal
    assert.deepEqual(a.filter((l) => l.type === 'eval' && l.step !== 5), b.filter((l) => l.type === 'eval'), `${name}: metrics`);
  }
});

test('divergence: an exploding learning rate stops with a one-line message naming the step; the last good checkpoint stays', async () => {
  // lr 1e-3 for steps 1–5, then 1e27: without atom normalisation SGD pushes max |w| past 1e6 at step 6
  const args = ['--model', 'sae', '--kind', 'euclidean', '--m', '6', '--p', '9', '--sparsity', '2', '--optimizer', 'sgd', '--no-normalize',
    '--lr-schedule', 'step', '--lr-decay', '1e30', '--lr-decay-every', '5', '--eval-every', '5', '--iters', '5', '--batch', '4', '--quiet'];
  const good = path.join(dir, 'good');
  assert.equal((await saeno('train', ...args, '--steps', '5', '--out', good)).code, 0);
  const bad = path.join(dir, 'diverged');
  const r = await saeno('train', ...args, '--steps', '20', '--out', bad);
  assertOneLineError(r, /training diverged at step 6: weights "D" reached max \|w\| = .* > 1000000; stopped, the last good checkpoint \(step 5\)/);
  // the checkpoint is the step-5 one, byte for byte as a run that stopped there
  assert.deepEqual(fs.readFileSync(path.join(bad, 'weights.safetensors')), fs.readFileSync(path.join(good, 'weights.safetensors')));
  const last = readLog(bad).at(-1) as LogLine & { reason?: string };
  assert.equal(last.type, 'diverged');
  assert.equal(last.step, 6);
  assert.match(last.reason ?? '', /max \|w\|/);
});

test('a config file (YAML) with flags overriding it; unknown keys are rejected naming the key', async () => {
  const yaml = path.join(dir, 'train.yaml');
  fs.writeFileSync(yaml, 'model: sae\nkind: euclidean\nm: 6\np: 9\nsparsity: 2\nsteps: 7\niters: 3\nbatch: 2\nevalEvery: 100\n');
  const out = path.join(dir, 'fromyaml');
  const r = await saeno('train', '--config', yaml, '--steps', '4', '--out', out, '--quiet');
  assert.equal(r.code, 0, r.stderr);
  const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.equal(config.train.steps, 4, 'the flag overrides the file');
  assert.equal(config.model.iters, 3, 'the file sets what flags do not');
  assert.equal(readLog(out).filter((l) => l.type === 'step').length, 4);

  fs.writeFileSync(yaml, 'model: sae\nlrr: 0.1\n');
  const bad = path.join(dir, 'never');
  assertOneLineError(await saeno('train', '--config', yaml, '--out', bad), /train\.yaml: unknown key 'lrr'/);
  assert.ok(!fs.existsSync(bad), 'no run folder');
});

test('every error path is one line, a non-zero exit, and no output', async () => {
  const npy3d = path.join(dir, 'x3d.npy');
  await writeNpy(npy3d, { dtype: 'float64', shape: [4, 2, 8], data: new Float64Array(64).fill(1) });
  const npy2d = path.join(dir, 'x2d.npy');
  await writeNpy(npy2d, { dtype: 'float32', shape: [4, 8], data: new Float32Array(32).fill(1) });
  const corrupt = path.join(dir, 'corrupt.safetensors');
  fs.writeFileSync(corrupt, Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 123, 34]));
  const aFile = path.join(dir, 'a-file');
  fs.writeFileSync(aFile, 'x');
  const existing = path.join(dir, 'existing');
  assert.equal((await saeno('train', '--model', 'sae', '--data', npy2d, '--steps', '1', '--out', existing, '--quiet')).code, 0);
  const online = ['--kind', 'euclidean', '--m', '6', '--p', '9', '--sparsity', '2'];
  const cases: Array<[string[], RegExp]> = [
    [['--model', 'sae', ...online, '--lr', 'abc'], /--lr: expected a number, got "abc"/],
    [['--model', 'sae', ...online, '--steps', '0'], /--steps: must be a positive integer/],
    [['--model', 'cnn', ...online], /--model: expected one of sae \| l-sae/],
    [['--model', 'sae', ...online, '--optimizer', 'rmsprop'], /--optimizer: /],
    [['--model', 'sae', '--data', path.join(dir, 'missing.safetensors')], /missing\.safetensors: cannot read \(no such file or directory\)/],
    [['--model', 'sae', '--data', corrupt], /corrupt\.safetensors: header length: /],
    [['--model', 'sae', '--data', npy3d], /x3d\.npy: .*shape \[4, 2, 8\], expected \[count, m\]/],
    [['--model', 'sae-cnn', '--data', npy2d, '--modes', '4'], /--modes applies to sae-fno and l-sae-fno, not sae-cnn/],
    [['--model', 'sae', '--data', npy2d, '--init', 'perturbed-truth:0.3'], /perturbed-truth:0\.3: the data has no truth atoms/],
    [['--model', 'sae', '--data', npy2d, '--init', 'perturbed-truth:x'], /expected perturbed-truth:EPS/],
    [['--model', 'sae', '--data', npy2d, '--family', 'gabor'], /--family is a generator flag; it cannot be combined with --data/],
    [['--model', 'sae-fno', '--data', npy2d, '--modes', '9'], /resolution N = 8 is below the minimum 17|modes/],
    [['--model', 'sae', ...online, '--lr-decay', '0.5'], /a step schedule needs both --lr-decay FACTOR and --lr-decay-every STEPS/],
    [['--model', 'sae', '--data', npy2d, '--out', path.join(aFile, 'run')], /cannot create or write the run folder/],
  ];
  for (const [args, pattern] of cases) {
    const out = args.includes('--out') ? args[args.indexOf('--out') + 1] : path.join(dir, 'error-run');
    const r = await saeno('train', ...args, ...(args.includes('--out') ? [] : ['--out', out]));
    assertOneLineError(r, pattern);
    assert.ok(!fs.existsSync(out), `${args.join(' ')}: no run folder`);
  }
  const before = fs.readFileSync(path.join(existing, 'weights.safetensors'));
  assertOneLineError(await saeno('train', '--model', 'sae', '--data', npy2d, '--out', existing), /already holds a run; pass --resume/);
  assertOneLineError(await saeno('train', '--resume', '--out', existing, '--lr', '0.1'), /--lr cannot be changed on --resume/);
  assertOneLineError(await saeno('train', '--resume', '--out', existing), /already finished its 1 steps; pass --resume --steps N with N > 1/);
  assertOneLineError(await saeno('train', '--resume', '--out', existing, '--steps', '1'), /--steps 1 does not go beyond the checkpoint's step 1/);
  assert.deepEqual(fs.readFileSync(path.join(existing, 'weights.safetensors')), before, 'the existing run is untouched');
  assertOneLineError(await saeno('train', '--resume', '--out', path.join(dir, 'no-run')), /config\.json: missing \(not a run folder\?\)/);
});

test('--init from files: truth atoms (.npy, SAE and L-SAE), another run\'s weights (.safetensors, with an explicit lifting), CNN kernels for SAE-FNO', async () => {
  const data = path.join(dir, 'init.safetensors');
  const truth = await bundle(data, 'euclidean', { m: 6, p: 9, sparsity: 2 }, 30);
  const atoms = path.join(dir, 'atoms.npy');
  await writeNpy(atoms, { dtype: 'float64', shape: [6, 9], data: truth.dictionary });
  const firstEval = (run: string) => readLog(run).find((l) => l.type === 'eval')!;
  for (const model of ['sae', 'l-sae']) {
    const run = path.join(dir, `init-${model}`);
    const r = await saeno('train', '--model', model, '--data', data, '--init', atoms, '--steps', '1', '--iters', '3', '--quiet', '--out', run);
    assert.equal(r.code, 0, r.stderr);
    // the truth itself, in float32 (orthonormal lifting: P·L·D = D): error ≈ 1e-7 · √m
    assert.ok(firstEval(run).dictErrorMax! < 1e-5, `${model}: initial error ${firstEval(run).dictErrorMax}`);
  }
  const lifted = path.join(dir, 'init-l-sae');
  const again = path.join(dir, 'init-again');
  const r = await saeno('train', '--model', 'l-sae', '--data', data, '--lifting', 'explicit', '--init', path.join(lifted, 'weights.safetensors'), '--steps', '1', '--iters', '3', '--quiet', '--out', again);
  assert.equal(r.code, 0, r.stderr);
  // starts where the other run ended: same weights, data and evaluation set, so the same metrics
  const ended = readLog(lifted).filter((l) => l.type === 'eval').at(-1)!;
  assert.deepEqual({ ...firstEval(again), time: 0, step: 0 }, { ...ended, time: 0, step: 0 });
  const noArrays = await saeno('train', '--model', 'l-sae', '--data', data, '--lifting', 'explicit', '--out', path.join(dir, 'never2'));
  assertOneLineError(noArrays, /lifting "explicit" needs arrays L and P/);

  const signals = path.join(dir, 'fn16.npy');
  await writeNpy(signals, { dtype: 'float64', shape: [8, 16], data: Float64Array.from({ length: 128 }, (_, i) => Math.max(0, Math.sin(i))) });
  const kernels = path.join(dir, 'kernels.npy');
  await writeNpy(kernels, { dtype: 'float64', shape: [1, 2, 5], data: Float64Array.from({ length: 10 }, (_, i) => 1 + i) });
  const fno = await saeno('train', '--model', 'sae-fno', '--data', signals, '--concepts', '2', '--modes', '8', '--init', kernels, '--steps', '1', '--iters', '3', '--quiet', '--out', path.join(dir, 'fno-from-cnn'));
  assert.equal(fno.code, 0, fno.stderr);
  const cnnL = await saeno('train', '--model', 'l-sae-cnn', '--data', signals, '--concepts', '2', '--init', kernels, '--out', path.join(dir, 'never3'));
  assertOneLineError(cnnL, /a \.npy initialises sae, l-sae, sae-cnn \(kernels\) or sae-fno \(CNN kernels\); for l-sae-cnn use a \.safetensors/);
});
