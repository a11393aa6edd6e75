/**
 * Dataset bundles on disk (Node-only; the tensors and metadata are built and parsed by
 * src/data/bundle.ts): one `.safetensors` file, or a folder of `.npy` files plus `meta.json`
 * (written into a temporary folder and renamed into place, so no partial folder appears).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { BundleError, METADATA_KEY, TRUTH_TENSORS, parseBundle, parseDatasetMeta, plainDataset, type Bundle, type Dataset, type DatasetKind } from '../data/bundle.js';
import { FileAccessError, FileFormatError } from './errors.js';
import { readNpy, readSafetensors, writeFileAtomic, writeNpy, writeSafetensors } from './files.js';
import type { NdArray } from './ndarray.js';

/** On-disk layouts of a bundle. */
export type DatasetFormat = 'safetensors' | 'npy';

/** The metadata file of an `.npy` dataset folder (the same JSON as the safetensors metadata `saeno`). */
export const META_FILE = 'meta.json';

/** Every file name a dataset folder can hold (a folder holding anything else is never replaced). */
const FOLDER_FILES = new Set([META_FILE, 'x.npy', ...Object.values(TRUTH_TENSORS).flat().map((n) => `${n}.npy`)]);

/** Options of {@link readDataset}. */
export interface ReadDatasetOptions {
  /** How to read 2-D signals without metadata: [count, m] (euclidean, the default) or [count, 1, N] (functional); also checked against a bundle's kind. */
  kind?: DatasetKind;
  /** Accept NaN/Inf in the arrays (rejected by default). */
  allowNonFinite?: boolean;
}

/**
 * Checks, before any work, that `out` can receive a dataset in `format`: its parent is an
 * existing writable folder, and a `.safetensors` target is not a folder.
 * @throws FileAccessError naming `out`
 */
export async function checkDatasetTarget(out: string, format: DatasetFormat): Promise<void> {
  const parent = path.dirname(path.resolve(out));
  try {
    const st = await fsp.stat(parent);
    if (!st.isDirectory()) throw Object.assign(new Error('a parent is not a directory'), { code: 'ENOTDIR' });
    await fsp.access(parent, fs.constants.W_OK);
  } catch (e) {
    throw new FileAccessError(out, 'write', e);
  }
  const isDir = (await fsp.stat(out).catch(() => null))?.isDirectory() ?? false;
  if (format === 'safetensors' && isDir) throw new FileAccessError(out, 'write', { code: 'EISDIR' });
  if (format === 'npy' && isDir) {
    const problem = foreignFiles(await fsp.readdir(out));
    if (problem) throw new FileAccessError(out, 'write', new Error(problem));
  }
}

/** Why a folder holding `files` must not be replaced by a dataset folder, or '' when it may. */
function foreignFiles(files: readonly string[]): string {
  const foreign = files.filter((f) => !FOLDER_FILES.has(f));
  if (foreign.length === 0) return '';
  return `the folder holds files that are not a dataset's (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}); choose another --out`;
}

/**
 * Writes a bundle atomically: `safetensors` → the file `out`; `npy` → the folder `out` holding
 * `x.npy`, `<truth>.npy` and `meta.json`. An existing dataset folder is replaced; a folder with
 * other files is refused.
 * @returns the paths written (the file, or the folder's files)
 * @throws FileAccessError naming `out` (nothing is left under the final name on failure)
 */
export async function writeDataset(out: string, bundle: Bundle, format: DatasetFormat = 'safetensors'): Promise<string[]> {
  if (format === 'safetensors') {
    await writeSafetensors(out, bundle.tensors, bundle.metadata);
    return [out];
  }
  if (format !== 'npy') throw new RangeError(`writeDataset: format must be safetensors or npy, got ${String(format)}`);
  const final = path.resolve(out);
  let tmp: string;
  try {
    tmp = await fsp.mkdtemp(path.join(path.dirname(final), `.${path.basename(final)}.tmp-`));
  } catch (e) {
    throw new FileAccessError(out, 'write', e);
  }
  try {
    for (const [name, arr] of Object.entries(bundle.tensors)) await writeNpy(path.join(tmp, `${name}.npy`), arr);
    await writeFileAtomic(path.join(tmp, META_FILE), `${JSON.stringify(bundle.meta, null, 2)}\n`);
    await replaceFolder(tmp, final);
  } catch (e) {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw new FileAccessError(out, 'write', e instanceof FileAccessError ? (e.cause ?? e) : e);
  }
  return [...Object.keys(bundle.tensors).map((n) => `${n}.npy`), META_FILE].map((f) => path.join(out, f));
}

/**
 * Renames the finished folder `tmp` to `final`. An existing `final` that holds only dataset
 * files is swapped out (renamed aside, then removed); one holding other files is refused.
 */
async function replaceFolder(tmp: string, final: string): Promise<void> {
  const existing = await fsp.readdir(final).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (existing === null || existing.length === 0) {
    await fsp.rename(tmp, final);
    return;
  }
  const problem = foreignFiles(existing);
  if (problem) throw new Error(problem);
  const aside = `${final}.old-${randomBytes(4).toString('hex')}`;
  await fsp.rename(final, aside);
  try {
    await fsp.rename(tmp, final);
  } catch (e) {
    await fsp.rename(aside, final).catch(() => undefined);
    throw e;
  }
  await fsp.rm(aside, { recursive: true, force: true });
}

/**
 * Reads signals and their truth: a `.safetensors` bundle (or any safetensors file with a
 * tensor `x`), a dataset folder written with format `npy`, or a plain `.npy` array (signals
 * only: 2-D is [count, m], or [count, 1, N] with `kind: 'functional'`; 3-D is [count, c_in, N]).
 * The metadata's generator config is validated, so `bundleModel(dataset.meta)` rebuilds the generator.
 * @throws FileFormatError naming the file and the tensor/metadata field; FileAccessError if unreadable
 */
export async function readDataset(file: string, opts: ReadDatasetOptions = {}): Promise<Dataset> {
  const decode = { allowNonFinite: opts.allowNonFinite };
  const st = await fsp.stat(file).catch((e: unknown) => {
    throw new FileAccessError(file, 'read', e);
  });
  if (st.isDirectory()) return readFolder(file, opts);
  if (path.extname(file).toLowerCase() === '.npy') {
    const x = await readNpy(file, decode);
    return inFile(file, () => plainDataset(x, opts.kind));
  }
  const { tensors, metadata } = await readSafetensors(file, decode);
  return inFile(file, () => parseBundle(tensors, metadata, opts.kind));
}

/** Runs a parse, turning its BundleError into a FileFormatError naming `file` (or, via `fileOf`, the field's own file). */
function inFile<T>(file: string, parse: () => T, fileOf: (field: string) => string = () => file): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof BundleError) throw new FileFormatError(fileOf(e.field), e.field, e.message);
    throw e;
  }
}

/** A dataset folder: `meta.json` first (it says which arrays to expect), then `x.npy` and the truth arrays. */
async function readFolder(dir: string, opts: ReadDatasetOptions): Promise<Dataset> {
  const metaPath = path.join(dir, META_FILE);
  let text: string;
  try {
    text = await fsp.readFile(metaPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new FileFormatError(dir, META_FILE, `${META_FILE}: missing (not a dataset folder written by saeno generate --format npy)`);
    throw new FileAccessError(metaPath, 'read', e);
  }
  const meta = inFile(metaPath, () => parseDatasetMeta(text));
  const tensors: Record<string, NdArray> = {};
  for (const name of ['x', ...TRUTH_TENSORS[meta.kind]]) {
    try {
      tensors[name] = await readNpy(path.join(dir, `${name}.npy`), { allowNonFinite: opts.allowNonFinite });
    } catch (e) {
      // a missing array is reported by parseBundle, naming the tensor
      if (!(e instanceof FileAccessError && e.code === 'ENOENT')) throw e;
    }
  }
  return inFile(metaPath, () => parseBundle(tensors, { [METADATA_KEY]: text }, opts.kind), (field) => {
    const tensor = /^tensor "(.+)"$/.exec(field);
    return tensor ? path.join(dir, `${tensor[1]}.npy`) : metaPath;
  });
}
