/**
 * The generator flags of `saeno generate`, shared with online training (`saeno train` without
 * `--data`): one table maps each flag to its config-file key, its value type and the data
 * module's config field, so both commands spell and validate them alike. Also the option
 * plumbing both commands share: config files (JSON/YAML, flat keys = camelCase flags), flag
 * validation with one-line errors, flags overriding the file.
 */
import * as fsp from 'node:fs/promises';
import type { Command } from 'commander';
import YAML from 'yaml';
import { z } from 'zod';
import { DataConfigError, validateEuclideanConfig, validateFunctionalConfig } from '../data/index.js';
import type { GeneratorSpec } from '../train/source.js';
import { UsageError } from './errors.js';

/** A decimal number written out in full ('-1.5', '2e-3'; not '0x10', ' 5', 'Infinity', '1e3x'). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** The number a flag string spells, or the string itself when it is not a finite decimal (zod then names it). */
function parseDecimal(s: string): number | string {
  const v = Number(s);
  return DECIMAL.test(s) && Number.isFinite(v) ? v : s;
}

/** A number from a flag string ('1e-3') or a config value (1e-3). */
export const numberValue = z.preprocess((v) => (typeof v === 'string' ? parseDecimal(v) : v), z.number({ error: (i) => `expected a number, got ${JSON.stringify(i.input)}` }));
/** An integer from a flag string or a config value. */
export const intValue = numberValue.pipe(z.int({ error: (i) => `expected an integer, got ${JSON.stringify(i.input)}` }));
/** `MIN,MAX` from a flag string ('1,2') or a config value ([1, 2]). */
export const rangeValue = z.preprocess(
  (v) => (typeof v === 'string' && /^[^,]+,[^,]+$/.test(v) ? v.split(',').map(parseDecimal) : v),
  z.tuple([z.number(), z.number()], { error: (i) => `expected MIN,MAX, got ${JSON.stringify(i.input)}` }),
);
/** A boolean switch (flags: present = true; config files: true/false). */
export const boolValue = z.boolean({ error: (i) => `expected true or false, got ${JSON.stringify(i.input)}` });

type Applies = 'both' | 'functional' | 'euclidean';

interface FlagSpec {
  /** the config-file key (camelCase of the flag) and the data config's field. */
  key: string;
  /** commander flag spelling, e.g. `--min-separation <s>`. */
  flag: string;
  help: string;
  applies: Applies;
  value: z.ZodType;
}

/** The generator flags (without `--seed`, `--count`, `--out`: each command spells those itself). */
export const GENERATOR_FLAGS: readonly FlagSpec[] = [
  { key: 'kind', flag: '--kind <kind>', help: 'generative model: functional | euclidean', applies: 'both', value: z.enum(['functional', 'euclidean']) },
  { key: 'family', flag: '--family <family>', help: 'concept family: gaussian | gabor | fourier | random-taps | box', applies: 'functional', value: z.string() },
  { key: 'channels', flag: '--channels <c>', help: 'input channels c_in', applies: 'functional', value: intValue },
  { key: 'resolution', flag: '--resolution <N>', help: 'samples per signal N', applies: 'functional', value: intValue },
  { key: 'baseResolution', flag: '--base-resolution <N>', help: 'grid of occurrence locations 1/N_base', applies: 'functional', value: intValue },
  { key: 'oneSparse', flag: '--one-sparse', help: 'exactly one occurrence per signal', applies: 'functional', value: boolValue },
  { key: 'bernoulli', flag: '--bernoulli <p>', help: 'each concept present with probability p', applies: 'functional', value: numberValue },
  { key: 'occurrences', flag: '--occurrences <k>', help: 'exactly k occurrences of every concept', applies: 'functional', value: intValue },
  { key: 'minSeparation', flag: '--min-separation <s>', help: 'minimum distance between occurrences (function units)', applies: 'functional', value: numberValue },
  { key: 'support', flag: '--support <s>', help: 'localized concepts live in [0, s)', applies: 'functional', value: numberValue },
  { key: 'width', flag: '--width <min,max>', help: 'gaussian/gabor width or box width range', applies: 'functional', value: rangeValue },
  { key: 'frequency', flag: '--frequency <min,max>', help: 'gabor frequency range (cycles per unit)', applies: 'functional', value: rangeValue },
  { key: 'kMax', flag: '--k-max <k>', help: 'fourier highest mode', applies: 'functional', value: intValue },
  { key: 'm', flag: '--m <m>', help: 'signal dimension m', applies: 'euclidean', value: intValue },
  { key: 'p', flag: '--p <p>', help: 'number of atoms p', applies: 'euclidean', value: intValue },
  { key: 'sparsity', flag: '--sparsity <s>', help: 'non-zeros per code', applies: 'euclidean', value: intValue },
  { key: 'coherence', flag: '--coherence <mu>', help: 'target mutual coherence of the dictionary', applies: 'euclidean', value: numberValue },
  { key: 'amplitude', flag: '--amplitude <min,max>', help: 'amplitude range', applies: 'both', value: rangeValue },
  { key: 'signed', flag: '--signed', help: 'random sign per amplitude', applies: 'both', value: boolValue },
  { key: 'noise', flag: '--noise <sigma>', help: 'Gaussian noise standard deviation', applies: 'both', value: numberValue },
  { key: 'maxCoherence', flag: '--max-coherence <mu>', help: 'redraw the truth until its coherence is at most mu', applies: 'both', value: numberValue },
  { key: 'maxDraws', flag: '--max-draws <n>', help: 'redraws allowed for --max-coherence', applies: 'both', value: intValue },
];

/** The occurrence flags: at most one applies, and one given on the command line replaces the config file's. */
export const OCCURRENCE_KEYS: readonly string[] = ['oneSparse', 'bernoulli', 'occurrences'];

/** Config-file key → schema of every generator flag (for a command's flat, strict config schema). */
export const generatorShape: Record<string, z.ZodType> = Object.fromEntries(GENERATOR_FLAGS.map((f) => [f.key, f.value.optional()]));

/** The `--flag` spelling of a config key, for messages. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Adds the generator flags to a command (`--signed` gets its `--no-signed` twin). */
export function addGeneratorOptions(cmd: Command): Command {
  for (const f of GENERATOR_FLAGS) {
    cmd.option(f.flag, f.help);
    if (f.key === 'signed') cmd.option('--no-signed', 'non-negative amplitudes');
  }
  return cmd;
}

/** Whether any generator flag (other than `--concepts`) was given. */
export function hasGeneratorValues(values: Record<string, unknown>): boolean {
  return GENERATOR_FLAGS.some((f) => values[f.key] !== undefined);
}

/** Data-config fields whose flag is not spelled after the field. */
const FIELD_FLAGS: Record<string, string> = { 'occurrence.p': 'bernoulli', 'occurrence.count': 'occurrences' };

/** Runs a data-config validation, reporting its DataConfigError as a UsageError that names flags (`--amplitude: need min ≤ max`). */
function inFlagTerms<T>(validate: () => T): T {
  try {
    return validate();
  } catch (e) {
    if (!(e instanceof DataConfigError)) throw e;
    const detail = e.message.slice(e.message.indexOf(': ') + 2); // drop the validating function's name
    throw new UsageError(detail.split('; ').map((part) => part.replace(/^([\w.]+): /, (_, field: string) => `${flagName(FIELD_FLAGS[field] ?? field)}: `)).join('; '));
  }
}

/**
 * The generator spec of parsed flag/config values (already validated by `generatorShape`).
 * Functional-only flags with `kind: euclidean` (and vice versa) are errors naming the flag.
 * @param concepts C of a functional generator (the commands share `--concepts` with other meanings)
 * @param defaults kind and values used where nothing is given
 */
export function generatorSpec(values: Record<string, unknown>, seed: number, concepts: number | undefined, defaults: { kind: 'functional' | 'euclidean'; resolution: number; euclidean?: Record<string, unknown> }): GeneratorSpec {
  const kind = (values.kind as 'functional' | 'euclidean' | undefined) ?? defaults.kind;
  for (const f of GENERATOR_FLAGS) {
    if (values[f.key] !== undefined && f.applies !== 'both' && f.applies !== kind) throw new UsageError(`${flagName(f.key)} applies to --kind ${f.applies}, not ${kind}`);
  }
  const pick = (keys: string[]) => Object.fromEntries(keys.filter((k) => values[k] !== undefined).map((k) => [k, values[k]]));
  const common = pick(['amplitude', 'signed', 'noise', 'maxCoherence', 'maxDraws']);
  if (kind === 'euclidean') {
    const config = inFlagTerms(() => validateEuclideanConfig({ ...defaults.euclidean, ...pick(['m', 'p', 'sparsity', 'coherence']), ...common }));
    return { kind, config: config as Record<string, unknown>, seed, resolution: null };
  }
  const given = OCCURRENCE_KEYS.filter((k) => values[k] !== undefined && values[k] !== false);
  if (given.length > 1) throw new UsageError(`${given.map(flagName).join(' and ')} exclude each other`);
  const occurrence = values.oneSparse
    ? { kind: 'one-sparse' }
    : values.bernoulli !== undefined
      ? { kind: 'bernoulli', p: values.bernoulli }
      : values.occurrences !== undefined
        ? { kind: 'fixed', count: values.occurrences }
        : undefined;
  const config = inFlagTerms(() =>
    validateFunctionalConfig({
      ...pick(['family', 'channels', 'baseResolution', 'minSeparation', 'support', 'width', 'frequency', 'kMax']),
      ...common,
      ...(concepts !== undefined ? { concepts } : {}),
      ...(occurrence ? { occurrence } : {}),
    }),
  );
  const resolution = (values.resolution as number | undefined) ?? defaults.resolution;
  if (!(resolution >= 1)) throw new UsageError(`--resolution must be a positive integer, got ${resolution}`);
  return { kind, config: config as Record<string, unknown>, seed, resolution };
}

/**
 * Validates one source of options (command-line flags, or a config file when `where` names it)
 * with a command's flat strict schema; the UsageError names the flag (`--count: …`) or the
 * file and key (`gen.yaml: unknown key 'cuont'`, `gen.yaml: count: …`).
 */
export function validateOptions<T>(schema: z.ZodType<T>, values: Record<string, unknown>, where: string | null): T {
  const r = schema.safeParse(values);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  if (issue.code === 'unrecognized_keys') throw new UsageError(`${where ?? 'options'}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`);
  const message = issue.message.replace(/^Invalid input: /, '');
  throw new UsageError(where ? `${where}: ${issue.path.join('.')}: ${message}` : `${flagName(String(issue.path[0]))}: ${message}`);
}

/** Reads a JSON or YAML (`.yaml`/`.yml`) config file into an object of flat keys; one-line UsageError otherwise. */
export async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const yaml = /\.ya?ml$/i.test(file);
  let value: unknown;
  try {
    value = yaml ? YAML.parse(text) : JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not valid ${yaml ? 'YAML' : 'JSON'} (${(e as Error).message.split('\n')[0]})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`${file}: expected an object of settings`);
  return value as Record<string, unknown>;
}

/** The options the user actually gave on the command line (commander fills defaults for `--no-*` flags), without `exclude`. */
export function cliValues(cmd: Command, exclude: readonly string[] = []): Record<string, unknown> {
  const opts = cmd.opts();
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(opts)) if (cmd.getOptionValueSource(key) === 'cli' && !exclude.includes(key)) out[key] = opts[key];
  return out;
}

/** Config-file values overridden by flags; an occurrence flag replaces the file's occurrence setting (they exclude each other). */
export function mergeOptions<T extends Record<string, unknown>>(fromFile: T, fromFlags: T): T {
  const base: Record<string, unknown> = { ...fromFile };
  if (OCCURRENCE_KEYS.some((k) => fromFlags[k] !== undefined)) for (const k of OCCURRENCE_KEYS) delete base[k];
  for (const [k, v] of Object.entries(fromFlags)) if (v !== undefined) base[k] = v;
  return base as T;
}
