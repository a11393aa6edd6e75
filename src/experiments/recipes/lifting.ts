/**
 * fig2a and fig4 — "lifting accelerates learning". Same recipe, two model families:
 * fig2a trains SAE-CNN against L-SAE-CNN (the paper's Fig 2a), fig4 trains the dense SAE against
 * L-SAE and adds the preconditioner view of Prop 3.1 (Fig 4: "lifting as a preconditioner"): the
 * SGD update of the effective dictionary is η·P·Pᵀ·(x − Dz)zᵀ, so the eigenvalues of P·Pᵀ are the
 * per-direction multipliers of the step. The lifting is one that can accelerate (learned, starting
 * orthonormal, or fixed Gaussian; orthonormal fixed liftings provably cannot under SGD, see fig5).
 * Both models start from the same effective dictionary (D_L = L·D) and see the same batches.
 */
import type { TopLevelSpec } from 'vega-lite';
import { Rng } from '../../core/rng.js';
import { mutualCoherence } from '../../metrics/index.js';
import { powerIteration } from '../../models/operators/operator.js';
import type { ModelConfigInput } from '../../models/config.js';
import { createModel } from '../../models/registry.js';
import type { SparseAutoencoder } from '../../models/sae.js';
import { barWithError, concatFigure, lineWithBand, type Row } from '../../report/plots.js';
import { Trainer } from '../../train/trainer.js';
import type { GeneratorSpec } from '../../train/source.js';
import { liftInto } from '../verify.js';
import type { LiftingSettings } from '../settings.js';
import {
  bandRows,
  dictError,
  divergenceEvents,
  findSeries,
  finalValues,
  fmt,
  mean,
  meanLog10,
  modelFor,
  onlineSource,
  recordCurves,
  seedRngs,
  seriesOf,
  type CurveRun,
  type FigureData,
  type Recipe,
  type Series,
  type Verdict,
} from './common.js';

const LABELS = {
  'sae-cnn': { plain: 'SAE-CNN', lifted: 'L-SAE-CNN' },
  sae: { plain: 'SAE', lifted: 'L-SAE' },
} as const;

/** Eigenvalues of the preconditioner P·Pᵀ (c×c): smallest, mean (trace/c) and largest, by power iteration. */
export function preconditionerSpectrum(P: ArrayLike<number>, c: number, h: number): { min: number; mean: number; max: number } {
  const G = new Float64Array(c * c);
  for (let i = 0; i < c; i++) for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let k = 0; k < h; k++) s += P[i * h + k] * P[j * h + k];
    G[i * c + j] = s;
    G[j * c + i] = s;
  }
  let trace = 0;
  for (let i = 0; i < c; i++) trace += G[i * c + i];
  const apply = (shift: number) => (v: Float64Array) => {
    const w = new Float64Array(c);
    for (let i = 0; i < c; i++) {
      let s = shift * v[i];
      for (let j = 0; j < c; j++) s += (shift === 0 ? 1 : -1) * G[i * c + j] * v[j];
      w[i] = s;
    }
    return w;
  };
  const max = powerIteration(apply(0), c, 5000);
  // λ_min(G) = λ_max − λ_max(λ_max·I − G) (the shifted matrix is PSD)
  const min = c === 1 ? max : max - powerIteration(apply(max), c, 5000);
  return { min, mean: trace / c, max };
}

function specOf(s: LiftingSettings, seed: number): GeneratorSpec {
  return s.data.kind === 'functional'
    ? { kind: 'functional', config: s.data.config as Record<string, unknown>, seed, resolution: s.data.N }
    : { kind: 'euclidean', config: s.data.config as Record<string, unknown>, seed, resolution: null };
}

function coherenceOf(atoms: Float64Array[], functional: boolean): { max: number; meanOffDiagonal: number } {
  return mutualCoherence(atoms, { channels: 1, shiftInvariant: functional });
}

/** One seed: the unlifted and the lifted model trained on the same batches from the same effective dictionary. */
function runSeed(s: LiftingSettings, seed: number, tick: (n: number) => void): { plain: CurveRun; lifted: CurveRun; truth: { max: number; meanOffDiagonal: number } } {
  const rngs = seedRngs(seed);
  const functional = s.data.kind === 'functional';
  const sourcePlain = onlineSource(specOf(s, seed), rngs, 'float32');
  const sourceLifted = onlineSource(specOf(s, seed), seedRngs(seed), 'float32');
  const plain = modelFor(s.model, sourcePlain, s.init, rngs.init);
  const liftedConfig = { ...plain.config, model: `l-${s.model.model}`, liftWidth: s.lifting.width, lifting: s.lifting.kind } as ModelConfigInput;
  const lifted = createModel(liftedConfig, new Rng(seed * 1009 + 4));
  liftInto(plain, lifted);
  lifted.normalizeAtoms();
  const N = sourcePlain.truth.resolution;
  const train = (model: SparseAutoencoder, source: typeof sourcePlain, extra: Record<string, () => number>): CurveRun => {
    const trainer = new Trainer(model, source, { ...s.train, evalCount: 1 });
    const run = recordCurves(s.train.steps, s.evalEvery, () => trainer.trainStep().loss, { dictErrorMean: () => dictError(model, source), ...extra }, tick);
    const c = coherenceOf(model.effectiveAtoms(N), functional);
    run.values.coherenceMax = [c.max];
    run.values.coherenceMean = [c.meanOffDiagonal];
    return run;
  };
  const P = lifted.lifting!.P;
  const [c, h] = P.shape;
  let spectrum = { min: 0, mean: 0, max: 0 };
  const eig = (k: 'min' | 'mean' | 'max') => () => {
    if (k === 'min') spectrum = preconditionerSpectrum(P.data, c, h);
    return spectrum[k];
  };
  return {
    plain: train(plain, sourcePlain, {}),
    lifted: train(lifted, sourceLifted, { eigMin: eig('min'), eigMean: eig('mean'), eigMax: eig('max') }),
    truth: coherenceOf(sourcePlain.truth.atoms, functional),
  };
}

function run(name: 'fig2a' | 'fig4') {
  return (s: LiftingSettings, mode: FigureData['mode'], seeds: number[], criteria: FigureData['criteria'], tick: (n: number) => void): FigureData => {
    const labels = LABELS[s.model.model];
    const runs = seeds.map((seed) => runSeed(s, seed, tick));
    const plain = runs.map((r) => r.plain);
    const lifted = runs.map((r) => r.lifted);
    const steps = s.train.steps;
    const finalSeries = (series: string, metric: string, values: number[][]): Series => ({ series, condition: '', metric, xName: 'step', x: [steps], values });
    const series: Series[] = [
      seriesOf(labels.plain, '', 'dictErrorMean', plain),
      seriesOf(labels.lifted, '', 'dictErrorMean', lifted),
      seriesOf(labels.lifted, 'P·Pᵀ', 'eigMin', lifted),
      seriesOf(labels.lifted, 'P·Pᵀ', 'eigMean', lifted),
      seriesOf(labels.lifted, 'P·Pᵀ', 'eigMax', lifted),
    ];
    for (const metric of ['coherenceMax', 'coherenceMean'] as const) {
      series.push(finalSeries(labels.plain, metric, plain.map((r) => r.values[metric] as number[])));
      series.push(finalSeries(labels.lifted, metric, lifted.map((r) => r.values[metric] as number[])));
      series.push(finalSeries('truth', metric, runs.map((r) => [metric === 'coherenceMax' ? r.truth.max : r.truth.meanOffDiagonal])));
    }
    return {
      figure: name,
      mode,
      seeds,
      criteria,
      series,
      events: [...divergenceEvents(labels.plain, seeds, plain), ...divergenceEvents(labels.lifted, seeds, lifted)],
      extra: { lifting: s.lifting, labels },
    };
  };
}

function labelsOf(data: FigureData): { plain: string; lifted: string } {
  return (data.extra as { labels: { plain: string; lifted: string } }).labels;
}

const COLORS = { SAE: '#4c78a8', 'L-SAE': '#f58518', 'SAE-CNN': '#4c78a8', 'L-SAE-CNN': '#f58518', truth: '#9d9d9d' };

function figure(data: FigureData): TopLevelSpec {
  const l = labelsOf(data);
  const curves = lineWithBand({
    title: `Dictionary error: ${l.plain} vs ${l.lifted}`,
    x: { field: 'step', title: 'training step' },
    y: { field: 'mean', title: 'mean dictionary error (mean, min–max over seeds)', scale: 'log' },
    series: { field: 'series', title: 'model' },
    data: bandRows([findSeries(data, l.plain, 'dictErrorMean'), findSeries(data, l.lifted, 'dictErrorMean')]),
    colors: { [l.plain]: COLORS[l.plain as keyof typeof COLORS], [l.lifted]: COLORS[l.lifted as keyof typeof COLORS] },
    width: 420,
    height: 260,
  });
  const orthoRows: Row[] = [];
  for (const [metric, title] of [
    ['coherenceMax', 'mutual coherence'],
    ['coherenceMean', 'mean |off-diagonal Gram|'],
  ] as const) {
    for (const model of [l.plain, l.lifted, 'truth']) {
      const v = finalValues(findSeries(data, model, metric)).filter((u): u is number => u !== null);
      if (v.length === 0) continue;
      orthoRows.push({ measure: title, model, mean: mean(v), lo: Math.min(...v), hi: Math.max(...v) });
    }
  }
  const ortho = barWithError({
    title: 'Orthogonality of the learned dictionaries',
    x: { field: 'measure', title: '' },
    y: { field: 'mean', title: 'value at the end of training' },
    group: { field: 'model', title: 'dictionary' },
    yDomain: [0, 1],
    data: orthoRows,
    colors: { [l.plain]: COLORS[l.plain as keyof typeof COLORS], [l.lifted]: COLORS[l.lifted as keyof typeof COLORS], truth: COLORS.truth },
    width: 300,
    height: 260,
  });
  if (data.figure === 'fig2a') return concatFigure([[curves, ortho]], { title: 'Lifting accelerates learning (SAE-CNN)' });
  const eig = ['eigMin', 'eigMean', 'eigMax'].map((m) => findSeries(data, l.lifted, m));
  const names: Record<string, string> = { eigMin: 'λ_min', eigMean: 'mean λ', eigMax: 'λ_max' };
  const spectrum = lineWithBand({
    title: `Preconditioner P·Pᵀ of ${l.lifted} (Prop 3.1)`,
    x: { field: 'step', title: 'training step' },
    y: { field: 'mean', title: 'eigenvalue of P·Pᵀ (step multiplier)' },
    series: { field: 'eigenvalue', title: 'eigenvalue' },
    data: bandRows(eig, (s) => ({ eigenvalue: names[s.metric] })),
    width: 420,
    height: 260,
  });
  return concatFigure([[curves, spectrum], [ortho]], { title: 'Lifting as a preconditioner (SAE vs L-SAE)' });
}

/** Steps (per seed) at which the lifted curve first reaches the unlifted model's final error; null when it never does. */
function stepsToMatch(plain: Series, lifted: Series): (number | null)[] {
  return lifted.values.map((row, k) => {
    const target = plain.values[k][plain.values[k].length - 1];
    if (target === null) return null;
    const i = row.findIndex((v) => v !== null && v <= target);
    return i < 0 ? null : lifted.x[i];
  });
}

function judge(data: FigureData): Verdict[] {
  const l = labelsOf(data);
  const c = data.criteria;
  const p = findSeries(data, l.plain, 'dictErrorMean');
  const q = findSeries(data, l.lifted, 'dictErrorMean');
  const gaps = p.values.map((row, k) => meanLog10(row) - meanLog10(q.values[k]));
  const gap = mean(gaps);
  const wins = gaps.filter((g) => g > c.accelerationLogGap).length;
  const n = gaps.length;
  const reach = stepsToMatch(p, q);
  const reached = reach.filter((v): v is number => v !== null);
  const steps = p.x[p.x.length - 1];
  const eigMean = mean(finalValues(findSeries(data, l.lifted, 'eigMean')));
  const eigMin = mean(finalValues(findSeries(data, l.lifted, 'eigMin')));
  const eigMax = mean(finalValues(findSeries(data, l.lifted, 'eigMax')));
  const lifting = (data.extra as { lifting: { kind: string; width: number } }).lifting;
  const acceleration: Verdict = {
    claim: `Lifting accelerates learning: ${l.lifted} (${lifting.kind} lifting, h = ${lifting.width}) recovers the dictionary faster than ${l.plain}`,
    criterion: `the mean over the curve (after step 0) of log10 mean dictionary error is lower for ${l.lifted} by more than ${c.accelerationLogGap} decades, in the seed mean and in a majority of seeds`,
    measured:
      `mean log10 error ${l.plain} ${fmt(mean(p.values.map(meanLog10)))}, ${l.lifted} ${fmt(mean(q.values.map(meanLog10)))} ` +
      `(gap ${fmt(gap)} decades, lifted lower in ${wins}/${n} seeds); final error ${fmt(mean(finalValues(p)))} vs ${fmt(mean(finalValues(q)))}; ` +
      `${l.lifted} reached ${l.plain}'s final error in ${reached.length}/${n} seeds` +
      (reached.length > 0 ? ` (mean step ${fmt(mean(reached))} of ${steps})` : '') +
      `; eigenvalues of P·Pᵀ at the end: min ${fmt(eigMin)}, mean ${fmt(eigMean)}, max ${fmt(eigMax)}`,
    number: `${fmt(gap)} decades (${wins}/${n} seeds)`,
    held: gap > c.accelerationLogGap && wins > n / 2,
  };
  const ortho = (model: string) => mean(finalValues(findSeries(data, model, 'coherenceMean')));
  const coh = (model: string) => mean(finalValues(findSeries(data, model, 'coherenceMax')));
  const diff = ortho(l.plain) - ortho(l.lifted);
  const orthogonality: Verdict = {
    claim: `Lifting increases the orthogonality of the learned dictionary (${l.lifted} vs ${l.plain})`,
    criterion: `seed-mean mean |off-diagonal Gram| of the final effective dictionary is lower for ${l.lifted} by more than ${c.orthogonalityGap}`,
    measured:
      `mean |off-diagonal| ${l.plain} ${fmt(ortho(l.plain))}, ${l.lifted} ${fmt(ortho(l.lifted))}, truth ${fmt(ortho('truth'))}; ` +
      `mutual coherence ${fmt(coh(l.plain))}, ${fmt(coh(l.lifted))}, truth ${fmt(coh('truth'))}`,
    number: `${fmt(ortho(l.lifted))} vs ${fmt(ortho(l.plain))}`,
    held: diff > c.orthogonalityGap,
  };
  return [acceleration, orthogonality];
}

function describe(s: LiftingSettings): string {
  const t = s.train;
  const data =
    s.data.kind === 'functional'
      ? `functional data (${s.data.config.family ?? 'gabor'}, ${s.data.config.concepts ?? 5} concepts, N = ${s.data.N}, occurrences ${JSON.stringify(s.data.config.occurrence ?? { kind: 'bernoulli', p: 0.3 })})`
      : `Euclidean data (m = ${s.data.config.m}, p = ${s.data.config.p}, s = ${s.data.config.sparsity})`;
  return (
    `${data}; ${s.model.model} ${JSON.stringify({ ...s.model, model: undefined })} vs the same model lifted (${s.lifting.kind}, h = ${s.lifting.width}), ` +
    `both from the same effective dictionary (${s.init.kind === 'random' ? 'random' : `truth perturbed by ε = ${s.init.eps}`}) on the same batches; ` +
    `${t.optimizer} lr ${t.lr}, schedule ${JSON.stringify(t.schedule)}, batch ${t.batch}, ${t.steps} steps, curves every ${s.evalEvery} steps.`
  );
}

function work(s: LiftingSettings): number {
  return 2 * s.seeds * (s.train.steps);
}

export const fig2a: Recipe<LiftingSettings> = {
  name: 'fig2a',
  title: 'Lifting accelerates learning (SAE-CNN vs L-SAE-CNN)',
  paperClaim: 'Fig 2a: lifting accelerates learning (L-SAE-CNN vs SAE-CNN), and lifted dictionaries are more orthogonal.',
  work,
  run: run('fig2a'),
  figure,
  judge,
  describe,
};

export const fig4: Recipe<LiftingSettings> = {
  name: 'fig4',
  title: 'Lifting as a preconditioner (SAE vs L-SAE)',
  paperClaim: 'Fig 4: lifting as a preconditioner — lifting accelerates learning; the effective update is η·P·Pᵀ·(x − Dz)zᵀ (Prop 3.1).',
  work,
  run: run('fig4'),
  figure,
  judge,
  describe,
};
