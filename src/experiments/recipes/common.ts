/**
 * What every figure recipe shares: the data layout of `data.json` (series of per-seed values),
 * the training loop that records curves, seeds → Rngs, aggregation across seeds (mean and
 * min–max spread), the long CSV table, and the verdict type. Browser-safe (no Node imports).
 */
import type { TopLevelSpec } from 'vega-lite';
import { Rng } from '../../core/rng.js';
import type { DType } from '../../core/tensor.js';
import type { SparseAutoencoder } from '../../models/sae.js';
import { createModel, type Init } from '../../models/registry.js';
import type { ModelConfigInput } from '../../models/config.js';
import { matchDictionary } from '../../train/evaluate.js';
import { OnlineSource, type GeneratorSpec } from '../../train/source.js';
import { DivergenceError, Trainer } from '../../train/trainer.js';
import type { Row } from '../../report/plots.js';
import type { Criteria, InitSettings, Mode, TrainSettings } from '../settings.js';

export const FIGURES = ['fig2a', 'fig2b', 'fig2c', 'fig3', 'fig4', 'fig5'] as const;
export type FigureName = (typeof FIGURES)[number];

/**
 * One measured quantity of one model under one condition, per seed over `x` (training steps or
 * resolutions). `values[k][i]` is seed k's value at `x[i]`; null where the run had stopped
 * (diverged) or the number was not finite.
 */
export interface Series {
  /** the model, e.g. `SAE-CNN`. */
  series: string;
  /** the condition, e.g. the concept family or the read-out (`fitted at N0`); '' when none. */
  condition: string;
  /** what is measured, e.g. `dictErrorMean`. */
  metric: string;
  /** the meaning of x: `step` or `N`. */
  xName: string;
  x: number[];
  values: (number | null)[][];
}

/** Everything a figure shows and its verdicts are computed from: the content of `data.json`. */
export interface FigureData {
  figure: FigureName;
  mode: Mode;
  seeds: number[];
  /** the pass/fail thresholds in force (a copy of settings' CRITERIA), so that data.json alone re-derives the verdicts. */
  criteria: Criteria;
  series: Series[];
  /** what happened beyond the numbers, e.g. a run that diverged (and at which step). */
  events: string[];
  /** figure-specific extras (fig3: example signals). */
  extra?: Record<string, unknown>;
}

/** One claim checked against the data: the criterion (fixed in advance), the measured numbers, held or not. */
export interface Verdict {
  claim: string;
  criterion: string;
  /** the measured numbers, one sentence. */
  measured: string;
  /** the headline number for the claims table. */
  number: string;
  held: boolean;
}

/** Progress: called with the number of work units (training steps) just completed. */
export type Tick = (units: number) => void;

/**
 * A figure: its settings type S, how much work it is, how to run it, and the two pure
 * functions of its data, the figure and the verdicts.
 */
export interface Recipe<S = unknown> {
  name: FigureName;
  title: string;
  /** the paper's claim (figure caption), verbatim or nearly. */
  paperClaim: string;
  /** progress units (training steps over models and seeds). */
  work(settings: S): number;
  run(settings: S, mode: Mode, seeds: number[], criteria: Criteria, tick: Tick): FigureData;
  figure(data: FigureData): TopLevelSpec;
  judge(data: FigureData): Verdict[];
  /** a paragraph for the summary: what was run (models, sizes, optimizer), from the settings. */
  describe(settings: S): string;
}

/** The Rngs of one seed: data generator seed, training batches, held-out sets, model initialisation. */
export interface SeedRngs {
  generatorSeed: number;
  batches: Rng;
  evaluation: Rng;
  init: Rng;
}

/** Independent streams derived from one seed (fixed offsets, so every figure uses the same truth per seed). */
export function seedRngs(seed: number): SeedRngs {
  return { generatorSeed: seed, batches: new Rng(seed * 1009 + 1), evaluation: new Rng(seed * 1009 + 2), init: new Rng(seed * 1009 + 3) };
}

/** An online source of fresh batches for a generator spec (a small fixed evaluation set, unused by the curves). */
export function onlineSource(spec: GeneratorSpec, rngs: SeedRngs, dtype: DType, evalCount = 1): OnlineSource {
  return new OnlineSource(spec, rngs.batches, rngs.evaluation, evalCount, dtype);
}

/** The initialisation of settings, with the truth atoms of the source when perturbed. */
export function initOf(init: InitSettings, source: OnlineSource): Init {
  return init.kind === 'random' ? { kind: 'random' } : { kind: 'perturbed-truth', eps: init.eps, atoms: source.truth.atoms };
}

/** A model for a source (concepts and input size from its truth). */
export function modelFor(config: Omit<ModelConfigInput, 'concepts'>, source: OnlineSource, init: InitSettings, rng: Rng): SparseAutoencoder {
  const concepts = source.truth.atoms.length;
  const inputSize = source.truth.kind === 'euclidean' ? source.truth.atoms[0].length : undefined;
  return createModel({ ...config, concepts, ...(inputSize ? { inputSize } : {}) } as ModelConfigInput, rng, initOf(init, source));
}

/** Mean dictionary error of a model against a source's truth (shift-invariant for functional data). */
export function dictError(model: SparseAutoencoder, source: OnlineSource): number {
  return matchDictionary(model, source.truth, source.truth.resolution).mean;
}

/**
 * One seed's float32 run on online data: the model from `init`, trained for `train.steps`,
 * with the loss and the mean dictionary error recorded every `evalEvery` steps.
 */
export function trainWithCurve(
  spec: GeneratorSpec,
  seed: number,
  config: Omit<ModelConfigInput, 'concepts'>,
  init: InitSettings,
  train: TrainSettings,
  evalEvery: number,
  tick: Tick,
): { sae: SparseAutoencoder; source: OnlineSource; curve: CurveRun } {
  const rngs = seedRngs(seed);
  const source = onlineSource(spec, rngs, 'float32');
  const sae = modelFor(config, source, init, rngs.init);
  const trainer = new Trainer(sae, source, { ...train, evalCount: 1 });
  const curve = recordCurves(train.steps, evalEvery, () => trainer.trainStep().loss, { dictErrorMean: () => dictError(sae, source) }, tick);
  return { sae, source, curve };
}

/** Curves recorded by {@link recordCurves}: x (steps) and one array per probe, plus the divergence if any. */
export interface CurveRun {
  x: number[];
  values: Record<string, (number | null)[]>;
  /** the step and reason when training stopped early. */
  diverged: { step: number; reason: string } | null;
}

/**
 * Runs `steps` training steps, measuring every probe at step 0, every `every` steps and at the end.
 * `step` performs one update (of one or several models on the same batch) and returns the loss(es);
 * a non-finite loss or a DivergenceError stops the run, and the remaining points are null.
 */
export function recordCurves(steps: number, every: number, step: () => number | number[], probes: Record<string, () => number>, tick: Tick): CurveRun {
  const x: number[] = [];
  for (let s = 0; s <= steps; s += every) x.push(s);
  if (x[x.length - 1] !== steps) x.push(steps);
  const values: Record<string, (number | null)[]> = {};
  for (const k of Object.keys(probes)) values[k] = new Array<number | null>(x.length).fill(null);
  const measure = (i: number) => {
    for (const [k, f] of Object.entries(probes)) {
      const v = f();
      values[k][i] = Number.isFinite(v) ? v : null;
    }
  };
  measure(0);
  let diverged: CurveRun['diverged'] = null;
  let done = 0;
  for (let i = 1; i < x.length && !diverged; i++) {
    try {
      for (; done < x[i]; done++) {
        const loss = step();
        const bad = (Array.isArray(loss) ? loss : [loss]).find((l) => !Number.isFinite(l));
        if (bad !== undefined) throw new DivergenceError(done + 1, `loss is ${bad}`);
        tick(1);
      }
      measure(i);
    } catch (e) {
      if (!(e instanceof DivergenceError)) throw e;
      diverged = { step: e.step, reason: e.message };
      tick(steps - done);
    }
  }
  return { x, values, diverged };
}

/** Mean and min–max spread across seeds at each x (null values skipped; n = seeds counted). */
export interface Aggregate {
  x: number;
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

/** Aggregates a series across seeds; points where no seed has a value are left out. */
export function aggregate(s: Series): Aggregate[] {
  const out: Aggregate[] = [];
  s.x.forEach((x, i) => {
    const v = s.values.map((row) => row[i]).filter((u): u is number => u !== null);
    if (v.length === 0) return;
    out.push({ x, mean: v.reduce((a, b) => a + b, 0) / v.length, lo: Math.min(...v), hi: Math.max(...v), n: v.length });
  });
  return out;
}

/** Plot rows `{ x: <xName>, series, condition, mean, lo, hi }` of several series. */
export function bandRows(series: readonly Series[], extra: (s: Series) => Record<string, string> = () => ({})): Row[] {
  return series.flatMap((s) => aggregate(s).map((a) => ({ [s.xName]: a.x, series: s.series, condition: s.condition, mean: a.mean, lo: a.lo, hi: a.hi, ...extra(s) })));
}

/** The series with this model, metric and (optionally) condition; throws when absent (data.json is inconsistent). */
export function findSeries(data: FigureData, series: string, metric: string, condition?: string): Series {
  const s = data.series.find((t) => t.series === series && t.metric === metric && (condition === undefined || t.condition === condition));
  if (!s) throw new RangeError(`${data.figure}: data has no series '${series}' / '${metric}'${condition === undefined ? '' : ` / '${condition}'`}`);
  return s;
}

/** Per seed, the value at the last x (null if that run stopped early). */
export function finalValues(s: Series): (number | null)[] {
  return s.values.map((row) => row[row.length - 1]);
}

/** Per seed, the value at x = `at` (null if absent). */
export function valuesAt(s: Series, at: number): (number | null)[] {
  const i = s.x.indexOf(at);
  return s.values.map((row) => (i < 0 ? null : row[i]));
}

/** Mean of the non-null values (NaN when there are none). */
export function mean(v: readonly (number | null)[]): number {
  const u = v.filter((a): a is number => a !== null);
  return u.length === 0 ? NaN : u.reduce((a, b) => a + b, 0) / u.length;
}

/** A number for a summary: 3 significant digits, exponent form below 1e-3. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(2);
  return Number(v.toPrecision(3)).toString();
}

/** Columns of every figure's `data.csv` (one row per seed, series point and metric). */
export const CSV_COLUMNS = ['figure', 'series', 'condition', 'metric', 'seed', 'x_name', 'x', 'value'] as const;

/** The long table of `data.csv` (null values as empty cells). */
export function csvOf(data: FigureData): string {
  const cell = (v: string | number | null) => {
    if (v === null) return '';
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [CSV_COLUMNS.join(',')];
  for (const s of data.series) {
    s.values.forEach((row, k) => {
      row.forEach((v, i) => lines.push([data.figure, s.series, s.condition, s.metric, data.seeds[k], s.xName, s.x[i], v].map(cell).join(',')));
    });
  }
  return `${lines.join('\n')}\n`;
}

/** Builds a series from per-seed curve runs (all runs share x). */
export function seriesOf(series: string, condition: string, metric: string, runs: readonly CurveRun[], probe = metric): Series {
  return { series, condition, metric, xName: 'step', x: runs[0].x, values: runs.map((r) => r.values[probe]) };
}

/** Event lines for diverged runs. */
export function divergenceEvents(label: string, seeds: readonly number[], runs: readonly CurveRun[]): string[] {
  return runs.flatMap((r, k) => (r.diverged ? [`${label}, seed ${seeds[k]}: stopped at step ${r.diverged.step} (${r.diverged.reason})`] : []));
}

/** Mean of log10 over the curve after step 0 (the initial point is shared by construction): the "area" under a log-error curve. */
export function meanLog10(row: readonly (number | null)[]): number {
  const v = row.slice(1);
  if (v.some((a) => a === null || a <= 0)) return Infinity; // a stopped or degenerate run counts as no progress
  return v.reduce((a: number, b) => a + Math.log10(b as number), 0) / v.length;
}

/** |Δ| below this is drawn at this value on log axes (float64 machine epsilon); the data keep the exact values. */
export const DIFF_FLOOR = Number.EPSILON;

/** |a − b| per seed and x of two series on the same x; null where either is missing (unless both are). */
function absDifference(a: Series, b: Series): (number | null)[][] {
  return a.values.map((row, k) =>
    row.map((v, i) => {
      const w = b.values[k][i];
      if (v === null && w === null) return 0;
      return v === null || w === null ? null : Math.abs(v - w);
    }),
  );
}

/** The series |a − b| floored at {@link DIFF_FLOOR}, for plotting on a log axis. */
export function absDifferenceSeries(a: Series, b: Series, label: string): Series {
  const values = absDifference(a, b).map((row) => row.map((v) => (v === null ? null : Math.max(v, DIFF_FLOOR))));
  return { series: label, condition: '', metric: '|Δ|', xName: a.xName, x: a.x, values };
}

/** max over seeds and x of |a − b| (Infinity when one run stopped and the other did not). */
export function maxAbsDifference(a: Series, b: Series): number {
  return Math.max(0, ...absDifference(a, b).flat().map((v) => (v === null ? Infinity : v)));
}
