/**
 * `saeno reproduce`: runs the figure recipes (multi-seed), and writes for each figure
 * `<out>/<name>/` {config.json, data.json, data.csv, figure.svg, figure.png, summary.md}, then
 * `<out>/index.html` over every figure folder present. Node-only (files); the recipes are not.
 * Verdicts are computed by each recipe's `judge` from the data alone, never stored by hand.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { Config, TopLevelSpec } from 'vega-lite';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/files.js';
import { buildIndexHtml, type Claim, type FigureEntry } from '../report/html.js';
import { writeFigure } from '../report/render.js';
import { csvOf, FIGURES, type FigureData, type FigureName, type Recipe, type Verdict } from './recipes/common.js';
import { fig2a, fig4 } from './recipes/lifting.js';
import { fig2b } from './recipes/smooth.js';
import { fig2c } from './recipes/fullmode.js';
import { fig3 } from './recipes/resolution.js';
import { fig5 } from './recipes/orthogonal.js';
import { CRITERIA, settingsFor, type Mode, type Settings } from './settings.js';

export { FIGURES, type FigureName } from './recipes/common.js';

/** Every recipe by figure name. */
export const RECIPES: { [K in FigureName]: Recipe<Settings[K]> } = { fig2a, fig2b, fig2c, fig3, fig4, fig5 };

/** The files written into each figure folder. */
export const FIGURE_FILES = ['config.json', 'data.json', 'data.csv', 'figure.svg', 'figure.png', 'summary.md'] as const;

/** A progress display for one figure: `update` with the work units done so far (of `total`). */
export interface ProgressBar {
  update(done: number): void;
  stop(): void;
}
export type ProgressFactory = (figure: FigureName, total: number) => ProgressBar;

export interface ReproduceOptions {
  figures: readonly FigureName[];
  mode: Mode;
  /** seeds per figure (default: the mode's settings, 5 for the full run). */
  seeds?: number;
  /** the report folder. */
  out: string;
  progress?: ProgressFactory;
  /** replaces the mode's settings (tests, experiments). */
  settings?: Settings;
  /** the command line recorded in config.json and the report. */
  command?: string;
}

/** What one figure produced. */
export interface FigureReport {
  name: FigureName;
  dir: string;
  verdicts: Verdict[];
  seconds: number;
}

export interface ReproduceResult {
  figures: FigureReport[];
  /** figures whose recipe threw, with the message (their folders are not written). */
  failed: { name: FigureName; error: string }[];
  seconds: number;
  indexPath: string;
}

/** The config.json of a figure: everything needed to rerun it, and how long it took. */
export interface FigureConfig {
  figure: FigureName;
  title: string;
  mode: Mode;
  seeds: number[];
  settings: unknown;
  criteria: typeof CRITERIA;
  /** the command that reruns this figure. */
  rerun: string;
  run: { command: string; node: string; started: string; seconds: number };
}

/** Renders a figure's summary.md from its verdicts; the `Result:` lines are what tests re-derive from data.json. */
export function summaryMarkdown(recipe: Pick<Recipe, 'title' | 'paperClaim'>, data: FigureData, verdicts: readonly Verdict[], description: string, seconds: number): string {
  const seedList = data.seeds.length === 1 ? `seed ${data.seeds[0]}` : `seeds ${data.seeds[0]}–${data.seeds[data.seeds.length - 1]}`;
  const lines = [
    `# ${data.figure} — ${recipe.title}`,
    '',
    `**Paper:** ${recipe.paperClaim}`,
    '',
    `**Run:** ${data.mode} mode, ${data.seeds.length} ${data.seeds.length === 1 ? 'seed' : 'seeds'} (${seedList}), ${seconds.toFixed(1)} s. ${description}`,
    '',
    'Criteria were fixed before any result was seen (`src/experiments/settings.ts`, CRITERIA); the verdicts below are computed from `data.json`.',
  ];
  verdicts.forEach((v, i) => {
    lines.push('', `## Claim ${i + 1}: ${v.claim}`, '', `- Criterion: ${v.criterion}.`, `- Measured: ${v.measured}.`, `- Result: ${v.held ? 'held' : 'not held'}`);
  });
  if (data.events.length > 0) lines.push('', '## Events', '', ...data.events.map((e) => `- ${e}`));
  return `${lines.join('\n')}\n`;
}

/** The `Result:` lines of a summary, in order (true = held). */
export function summaryResults(md: string): boolean[] {
  return [...md.matchAll(/^- Result: (held|not held)$/gm)].map((m) => m[1] === 'held');
}

/**
 * The figure spec with room for long legend labels (model names such as `L-SAE-CNN (gaussian)`):
 * the shared plot config truncates labels at Vega-Lite's default 160 px.
 */
function withLongLabels(spec: TopLevelSpec): TopLevelSpec {
  const config = (spec as { config?: Config }).config ?? {};
  return { ...spec, config: { ...config, legend: { ...config.legend, labelLimit: 320, titleLimit: 320 } } } as TopLevelSpec;
}

async function runFigure(name: FigureName, opts: ReproduceOptions, settings: Settings, started: number): Promise<FigureReport> {
  const recipe = RECIPES[name] as Recipe<unknown>;
  const s = settings[name] as { seeds: number };
  const seedCount = opts.seeds ?? s.seeds;
  const figureSettings = { ...s, seeds: seedCount };
  const seeds = Array.from({ length: seedCount }, (_, k) => k + 1);
  const total = recipe.work(figureSettings);
  const bar = opts.progress?.(name, total);
  let done = 0;
  const t0 = performance.now();
  let data: FigureData;
  try {
    data = recipe.run(figureSettings, opts.mode, seeds, structuredClone(CRITERIA), (n) => {
      done += n;
      bar?.update(done);
    });
  } finally {
    bar?.stop();
  }
  const verdicts = recipe.judge(data);
  const spec = withLongLabels(recipe.figure(data));
  const dir = join(opts.out, name);
  mkdirSync(dir, { recursive: true });
  await writeFigure(dir, spec);
  const seconds = (performance.now() - t0) / 1000;
  const quick = opts.mode === 'quick' ? ' --quick' : '';
  const config: FigureConfig = {
    figure: name,
    title: recipe.title,
    mode: opts.mode,
    seeds,
    settings: figureSettings,
    criteria: data.criteria,
    rerun: `saeno reproduce ${name}${quick} --seeds ${seedCount}`,
    run: { command: opts.command ?? `saeno reproduce ${opts.figures.join(' ')}${quick}`, node: process.version, started: new Date(started).toISOString(), seconds },
  };
  await writeFileAtomic(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  await writeFileAtomic(join(dir, 'data.json'), `${JSON.stringify(data)}\n`);
  await writeFileAtomic(join(dir, 'data.csv'), csvOf(data));
  await writeFileAtomic(join(dir, 'summary.md'), summaryMarkdown(recipe, data, verdicts, recipe.describe(figureSettings), seconds));
  return { name, dir, verdicts, seconds };
}

/**
 * The report page over every figure folder present in `out` (also those of earlier runs), with
 * the claims table re-derived from each folder's data.json.
 */
export async function writeIndex(out: string, intro: string): Promise<string> {
  const figures: FigureEntry[] = [];
  const claims: Claim[] = [];
  const skipped: string[] = [];
  for (const name of FIGURES) {
    const dir = join(out, name);
    if (!FIGURE_FILES.every((f) => existsSync(join(dir, f)))) continue;
    const recipe = RECIPES[name] as Recipe<unknown>;
    let data: FigureData;
    let config: FigureConfig;
    let verdicts: Verdict[];
    try {
      data = JSON.parse(readFileSync(join(dir, 'data.json'), 'utf8')) as FigureData;
      config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as FigureConfig;
      verdicts = recipe.judge(data);
    } catch (e) {
      // a folder left by another saeno version: say so rather than fail the whole page
      skipped.push(`${name} (${e instanceof Error ? e.message : String(e)})`);
      continue;
    }
    for (const v of verdicts) claims.push({ claim: v.claim, number: v.number, held: v.held, figure: name });
    figures.push({
      name,
      title: `${recipe.title} — ${config.mode}, ${config.seeds.length} seeds, ${config.run.seconds.toFixed(0)} s`,
      summaryMd: readFileSync(join(dir, 'summary.md'), 'utf8').replace(/^# .*\n/, ''),
      links: ['figure.png', 'data.json', 'data.csv', 'config.json', 'summary.md'].map((f) => ({ label: f, href: `${name}/${f}` })),
    });
  }
  const note = skipped.length > 0 ? `\n\nFolders not shown (unreadable or from another version): ${skipped.join('; ')}.` : '';
  const html = buildIndexHtml({ title: 'saeno — reproducing "Sparse Autoencoder Neural Operators"', introMd: intro + note, figures, claims });
  const path = join(out, 'index.html');
  await writeFileAtomic(path, html);
  return path;
}

/**
 * Runs the requested figures in order and writes the report. A recipe that throws is reported
 * in `failed` (its folder is left as it was) and the others still run.
 */
export async function reproduce(opts: ReproduceOptions): Promise<ReproduceResult> {
  const started = Date.now();
  const settings = opts.settings ?? settingsFor(opts.mode);
  if (opts.seeds !== undefined && !(Number.isInteger(opts.seeds) && opts.seeds >= 1)) throw new RangeError(`reproduce: seeds must be a positive integer, got ${opts.seeds}`);
  mkdirSync(opts.out, { recursive: true });
  const figures: FigureReport[] = [];
  const failed: ReproduceResult['failed'] = [];
  for (const name of opts.figures) {
    try {
      figures.push(await runFigure(name, opts, settings, started));
    } catch (e) {
      failed.push({ name, error: e instanceof Error ? e.message : String(e) });
    }
  }
  const seconds = (Date.now() - started) / 1000;
  const quick = opts.mode === 'quick' ? ' --quick' : '';
  const intro = [
    `Generated by \`${opts.command ?? `saeno reproduce${quick}`}\` (${opts.mode} mode) on ${new Date(started).toISOString()}; this run took ${seconds.toFixed(0)} s (${figures.map((f) => `${f.name} ${f.seconds.toFixed(0)} s`).join(', ')}).`,
    '',
    'Each verdict applies a criterion fixed in advance (`src/experiments/settings.ts`) to the data in the figure folder; a claim that did not reproduce is reported as not held, with its numbers.',
  ].join('\n');
  const indexPath = await writeIndex(opts.out, intro);
  return { figures, failed, seconds, indexPath };
}
