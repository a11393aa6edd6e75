import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildBundle, type Bundle, type Dataset } from '../../src/data/bundle.js';
import { EuclideanModel } from '../../src/data/euclidean.js';
import { FunctionalModel } from '../../src/data/functional.js';
import { checkDatasetTarget, readDataset, writeDataset } from '../../src/io/dataset.js';
import { FileAccessError, FileFormatError } from '../../src/io/errors.js';
import { writeNpy, writeSafetensors } from '../../src/io/files.js';

const tmp = mkdtempSync(join(tmpdir(), 'saeno-dataset-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = (): string => {
  const d = join(tmp, `d${dirCount++}`);
  mkdirSync(d);
  return d;
};

const functionalBundle = (): Bundle => buildBundle(new FunctionalModel({ family: 'gabor', channels: 2, occurrence: { kind: 'fixed', count: 1 }, noise: 0.05 }, 3), 16, { resolution: 128 });
const euclideanBundle = (): Bundle => buildBundle(new EuclideanModel({ m: 8, p: 12, sparsity: 2, noise: 0.01 }, 4), 16, { dtype: 'float64' });

/** Every tensor of `b` equals the dataset's view of it, element for element (exact: files store the bits). */
function assertSameBundle(d: Dataset, b: Bundle): void {
  assert.deepEqual(d.meta, b.meta);
  assert.equal(d.x.dtype, b.tensors.x.dtype);
  assert.deepEqual(d.x.shape, b.tensors.x.shape);
  assert.deepEqual(d.x.data, b.tensors.x.data);
  const t = d.truth;
  assert.ok(t !== null);
  if (t.kind === 'euclidean') {
    assert.deepEqual([t.atoms, t.codes], [b.tensors.atoms.data, b.tensors.codes.data]);
    return;
  }
  assert.deepEqual([t.atoms, t.codesHeight, t.codesMass], [b.tensors.atoms.data, b.tensors.codes_height.data, b.tensors.codes_mass.data]);
  const rows = b.tensors.occurrences.data;
  assert.equal(t.occurrences.length, rows.length / 4);
  t.occurrences.forEach((o, k) => assert.deepEqual([o.signal, o.concept, o.tau, o.amp], Array.from(rows.subarray(4 * k, 4 * k + 4))));
}

/** Asserts `p` rejects with an error of `cls` naming `file` (message starts with it) and, for format errors, `field`. */
async function fileError(p: Promise<unknown>, cls: typeof FileFormatError | typeof FileAccessError, file: string, mention: string, field?: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.ok(e.message.startsWith(`${file}: `), e.message);
    assert.ok(e.message.includes(mention), e.message);
    if (field !== undefined) assert.equal((e as FileFormatError).field, field);
    return true;
  });
}

test('safetensors and npy-folder round trips: every tensor and the metadata read back equal', async () => {
  const d = freshDir();
  for (const b of [functionalBundle(), euclideanBundle()]) {
    const file = join(d, `${b.meta.kind}.safetensors`);
    assert.deepEqual(await writeDataset(file, b), [file]);
    assertSameBundle(await readDataset(file), b);
    const folder = join(d, `${b.meta.kind}-npy`);
    const written = await writeDataset(folder, b, 'npy');
    assert.deepEqual(readdirSync(folder).sort(), [...Object.keys(b.tensors).map((n) => `${n}.npy`), 'meta.json'].sort());
    assert.equal(written.length, Object.keys(b.tensors).length + 1);
    assertSameBundle(await readDataset(folder), b);
  }
  assert.deepEqual(readdirSync(d).filter((f) => f.startsWith('.')), [], 'no temporary files left');
});

test('a plain .npy reads as signals only: 2-D [count, m], or [count, 1, N] when functional; 3-D [count, c_in, N]', async () => {
  const d = freshDir();
  const f2 = join(d, 'x2.npy');
  const f3 = join(d, 'x3.npy');
  await writeNpy(f2, { dtype: 'float32', shape: [5, 7], data: Float32Array.from({ length: 35 }, (_, i) => i) });
  await writeNpy(f3, { dtype: 'float64', shape: [5, 2, 7], data: new Float64Array(70) });
  const a = await readDataset(f2);
  assert.deepEqual([a.kind, a.x.shape, a.count, a.meta, a.truth], ['euclidean', [5, 7], 5, null, null]);
  assert.equal(a.x.data[34], 34);
  const b = await readDataset(f2, { kind: 'functional' });
  assert.deepEqual([b.kind, b.x.shape], ['functional', [5, 1, 7]]);
  const c = await readDataset(f3);
  assert.deepEqual([c.kind, c.x.shape], ['functional', [5, 2, 7]]);
  await fileError(readDataset(f3, { kind: 'euclidean' }), FileFormatError, f3, 'expected [count, m]', 'tensor "x"');
});

test('readDataset names the file and the tensor or field that is missing or malformed', async () => {
  const d = freshDir();
  const b = functionalBundle();
  const noAtoms = join(d, 'no-atoms.safetensors');
  const { atoms: _dropped, ...rest } = b.tensors;
  await writeSafetensors(noAtoms, rest, b.metadata);
  await fileError(readDataset(noAtoms), FileFormatError, noAtoms, 'tensor "atoms": missing', 'tensor "atoms"');
  const badShape = join(d, 'bad-shape.safetensors');
  await writeSafetensors(badShape, { ...b.tensors, codes_height: { dtype: 'float64', shape: [16, 5, 64], data: new Float64Array(16 * 5 * 64) } }, b.metadata);
  await fileError(readDataset(badShape), FileFormatError, badShape, 'shape [16, 5, 64], expected [16, 5, 128]', 'tensor "codes_height"');
  const badConfig = join(d, 'bad-config.safetensors');
  await writeSafetensors(badConfig, b.tensors, { saeno: b.metadata.saeno.replace('"family":"gabor"', '"family":"gabor","colour":1') });
  await fileError(readDataset(badConfig), FileFormatError, badConfig, "unknown key 'colour'", 'metadata "saeno".config');
  // A folder: the error names the .npy file of the tensor at fault.
  const folder = join(d, 'folder');
  await writeDataset(folder, b, 'npy');
  unlinkSync(join(folder, 'codes_mass.npy'));
  await fileError(readDataset(folder), FileFormatError, join(folder, 'codes_mass.npy'), 'tensor "codes_mass": missing', 'tensor "codes_mass"');
  const notDataset = freshDir();
  await fileError(readDataset(notDataset), FileFormatError, notDataset, 'meta.json: missing', 'meta.json');
  await fileError(readDataset(join(d, 'nope.safetensors')), FileAccessError, join(d, 'nope.safetensors'), 'no such file');
});

test('npy folder writes are atomic: a failed write leaves no folder and no temporary files; a dataset folder is replaced, a foreign one refused', async () => {
  const d = freshDir();
  const out = join(d, 'data');
  // An inconsistent third tensor makes the encoder throw after two files are written.
  const good = euclideanBundle();
  const broken: Bundle = { ...good, tensors: { ...good.tensors, zzz: { dtype: 'float64', shape: [3], data: new Float64Array(2) } } };
  await fileError(writeDataset(out, broken, 'npy'), FileAccessError, out, 'cannot write');
  assert.deepEqual(readdirSync(d), [], 'nothing under the final name, no temporary folder');
  // Replacing an existing dataset folder: new contents, old files gone.
  const f = functionalBundle();
  await writeDataset(out, f, 'npy');
  await writeDataset(out, good, 'npy');
  assert.deepEqual(readdirSync(out).sort(), ['atoms.npy', 'codes.npy', 'meta.json', 'x.npy']);
  assertSameBundle(await readDataset(out), good);
  assert.deepEqual(readdirSync(d), ['data']);
  // A folder holding other files is never replaced.
  const foreign = join(d, 'mine');
  mkdirSync(foreign);
  writeFileSync(join(foreign, 'notes.txt'), 'keep me');
  await fileError(writeDataset(foreign, good, 'npy'), FileAccessError, foreign, 'notes.txt');
  await fileError(checkDatasetTarget(foreign, 'npy'), FileAccessError, foreign, 'notes.txt');
  await checkDatasetTarget(out, 'npy'); // a dataset folder may be replaced
  assert.deepEqual(readdirSync(foreign), ['notes.txt']);
  assert.deepEqual(readdirSync(d).sort(), ['data', 'mine']);
});

test('checkDatasetTarget and writeDataset refuse targets that cannot be written, creating nothing', async () => {
  const d = freshDir();
  const file = join(d, 'a-file');
  writeFileSync(file, 'x');
  const under = join(file, 'data.safetensors');
  await fileError(checkDatasetTarget(under, 'safetensors'), FileAccessError, under, 'not a directory');
  await fileError(checkDatasetTarget(join(d, 'missing', 'data'), 'npy'), FileAccessError, join(d, 'missing', 'data'), 'no such file');
  await fileError(checkDatasetTarget(d, 'safetensors'), FileAccessError, d, 'is a directory');
  await fileError(writeDataset(under, euclideanBundle()), FileAccessError, under, 'cannot write');
  await fileError(writeDataset(join(file, 'folder'), euclideanBundle(), 'npy'), FileAccessError, join(file, 'folder'), 'cannot write');
  assert.deepEqual(readdirSync(d), ['a-file']);
});

test('NumPy loads the npy folder with the right shapes, dtypes and values', async (t) => {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    t.skip('NumPy not available (/usr/bin/python3 -c "import numpy" failed)');
    return;
  }
  const folder = join(freshDir(), 'np');
  const b = functionalBundle();
  await writeDataset(folder, b, 'npy');
  const script = [
    'import json, sys, numpy as np',
    'd = sys.argv[1]',
    "meta = json.load(open(d + '/meta.json'))",
    "names = ['x', 'atoms', 'codes_height', 'codes_mass', 'occurrences']",
    "print(json.dumps({'meta': meta, **{n: [str(a.dtype), list(a.shape), float(np.asarray(a, np.float64).sum())] for n in names for a in [np.load(d + '/' + n + '.npy')]}}))",
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', script, folder], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as Record<string, [string, number[], number]> & { meta: unknown };
  assert.deepEqual(got.meta, JSON.parse(JSON.stringify(b.meta)));
  for (const [name, arr] of Object.entries(b.tensors)) {
    const [dtype, shape, sum] = got[name];
    assert.deepEqual([dtype, shape], [arr.dtype, arr.shape], name);
    let s = 0;
    for (const v of arr.data) s += v;
    // Same elements summed in another order: float64 round-off ≤ n·ε·Σ|v|, far below 1e-9 relative here.
    assert.ok(Math.abs(sum - s) <= 1e-9 * Math.max(1, Math.abs(s)), `${name}: numpy sum ${sum}, ours ${s}`);
  }
  assert.ok(existsSync(join(folder, 'x.npy')));
});
