/** Shared by the CLI tests: runs `main(argv)` in-process with stdout/stderr captured, and writes small dataset bundles. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';
import { EuclideanModel, FunctionalModel, type EuclideanConfigInput, type FunctionalConfigInput } from '../../src/data/index.js';
import { buildBundle, bundleModel } from '../../src/data/bundle.js';
import { writeDataset } from '../../src/io/dataset.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `saeno argv…` in this process; output is captured, not printed. */
export async function saeno(...argv: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const write = { out: process.stdout.write, err: process.stderr.write };
  // The CLI writes strings; the test runner reports from this same process in binary (v8-serialized)
  // chunks while a command awaits, so those pass through instead of being captured.
  const capture = (sink: string[], original: typeof process.stdout.write) =>
    ((s: string | Uint8Array, ...rest: unknown[]) => (typeof s === 'string' ? (sink.push(s), true) : original.call(process.stdout, s, ...(rest as [])))) as typeof process.stdout.write;
  process.stdout.write = capture(out, write.out);
  process.stderr.write = capture(err, write.err);
  try {
    const code = await main(argv);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

/** A fresh temporary folder, removed when the process exits. */
export function tempDir(prefix = 'saeno-cli-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes a dataset bundle (x plus truth, as `saeno generate` does) from a generator config and seed. */
export async function bundle(file: string, kind: 'euclidean', config: EuclideanConfigInput, count: number, seed?: number): Promise<EuclideanModel>;
export async function bundle(file: string, kind: 'functional', config: FunctionalConfigInput, count: number, seed?: number, N?: number): Promise<FunctionalModel>;
export async function bundle(file: string, kind: 'euclidean' | 'functional', config: object, count: number, seed = 1, N?: number): Promise<EuclideanModel | FunctionalModel> {
  const model = bundleModel({ kind, config, seed });
  await writeDataset(file, buildBundle(model, count, { resolution: N }));
  return model;
}
