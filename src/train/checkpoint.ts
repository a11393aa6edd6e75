/**
 * Checkpoint contents of a run folder, as bytes (browser-safe; the CLI writes them atomically):
 * `config.json` (everything to rebuild the model and resume), `weights.safetensors` (the model's
 * state tensors by name, in its dtype) and `state.safetensors` (optimizer buffers as tensors, plus
 * step, optimizer and data-stream state as JSON metadata).
 */
import { z } from 'zod';
import type { RngState } from '../core/rng.js';
import type { FloatArray } from '../core/tensor.js';
import type { NdArray } from '../io/ndarray.js';
import { encodeSafetensors, type SafetensorsFile } from '../io/safetensors.js';
import { modelConfigSchema, type ModelConfig } from '../models/config.js';
import type { ArrayInput } from '../models/registry.js';
import type { SparseAutoencoder } from '../models/sae.js';
import { generatorSpecSchema, type SourceState } from './source.js';
import { trainConfigSchema, type Trainer, type TrainerState } from './trainer.js';

export const RUN_FORMAT = 'saeno-run/1';
/** Metadata key of the JSON in `weights.safetensors` and `state.safetensors`. */
export const META_KEY = 'saeno';

/** A run folder's bad or inconsistent file; the message names the file and the field. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** Where the training data came from: a generator (online) or an array file. */
export const dataDescriptionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('online'), generator: generatorSpecSchema }),
  z.strictObject({
    kind: z.literal('file'),
    /** absolute path of the `.npy` or `.safetensors` file. */
    path: z.string().min(1),
    /** shape of its `x` array. */
    shape: z.array(z.int().nonnegative()),
  }),
]);
export type DataDescription = z.output<typeof dataDescriptionSchema>;

/** `config.json`: model, optimisation, data and initialisation of a run. */
export const runConfigSchema = z.strictObject({
  format: z.literal(RUN_FORMAT),
  model: modelConfigSchema,
  train: trainConfigSchema,
  data: dataDescriptionSchema,
  /** N of the training data (null for Euclidean data). */
  resolution: z.int().positive().nullable(),
  /** how the weights were initialised (`random`, `perturbed-truth:EPS` or a file); informational on resume. */
  init: z.string(),
});
export type RunConfig = z.output<typeof runConfigSchema>;

/** The three files of a checkpoint, by name. */
export interface CheckpointFiles {
  'config.json': string;
  'weights.safetensors': Uint8Array;
  'state.safetensors': Uint8Array;
}

function zodMessage(err: z.ZodError): string {
  const issue = err.issues[0];
  const at = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${at ? `${at}.` : ''}${k}'`).join(', ')}`;
  return `${at || '(root)'}: ${issue.message}`;
}

function nd(data: FloatArray, shape: readonly number[]): NdArray {
  return data instanceof Float64Array ? { dtype: 'float64', shape: [...shape], data: data.slice() } : { dtype: 'float32', shape: [...shape], data: data.slice() };
}

/** The model's state tensors (`D` | `kernels` | `weights_re`, `weights_im`; `L`, `P`; `lambda`) as safetensors bytes. */
export function encodeWeights(model: SparseAutoencoder, step: number): Uint8Array {
  const tensors: Record<string, NdArray> = {};
  for (const [name, t] of Object.entries(model.stateTensors())) tensors[name] = nd(t.data, t.shape);
  return encodeSafetensors(tensors, { [META_KEY]: JSON.stringify({ format: RUN_FORMAT, step, model: model.config }) });
}

/** All three files of a checkpoint after `trainer.step` updates. */
export function encodeCheckpoint(run: RunConfig, trainer: Trainer): CheckpointFiles {
  const state = trainer.getState();
  const tensors: Record<string, NdArray> = {};
  for (const [name, buf] of Object.entries(state.optimizer.buffers)) tensors[`optimizer.${name}`] = nd(buf, [buf.length]);
  const meta = { format: RUN_FORMAT, step: state.step, elapsed: state.elapsed, optimizer: { kind: state.optimizer.kind, step: state.optimizer.step }, source: state.source };
  return {
    'config.json': `${JSON.stringify(run, null, 2)}\n`,
    'weights.safetensors': encodeWeights(trainer.model, state.step),
    'state.safetensors': encodeSafetensors(tensors, { [META_KEY]: JSON.stringify(meta) }),
  };
}

/** Parses and validates `config.json` (strict: unknown keys are errors naming the key). */
export function decodeRunConfig(text: string, file = 'config.json'): RunConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(file, `not valid JSON (${(e as Error).message})`);
  }
  const r = runConfigSchema.safeParse(json);
  if (!r.success) throw new CheckpointError(file, zodMessage(r.error));
  return r.data;
}

function metadataJson(f: SafetensorsFile, file: string): Record<string, unknown> {
  const text = f.metadata[META_KEY];
  if (text === undefined) throw new CheckpointError(file, `metadata "${META_KEY}" is missing (not a saeno checkpoint?)`);
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new CheckpointError(file, `metadata "${META_KEY}" is not a JSON object`);
}

/** The weights by name (for `createModel(…, { kind: 'arrays', tensors })`), the step they were saved at and the model config. */
export function decodeWeights(f: SafetensorsFile, file = 'weights.safetensors'): { tensors: Record<string, ArrayInput>; step: number; model: ModelConfig | null } {
  const meta = f.metadata[META_KEY] === undefined ? null : metadataJson(f, file);
  const tensors: Record<string, ArrayInput> = {};
  for (const [name, t] of Object.entries(f.tensors)) {
    if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new CheckpointError(file, `tensor "${name}" has dtype ${t.dtype}, expected float32 or float64`);
    tensors[name] = { data: t.data as FloatArray, shape: t.shape };
  }
  const step = meta && Number.isInteger(meta.step) ? (meta.step as number) : -1;
  const parsed = meta ? modelConfigSchema.safeParse(meta.model) : null;
  return { tensors, step, model: parsed?.success ? parsed.data : null };
}

const rngStateSchema = z.strictObject({ s: z.tuple([z.int(), z.int(), z.int(), z.int()]), spare: z.number().nullable() });
const stateMetaSchema = z.strictObject({
  format: z.literal(RUN_FORMAT),
  step: z.int().nonnegative(),
  elapsed: z.number().nonnegative(),
  optimizer: z.strictObject({ kind: z.enum(['adam', 'sgd']), step: z.int().nonnegative() }),
  source: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('online'), rng: rngStateSchema }),
    z.strictObject({ kind: z.literal('array'), epoch: z.int().nonnegative(), position: z.int().nonnegative(), rng: rngStateSchema }),
  ]),
});

/** The trainer state of `state.safetensors` (optimizer buffers, step, data-stream position). */
export function decodeState(f: SafetensorsFile, file = 'state.safetensors'): TrainerState {
  const r = stateMetaSchema.safeParse(metadataJson(f, file));
  if (!r.success) throw new CheckpointError(file, `metadata "${META_KEY}": ${zodMessage(r.error)}`);
  const meta = r.data;
  const buffers: Record<string, FloatArray> = {};
  for (const [name, t] of Object.entries(f.tensors)) {
    if (!name.startsWith('optimizer.')) throw new CheckpointError(file, `unexpected tensor "${name}"`);
    if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new CheckpointError(file, `tensor "${name}" has dtype ${t.dtype}, expected float32 or float64`);
    buffers[name.slice('optimizer.'.length)] = t.data as FloatArray;
  }
  return {
    step: meta.step,
    elapsed: meta.elapsed,
    optimizer: { kind: meta.optimizer.kind, step: meta.optimizer.step, buffers },
    source: meta.source as SourceState & { rng: RngState },
  };
}
