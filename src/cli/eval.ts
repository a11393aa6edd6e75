/**
 * `saeno eval`: every metric the data's truth allows for a trained model (SPEC §5), as lines on
 * stderr or, with `--json`, one JSON object on stdout.
 */
import type { Command } from 'commander';
import { Tensor } from '../core/tensor.js';
import type { SparseAutoencoder } from '../models/sae.js';
import { evaluate, fitCalibration, type Metrics } from '../train/evaluate.js';
import type { LabelledBatch } from '../train/source.js';
import { UsageError } from './errors.js';
import { commandAction, loadRun, readDataFile } from './runfolder.js';
import { parseThreads, runWithThreads, threadsOption } from './threads.js';

/** A data file as a labelled batch in the model's layout and dtype. */
async function labelled(model: SparseAutoencoder, file: string): Promise<{ batch: LabelledBatch; truth: Awaited<ReturnType<typeof readDataFile>>['truth'] }> {
  const data = await readDataFile(file, model.config.model);
  const x = new Tensor(data.x.data, data.x.shape);
  model.checkInput(x);
  return { batch: { x: x.dtype === model.config.dtype ? x : x.to(model.config.dtype), occurrences: data.occurrences, codes: data.codes }, truth: data.truth };
}

const LABELS: Array<[keyof Metrics, string]> = [
  ['loss', 'loss ½‖x − x̂‖²'],
  ['relError', 'relative error'],
  ['psnr', 'PSNR (dB)'],
  ['meanL0', 'mean ℓ0'],
  ['coherenceMax', 'coherence max'],
  ['coherenceMean', 'coherence mean'],
  ['dictErrorMax', 'dictionary error max'],
  ['dictErrorMean', 'dictionary error mean'],
  ['supportPrecision', 'support precision'],
  ['supportRecall', 'support recall'],
  ['supportF1', 'support F1'],
  ['amplitudeError', 'amplitude error'],
  ['oneSparseAccuracy', '1-sparse accuracy'],
  ['oneSparseIdentity', '1-sparse concept identity'],
  ['oneSparseAccuracyRefit', '1-sparse accuracy (re-fitted)'],
];

/** Registers `saeno eval`. */
export function register(program: Command): void {
  program
    .command('eval')
    .description('metrics of a trained model on data: reconstruction and sparsity, and recovery when the truth is known')
    .requiredOption('--checkpoint <dir>', 'run folder')
    .requiredOption('--data <file>', 'dataset bundle (.safetensors, with truth) or array (.npy)')
    .option('--calibrate <file>', '1-sparse data at the training resolution: fit the read-out there, apply it to --data')
    .option('--json', 'print one JSON object on stdout')
    .addOption(threadsOption())
    .action(
      commandAction('eval', async (opts: { checkpoint: string; data: string; calibrate?: string; json?: boolean; threads?: string }) => {
        const threads = parseThreads(opts.threads);
        const { model, step } = await loadRun(opts.checkpoint);
        const { batch, truth } = await labelled(model, opts.data);
        const cal = opts.calibrate ? await labelled(model, opts.calibrate) : null;
        if (cal && (!cal.truth?.oneSparse || !cal.batch.occurrences)) throw new UsageError(`--calibrate ${opts.calibrate}: needs 1-sparse data with truth occurrences`);
        const metrics = await runWithThreads(threads, () => evaluate(model, batch, truth, { calibration: cal ? fitCalibration(model, cal.batch) : undefined }));
        const [count, , N] = batch.x.shape;
        const summary = { checkpoint: opts.checkpoint, data: opts.data, model: model.config.model, step, count, resolution: model.functional ? N : null, truth: truth !== null, metrics };
        if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
        else {
          process.stderr.write(`eval: ${model.config.model} (step ${step}) on ${count} signals of ${opts.data}${model.functional ? ` at N = ${N}` : ''}\n`);
          for (const [key, label] of LABELS) {
            const v = metrics[key];
            if (v !== undefined) process.stderr.write(`  ${label.padEnd(30)} ${Number.isInteger(v) ? v : v.toPrecision(4)}\n`);
          }
        }
      }),
    );
}
