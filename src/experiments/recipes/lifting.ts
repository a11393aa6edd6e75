/**
 * fig2a and fig4 — "lifting accelerates learning". Same recipe, two model families:
 * fig2a trains SAE-CNN against L-SAE-CNN (the paper's Fig 2a), fig4 trains the dense SAE against
 * L-SAE and adds the preconditioner view of Prop 3.1 (Fig 4: "lifting as a preconditioner"): the
 * SGD update of the effective dictionary is η·P·Pᵀ·(x − Dz)zᵀ, so the eigenvalues of P·Pᵀ are the
 * per-direction multipliers of the step. The lifting is one that can accelerate (learned, starting
 * orthonormal, or fixed Gaussian; orthonormal fixed liftings provably cannot under SGD, see fig5).
 * All models start from the same effective dictionary (D_L = L·(LᵀL)⁻¹·D, so P·D_L = D) and see the same batches.
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

const PLAIN = { 'sae-cnn': 'SAE-CNN', sae: 'SAE' } as const;
const COLORS: Record<string, string> = { plain: '#4c78a8', gaussian: '#f58518', learned: '#54a24b', truth: '#9d9d9d' };

/** Series labels of a figure: the unlifted model and one lifted model per lifting kind. */
interface Labels {
  plain: string;
  lifted: string[];
  kinds: string[];
}

function labelsFor(s: LiftingSettings): Labels {
  const plain = PLAIN[s.model.model];
  return { plain, lifted: s.liftings.map((l) => `L-${plain} (${l.kind})`), kinds: s.liftings.map((l) => l.kind) };
}

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
  // v ↦ G·v, or v ↦ (shift·I − G)·v for the smallest eigenvalue
  const apply = (shift: number | null) => (v: Float64Array) => {
    const w = new Float64Array(c);
    for (let i = 0; i < c; i++) {
      let g = 0;
      for (let j = 0; j < c; j++) g += G[i * c + j] * v[j];
      w[i] = shift === null ? g : shift * v[i] - g;
    }
    return w;
  };
  const max = powerIteration(apply(null), c, 5000);
  // λ_min(G) = λ_max − λ_max(λ_max·I − G) (the shifted matrix is PSD)
  const min = c === 1 ? max : max - powerIteration(apply(max), c, 5000);
  return { min, mean: trace / c, max };
}

/**
 * Solves G·Y = B in place (B ← Y) for a symmetric positive-definite G (c×c, row-major) and B of
 * shape [c, cols], by Cholesky: hand-written because it runs once per seed on a c ≤ m matrix and
 * saeno has no linear-algebra dependency.
 */
export function solveSpd(G: ArrayLike<number>, c: number, B: Float64Array | Float32Array, cols: number): void {
  const R = new Float64Array(c * c); // lower-triangular factor, G = R·Rᵀ
  for (let i = 0; i < c; i++) {
    for (let j = 0; j <= i; j++) {
      let v = G[i * c + j];
      for (let k = 0; k < j; k++) v -= R[i * c + k] * R[j * c + k];
      if (i === j) {
        if (!(v > 0)) throw new RangeError(`solveSpd: matrix is not positive definite (pivot ${i} = ${v})`);
        R[i * c + i] = Math.sqrt(v);
      } else R[i * c + j] = v / R[j * c + j];
    }
  }
  for (let a = 0; a < cols; a++) {
    for (let i = 0; i < c; i++) {
      let v = B[i * cols + a];
      for (let k = 0; k < i; k++) v -= R[i * c + k] * B[k * cols + a];
      B[i * cols + a] = v / R[i * c + i];
    }
    for (let i = c - 1; i >= 0; i--) {
      let v = B[i * cols + a];
      for (let k = i + 1; k < c; k++) v -= R[k * c + i] * B[k * cols + a];
      B[i * cols + a] = v / R[i * c + i];
    }
  }
}

/**
 * Sets D_L = L·(LᵀL)⁻¹·D, the lifted operator whose effective dictionary P·D_L (P = Lᵀ) is exactly
 * the unlifted model's D, for any lifting with full column rank (for an orthonormal L this is L·D).
 * The unlifted weights are swapped for (LᵀL)⁻¹·D while verify's `liftInto` maps them, then restored.
 */
export function liftExactly(plain: SparseAutoencoder, lifted: SparseAutoencoder): void {
  const { L } = lifted.lifting!;
  const [h, c] = L.shape;
  const G = new Float64Array(c * c);
  for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) for (let k = 0; k < h; k++) G[i * c + j] += L.data[k * c + i] * L.data[k * c + j];
  const blocks = plain.dictionary.blocks();
  const saved = blocks.map((b) => b.data.slice());
  try {
    for (const b of blocks) solveSpd(G, c, b.data, b.atoms * b.taps);
    liftInto(plain, lifted);
  } finally {
    blocks.forEach((b, i) => b.data.set(saved[i]));
  }
}

function specOf(s: LiftingSettings, seed: number): GeneratorSpec {
  return s.data.kind === 'functional'
    ? { kind: 'functional', config: s.data.config as Record<string, unknown>, seed, resolution: s.data.N }
    : { kind: 'euclidean', config: s.data.config as Record<string, unknown>, seed, resolution: null };
}

function coherenceOf(atoms: Float64Array[], functional: boolean): { max: number; meanOffDiagonal: number } {
  return mutualCoherence(atoms, { channels: 1, shiftInvariant: functional });
}

/** A trained model's curves and the orthogonality of its final effective dictionary (null after a divergence). */
interface Trained {
  curve: CurveRun;
  coherence: { max: number; meanOffDiagonal: number } | null;
}

/** One seed: the unlifted model and each lifted one, trained on the same batches from the same effective dictionary. */
function runSeed(s: LiftingSettings, seed: number, tick: (n: number) => void): { plain: Trained; lifted: Trained[]; truth: { max: number; meanOffDiagonal: number } } {
  const functional = s.data.kind === 'functional';
  const rngs = seedRngs(seed);
  const sourcePlain = onlineSource(specOf(s, seed), rngs, 'float32');
  const plain = modelFor(s.model, sourcePlain, s.init, rngs.init);
  const N = sourcePlain.truth.resolution;
  const train = (model: SparseAutoencoder, source: typeof sourcePlain, extra: Record<string, () => number>): Trained => {
    const trainer = new Trainer(model, source, { ...s.train, evalCount: 1 });
    const curve = recordCurves(s.train.steps, s.evalEvery, () => trainer.trainStep().loss, { dictErrorMean: () => dictError(model, source), ...extra }, tick);
    return { curve, coherence: curve.diverged ? null : coherenceOf(model.effectiveAtoms(N), functional) };
  };
  // the lifted models are built (P·D_L = D) before the unlifted one trains
  const lifted = s.liftings.map((l, i) => {
    const config = { ...plain.config, model: `l-${s.model.model}`, liftWidth: l.width, lifting: l.kind } as ModelConfigInput;
    const model = createModel(config, new Rng(seed * 1009 + 4 + i));
    liftExactly(plain, model);
    return model;
  });
  const trained = lifted.map((model) => {
    const P = model.lifting!.P;
    const [c, h] = P.shape;
    let spectrum = { min: 0, mean: 0, max: 0 };
    const eig = (k: 'min' | 'mean' | 'max') => () => {
      if (k === 'min') spectrum = preconditionerSpectrum(P.data, c, h);
      return spectrum[k];
    };
    // every model gets its own copy of the seed's batch stream
    return train(model, onlineSource(specOf(s, seed), seedRngs(seed), 'float32'), { eigMin: eig('min'), eigMean: eig('mean'), eigMax: eig('max') });
  });
  return { plain: train(plain, sourcePlain, {}), lifted: trained, truth: coherenceOf(sourcePlain.truth.atoms, functional) };
}

function run(name: 'fig2a' | 'fig4') {
  return (s: LiftingSettings, mode: FigureData['mode'], seeds: number[], criteria: FigureData['criteria'], tick: (n: number) => void): FigureData => {
    const labels = labelsFor(s);
    const runs = seeds.map((seed) => runSeed(s, seed, tick));
    const plain = runs.map((r) => r.plain);
    const lifted = labels.lifted.map((_, i) => runs.map((r) => r.lifted[i]));
    const curves = (t: Trained[]) => t.map((r) => r.curve);
    const final = (series: string, metric: 'max' | 'meanOffDiagonal', values: ({ max: number; meanOffDiagonal: number } | null)[]): Series => ({
      series,
      condition: '',
      metric: metric === 'max' ? 'coherenceMax' : 'coherenceMean',
      xName: 'step',
      x: [s.train.steps],
      values: values.map((v) => [v === null ? null : v[metric]]),
    });
    const series: Series[] = [seriesOf(labels.plain, '', 'dictErrorMean', curves(plain))];
    labels.lifted.forEach((label, i) => {
      series.push(seriesOf(label, '', 'dictErrorMean', curves(lifted[i])));
      for (const m of ['eigMin', 'eigMean', 'eigMax']) series.push(seriesOf(label, 'P·Pᵀ', m, curves(lifted[i])));
    });
    for (const metric of ['max', 'meanOffDiagonal'] as const) {
      series.push(final(labels.plain, metric, plain.map((r) => r.coherence)));
      labels.lifted.forEach((label, i) => series.push(final(label, metric, lifted[i].map((r) => r.coherence))));
      series.push(final('truth', metric, runs.map((r) => r.truth)));
    }
    const events = [...divergenceEvents(labels.plain, seeds, curves(plain)), ...labels.lifted.flatMap((label, i) => divergenceEvents(label, seeds, curves(lifted[i])))];
    return { figure: name, mode, seeds, criteria, series, events, extra: { liftings: s.liftings, labels } };
  };
}

function labelsOf(data: FigureData): Labels {
  return (data.extra as { labels: Labels }).labels;
}

function colorsOf(l: Labels, truth = false): Record<string, string> {
  const out: Record<string, string> = { [l.plain]: COLORS.plain };
  l.lifted.forEach((label, i) => (out[label] = COLORS[l.kinds[i]] ?? '#b279a2'));
  if (truth) out.truth = COLORS.truth;
  return out;
}

function figure(data: FigureData): TopLevelSpec {
  const l = labelsOf(data);
  const models = [l.plain, ...l.lifted];
  const curves = lineWithBand({
    title: `Dictionary error: ${l.plain} vs lifted`,
    x: { field: 'step', title: 'training step' },
    y: { field: 'mean', title: 'mean dictionary error (mean, min–max over seeds)', scale: 'log' },
    series: { field: 'series', title: 'model' },
    data: bandRows(models.map((m) => findSeries(data, m, 'dictErrorMean'))),
    colors: colorsOf(l),
    width: 420,
    height: 260,
  });
  const orthoRows: Row[] = [];
  for (const [metric, title] of [
    ['coherenceMax', 'mutual coherence'],
    ['coherenceMean', 'mean |off-diagonal|'],
  ] as const) {
    for (const model of [...models, 'truth']) {
      const v = finalValues(findSeries(data, model, metric)).filter((u): u is number => u !== null);
      if (v.length > 0) orthoRows.push({ measure: title, model, mean: mean(v), lo: Math.min(...v), hi: Math.max(...v) });
    }
  }
  const ortho = barWithError({
    title: 'Orthogonality of the learned dictionaries',
    x: { field: 'measure', title: '' },
    y: { field: 'mean', title: 'value at the end of training' },
    group: { field: 'model', title: 'dictionary' },
    yDomain: [0, 1],
    data: orthoRows,
    colors: colorsOf(l, true),
    width: 300,
    height: 260,
  });
  if (data.figure === 'fig2a') return concatFigure([[curves, ortho]], { title: 'SAE-CNN vs lifted SAE-CNN: dictionary error and orthogonality' });
  const names: Record<string, string> = { eigMin: 'λ_min', eigMean: 'mean λ', eigMax: 'λ_max' };
  const spectrum = lineWithBand({
    title: 'Preconditioner P·Pᵀ (Prop 3.1: ΔD = η·P·Pᵀ·∇)',
    x: { field: 'step', title: 'training step' },
    y: { field: 'mean', title: 'eigenvalue of P·Pᵀ (step multiplier)' },
    series: { field: 'series', title: 'model' },
    dash: { field: 'eigenvalue', title: 'eigenvalue' },
    data: bandRows(
      l.lifted.flatMap((m) => ['eigMin', 'eigMean', 'eigMax'].map((e) => findSeries(data, m, e))),
      (t) => ({ eigenvalue: names[t.metric] }),
    ),
    colors: Object.fromEntries(l.lifted.map((m) => [m, colorsOf(l)[m]])),
    width: 420,
    height: 260,
  });
  return concatFigure([[curves, spectrum], [ortho]], { title: 'SAE vs lifted SAE: dictionary error and the preconditioner P·Pᵀ' });
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
  const liftings = (data.extra as { liftings: { kind: string; width: number }[] }).liftings;
  const p = findSeries(data, l.plain, 'dictErrorMean');
  const steps = p.x[p.x.length - 1];
  const ortho = (model: string) => mean(finalValues(findSeries(data, model, 'coherenceMean')));
  const coh = (model: string) => mean(finalValues(findSeries(data, model, 'coherenceMax')));
  return l.lifted.flatMap((label, i): Verdict[] => {
    const q = findSeries(data, label, 'dictErrorMean');
    const gaps = p.values.map((row, k) => meanLog10(row) - meanLog10(q.values[k]));
    const gap = mean(gaps);
    const wins = gaps.filter((g) => g > c.accelerationLogGap).length;
    const n = gaps.length;
    const reached = stepsToMatch(p, q).filter((v): v is number => v !== null);
    const eig = (m: string) => fmt(mean(finalValues(findSeries(data, label, m))));
    const diff = ortho(l.plain) - ortho(label);
    return [
      {
        claim: `Lifting accelerates learning: ${label}, h = ${liftings[i].width}, recovers the dictionary faster than ${l.plain}`,
        criterion: `the mean over the curve (after step 0) of log10 mean dictionary error is lower for ${label} by more than ${c.accelerationLogGap} decades, in the seed mean and in a majority of seeds`,
        measured:
          `mean log10 error ${l.plain} ${fmt(mean(p.values.map(meanLog10)))}, ${label} ${fmt(mean(q.values.map(meanLog10)))} ` +
          `(gap ${fmt(gap)} decades, lifted lower in ${wins}/${n} seeds); final error ${fmt(mean(finalValues(p)))} vs ${fmt(mean(finalValues(q)))}; ` +
          `${label} reached ${l.plain}'s final error in ${reached.length}/${n} seeds` +
          (reached.length > 0 ? ` (mean step ${fmt(mean(reached))} of ${steps})` : '') +
          `; eigenvalues of P·Pᵀ at the end: min ${eig('eigMin')}, mean ${eig('eigMean')}, max ${eig('eigMax')}`,
        number: `${fmt(gap)} decades (${wins}/${n} seeds)`,
        held: gap > c.accelerationLogGap && wins > n / 2,
      },
      {
        claim: `Lifting increases the orthogonality of the learned dictionary (${label} vs ${l.plain})`,
        criterion: `seed-mean mean |off-diagonal Gram| of the final effective dictionary is lower for ${label} by more than ${c.orthogonalityGap}`,
        measured:
          `mean |off-diagonal| ${l.plain} ${fmt(ortho(l.plain))}, ${label} ${fmt(ortho(label))}, truth ${fmt(ortho('truth'))}; ` +
          `mutual coherence ${fmt(coh(l.plain))}, ${fmt(coh(label))}, truth ${fmt(coh('truth'))}`,
        number: `${fmt(ortho(label))} vs ${fmt(ortho(l.plain))}`,
        held: diff > c.orthogonalityGap,
      },
    ];
  });
}

function describe(s: LiftingSettings): string {
  const t = s.train;
  const data =
    s.data.kind === 'functional'
      ? `functional data (${s.data.config.family ?? 'gabor'}, ${s.data.config.concepts ?? 5} concepts, N = ${s.data.N}, occurrences ${JSON.stringify(s.data.config.occurrence ?? { kind: 'bernoulli', p: 0.3 })})`
      : `Euclidean data (m = ${s.data.config.m}, p = ${s.data.config.p}, s = ${s.data.config.sparsity})`;
  const { model, ...rest } = s.model;
  return (
    `${data}; ${model} ${JSON.stringify(rest)} vs the same model lifted (${s.liftings.map((l) => `${l.kind}, h = ${l.width}`).join('; ')}; ` +
    'learned liftings start orthonormal and train L and P, Gaussian ones are fixed with P = Lᵀ), ' +
    `all from the same effective dictionary (${s.init.kind === 'random' ? 'random' : `truth perturbed by ε = ${s.init.eps}`}; D_L = L·(LᵀL)⁻¹·D so that P·D_L = D) on the same batches; ` +
    `${t.optimizer} lr ${t.lr}, schedule ${JSON.stringify(t.schedule ?? { kind: 'constant' })}, batch ${t.batch}, ${t.steps} steps, curves every ${s.evalEvery} steps.`
  );
}

function work(s: LiftingSettings): number {
  return (1 + s.liftings.length) * s.seeds * s.train.steps;
}

export const fig2a: Recipe<LiftingSettings> = {
  name: 'fig2a',
  title: 'Lifting accelerates learning (SAE-CNN vs L-SAE-CNN)',
  paperClaim: 'Fig 2a: lifting accelerates learning (L-SAE-CNN vs SAE-CNN); the paper also reports more orthogonal learned dictionaries with lifting.',
  work,
  run: run('fig2a'),
  figure,
  judge,
  describe,
};

export const fig4: Recipe<LiftingSettings> = {
  name: 'fig4',
  title: 'Lifting as a preconditioner (SAE vs L-SAE)',
  paperClaim: 'Fig 4: lifting as a preconditioner — lifting accelerates learning; the effective SGD update is η·P·Pᵀ·(x − Dz)zᵀ (Prop 3.1).',
  work,
  run: run('fig4'),
  figure,
  judge,
  describe,
};
