/**
 * Node-only IO of runs and data for `saeno train`, `infer` and `eval`: reading arrays and
 * dataset bundles with their truth, and reading/writing run folders (checkpoint files written
 * atomically, the JSON-lines log).
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Rng } from '../core/rng.js';
import type { Occurrence } from '../data/index.js';
import type { FunctionalMeta } from '../data/bundle.js';
import { readDataset } from '../io/dataset.js';
import { readSafetensors, writeFileAtomic } from '../io/files.js';
import type { NdArray } from '../io/ndarray.js';
import { isFunctional, type ModelKind } from '../models/config.js';
import { createModel } from '../models/registry.js';
import type { SparseAutoencoder } from '../models/sae.js';
import { CheckpointError, decodeRunConfig, decodeState, decodeWeights, type CheckpointFiles, type RunConfig } from '../train/checkpoint.js';
import type { GeneratorSpec, Truth } from '../train/source.js';
import type { TrainerState } from '../train/trainer.js';
import { UsageError } from './errors.js';

/** An array file's signals with whatever truth it carries, in the layouts the trainer and metrics take. */
export interface LoadedData {
  path: string;
  /** float32 or float64 signals: [count, m] (Euclidean) or [count, c_in, N] (functional). */
  x: NdArray<'float32' | 'float64'>;
  truth: Truth | null;
  occurrences?: Occurrence[];
  /** Euclidean truth codes [count, p]. */
  codes?: Float64Array;
  /** the generator that made a bundle, if recorded. */
  generator: GeneratorSpec | null;
}

/**
 * Reads signals for a model kind (src/io/dataset.ts): a dataset bundle with its truth, a
 * dataset folder, or a plain `.npy` ([count, m]; functional models: [count, c_in, N], or
 * [count, N] read as c_in = 1). A bundle of the other kind is an error naming the file.
 */
export async function readDataFile(file: string, kind: ModelKind): Promise<LoadedData> {
  const ds = await readDataset(file, { kind: isFunctional(kind) ? 'functional' : 'euclidean' });
  const out: LoadedData = { path: file, x: ds.x, truth: null, generator: null };
  if (ds.meta) out.generator = { kind: ds.meta.kind, config: ds.meta.config as Record<string, unknown>, seed: ds.meta.seed, resolution: ds.meta.resolution };
  const t = ds.truth;
  if (!t) return out;
  if (t.kind === 'euclidean') {
    const { m, p, atoms } = t;
    out.truth = { kind: 'euclidean', atoms: Array.from({ length: p }, (_, j) => Float64Array.from({ length: m }, (_, i) => atoms[i * p + j])), channels: 1, resolution: 1 };
    out.codes = t.codes;
    return out;
  }
  const [, cin, N] = ds.x.shape;
  const config = (ds.meta as FunctionalMeta).config;
  const len = cin * N;
  out.truth = {
    kind: 'functional',
    atoms: Array.from({ length: t.concepts }, (_, c) => t.atoms.slice(c * len, (c + 1) * len)),
    channels: cin,
    resolution: N,
    baseResolution: config.baseResolution,
    oneSparse: config.occurrence.kind === 'one-sparse',
  };
  out.occurrences = t.occurrences;
  return out;
}

/** Signal dimensions of data read for a model: m (Euclidean) or c_in and N (functional). */
export function signalLayout(data: LoadedData): { channels: number; N: number; inputSize: number } {
  const { shape } = data.x;
  return shape.length === 2 ? { channels: 1, N: 1, inputSize: shape[1] } : { channels: shape[1], N: shape[2], inputSize: shape[1] };
}

/** The three checkpoint files plus the log, by path. */
export function runPaths(dir: string): { config: string; weights: string; state: string; log: string } {
  return {
    config: path.join(dir, 'config.json'),
    weights: path.join(dir, 'weights.safetensors'),
    state: path.join(dir, 'state.safetensors'),
    log: path.join(dir, 'log.jsonl'),
  };
}

/** Whether `dir` already holds a run (any checkpoint file). */
export function holdsRun(dir: string): boolean {
  const p = runPaths(dir);
  return [p.config, p.weights, p.state].some((f) => fs.existsSync(f));
}

/** Creates the run folder (and parents); a one-line error if that is impossible. */
export async function makeRunFolder(dir: string): Promise<void> {
  try {
    await fsp.mkdir(dir, { recursive: true });
    await fsp.access(dir, fs.constants.W_OK);
  } catch (e) {
    throw new UsageError(`cannot create or write the run folder ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Writes a checkpoint: each file atomically, weights and optimizer state before the config. */
export async function writeCheckpoint(dir: string, files: CheckpointFiles): Promise<void> {
  const p = runPaths(dir);
  await writeFileAtomic(p.weights, files['weights.safetensors']);
  await writeFileAtomic(p.state, files['state.safetensors']);
  await writeFileAtomic(p.config, files['config.json']);
}

async function readText(file: string): Promise<string> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(file, code === 'ENOENT' ? 'missing (not a run folder?)' : `cannot read (${code ?? (e as Error).message})`);
  }
}

/** A run folder's model (rebuilt from `config.json` and `weights.safetensors`) and configuration. */
export async function loadRun(dir: string): Promise<{ run: RunConfig; model: SparseAutoencoder; step: number }> {
  const p = runPaths(dir);
  const run = decodeRunConfig(await readText(p.config), p.config);
  const weights = decodeWeights(await readSafetensors(p.weights), p.weights);
  let model: SparseAutoencoder;
  try {
    model = createModel(run.model, new Rng(0), { kind: 'arrays', tensors: weights.tensors });
  } catch (e) {
    throw new CheckpointError(p.weights, (e as Error).message);
  }
  return { run, model, step: weights.step };
}

/** A run folder's trainer state, checked against the weights' step (a torn checkpoint is an error). */
export async function loadState(dir: string, weightsStep: number): Promise<TrainerState> {
  const p = runPaths(dir);
  const state = decodeState(await readSafetensors(p.state), p.state);
  if (state.step !== weightsStep) throw new CheckpointError(p.state, `step ${state.step} differs from the weights' step ${weightsStep} (an interrupted checkpoint)`);
  return state;
}

/** Keeps the log lines of steps ≤ `step` (a resumed run rewrites what came after its checkpoint). */
export async function truncateLog(dir: string, step: number): Promise<void> {
  const file = runPaths(dir).log;
  if (!fs.existsSync(file)) return;
  const keep = (await fsp.readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => {
      if (!line.trim()) return false;
      try {
        return (JSON.parse(line) as { step?: number }).step! <= step;
      } catch {
        return false;
      }
    });
  await writeFileAtomic(file, keep.map((l) => `${l}\n`).join(''));
}

/** Buffered JSON-lines log: lines are appended at each `flush` (checkpoints, the end, a failure). */
export class RunLog {
  private lines: string[] = [];
  constructor(private readonly file: string) {}

  /** Queues one record (NaN and ±Infinity become null, as JSON has no such numbers). */
  push(record: object): void {
    this.lines.push(JSON.stringify(record));
  }

  flush(): void {
    if (this.lines.length === 0) return;
    fs.appendFileSync(this.file, `${this.lines.join('\n')}\n`);
    this.lines = [];
  }
}

/** Wraps a command's action so that its error (one line via main.ts) starts with the command's name. */
export function commandAction<A extends unknown[]>(name: string, fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new UsageError(msg.startsWith(`${name}: `) ? msg : `${name}: ${msg}`);
    }
  };
}
