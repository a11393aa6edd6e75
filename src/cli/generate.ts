/**
 * `saeno generate`: flags and/or a config file (JSON or YAML, flat keys = camelCase flags,
 * strict) → a sparse generative model → a dataset bundle with its truth (`.safetensors`, or a
 * folder of `.npy` files) → one summary line on stdout.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { buildBundle, bundleModel, type DatasetMeta } from '../data/bundle.js';
import { checkDatasetTarget, writeDataset, type DatasetFormat } from '../io/dataset.js';
import { ONLINE_DEFAULTS } from '../train/defaults.js';
import { UsageError } from './errors.js';
import { addGeneratorOptions, cliValues, flagName, generatorShape, generatorSpec, intValue, mergeOptions, readConfigFile, validateOptions } from './generator-flags.js';

/** Signals written when `--count` is not given. */
export const DEFAULT_COUNT = 1000;

const positiveInt = intValue.refine((v) => v >= 1, { error: (i) => `must be a positive integer, got ${JSON.stringify(i.input)}` });

/** The keys of `saeno generate` besides the generator flags (config-file spelling). */
const generateShape = {
  concepts: positiveInt,
  count: positiveInt,
  seed: intValue.refine((v) => Number.isSafeInteger(v), { error: (i) => `must be a safe integer, got ${JSON.stringify(i.input)}` }),
  out: z.string().min(1),
  format: z.enum(['safetensors', 'npy'], { error: (i) => `expected safetensors or npy, got ${JSON.stringify(i.input)}` }),
  dtype: z.enum(['float32', 'float64'], { error: (i) => `expected float32 or float64, got ${JSON.stringify(i.input)}` }),
};
const optionsSchema = z.strictObject({ ...Object.fromEntries(Object.entries(generateShape).map(([k, v]) => [k, v.optional()])), ...generatorShape });
type Options = Partial<{ [K in keyof typeof generateShape]: z.output<(typeof generateShape)[K]> }> & Record<string, unknown>;

/** Euclidean keys with no default: `--kind euclidean` needs all three. */
const EUCLIDEAN_REQUIRED = ['m', 'p', 'sparsity'] as const;

/** Parses flags (+ config file), generates, writes; returns the summary line. */
async function runGenerate(cmd: Command): Promise<string> {
  const configFile = cmd.opts().config as string | undefined;
  const fromFlags = validateOptions(optionsSchema, cliValues(cmd, ['config']), null) as Options;
  const fromFile = configFile ? (validateOptions(optionsSchema, await readConfigFile(configFile), configFile) as Options) : {};
  const o = mergeOptions(fromFile, fromFlags);
  if (!o.out) throw new UsageError('--out is required (a .safetensors file, or a folder with --format npy)');
  const format: DatasetFormat = o.format ?? 'safetensors';
  const kind = (o.kind as 'functional' | 'euclidean' | undefined) ?? 'functional';
  if (kind === 'euclidean') {
    if (o.concepts !== undefined) throw new UsageError('--concepts applies to --kind functional; Euclidean data take --p atoms');
    const missing = EUCLIDEAN_REQUIRED.filter((k) => o[k] === undefined);
    if (missing.length > 0) throw new UsageError(`--kind euclidean needs --m, --p and --sparsity (missing: ${missing.map(flagName).join(', ')})`);
  }
  const spec = generatorSpec(o, o.seed ?? 0, o.concepts, { kind, resolution: ONLINE_DEFAULTS.resolution });
  await checkDatasetTarget(o.out, format);
  const model = bundleModel(spec);
  const count = o.count ?? DEFAULT_COUNT;
  const bundle = buildBundle(model, count, { resolution: spec.resolution ?? undefined, dtype: o.dtype });
  await writeDataset(o.out, bundle, format);
  return summary(o.out, bundle.meta);
}

/** `wrote data.safetensors: functional gaussian, 1000 signals × 1 channel × N=128, 5 concepts, 1-sparse, coherence 0.951 (shift-max), seed 1`. */
export function summary(out: string, meta: DatasetMeta): string {
  const parts: string[] = [];
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (meta.kind === 'euclidean') {
    const { m, p, sparsity } = meta.config;
    parts.push(`euclidean, ${plural(meta.count, 'signal')} × m=${m}`, `p=${p} atoms`, `sparsity ${sparsity}`, `coherence ${meta.coherence.toFixed(3)} (mutual)`);
  } else {
    const c = meta.config;
    const occ = c.occurrence.kind === 'one-sparse' ? '1-sparse' : c.occurrence.kind === 'bernoulli' ? `Bernoulli p=${c.occurrence.p}` : `${plural(c.occurrence.count, 'occurrence')} per concept`;
    parts.push(`functional ${c.family}, ${plural(meta.count, 'signal')} × ${plural(c.channels, 'channel')} × N=${meta.resolution}`, plural(c.concepts, 'concept'), occ, `coherence ${meta.coherence.toFixed(3)} (shift-max)`);
  }
  if (meta.config.noise > 0) parts.push(`noise ${meta.config.noise}`);
  if (meta.dtype !== 'float32') parts.push(meta.dtype);
  parts.push(`seed ${meta.seed}`);
  return `wrote ${out}: ${parts.join(', ')}`;
}

/** Adds `saeno generate` to the program. */
export function registerGenerate(program: Command): void {
  const cmd = program
    .command('generate')
    .description('generate signals from a sparse generative model with known truth; writes x and the truth (atoms, codes, occurrences) to one bundle')
    .option('--config <file>', 'settings file (JSON or YAML; keys are the camelCase flag names; flags override it)')
    .option('--out <path>', 'output: a .safetensors bundle, or a folder with --format npy')
    .option('--format <format>', 'safetensors (one bundle file, default) | npy (folder: x.npy, truth .npy files, meta.json)')
    .option('--dtype <dtype>', 'float32 (default) | float64: the signals x (the truth is float64)')
    .option('--count <n>', `number of signals (default ${DEFAULT_COUNT})`)
    .option('--seed <n>', 'seed of the truth and the data (default 0)')
    .option('--concepts <C>', 'number of concepts C (functional)');
  addGeneratorOptions(cmd);
  cmd.action(async (_opts: unknown, self: Command) => {
    process.stdout.write(`${await runGenerate(self)}\n`);
  });
}
