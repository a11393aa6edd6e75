/**
 * `saeno train`: flags and/or a config file (JSON or YAML, flat keys = camelCase flags, strict)
 * → a model, a data source and a trainer → a run folder with checkpoints and `log.jsonl`.
 * `--resume` continues a run folder bit-identically; `--threads` changes the wall time only (bit-identical results).
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { z } from 'zod';
import { Rng } from '../core/rng.js';
import { readNpy, readSafetensors } from '../io/files.js';
import { isFunctional, isLifted, MODEL_KINDS, parseModelConfig, type ModelConfigInput, type ModelKind } from '../models/config.js';
import { createModel, type Init } from '../models/registry.js';
import { RUN_FORMAT, decodeWeights, encodeCheckpoint, type DataDescription, type RunConfig } from '../train/checkpoint.js';
import { defaultKernelSize, defaultLiftWidth, defaultModes, MODEL_DEFAULTS, ONLINE_DEFAULTS, recommendedSettings, TRAIN_DEFAULTS } from '../train/defaults.js';
import type { Schedule } from '../train/schedule.js';
import { ArraySource, OnlineSource, type DataSource, type Truth } from '../train/source.js';
import { DivergenceError, Trainer, type EvalRecord, type StepRecord, type TrainConfigInput } from '../train/trainer.js';
import { UsageError } from './errors.js';
import {
  addGeneratorOptions,
  boolValue,
  cliValues,
  flagName,
  generatorShape,
  generatorSpec,
  intValue,
  mergeOptions,
  numberValue,
  readConfigFile,
  validateOptions,
} from './generator-flags.js';
import { parseThreads, runWithThreads, threadPool, threadsOption } from './threads.js';
import { commandAction, holdsRun, loadRun, loadState, makeRunFolder, readDataFile, RunLog, runPaths, signalLayout, truncateLog, writeCheckpoint, type LoadedData } from './runfolder.js';

const positiveInt = intValue.refine((v) => v > 0, 'must be a positive integer');
const positive = numberValue.refine((v) => v > 0, 'must be a positive number');
const nonNegative = numberValue.refine((v) => v >= 0, 'must be ≥ 0');

/** Every training key: the config-file spelling of each flag (generator flags included). */
const trainShape = {
  model: z.enum(MODEL_KINDS, { error: (i) => `expected one of ${MODEL_KINDS.join(' | ')}, got ${JSON.stringify(i.input)}` }),
  data: z.string().min(1),
  out: z.string().min(1),
  steps: positiveInt,
  batch: positiveInt,
  lr: positive,
  lrSchedule: z.enum(['constant', 'step', 'cosine']),
  lrDecay: positive,
  lrDecayEvery: positiveInt,
  lrMin: nonNegative,
  optimizer: z.enum(['adam', 'sgd']),
  momentum: numberValue.refine((v) => v >= 0 && v < 1, 'must be in [0, 1)'),
  iters: positiveInt,
  lambda: nonNegative,
  learnLambda: boolValue,
  alpha: z.union([z.literal('auto'), positive], { error: (i) => `expected auto or a positive number, got ${JSON.stringify(i.input)}` }),
  oneSided: boolValue,
  grad: z.enum(['full', 'decoder']),
  concepts: positiveInt,
  kernelSize: positiveInt,
  modes: positiveInt,
  liftWidth: positiveInt,
  lifting: z.enum(['orthonormal', 'gaussian', 'learned', 'explicit']),
  restrictTaps: positiveInt,
  normalize: boolValue,
  dtype: z.enum(['float32', 'float64']),
  init: z.string().min(1),
  seed: intValue,
  dataSeed: intValue,
  evalEvery: positiveInt,
  evalCount: positiveInt,
};
const optionsSchema = z.strictObject({ ...Object.fromEntries(Object.entries(trainShape).map(([k, v]) => [k, v.optional()])), ...generatorShape });
type Options = Partial<{ [K in keyof typeof trainShape]: z.output<(typeof trainShape)[K]> }> & Record<string, unknown>;

/** Rejects flags that do not apply to the model kind (a silent no-op would mislead). */
function checkApplicable(kind: ModelKind, o: Options): void {
  const rules: Array<[keyof Options, boolean, string]> = [
    ['kernelSize', kind.endsWith('cnn'), 'sae-cnn and l-sae-cnn'],
    ['modes', kind.endsWith('fno'), 'sae-fno and l-sae-fno'],
    ['restrictTaps', kind.endsWith('fno'), 'sae-fno and l-sae-fno'],
    ['liftWidth', isLifted(kind), 'lifted models (l-sae, l-sae-cnn, l-sae-fno)'],
    ['lifting', isLifted(kind), 'lifted models (l-sae, l-sae-cnn, l-sae-fno)'],
  ];
  for (const [key, ok, which] of rules) if (o[key] !== undefined && !ok) throw new UsageError(`${flagName(key as string)} applies to ${which}, not ${kind}`);
}

function scheduleOf(o: Options, recommended: Schedule): Schedule {
  if (o.lrSchedule === undefined && o.lrDecay === undefined && o.lrDecayEvery === undefined && o.lrMin === undefined) return recommended;
  const kind = o.lrSchedule ?? (o.lrDecay !== undefined || o.lrDecayEvery !== undefined ? 'step' : 'constant');
  if (kind !== 'step' && (o.lrDecay !== undefined || o.lrDecayEvery !== undefined)) throw new UsageError(`--lr-decay and --lr-decay-every apply to --lr-schedule step, not ${kind}`);
  if (kind !== 'cosine' && o.lrMin !== undefined) throw new UsageError(`--lr-min applies to --lr-schedule cosine, not ${kind}`);
  if (kind === 'step') {
    if (o.lrDecay === undefined || o.lrDecayEvery === undefined) throw new UsageError('a step schedule needs both --lr-decay FACTOR and --lr-decay-every STEPS');
    return { kind, factor: o.lrDecay, every: o.lrDecayEvery };
  }
  return kind === 'cosine' ? { kind, minLr: o.lrMin ?? 0 } : { kind };
}

/** `random` | `perturbed-truth:EPS` | a weights file (`.safetensors` in the layout of weights.safetensors, or `.npy`). */
async function initOf(spec: string, kind: ModelKind, truth: Truth | null, N: number): Promise<Init> {
  if (spec === 'random') return { kind: 'random' };
  const pt = /^perturbed-truth(?::(.*))?$/.exec(spec);
  if (pt) {
    const eps = Number(pt[1]);
    if (pt[1] === undefined || pt[1].trim() === '' || !Number.isFinite(eps) || eps < 0) throw new UsageError(`--init ${spec}: expected perturbed-truth:EPS with a number EPS ≥ 0`);
    if (!truth) throw new UsageError(`--init ${spec}: the data has no truth atoms (use a dataset bundle or online generator flags)`);
    return { kind: 'perturbed-truth', eps, atoms: truth.atoms, resolution: truth.resolution };
  }
  if (/\.safetensors$/i.test(spec)) {
    const { tensors } = decodeWeights(await readSafetensors(spec), spec);
    delete tensors.lambda; // the dictionary comes from the file, λ from the configuration
    return { kind: 'arrays', tensors };
  }
  if (/\.npy$/i.test(spec)) {
    const a = await readNpy(spec);
    if (a.dtype !== 'float32' && a.dtype !== 'float64') throw new UsageError(`${spec}: dtype ${a.dtype}, expected float32 or float64`);
    const arr = { data: a.data as Float64Array, shape: a.shape };
    if (kind === 'sae' || kind === 'l-sae') {
      if (a.shape.length !== 2) throw new UsageError(`${spec}: shape [${a.shape.join(', ')}], expected the m×p matrix of atoms as columns`);
      const [m, p] = a.shape;
      const atoms = Array.from({ length: p }, (_, j) => Float64Array.from({ length: m }, (_, i) => a.data[i * p + j] as number));
      return { kind: 'perturbed-truth', eps: 0, atoms };
    }
    if (kind === 'sae-cnn') return { kind: 'arrays', tensors: { kernels: arr } };
    if (kind === 'sae-fno') return { kind: 'cnn-kernel', kernels: arr, resolution: N };
    throw new UsageError(`--init ${spec}: a .npy initialises sae, l-sae, sae-cnn (kernels) or sae-fno (CNN kernels); for ${kind} use a .safetensors in the layout of weights.safetensors`);
  }
  throw new UsageError(`--init ${spec}: expected random, perturbed-truth:EPS, FILE.npy or FILE.safetensors`);
}

/** The model configuration from options, the data layout and the truth. */
function modelConfigOf(kind: ModelKind, o: Options, layout: { channels: number; N: number; inputSize: number }, truth: Truth | null): ModelConfigInput {
  const functional = isFunctional(kind);
  const { N } = layout;
  const recommended = recommendedSettings(kind, N);
  const cfg: ModelConfigInput = {
    model: kind,
    dtype: o.dtype ?? MODEL_DEFAULTS.dtype,
    concepts: o.concepts ?? truth?.atoms.length ?? (functional ? MODEL_DEFAULTS.functionalConcepts : layout.inputSize),
    iters: o.iters ?? recommended.iters,
    lambda: o.lambda ?? recommended.lambda,
    learnLambda: o.learnLambda ?? false,
    alpha: o.alpha ?? MODEL_DEFAULTS.alpha,
    oneSided: o.oneSided ?? recommended.oneSided,
    grad: o.grad ?? MODEL_DEFAULTS.grad,
    normalize: o.normalize ?? true,
  };
  if (functional) cfg.channels = layout.channels;
  else cfg.inputSize = layout.inputSize;
  if (kind.endsWith('cnn')) cfg.kernelSize = o.kernelSize ?? defaultKernelSize(N);
  if (kind.endsWith('fno')) {
    cfg.modes = o.modes ?? defaultModes(N);
    if (o.restrictTaps !== undefined) cfg.restrictTaps = { taps: o.restrictTaps, resolution: N };
  }
  if (isLifted(kind)) {
    cfg.liftWidth = o.liftWidth ?? defaultLiftWidth(functional, layout.inputSize);
    cfg.lifting = o.lifting ?? 'orthonormal';
  }
  return parseModelConfig(cfg);
}

/** Human output: a progress bar on a TTY, plain lines at each evaluation otherwise. */
class Progress {
  private bar: cliProgress.SingleBar | null = null;

  constructor(
    private readonly total: number,
    start: number,
    private readonly quiet: boolean,
  ) {
    if (quiet || !process.stderr.isTTY) return;
    this.bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: 'train |{bar}| {value}/{total} steps | loss {loss} | {info} | eta {eta_formatted}', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, start, { loss: '-', info: '' });
  }

  step(r: StepRecord): void {
    this.bar?.update(r.step, { loss: r.loss.toExponential(3) });
  }

  eval(r: EvalRecord): void {
    const parts = [`loss ${r.loss.toExponential(3)}`, `rel err ${r.relError.toFixed(4)}`, `l0 ${r.meanL0.toFixed(1)}`];
    if (r.dictErrorMean !== undefined) parts.push(`dict err mean ${r.dictErrorMean.toFixed(4)} max ${r.dictErrorMax!.toFixed(4)}`);
    if (r.supportF1 !== undefined) parts.push(`F1 ${r.supportF1.toFixed(3)}`);
    if (r.oneSparseAccuracy !== undefined) parts.push(`1-sparse acc ${r.oneSparseAccuracy.toFixed(3)}`);
    if (this.bar) this.bar.update(r.step, { info: parts.slice(1).join(', ') });
    else if (!this.quiet) process.stderr.write(`train: step ${r.step}/${this.total} (${r.time.toFixed(1)} s): ${parts.join(', ')}\n`);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/** Builds the data source of a run (fresh or resumed). */
async function sourceOf(data: DataDescription, kind: ModelKind, seedRng: { data: Rng; eval: Rng }, evalCount: number, dtype: 'float32' | 'float64', loaded?: LoadedData): Promise<DataSource> {
  if (data.kind === 'online') return new OnlineSource(data.generator, seedRng.data, seedRng.eval, evalCount, dtype);
  const file = loaded ?? (await readDataFile(data.path, kind));
  if (!loaded && file.x.shape.join(',') !== data.shape.join(',')) throw new UsageError(`${data.path}: x now has shape [${file.x.shape.join(', ')}], the run was trained on [${data.shape.join(', ')}]`);
  return new ArraySource(file.x, { occurrences: file.occurrences, codes: file.codes }, file.truth, seedRng.data, evalCount, dtype);
}

/** The run's Rngs from its seed: model initialisation, training batches (or shuffles), the evaluation set. */
function runRngs(seed: number): { model: Rng; data: Rng; eval: Rng } {
  const master = new Rng(seed);
  return { model: master.fork(), data: master.fork(), eval: master.fork() };
}

interface Prepared {
  run: RunConfig;
  trainer: Trainer;
}

async function prepareFresh(o: Options): Promise<Prepared> {
  if (!o.model) throw new UsageError('--model is required (sae | l-sae | sae-cnn | l-sae-cnn | sae-fno | l-sae-fno)');
  const kind = o.model;
  checkApplicable(kind, o);
  const seed = o.seed ?? 0;
  const rngs = runRngs(seed);
  const train: TrainConfigInput = {
    steps: o.steps,
    batch: o.batch,
    momentum: o.momentum,
    evalEvery: o.evalEvery,
    evalCount: o.evalCount,
    seed,
  };
  let data: DataDescription;
  let loaded: LoadedData | undefined;
  let layout: { channels: number; N: number; inputSize: number };
  let resolution: number | null;
  if (o.data !== undefined) {
    const extra = Object.keys(generatorShape).find((k) => o[k] !== undefined);
    if (extra) throw new UsageError(`${flagName(extra)} is a generator flag; it cannot be combined with --data`);
    if (o.dataSeed !== undefined) throw new UsageError('--data-seed applies to online training (generator flags), not --data');
    loaded = await readDataFile(o.data, kind);
    layout = signalLayout(loaded);
    resolution = isFunctional(kind) ? layout.N : null;
    data = { kind: 'file', path: path.resolve(o.data), shape: loaded.x.shape };
  } else {
    const functional = isFunctional(kind);
    const dataKind = functional ? 'functional' : 'euclidean';
    if (o.kind !== undefined && o.kind !== dataKind) throw new UsageError(`--kind ${o.kind as string} data do not fit model ${kind} (it needs --kind ${dataKind})`);
    const spec = generatorSpec(o, o.dataSeed ?? seed, functional ? o.concepts : undefined, { kind: dataKind, resolution: ONLINE_DEFAULTS.resolution, euclidean: ONLINE_DEFAULTS.euclidean });
    data = { kind: 'online', generator: spec };
    const cfg = spec.config as { m?: number; channels?: number };
    resolution = spec.resolution;
    layout = functional ? { channels: cfg.channels ?? 1, N: spec.resolution as number, inputSize: cfg.channels ?? 1 } : { channels: 1, N: 1, inputSize: cfg.m as number };
  }
  // optimiser settings default to the model family's recommended ones at this resolution
  const recommended = recommendedSettings(kind, layout.N);
  train.optimizer = o.optimizer ?? recommended.optimizer;
  train.lr = o.lr ?? recommended.lr;
  train.schedule = scheduleOf(o, recommended.schedule);
  if (o.momentum !== undefined && train.optimizer !== 'sgd') throw new UsageError('--momentum applies to --optimizer sgd');
  const source = await sourceOf(data, kind, rngs, o.evalCount ?? TRAIN_DEFAULTS.evalCount, o.dtype ?? MODEL_DEFAULTS.dtype, loaded);
  const { truth } = source;
  const modelConfig = modelConfigOf(kind, o, layout, truth);
  const init = await initOf(o.init ?? 'random', kind, truth, layout.N);
  const model = createModel(modelConfig, rngs.model, init);
  model.checkInput(source.evalSet().x); // e.g. N below 2M − 1: fail before the run folder exists
  const trainer = new Trainer(model, source, train);
  const run: RunConfig = { format: RUN_FORMAT, model: model.config, train: trainer.config, data, resolution, init: o.init ?? 'random' };
  return { run, trainer };
}

async function prepareResume(dir: string, o: Options): Promise<Prepared> {
  const extra = Object.keys(o).find((k) => o[k] !== undefined && k !== 'out' && k !== 'steps');
  if (extra) throw new UsageError(`${flagName(extra)} cannot be changed on --resume (only --steps can); the run's settings are in ${runPaths(dir).config}`);
  const { run, model, step } = await loadRun(dir);
  const state = await loadState(dir, step);
  if (o.steps !== undefined && o.steps <= state.step) throw new UsageError(`--steps ${o.steps} does not go beyond the checkpoint's step ${state.step}`);
  if (o.steps !== undefined) run.train.steps = o.steps;
  if (state.step >= run.train.steps) throw new UsageError(`${dir} already finished its ${run.train.steps} steps; pass --resume --steps N with N > ${state.step} to train on`);
  const source = await sourceOf(run.data, run.model.model, runRngs(run.train.seed), run.train.evalCount, run.model.dtype);
  const trainer = new Trainer(model, source, run.train);
  try {
    trainer.setState(state);
  } catch (e) {
    throw new UsageError(`${runPaths(dir).state}: ${(e as Error).message}`);
  }
  await truncateLog(dir, state.step);
  return { run, trainer };
}

/** Registers `saeno train`. */
export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('train an SAE, L-SAE, SAE-CNN, L-SAE-CNN, SAE-FNO or L-SAE-FNO; writes checkpoints and log.jsonl into --out')
    .option('--config <file>', 'settings file (JSON or YAML; keys are the camelCase flag names; flags override it)')
    .option('--model <kind>', `model: ${MODEL_KINDS.join(' | ')}`)
    .option('--data <file>', 'training data: a dataset bundle (.safetensors or a saeno generate --format npy folder) or an array (.npy); without it, online data from the generator flags')
    .option('--out <dir>', 'run folder')
    .option('--resume', 'continue the run in --out from its last checkpoint (bit-identical)')
    .option('--steps <n>', 'training steps')
    .option('--batch <n>', 'batch size')
    .option('--lr <lr>', 'learning rate')
    .option('--lr-schedule <kind>', 'constant | step | cosine')
    .option('--lr-decay <factor>', 'step decay: multiply the rate by FACTOR ...')
    .option('--lr-decay-every <steps>', '... every STEPS steps')
    .option('--lr-min <lr>', 'cosine schedule: final rate')
    .option('--optimizer <kind>', 'adam | sgd')
    .option('--momentum <mu>', 'SGD momentum')
    .option('--iters <T>', 'unrolled ISTA iterations T')
    .option('--lambda <lambda>', 'sparsity weight λ (default on the code scale of the model)')
    .option('--learn-lambda', 'train λ')
    .option('--alpha <alpha>', 'ISTA step: auto (0.95/‖D‖²) or a number')
    .option('--one-sided', 'non-negative codes (one-sided threshold; the SAE-FNO default)')
    .option('--no-one-sided', 'two-sided soft threshold (the default except for SAE-FNO)')
    .option('--grad <mode>', 'full | decoder')
    .option('--concepts <n>', 'atoms p (SAE, L-SAE) or concepts C (functional models; also the online generator\'s C)')
    .option('--kernel-size <K>', 'CNN kernel taps K')
    .option('--modes <M>', 'FNO Fourier modes M')
    .option('--lift-width <h>', 'lifting width h')
    .option('--lifting <kind>', 'orthonormal | gaussian | learned | explicit (explicit: L and P from --init FILE.safetensors)')
    .option('--restrict-taps <K>', 'SAE-FNO: keep only K spatial taps after each update (at the training N)')
    .option('--no-normalize', 'do not renormalise atoms after each update')
    .option('--dtype <dtype>', 'float32 | float64')
    .option('--init <init>', 'random | perturbed-truth:EPS | FILE.npy | FILE.safetensors')
    .option('--seed <n>', 'seed of initialisation, batches and evaluation set')
    .option('--data-seed <n>', 'online: seed of the generator (its truth); default --seed')
    .option('--eval-every <n>', 'evaluate and checkpoint every n steps')
    .option('--eval-count <n>', 'signals in the evaluation set')
    .option('--quiet', 'no progress output')
    .addOption(threadsOption());
  addGeneratorOptions(cmd);
  cmd.action(
    commandAction('train', async (_opts: unknown, command: Command) => {
      const flags = validateOptions(optionsSchema, cliValues(command, ['config', 'resume', 'quiet', 'threads']), null) as Options;
      const { config, resume, quiet } = command.opts() as { config?: string; resume?: boolean; quiet?: boolean };
      // a machine setting, not a run setting: not in config.json, free to change on --resume
      const threads = parseThreads((command.opts() as { threads?: string }).threads);
      const fromFile = config ? (validateOptions(optionsSchema, await readConfigFile(config), config) as Options) : {};
      const o = mergeOptions<Options>(fromFile, flags);
      if (!o.out) throw new UsageError('--out is required (the run folder)');
      const dir = o.out;
      if (resume && config) throw new UsageError('--config cannot be combined with --resume (the run folder holds its settings)');
      if (!resume && holdsRun(dir)) throw new UsageError(`${dir} already holds a run; pass --resume to continue it, or choose another --out`);
      await threadPool(threads); // started before the trainer, whose clock (log times) starts when it is made
      const { run, trainer } = resume ? await prepareResume(dir, o) : await prepareFresh(o);
      await makeRunFolder(dir);
      const paths = runPaths(dir);
      if (!resume) await fsp.writeFile(paths.log, '');
      const log = new RunLog(paths.log);
      log.push({ type: 'start', step: trainer.step, threads });
      if (!quiet) process.stderr.write(`train: ${run.model.model}, steps ${trainer.step + 1}–${run.train.steps} on ${threads} thread${threads === 1 ? '' : 's'} → ${dir}\n`);
      const progress = new Progress(run.train.steps, trainer.step, quiet ?? false);
      let saved = trainer.step;
      try {
        await runWithThreads(threads, () => trainer.run({
          onStep: (r) => {
            log.push(r);
            progress.step(r);
          },
          onEval: (r) => {
            log.push(r);
            progress.eval(r);
          },
          onCheckpoint: async (t) => {
            await writeCheckpoint(dir, encodeCheckpoint(run, t));
            saved = t.step;
            log.flush();
          },
        }));
      } catch (e) {
        progress.stop();
        if (e instanceof DivergenceError) {
          log.push({ type: 'diverged', step: e.step, reason: e.reason });
          log.flush();
          throw new UsageError(`${e.message}; stopped, the last good checkpoint (step ${saved}) in ${dir} is kept`);
        }
        log.flush();
        throw e;
      }
      progress.stop();
      if (!quiet) process.stderr.write(`train: ${run.train.steps} steps done in ${trainer.time.toFixed(1)} s on ${threads} thread${threads === 1 ? '' : 's'}; checkpoint and log.jsonl in ${dir}\n`);
    }),
  );
}
