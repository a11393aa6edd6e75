/**
 * `saeno infer`: codes and reconstructions of a trained model for an array at any resolution,
 * written as one `.safetensors` file (tensors `codes` and `reconstruction`, the input's leading shape).
 */
import type { Command } from 'commander';
import * as path from 'node:path';
import { Tensor } from '../core/tensor.js';
import { readNpy, readSafetensors, writeSafetensors } from '../io/files.js';
import type { NdArray } from '../io/ndarray.js';
import type { SparseAutoencoder } from '../models/sae.js';
import { inferAll } from '../train/evaluate.js';
import { UsageError } from './errors.js';
import { commandAction, loadRun } from './runfolder.js';
import { parseThreads, runWithThreads, threadsOption } from './threads.js';

/** Reads the input array: a `.npy`, or tensor `x` of a `.safetensors`. */
async function readInput(file: string): Promise<NdArray<'float32' | 'float64'>> {
  const ext = path.extname(file).toLowerCase();
  let arr: NdArray;
  if (ext === '.npy') arr = await readNpy(file);
  else if (ext === '.safetensors') {
    const { tensors } = await readSafetensors(file);
    if (!tensors.x) throw new UsageError(`${file}: no tensor "x" (tensors: ${Object.keys(tensors).join(', ') || 'none'})`);
    arr = tensors.x;
  } else throw new UsageError(`${file}: expected a .npy or .safetensors file`);
  if (arr.dtype !== 'float32' && arr.dtype !== 'float64') throw new UsageError(`${file}: dtype ${arr.dtype}, expected float32 or float64`);
  return arr as NdArray<'float32' | 'float64'>;
}

/**
 * Splits an input shape into leading (batch) dims and one signal: [..., m] for SAE/L-SAE;
 * [..., c_in, N] for functional models, or [..., N] when c_in = 1.
 * @returns the leading shape and the model's batch shape [count, ...signal]
 */
export function batchLayout(model: SparseAutoencoder, shape: readonly number[], file: string): { lead: number[]; batchShape: number[] } {
  const c = model.config;
  const fail = (need: string): never => {
    throw new UsageError(`${file}: input has shape [${shape.join(', ')}]; model ${c.model} needs ${need}`);
  };
  const count = (lead: number[]) => lead.reduce((a, b) => a * b, 1);
  if (!model.functional) {
    if (shape.length < 1 || shape[shape.length - 1] !== c.inputSize) fail(`[..., m = ${c.inputSize}]`);
    const lead = shape.slice(0, -1);
    return { lead, batchShape: [count(lead), c.inputSize as number] };
  }
  const n = shape.length;
  if (n >= 3 && shape[n - 2] === c.channels) {
    const lead = shape.slice(0, -2);
    return { lead, batchShape: [count(lead), c.channels, shape[n - 1]] };
  }
  if (c.channels === 1 && n >= 1) {
    const lead = shape.slice(0, -1);
    return { lead, batchShape: [count(lead), 1, shape[n - 1]] };
  }
  return fail(`[..., c_in = ${c.channels}, N]`);
}

function asModelDtype(data: Float64Array, model: SparseAutoencoder, shape: number[]): NdArray {
  return model.config.dtype === 'float64' ? { dtype: 'float64', shape, data } : { dtype: 'float32', shape, data: Float32Array.from(data) };
}

/** Registers `saeno infer`. */
export function register(program: Command): void {
  program
    .command('infer')
    .description('codes and reconstructions of a trained model for an input at any resolution')
    .requiredOption('--checkpoint <dir>', 'run folder')
    .requiredOption('--input <file>', 'x.npy or data.safetensors (tensor x): [..., m] or [..., c_in, N] ([..., N] when c_in = 1)')
    .requiredOption('--out <file>', 'output .safetensors (tensors codes and reconstruction)')
    .option('--chunk <n>', 'signals per inference call', '256')
    .addOption(threadsOption())
    .action(
      commandAction('infer', async (opts: { checkpoint: string; input: string; out: string; chunk: string; threads?: string }) => {
        const threads = parseThreads(opts.threads);
        const chunk = Number(opts.chunk);
        if (!Number.isInteger(chunk) || chunk < 1) throw new UsageError(`--chunk: must be a positive integer, got ${JSON.stringify(opts.chunk)}`);
        if (!/\.safetensors$/i.test(opts.out)) throw new UsageError(`--out ${opts.out}: expected a .safetensors file name`);
        const { model } = await loadRun(opts.checkpoint);
        const input = await readInput(opts.input);
        const { lead, batchShape } = batchLayout(model, input.shape, opts.input);
        if (batchShape[0] === 0) throw new UsageError(`${opts.input}: input has no signals (shape [${input.shape.join(', ')}])`);
        const x = new Tensor(input.data, batchShape);
        model.checkInput(x);
        const { codes, reconstruction, codeShape } = await runWithThreads(threads, () => inferAll(model, x, chunk));
        await writeSafetensors(opts.out, {
          codes: asModelDtype(codes, model, [...lead, ...codeShape.slice(1)]),
          reconstruction: asModelDtype(reconstruction, model, [...input.shape]),
        });
        process.stderr.write(`infer: ${batchShape[0]} signal${batchShape[0] === 1 ? '' : 's'}${model.functional ? ` at N = ${batchShape[2]}` : ''} on ${threads} thread${threads === 1 ? '' : 's'} → ${opts.out}\n`);
      }),
    );
}
