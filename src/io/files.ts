/**
 * Node-only file functions: atomic writes and `.npy` / `.safetensors` read/write by path.
 * Errors name the path: FileAccessError (cannot read/write) or FileFormatError (bad content).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { FileAccessError } from './errors.js';
import type { DecodeOptions, NdArray } from './ndarray.js';
import { decodeNpy, encodeNpy } from './npy.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsFile } from './safetensors.js';

/** A fresh name in the target's own directory, so the final rename stays on one file system (atomic). */
function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Writes `data` to `file` atomically: into a temporary file in the same directory, fsync, then
 * rename over `file`. Readers (and a crash at any point) see either the old file or the whole
 * new one, never a partial write. The directory is not fsynced: after a power loss the old
 * file may reappear, which is still a complete file. On failure the temporary file is removed and a FileAccessError naming `file` is thrown.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempPathFor(file);
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(tmp, 'wx');
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(tmp, file);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw new FileAccessError(file, 'write', err);
  }
}

/** Synchronous twin of {@link writeFileAtomic} (same guarantees), for exit paths and simple scripts. */
export function writeFileAtomicSync(file: string, data: Uint8Array | string): void {
  const tmp = tempPathFor(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx');
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (err) {
    try {
      if (fd !== undefined) fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
    } catch {
      // keep the original error: it is the one that explains the failure
    }
    throw new FileAccessError(file, 'write', err);
  }
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return await fsp.readFile(file);
  } catch (err) {
    throw new FileAccessError(file, 'read', err);
  }
}

/** Reads a `.npy` file (see {@link decodeNpy} for what is accepted); errors name `file`. */
export async function readNpy(file: string, opts: Omit<DecodeOptions, 'source'> = {}): Promise<NdArray> {
  return decodeNpy(await readBytes(file), { ...opts, source: file });
}

/** Writes `arr` to a `.npy` file atomically, byte-identical to `np.save`. */
export async function writeNpy(file: string, arr: NdArray): Promise<void> {
  await writeFileAtomic(file, encodeNpy(arr));
}

/** Reads a `.safetensors` file (see {@link decodeSafetensors} for the checks); errors name `file`. */
export async function readSafetensors(file: string, opts: Omit<DecodeOptions, 'source'> = {}): Promise<SafetensorsFile> {
  return decodeSafetensors(await readBytes(file), { ...opts, source: file });
}

/** Writes tensors (and optional string metadata) to a `.safetensors` file atomically. */
export async function writeSafetensors(file: string, tensors: Record<string, NdArray>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}
