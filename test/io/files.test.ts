import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileAccessError, FileError, FileFormatError } from '../../src/io/errors.js';
import { readNpy, readSafetensors, writeFileAtomic, writeFileAtomicSync, writeNpy, writeSafetensors } from '../../src/io/files.js';
import { ndarray, type NdArray } from '../../src/io/ndarray.js';
import { encodeNpy } from '../../src/io/npy.js';
import { encodeSafetensors } from '../../src/io/safetensors.js';

const tmp = mkdtempSync(join(tmpdir(), 'saeno-io-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = (): string => {
  const d = join(tmp, `d${dirCount++}`);
  mkdirSync(d);
  return d;
};

/** Asserts `p` rejects/throws a FileAccessError for `file` with the given code. */
async function accessError(p: Promise<unknown> | (() => unknown), file: string, code: string): Promise<FileAccessError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.ok(e instanceof FileAccessError, `expected FileAccessError, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.equal(e.code, code, e.message);
    assert.ok(e.message.startsWith(`${file}: cannot `), e.message);
    return e;
  }
  assert.fail('expected a FileAccessError');
}

for (const [label, write] of [
  ['writeFileAtomic', writeFileAtomic],
  ['writeFileAtomicSync', async (f: string, d: Uint8Array | string) => writeFileAtomicSync(f, d)],
] as const) {
  test(`${label}: writes, and overwriting replaces the whole file; no temp file left`, async () => {
    const dir = freshDir();
    const file = join(dir, 'a.bin');
    await write(file, new Uint8Array(1000).fill(7));
    await write(file, 'short');
    assert.equal(readFileSync(file, 'utf8'), 'short');
    assert.deepEqual(readdirSync(dir), ['a.bin']);
  });

  test(`${label}: a missing directory fails naming the path, creates nothing`, async () => {
    const dir = freshDir();
    const file = join(dir, 'no', 'such', 'x.npy');
    const e = await accessError(write(file, 'data'), file, 'ENOENT');
    assert.match(e.message, /cannot write \(no such file or directory\)$/);
    assert.deepEqual(readdirSync(dir), []);
  });

  test(`${label}: a failure after the temp file was written (rename onto a directory) removes the temp file`, async () => {
    const dir = freshDir();
    const target = join(dir, 'out.safetensors');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'x'); // non-empty: rename cannot replace it
    await accessError(write(target, new Uint8Array(4096)), target, 'EISDIR');
    assert.deepEqual(readdirSync(dir), ['out.safetensors']);
    assert.deepEqual(readdirSync(target), ['keep']);
  });

  test(`${label}: a failure mid-write leaves the old file intact and no temp file`, async () => {
    const dir = freshDir();
    const file = join(dir, 'w.npy');
    writeFileSync(file, 'old content');
    // a non-buffer payload makes the write itself throw after the temp file was opened
    await assert.rejects(write(file, 42 as unknown as string), (e: unknown) => e instanceof FileAccessError && e.file === file);
    assert.equal(readFileSync(file, 'utf8'), 'old content');
    assert.deepEqual(readdirSync(dir), ['w.npy']);
  });
}

test('readNpy / writeNpy and readSafetensors / writeSafetensors round-trip by path', async () => {
  const dir = freshDir();
  const a = ndarray('float64', [2, 2], Float64Array.of(1, -2, 3.5, 1e-310));
  await writeNpy(join(dir, 'a.npy'), a);
  assert.deepEqual(readFileSync(join(dir, 'a.npy')), Buffer.from(encodeNpy(a)));
  const back = await readNpy(join(dir, 'a.npy'));
  assert.deepEqual(Array.from(back.data as Float64Array), [1, -2, 3.5, 1e-310]);
  const tensors = { a, m: ndarray('bool', [3], Uint8Array.of(1, 0, 1)) };
  await writeSafetensors(join(dir, 'b.safetensors'), tensors, { seed: '3' });
  const st = await readSafetensors(join(dir, 'b.safetensors'));
  assert.deepEqual(st.metadata, { seed: '3' });
  assert.deepEqual(Array.from(st.tensors.m!.data as Uint8Array), [1, 0, 1]);
  assert.deepEqual(readdirSync(dir).sort(), ['a.npy', 'b.safetensors']);
});

test('read errors name the file: missing, a directory, corrupt content, NaN', async () => {
  const dir = freshDir();
  const missing = join(dir, 'missing.npy');
  const e = await accessError(readNpy(missing), missing, 'ENOENT');
  assert.equal(e.message, `${missing}: cannot read (no such file or directory)`);
  assert.ok(e instanceof FileError);
  await accessError(readSafetensors(dir), dir, 'EISDIR');

  const corrupt = join(dir, 'corrupt.safetensors');
  writeFileSync(corrupt, encodeSafetensors({ x: ndarray('float32', [4]) }).subarray(0, 30));
  await assert.rejects(readSafetensors(corrupt), (err: unknown) => err instanceof FileFormatError && err.file === corrupt && err.field === 'header length');

  const nan = join(dir, 'x.npy');
  const data = new Float32Array(5 * 20);
  data[3 * 20 + 17] = NaN;
  writeFileSync(nan, encodeNpy(ndarray('float32', [5, 20], data)));
  await assert.rejects(readNpy(nan), { name: 'FileFormatError', message: `${nan}: element [3, 17] is NaN (pass allowNonFinite to accept)` });
  assert.ok(Number.isNaN((await readNpy(nan, { allowNonFinite: true })).data[77]));
});

// ---------- live interop with NumPy ----------

const PYTHON = '/usr/bin/python3';
const hasNumpy = spawnSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
const SCRIPT = fileURLToPath(new URL('./make_fixtures.py', import.meta.url));
const NUMPY_DESCR = { float32: '<f4', float64: '<f8', int32: '<i4', int64: '<i8', uint8: '|u1', bool: '|b1' } as const;

function spec(a: NdArray): { dtype: string; shape: number[]; hex: string } {
  return { dtype: NUMPY_DESCR[a.dtype], shape: a.shape, hex: Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).toString('hex') };
}

test('NumPy loads what we write, exactly, and re-saves the same bytes', { skip: hasNumpy ? false : `NumPy not importable by ${PYTHON} (apt-get install python3-numpy); the committed fixtures still test reading` }, async () => {
  const dir = freshDir();
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const f32 = Float32Array.from({ length: 64 * 33 }, rand);
  f32[5] = NaN;
  f32[6] = -Infinity;
  f32[7] = -0;
  const arrays: Record<string, NdArray> = {
    f32_64x33: ndarray('float32', [64, 33], f32),
    f64_scalar: ndarray('float64', [], Float64Array.of(-Math.E)),
    f64_3x0x2: ndarray('float64', [3, 0, 2]),
    i32_5: ndarray('int32', [5], Int32Array.of(-(2 ** 31), 2 ** 31 - 1, 0, 7, -7)),
    i64_2x2: ndarray('int64', [2, 2], BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n, 1n, -1n)),
    u8_1x1x256: ndarray('uint8', [1, 1, 256], Uint8Array.from({ length: 256 }, (_, i) => i)),
    bool_4: ndarray('bool', [4], Uint8Array.of(0, 1, 1, 0)),
  };
  const manifest = { npy: {} as Record<string, unknown>, safetensors: {} as Record<string, unknown> };
  for (const [name, a] of Object.entries(arrays)) {
    await writeNpy(join(dir, `${name}.npy`), a);
    manifest.npy[name] = spec(a);
  }
  const bundles: Record<string, [Record<string, NdArray>, Record<string, string> | undefined]> = {
    all: [arrays, { generator: '{"kind":"functional"}', seed: '1', resolution: '128' }],
    plain: [{ x: arrays.f32_64x33! }, undefined],
  };
  for (const [name, [tensors, metadata]] of Object.entries(bundles)) {
    await writeSafetensors(join(dir, `${name}.safetensors`), tensors, metadata);
    manifest.safetensors[name] = { metadata: metadata ?? null, tensors: Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, spec(v)])) };
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));

  const py = spawnSync(PYTHON, [SCRIPT, 'check', dir], { encoding: 'utf8' });
  assert.equal(py.status, 0, `NumPy check failed:\n${py.stderr}`);
  assert.match(py.stdout, /checked 7 npy and 2 safetensors files/);
  // NumPy's np.save and the spec-following writer re-save byte-identical files
  for (const name of Object.keys(arrays)) assert.deepEqual(readFileSync(join(dir, `numpy_${name}.npy`)), readFileSync(join(dir, `${name}.npy`)), name);
  for (const name of Object.keys(bundles)) assert.deepEqual(readFileSync(join(dir, `numpy_${name}.safetensors`)), readFileSync(join(dir, `${name}.safetensors`)), name);
});
