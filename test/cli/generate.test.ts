/**
 * `saeno generate` through the real entry point `main(argv)`. All invocations run in ONE child
 * process (so capturing its stdout/stderr cannot swallow the test reporter's output); each
 * records the exit code main returns, the captured output and whether process.exitCode was set.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FunctionalTruth } from '../../src/data/bundle.js';
import { readDataset } from '../../src/io/dataset.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'saeno-generate-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** main threw instead of returning a code (never acceptable). */
  thrown: string | null;
  /** process.exitCode after main returned. */
  exitCode: number | null;
}

const DRIVER = `
const { main } = await import(process.env.SAENO_MAIN);
const results = [];
const out = process.stdout.write.bind(process.stdout);
const err = process.stderr.write.bind(process.stderr);
for (const argv of JSON.parse(process.env.SAENO_CASES)) {
  const r = { code: null, stdout: '', stderr: '', thrown: null, exitCode: null };
  process.stdout.write = (c) => ((r.stdout += c), true);
  process.stderr.write = (c) => ((r.stderr += c), true);
  try {
    r.code = await main(argv);
  } catch (e) {
    r.thrown = String((e && e.stack) || e);
  }
  process.stdout.write = out;
  process.stderr.write = err;
  r.exitCode = process.exitCode ?? null;
  results.push(r);
}
out(JSON.stringify(results));
`;

/** A fresh folder per case, so "no output file" is checked as "the folder holds only its fixtures". */
function dir(name: string): string {
  const d = join(tmp, name);
  mkdirSync(d);
  return d;
}

const FUNCTIONAL = ['generate', '--kind', 'functional', '--family', 'gaussian', '--concepts', '5', '--resolution', '128', '--count', '1000', '--one-sparse', '--seed', '1', '--out'];
const EUCLIDEAN = ['generate', '--kind', 'euclidean', '--m', '50', '--p', '100', '--sparsity', '5', '--count', '2000', '--seed', '1', '--out'];

const ok: Record<string, { argv: string[]; out: string }> = {};
/** Error cases: argv, the folder that must stay as it was, and what the one-line message must mention. */
const bad: Record<string, { argv: string[]; folder: string; mentions: string[] }> = {};
const results: Record<string, Outcome> = {};

before(() => {
  const d = dir('ok');
  ok.functional = { argv: [...FUNCTIONAL, join(d, 'data.safetensors')], out: join(d, 'data.safetensors') };
  ok.euclidean = { argv: [...EUCLIDEAN, join(d, 'eucl.safetensors')], out: join(d, 'eucl.safetensors') };
  const npyArgs = '--family random-taps --concepts 4 --channels 2 --resolution 64 --count 50 --occurrences 2 --signed --noise 0.1 --format npy --dtype float64 --seed 3';
  ok.npy = { argv: ['generate', ...npyArgs.split(' '), '--out', join(d, 'npy')], out: join(d, 'npy') };
  const json = join(d, 'gen.json');
  writeFileSync(json, JSON.stringify({ kind: 'functional', family: 'gabor', concepts: 3, resolution: 64, count: 50, oneSparse: true, seed: 2, amplitude: [1, 3] }));
  // flags override the file: --count replaces 50, --bernoulli replaces oneSparse
  ok.configJson = { argv: ['generate', '--config', json, '--count', '20', '--bernoulli', '0.5', '--out', join(d, 'json.safetensors')], out: join(d, 'json.safetensors') };
  const yaml = join(d, 'gen.yaml');
  writeFileSync(yaml, `kind: euclidean\nm: 10\np: 15\nsparsity: 2\ncount: 25\nout: ${join(d, 'yaml.safetensors')}\n`);
  ok.configYaml = { argv: ['generate', '--config', yaml], out: join(d, 'yaml.safetensors') };

  const errorCase = (name: string, argv: string[], mentions: string[], setup?: (folder: string) => void): void => {
    const folder = dir(`bad-${name}`);
    setup?.(folder);
    bad[name] = { argv: ['generate', ...argv.map((a) => a.replace('@', folder)), ...(argv.includes('--out') ? [] : ['--out', join(folder, 'data.safetensors')])], folder, mentions };
  };
  errorCase('countNegative', ['--count', '-3'], ['--count', '-3']);
  errorCase('countNotNumber', ['--count', '1e3x'], ['--count', '"1e3x"']);
  errorCase('countFraction', ['--count', '2.5'], ['--count', 'integer']);
  errorCase('amplitudeReversed', ['--amplitude', '2,1'], ['--amplitude: need min ≤ max']);
  errorCase('amplitudeOne', ['--amplitude', '2'], ['--amplitude', 'MIN,MAX']);
  errorCase('familyUnknown', ['--family', 'nope'], ['--family: ', 'gaussian']);
  errorCase('bernoulliRange', ['--bernoulli', '1.5'], ['--bernoulli: ', '1']);
  errorCase('dtypeUnknown', ['--dtype', 'float16'], ['--dtype', 'float16']);
  errorCase('flagUnknown', ['--colour', 'red'], ["unknown option '--colour'"]);
  errorCase('euclideanIncomplete', ['--kind', 'euclidean', '--m', '10'], ['--p, --sparsity']);
  errorCase('flagWrongKind', ['--kind', 'euclidean', '--m', '10', '--p', '20', '--sparsity', '2', '--resolution', '64'], ['--resolution', 'functional']);
  errorCase('occurrenceTwice', ['--one-sparse', '--occurrences', '2'], ['--one-sparse', '--occurrences']);
  errorCase('jsonUnknownKey', ['--config', '@/gen.json'], ['gen.json', "unknown key 'cuont'"], (f) => writeFileSync(join(f, 'gen.json'), '{"kind": "functional", "cuont": 5}'));
  errorCase('yamlUnknownKey', ['--config', '@/gen.yaml'], ['gen.yaml', "unknown key 'cuont'"], (f) => writeFileSync(join(f, 'gen.yaml'), 'kind: functional\ncuont: 5\n'));
  errorCase('yamlBadValue', ['--config', '@/gen.yaml'], ['gen.yaml', 'count'], (f) => writeFileSync(join(f, 'gen.yaml'), 'count: many\n'));
  errorCase('outParentIsFile', ['--out', '@/file/data.safetensors'], ['file/data.safetensors', 'cannot write'], (f) => writeFileSync(join(f, 'file'), 'x'));
  errorCase('outParentMissing', ['--out', '@/missing/data.safetensors'], ['missing/data.safetensors', 'cannot write']);
  errorCase('npyParentIsFile', ['--format', 'npy', '--out', '@/file/folder'], ['file/folder', 'cannot write'], (f) => writeFileSync(join(f, 'file'), 'x'));
  errorCase('outIsFolder', ['--out', '@'], ['cannot write', 'is a directory']);
  errorCase('coherenceUnmet', ['--family', 'gaussian', '--concepts', '4', '--resolution', '64', '--max-coherence', '0.3', '--max-draws', '5'], ['shift-max coherence ≤ 0.3', '5 draws']);
  errorCase('welchBound', ['--kind', 'euclidean', '--m', '10', '--p', '40', '--sparsity', '2', '--max-coherence', '0.1'], ['--max-coherence: ', 'Welch bound']);

  const names = [...Object.keys(ok), ...Object.keys(bad)];
  const cases = names.map((n) => (ok[n] ?? bad[n]).argv);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', DRIVER], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, SAENO_MAIN: join(root, 'src/cli/main.ts'), SAENO_CASES: JSON.stringify(cases) },
    maxBuffer: 1 << 26,
  });
  assert.equal(r.status, 0, `driver failed: ${r.stderr}`);
  const outcomes = JSON.parse(r.stdout) as Outcome[];
  names.forEach((n, i) => (results[n] = outcomes[i]));
});

/** A successful run: exit 0, exactly one stdout line, nothing on stderr, process.exitCode untouched. */
function succeeded(name: string): string {
  const r = results[name];
  assert.equal(r.thrown, null);
  assert.equal(r.stderr, '', `${name} stderr`);
  assert.equal(r.code, 0, name);
  assert.equal(r.exitCode, null, 'process.exitCode is left unset');
  assert.match(r.stdout, /^[^\n]+\n$/, `${name}: one summary line`);
  return r.stdout.trimEnd();
}

test('the functional example: [1000, 1, 128] float32 signals with 1-sparse truth, and the summary line', async () => {
  const line = succeeded('functional');
  const d = await readDataset(ok.functional.out);
  assert.equal(line, `wrote ${ok.functional.out}: functional gaussian, 1000 signals × 1 channel × N=128, 5 concepts, 1-sparse, coherence ${d.meta!.coherence.toFixed(3)} (shift-max), seed 1`);
  assert.deepEqual([d.kind, d.x.dtype, d.x.shape], ['functional', 'float32', [1000, 1, 128]]);
  const t = d.truth as FunctionalTruth;
  assert.deepEqual([t.atoms.length, t.codesHeight.length, t.occurrences.length], [5 * 128, 1000 * 5 * 128, 1000]);
  assert.deepEqual(
    t.occurrences.map((o) => o.signal),
    Array.from({ length: 1000 }, (_, i) => i),
  );
  assert.ok(d.meta?.kind === 'functional');
  assert.deepEqual([d.meta.seed, d.meta.resolution, d.meta.config.concepts, d.meta.config.family], [1, 128, 5, 'gaussian']);
});

test('the Euclidean example: [2000, 50] signals, [50, 100] atoms, 5-sparse codes, and the summary line', async () => {
  const line = succeeded('euclidean');
  const d = await readDataset(ok.euclidean.out);
  assert.equal(line, `wrote ${ok.euclidean.out}: euclidean, 2000 signals × m=50, p=100 atoms, sparsity 5, coherence ${d.meta!.coherence.toFixed(3)} (mutual), seed 1`);
  assert.deepEqual([d.kind, d.x.shape], ['euclidean', [2000, 50]]);
  assert.ok(d.truth?.kind === 'euclidean');
  assert.deepEqual([d.truth.m, d.truth.p, d.truth.codes.length], [50, 100, 2000 * 100]);
  for (let b = 0; b < 2000; b++) assert.equal(d.truth.codes.subarray(b * 100, (b + 1) * 100).filter((v) => v !== 0).length, 5);
});

test('--format npy --dtype float64: a folder of .npy files that NumPy loads with the right shapes', async (t) => {
  const line = succeeded('npy');
  assert.match(line, /: functional random-taps, 50 signals × 2 channels × N=64, 4 concepts, 2 occurrences per concept, coherence 0\.\d{3} \(shift-max\), noise 0\.1, float64, seed 3$/);
  const d = await readDataset(ok.npy.out);
  assert.deepEqual([d.x.dtype, d.x.shape, (d.truth as FunctionalTruth).occurrences.length], ['float64', [50, 2, 64], 50 * 4 * 2]);
  if (spawnSync('/usr/bin/python3', ['-c', 'import numpy']).status !== 0) {
    t.skip('NumPy not available (/usr/bin/python3 -c "import numpy" failed)');
    return;
  }
  const py = "import sys, numpy as np; print(' '.join(f'{n}:{np.load(sys.argv[1] + \"/\" + n + \".npy\").dtype}:{list(np.load(sys.argv[1] + \"/\" + n + \".npy\").shape)}' for n in sys.argv[2:]))";
  const r = spawnSync('/usr/bin/python3', ['-c', py, ok.npy.out, 'x', 'atoms', 'codes_height', 'codes_mass', 'occurrences'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'x:float64:[50, 2, 64] atoms:float64:[4, 2, 64] codes_height:float64:[50, 4, 64] codes_mass:float64:[50, 4, 64] occurrences:float64:[400, 4]');
});

test('config files (JSON and YAML) with flags overriding them', async () => {
  succeeded('configJson');
  const j = await readDataset(ok.configJson.out);
  assert.equal(j.count, 20, '--count overrides the file');
  assert.ok(j.meta?.kind === 'functional');
  assert.deepEqual(j.meta.config.occurrence, { kind: 'bernoulli', p: 0.5 }, '--bernoulli replaces the file\'s oneSparse');
  assert.deepEqual([j.meta.config.family, j.meta.config.amplitude, j.meta.seed, j.x.shape], ['gabor', [1, 3], 2, [20, 1, 64]]);
  succeeded('configYaml');
  const y = await readDataset(ok.configYaml.out);
  assert.deepEqual([y.kind, y.x.shape], ['euclidean', [25, 10]]);
});

test('every bad input is one line on stderr, a non-zero exit, and no output file', () => {
  for (const [name, c] of Object.entries(bad)) {
    const r = results[name];
    assert.equal(r.thrown, null, `${name}: main threw`);
    assert.notEqual(r.code, 0, `${name}: exit code`);
    assert.equal(r.exitCode, null, `${name}: process.exitCode is left unset`);
    assert.equal(r.stdout, '', `${name}: stdout`);
    assert.match(r.stderr, /^[^\n]+\n$/, `${name}: exactly one stderr line, got ${JSON.stringify(r.stderr)}`);
    assert.doesNotMatch(r.stderr, /\bat .+:\d+:\d+/, `${name}: no stack trace`);
    for (const m of c.mentions) assert.ok(r.stderr.includes(m), `${name}: ${JSON.stringify(r.stderr)} should mention ${m}`);
    const left = readdirSync(c.folder).filter((f) => f !== 'file' && !f.startsWith('gen.'));
    assert.deepEqual(left, [], `${name}: nothing written (not even temporary files)`);
    assert.ok(!existsSync(join(c.folder, 'data.safetensors')));
  }
});
