import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { aggregate, csvOf, CSV_COLUMNS, maxAbsDifference, recordCurves, type FigureData, type Series } from '../../src/experiments/recipes/common.js';
import { liftExactly, preconditionerSpectrum, solveSpd } from '../../src/experiments/recipes/lifting.js';
import { flat, relResidual } from '../../src/experiments/verify.js';
import { Rng } from '../../src/core/rng.js';
import { createModel } from '../../src/models/registry.js';
import { FIGURE_FILES, FIGURES, RECIPES, summaryResults } from '../../src/experiments/reproduce.js';
import { settingsFor } from '../../src/experiments/settings.js';
import { DEFAULT_PNG_SCALE, pngSize, svgSize } from '../../src/report/render.js';
import { DivergenceError } from '../../src/train/trainer.js';
import { saeno, tempDir, type CliResult } from '../cli/run.js';

// The CI run of `saeno reproduce --quick`: once per suite, then every file of every figure is checked.
const out = tempDir('saeno-reproduce-');
let quick: CliResult;
let wall = 0;
before(async () => {
  const t0 = performance.now();
  quick = await saeno('reproduce', '--quick', '--out', out);
  wall = (performance.now() - t0) / 1000;
});

const readJson = <T>(figure: string, file: string): T => JSON.parse(readFileSync(join(out, figure, file), 'utf8')) as T;

test('reproduce --quick exits 0 within the 2-minute budget and prints one verdict line per claim', () => {
  assert.equal(quick.code, 0, quick.stderr);
  assert.ok(wall < 120, `--quick took ${wall.toFixed(1)} s (budget 120 s)`);
  const claims = FIGURES.reduce((n, f) => n + RECIPES[f].judge(readJson<FigureData>(f, 'data.json')).length, 0);
  assert.equal(quick.stdout.split('\n').filter((l) => /^fig\w+\s+(held|NOT HELD)\s/.test(l)).length, claims);
  // not a TTY here: plain progress lines on stderr, ending at 100 % per figure
  for (const f of FIGURES) assert.match(quick.stderr, new RegExp(`reproduce: ${f} (\\d+)/\\1 steps \\(100%`));
});

test('every figure folder holds all six files', () => {
  for (const f of FIGURES) for (const file of FIGURE_FILES) assert.ok(existsSync(join(out, f, file)), `${f}/${file} missing`);
});

test('config.json records what reruns the figure: settings, seeds, criteria, command', () => {
  for (const f of FIGURES) {
    const c = readJson<{ figure: string; mode: string; seeds: number[]; settings: { seeds: number }; criteria: object; rerun: string }>(f, 'config.json');
    assert.equal(c.figure, f);
    assert.equal(c.mode, 'quick');
    assert.equal(c.seeds.length, c.settings.seeds);
    assert.deepEqual(c.settings, JSON.parse(JSON.stringify({ ...settingsFor('quick')[f] })));
    assert.match(c.rerun, new RegExp(`^saeno reproduce ${f} --quick --seeds ${c.seeds.length}$`));
  }
});

test('data.json and data.csv hold the same numbers, one CSV row per seed, point and series', () => {
  for (const f of FIGURES) {
    const data = readJson<FigureData>(f, 'data.json');
    assert.equal(data.figure, f);
    assert.ok(data.series.length > 0);
    for (const s of data.series) {
      assert.equal(s.values.length, data.seeds.length, `${f} ${s.series}/${s.metric}: one row per seed`);
      for (const row of s.values) assert.equal(row.length, s.x.length);
    }
    const csv = readFileSync(join(out, f, 'data.csv'), 'utf8');
    const lines = csv.trimEnd().split('\n');
    assert.deepEqual(lines[0].split(','), [...CSV_COLUMNS]);
    assert.equal(lines.length - 1, data.series.reduce((n, s) => n + s.values.length * s.x.length, 0));
    assert.equal(csv, csvOf(data), `${f}: data.csv is the table of data.json`);
    // the value column: a number (or empty for a stopped run) on every row
    const valueCol = CSV_COLUMNS.indexOf('value');
    for (const line of lines.slice(1)) {
      const cells = line.split(',');
      const v = cells[cells.length - (CSV_COLUMNS.length - valueCol)];
      assert.ok(v === '' || Number.isFinite(Number(v)), `${f}: bad value cell in '${line}'`);
    }
  }
});

test('figure.svg parses and figure.png has the SVG size at the default scale', () => {
  for (const f of FIGURES) {
    const svg = svgSize(readFileSync(join(out, f, 'figure.svg'), 'utf8'));
    assert.ok(svg.width > 200 && svg.height > 100, `${f}: svg ${svg.width}×${svg.height}`);
    const png = readFileSync(join(out, f, 'figure.png'));
    assert.ok(png.length > 1000, `${f}: png of ${png.length} bytes`);
    // resvg rounds the scaled size to whole pixels: ±1 px
    const size = pngSize(png);
    assert.ok(Math.abs(size.width - DEFAULT_PNG_SCALE * svg.width) <= 1 && Math.abs(size.height - DEFAULT_PNG_SCALE * svg.height) <= 1, `${f}: png ${size.width}×${size.height} vs svg ${svg.width}×${svg.height}`);
  }
});

test("summary.md's held / not held lines are the criteria re-evaluated on data.json", () => {
  for (const f of FIGURES) {
    const md = readFileSync(join(out, f, 'summary.md'), 'utf8');
    const verdicts = RECIPES[f].judge(readJson<FigureData>(f, 'data.json'));
    assert.ok(verdicts.length > 0);
    assert.deepEqual(summaryResults(md), verdicts.map((v) => v.held), `${f}: summary disagrees with data.json`);
    for (const v of verdicts) assert.ok(md.includes(v.measured), `${f}: measured numbers missing from the summary`);
  }
});

test('independent re-derivation: fig2c and fig5 verdicts are max |Δ| ≤ tolerance on the stored curves', () => {
  const maxDiff = (data: FigureData, a: Series, b: Series) => {
    let m = 0;
    a.values.forEach((row, k) => row.forEach((v, i) => (m = Math.max(m, Math.abs((v as number) - (b.values[k][i] as number))))));
    return m;
  };
  const pick = (data: FigureData, series: string, condition = '') => data.series.find((s) => s.series === series && s.metric === 'dictErrorMean' && s.condition === condition)!;
  const c = readJson<FigureData>('fig2c', 'data.json');
  const dc = maxDiff(c, pick(c, 'SAE-CNN'), pick(c, 'SAE-FNO (derived rate)'));
  assert.deepEqual(summaryResults(readFileSync(join(out, 'fig2c', 'summary.md'), 'utf8')), [dc <= c.criteria.fullModeTolerance]);
  const o = readJson<FigureData>('fig5', 'data.json');
  const primary = (o.extra as { primary: string }).primary;
  assert.match(primary, /^SGD/);
  const d5 = maxDiff(o, pick(o, 'SAE-CNN', primary), pick(o, 'L-SAE-CNN', primary));
  assert.deepEqual(summaryResults(readFileSync(join(out, 'fig5', 'summary.md'), 'utf8')), [d5 <= o.criteria.orthogonalTolerance]);
});

test('index.html shows every figure, links its files and tabulates every claim', () => {
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  for (const f of FIGURES) {
    assert.ok(html.includes(`<section id="${f}">`), `${f} section missing`);
    assert.ok(html.includes(`src="${f}/figure.svg"`), `${f} image missing`);
    for (const file of ['data.json', 'data.csv', 'config.json', 'summary.md']) assert.ok(html.includes(`href="${f}/${file}"`));
  }
  const rows = [...html.matchAll(/<td class="(held|not-held)">/g)].length;
  assert.equal(rows, FIGURES.reduce((n, f) => n + RECIPES[f].judge(readJson<FigureData>(f, 'data.json')).length, 0));
});

test('bad arguments: unknown figure and bad --seeds exit non-zero with a message', async () => {
  const bad = await saeno('reproduce', 'fig9', '--quick', '--out', tempDir());
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unknown figure 'fig9'/);
  const seeds = await saeno('reproduce', 'fig5', '--seeds', '0', '--out', tempDir());
  assert.notEqual(seeds.code, 0);
  assert.match(seeds.stderr, /--seeds must be a positive integer/);
});

test('recordCurves: probes at 0, every k steps and the end; a non-finite loss stops the run with nulls after', () => {
  let ticks = 0;
  let n = 0;
  const ok = recordCurves(7, 3, () => ++n, { steps: () => n }, (u) => (ticks += u));
  assert.deepEqual(ok.x, [0, 3, 6, 7]);
  assert.deepEqual(ok.values.steps, [0, 3, 6, 7]);
  assert.equal(ticks, 7);
  assert.equal(ok.diverged, null);
  n = 0;
  ticks = 0;
  const bad = recordCurves(9, 3, () => (++n === 5 ? NaN : 1), { steps: () => n }, (u) => (ticks += u));
  assert.deepEqual(bad.values.steps, [0, 3, null, null]);
  assert.equal(bad.diverged?.step, 5);
  assert.equal(ticks, 9, 'the progress total is still reached');
  assert.throws(() => recordCurves(2, 1, () => { throw new RangeError('bug'); }, {}, () => undefined), RangeError, 'other errors propagate');
  assert.ok(new DivergenceError(1, 'x') instanceof Error);
});

test('aggregate and maxAbsDifference: mean and min–max over seeds, nulls skipped; a stopped run is an infinite difference', () => {
  const s: Series = { series: 'a', condition: '', metric: 'm', xName: 'step', x: [0, 1], values: [[1, 4], [3, null]] };
  assert.deepEqual(aggregate(s), [
    { x: 0, mean: 2, lo: 1, hi: 3, n: 2 },
    { x: 1, mean: 4, lo: 4, hi: 4, n: 1 },
  ]);
  const t: Series = { ...s, values: [[1, 4.5], [3, 2]] };
  assert.equal(maxAbsDifference(s, s), 0);
  assert.equal(maxAbsDifference(s, t), Infinity);
  assert.equal(maxAbsDifference({ ...s, values: [[1, 4], [3, 2]] }, t), 0.5);
});

test('preconditionerSpectrum: eigenvalues of P·Pᵀ are the squared singular values of P', () => {
  // P = [diag(1, 2, 3) | 0] (3×5): P·Pᵀ = diag(1, 4, 9); power iteration converges to 1e-12 relative, so 1e-9 is safe
  const P = new Float64Array(15);
  [1, 2, 3].forEach((v, i) => (P[i * 5 + i] = v));
  const e = preconditionerSpectrum(P, 3, 5);
  assert.ok(Math.abs(e.min - 1) < 1e-9 && Math.abs(e.max - 9) < 1e-9 && Math.abs(e.mean - 14 / 3) < 1e-12, JSON.stringify(e));
  // c = 1 (one functional channel): P·Pᵀ = ‖P‖²
  const one = preconditionerSpectrum(Float64Array.from([3, 4]), 1, 2);
  assert.deepEqual([one.min, one.mean, one.max].map((v) => Math.round(v * 1e9) / 1e9), [25, 25, 25]);
});

test('liftExactly: with a Gaussian lifting, P·D_L equals the unlifted D (dense and conv)', () => {
  // float64 models: G = LᵀL has condition ≈ ((1+√(c/h))/(1−√(c/h)))² ≤ 40 here, so the solve loses < 2 digits of 1e-16
  for (const [base, h, N] of [
    [{ model: 'sae', inputSize: 12, concepts: 20 }, 30, 1],
    [{ model: 'sae-cnn', channels: 2, concepts: 3, kernelSize: 5 }, 6, 16],
  ] as const) {
    const plain = createModel({ ...base, dtype: 'float64' }, new Rng(1));
    const lifted = createModel({ ...base, dtype: 'float64', model: `l-${base.model}`, liftWidth: h, lifting: 'gaussian' }, new Rng(2));
    liftExactly(plain, lifted);
    assert.ok(relResidual(flat(lifted.effectiveAtoms(N)), flat(plain.effectiveAtoms(N))) < 1e-12, base.model);
  }
  // solveSpd on a known system: [[4, 2], [2, 3]]·y = [2, 1] → y = [0.5, 0]
  const b = Float64Array.from([2, 1]);
  solveSpd([4, 2, 2, 3], 2, b, 1);
  assert.ok(Math.abs(b[0] - 0.5) < 1e-15 && Math.abs(b[1]) < 1e-15, String(b));
  assert.throws(() => solveSpd([1, 2, 2, 1], 2, new Float64Array(2), 1), /not positive definite/);
});
