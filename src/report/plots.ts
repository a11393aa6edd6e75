/**
 * Figure builders: plain data rows in, Vega-Lite specs out (rendered by `render.ts` in Node, or by
 * vega-embed in a browser). Pure and browser-safe: only Vega-Lite *types* are imported.
 */
import type { Config, TopLevelSpec } from 'vega-lite';
import { ReportError } from './errors.js';

/** One cell of a data row. */
export type Value = string | number | boolean | null;
/** One data row (a record of named cells), as Vega-Lite consumes it. */
export type Row = Readonly<Record<string, Value>>;
/** Axis scale: `log` for quantities whose values span decades (errors, losses). */
export type ScaleKind = 'linear' | 'log';
/** A data field and the title shown on its axis, legend or facet header. */
export interface Field {
  field: string;
  title: string;
}
/** A quantitative axis: field, title and scale (default `linear`). */
export interface AxisField extends Field {
  scale?: ScaleKind;
}
/** Names of the fields holding the lower and upper end of a spread (band or error bar). */
export interface Spread {
  lo: string;
  hi: string;
}
/** Fixed colours per series value (`{ 'SAE-FNO': '#4c78a8' }`), so a model keeps its colour across figures. */
export type Colors = Readonly<Record<string, string>>;

/** Font stack of every figure; `render.ts` loads DejaVu Sans by file so PNG text does not depend on the host. */
export const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const CONFIG: Config = {
  font: FONT,
  background: 'white',
  title: { fontSize: 15, anchor: 'middle' },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' },
  header: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: 'normal' },
};
const SPREAD: Spread = { lo: 'lo', hi: 'hi' };

/** Options of {@link lineWithBand}. Rows: one per (x, series[, dash]) with the mean in `y.field` and the spread in `band`. */
export interface LineWithBandOptions {
  title: string;
  x: AxisField;
  /** The mean curve's field (e.g. `mean`); `scale: 'log'` when the values span decades. */
  y: AxisField;
  /** Colour grouping (e.g. the model); a bare string is used as field and title. */
  series: string | Field;
  /** Optional second grouping drawn as a dash pattern (e.g. smooth vs non-smooth concepts). */
  dash?: string | Field;
  /** Fields of the shaded spread across seeds (min–max or mean±std, computed by the caller); default `lo`/`hi`. */
  band?: Spread;
  data: readonly Row[];
  colors?: Colors;
  /** Plot area in px; default 480×300. */
  width?: number;
  height?: number;
}

/**
 * Mean curve per series with a shaded band (the spread across seeds), e.g. dictionary error vs
 * training step. Throws {@link ReportError} on missing or non-finite numbers, and on values ≤ 0 on a
 * log axis (the caller decides how to floor them; a silent clamp would misreport the data).
 */
export function lineWithBand(o: LineWithBandOptions): TopLevelSpec {
  const fn = 'lineWithBand';
  const series = asField(o.series);
  const dash = o.dash === undefined ? undefined : asField(o.dash);
  const band = o.band ?? SPREAD;
  checkRows(fn, o.data, {
    numbers: [o.x.field, o.y.field, band.lo, band.hi],
    positive: [...logFields(o.x), ...(o.y.scale === 'log' ? [o.y.field, band.lo, band.hi] : [])],
    present: [series.field, ...(dash ? [dash.field] : [])],
  });
  const x = quantitative(o.x);
  const yScale = scaleOf(o.y.scale);
  const color = {
    field: series.field,
    type: 'nominal' as const,
    title: series.title,
    scale: colorScale(o.colors),
    legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolOpacity: 1 },
  };
  const detail = dash ? { detail: { field: dash.field, type: 'nominal' as const } } : {};
  const strokeDash = dash ? { strokeDash: { field: dash.field, type: 'nominal' as const, title: dash.title } } : {};
  return top({
    title: o.title,
    width: o.width ?? 480,
    height: o.height ?? 300,
    data: { values: rowsOf(o.data) },
    layer: [
      {
        mark: { type: 'area', opacity: 0.2 },
        encoding: {
          x,
          y: { field: band.lo, type: 'quantitative', title: o.y.title, scale: yScale },
          y2: { field: band.hi },
          color,
          ...detail,
        },
      },
      {
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x,
          y: { field: o.y.field, type: 'quantitative', title: o.y.title, scale: yScale },
          color,
          ...strokeDash,
        },
      },
    ],
  });
}

/** Options of {@link barWithError}. Rows: one per (x, group[, column]) with the mean in `y.field` and the spread in `error`. */
export interface BarWithErrorOptions {
  title: string;
  /** The category axis, e.g. the inference resolution `N`; numbers are sorted ascending. */
  x: Field;
  /** The bar height (mean); `scale: 'log'` draws bars from the axis minimum. */
  y: AxisField;
  /** Bars side by side within each category, coloured (e.g. the model). */
  group: string | Field;
  /** Fields of the error bar ends; default `lo`/`hi`. */
  error?: Spread;
  /** Optional facet columns sharing the y axis (e.g. matching fitted at N0 vs re-fitted per N). */
  column?: Field;
  /** Fixed y domain, e.g. `[0, 1]` for accuracies. */
  yDomain?: readonly [number, number];
  data: readonly Row[];
  colors?: Colors;
  /** Plot area (per facet column) in px; default 480×300 without columns, 260×300 with. */
  width?: number;
  height?: number;
}

/**
 * Grouped bars with error bars for per-category numbers, e.g. 1-sparse accuracy at N0·{1,2,4} per
 * model. Throws {@link ReportError} on missing or non-finite numbers and on values ≤ 0 on a log axis.
 */
export function barWithError(o: BarWithErrorOptions): TopLevelSpec {
  const fn = 'barWithError';
  const group = asField(o.group);
  const err = o.error ?? SPREAD;
  checkRows(fn, o.data, {
    numbers: [o.y.field, err.lo, err.hi],
    positive: o.y.scale === 'log' ? [o.y.field, err.lo, err.hi] : [],
    present: [o.x.field, group.field, ...(o.column ? [o.column.field] : [])],
  });
  if (o.yDomain && !(o.yDomain[0] < o.yDomain[1])) {
    throw new ReportError(`${fn}: yDomain [${o.yDomain.join(', ')}] must be increasing`);
  }
  const scale = { ...scaleOf(o.y.scale), ...(o.yDomain ? { domain: [...o.yDomain] } : {}) };
  const x = { field: o.x.field, type: 'ordinal' as const, title: o.x.title, axis: { labelAngle: 0 } };
  // With fixed colours the bars also follow the colours' order (and the two scales' domains agree).
  const colors = colorScale(o.colors);
  const xOffset = { field: group.field, type: 'nominal' as const, ...(colors ? { scale: { domain: colors.domain } } : {}) };
  const layer = {
    width: o.width ?? (o.column ? 260 : 480),
    height: o.height ?? 300,
    layer: [
      {
        mark: { type: 'bar' as const },
        encoding: {
          x,
          xOffset,
          y: { field: o.y.field, type: 'quantitative' as const, title: o.y.title, scale, stack: null },
          color: { field: group.field, type: 'nominal' as const, title: group.title, scale: colors },
        },
      },
      {
        mark: { type: 'errorbar' as const, ticks: { size: 12 }, color: '#222' },
        encoding: {
          x,
          xOffset,
          y: { field: err.lo, type: 'quantitative' as const, title: o.y.title, scale },
          y2: { field: err.hi },
        },
      },
    ],
  };
  const data = { values: rowsOf(o.data) };
  if (!o.column) return top({ title: o.title, data, ...layer });
  return top({ title: o.title, data, facet: { column: nominalHeader(o.column, o.data) }, spec: layer });
}

/** Options of {@link signalPanels}. Rows (wide): one per sample with `s`, the row/column keys and both curves. */
export interface SignalPanelsOptions {
  title: string;
  data: readonly Row[];
  /** Location field in function units, `s = n/N ∈ [0,1)`; default `s`. */
  s?: string;
  /** Fields of the true signal and the reconstruction, and the y-axis title. */
  value: { truth: string; reconstruction: string; title: string };
  /** Facet rows, e.g. the resolution `N`. */
  row: Field;
  /** Facet columns, e.g. the model. */
  column: Field;
  /** Legend labels of the two curves; default `true signal` / `reconstruction`. */
  labels?: { truth: string; reconstruction: string };
  /** Per panel in px; default 240×110. */
  width?: number;
  height?: number;
}

/**
 * Small multiples of example signals (rows = resolution, columns = model): the true signal as a solid
 * line and the reconstruction as a dashed line over `s ∈ [0,1)`. Build rows with {@link signalRows}.
 */
export function signalPanels(o: SignalPanelsOptions): TopLevelSpec {
  const fn = 'signalPanels';
  const s = o.s ?? 's';
  const labels = o.labels ?? { truth: 'true signal', reconstruction: 'reconstruction' };
  checkRows(fn, o.data, {
    numbers: [s, o.value.truth, o.value.reconstruction],
    positive: [],
    present: [o.row.field, o.column.field],
  });
  const curveExpr = `datum.curve === ${JSON.stringify(o.value.truth)} ? ${JSON.stringify(labels.truth)} : ${JSON.stringify(labels.reconstruction)}`;
  const domain = [labels.truth, labels.reconstruction];
  return top({
    title: o.title,
    data: { values: rowsOf(o.data) },
    transform: [
      { fold: [o.value.truth, o.value.reconstruction], as: ['curve', 'value'] },
      { calculate: curveExpr, as: 'curve' },
    ],
    facet: { row: ordinalHeader(o.row), column: nominalHeader(o.column, o.data) },
    spec: {
      width: o.width ?? 240,
      height: o.height ?? 110,
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: {
        x: { field: s, type: 'quantitative', title: 's', scale: { domain: [0, 1] } },
        y: { field: 'value', type: 'quantitative', title: o.value.title },
        color: { field: 'curve', type: 'nominal', title: null, scale: { domain, range: ['#333333', '#e45756'] } },
        strokeDash: { field: 'curve', type: 'nominal', title: null, scale: { domain, range: [[1, 0], [5, 3]] } },
      },
    },
  });
}

/** Options of {@link codeSupportPanels}. Rows: one per non-zero code entry (and per true occurrence when `truth` is set). */
export interface CodeSupportPanelsOptions {
  title: string;
  data: readonly Row[];
  /** Location field in function units, `s = n/N ∈ [0,1)`; default `s`. */
  s?: string;
  /** Code magnitude, e.g. `|z|` (mass units for FNO, height units for CNN). */
  value: Field;
  /** Colour: the concept (atom) index or name. */
  concept: Field;
  /** Facet rows, e.g. the resolution `N`. */
  row: Field;
  /** Optional facet columns, e.g. the model. */
  column?: Field;
  /** Boolean field marking rows that are true occurrences `τ` (drawn as dashed vertical rules, value ignored). */
  truth?: string;
  colors?: Colors;
  /** Per panel in px; default 240×90. */
  width?: number;
  height?: number;
}

/**
 * Inferred code supports per resolution: each code entry as a stem of height `|z|` at its location
 * `s`, coloured by concept, with the true locations as dashed rules when given. Each row of panels
 * has its own y scale, because FNO codes are masses whose heights grow with N.
 */
export function codeSupportPanels(o: CodeSupportPanelsOptions): TopLevelSpec {
  const fn = 'codeSupportPanels';
  const s = o.s ?? 's';
  const present = [o.concept.field, o.row.field, ...(o.column ? [o.column.field] : [])];
  const truthRows = o.truth === undefined ? [] : o.data.filter((r) => r[o.truth as string] === true);
  const codeRows = o.truth === undefined ? o.data : o.data.filter((r) => r[o.truth as string] !== true);
  // A model may infer no non-zero code at all; that is a result to show, not an error, when τ is drawn.
  checkRows(fn, codeRows, { numbers: [s, o.value.field], positive: [], present, allowEmpty: truthRows.length > 0 });
  checkRows(fn, truthRows, { numbers: [s], positive: [], present, allowEmpty: true });
  const x = { field: s, type: 'quantitative' as const, title: 's', scale: { domain: [0, 1] } };
  const color = { field: o.concept.field, type: 'nominal' as const, title: o.concept.title, scale: colorScale(o.colors) };
  const isTruth = `datum[${JSON.stringify(o.truth ?? '')}] === true`;
  // Stems and points are drawn for every row, with truth rows at height 0 and invisible: a filter
  // would leave a panel without codes an empty (infinite) y extent.
  // '~r' keeps the degenerate axis of a panel without codes (domain [0, 0]) readable as '0'.
  const y = { field: 'codeHeight', type: 'quantitative' as const, title: o.value.title, axis: { format: '~r' } };
  const calc = [{ calculate: `${isTruth} ? 0 : datum[${JSON.stringify(o.value.field)}]`, as: 'codeHeight' }];
  const visible = { condition: { test: isTruth, value: 0 }, value: 1 };
  // True locations first, so the stems of correct codes are drawn over them.
  const layer = [
    ...(truthRows.length > 0
      ? [
          {
            transform: [{ filter: isTruth }],
            mark: { type: 'rule' as const, strokeDash: [4, 3], opacity: 0.7 },
            encoding: { x, color },
          },
        ]
      : []),
    {
      mark: { type: 'rule' as const, strokeWidth: 1.5 },
      encoding: { x, y, y2: { datum: 0 }, color, opacity: visible },
    },
    {
      mark: { type: 'point' as const, filled: true, size: 18 },
      encoding: { x, y, color, opacity: visible },
    },
  ];
  const title = truthRows.length > 0 ? { text: o.title, subtitle: 'dashed: true locations τ' } : o.title;
  return top({
    title,
    data: { values: rowsOf(o.data) },
    transform: calc,
    facet: { row: ordinalHeader(o.row), ...(o.column ? { column: nominalHeader(o.column, o.data) } : {}) },
    spec: { width: o.width ?? 240, height: o.height ?? 90, layer },
    resolve: { scale: { y: 'independent' } },
  });
}

/**
 * Samples of one example signal as wide rows for {@link signalPanels}: row `n` is
 * `{ ...keys, s: n/N, truth: truth[n], reconstruction: reconstruction[n] }` with `N = truth.length`.
 */
export function signalRows(
  keys: Row,
  truth: ArrayLike<number>,
  reconstruction: ArrayLike<number>,
): Row[] {
  const n = truth.length;
  if (reconstruction.length !== n) {
    throw new ReportError(`signalRows: truth has ${n} samples but reconstruction has ${reconstruction.length}`);
  }
  const rows: Row[] = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = { ...keys, s: i / n, truth: truth[i], reconstruction: reconstruction[i] };
  return rows;
}

/**
 * Several figures in one: each entry of `panels` is a row of the figure (stacked vertically); an
 * entry that is an array is laid out side by side. Scales and legends stay per panel.
 */
export function concatFigure(
  panels: readonly (TopLevelSpec | readonly TopLevelSpec[])[],
  opts: { title?: string } = {},
): TopLevelSpec {
  if (panels.length === 0) throw new ReportError('concatFigure: panels is empty');
  const rows = panels.map((p, i) => {
    if (!Array.isArray(p)) return inner(p as TopLevelSpec);
    if (p.length === 0) throw new ReportError(`concatFigure: panels[${i}] is an empty row`);
    return p.length === 1 ? inner(p[0]) : { hconcat: p.map(inner), resolve: INDEPENDENT };
  });
  const body = rows.length === 1 ? rows[0] : { vconcat: rows, resolve: INDEPENDENT, spacing: 30 };
  return top({ ...(opts.title ? { title: opts.title } : {}), ...body } as Record<string, unknown>);
}

/** Concatenated panels keep their own non-positional scales and legends (Vega-Lite would union them). */
const OWN = 'independent' as const;
const INDEPENDENT = {
  scale: { color: OWN, strokeDash: OWN, shape: OWN, size: OWN, opacity: OWN, xOffset: OWN },
  legend: { color: OWN, strokeDash: OWN, shape: OWN, size: OWN, opacity: OWN },
};

/** A builder's spec without its top-level-only properties, ready to sit inside a concat. */
function inner(spec: TopLevelSpec): object {
  const { $schema: _s, config: _c, background: _b, ...rest } = spec;
  return rest;
}

function top(spec: Record<string, unknown>): TopLevelSpec {
  return { $schema: SCHEMA, config: CONFIG, ...spec } as TopLevelSpec;
}

function asField(f: string | Field): Field {
  return typeof f === 'string' ? { field: f, title: f } : f;
}

function scaleOf(kind: ScaleKind | undefined): { type: 'log'; nice: boolean } | { zero: boolean } {
  return kind === 'log' ? { type: 'log', nice: false } : { zero: false };
}

function logFields(a: AxisField): string[] {
  return a.scale === 'log' ? [a.field] : [];
}

function quantitative(a: AxisField) {
  return { field: a.field, type: 'quantitative' as const, title: a.title, scale: scaleOf(a.scale) };
}

function colorScale(colors: Colors | undefined): { domain: string[]; range: string[] } | undefined {
  if (!colors) return undefined;
  const domain = Object.keys(colors);
  return { domain, range: domain.map((k) => colors[k]) };
}

/** Facet columns keyed by names (models) keep the order of first appearance in `rows` (Vega-Lite would sort them). */
function nominalHeader(f: Field, rows: readonly Row[]) {
  const order = [...new Set(rows.map((r) => r[f.field]))] as (string | number | boolean)[];
  return { field: f.field, type: 'nominal' as const, title: f.title, sort: order };
}

/** Facet rows keyed by numbers (resolutions) sort numerically as `ordinal`. */
function ordinalHeader(f: Field) {
  return { field: f.field, type: 'ordinal' as const, title: f.title, header: { labelAngle: 0 } };
}

/** A shallow copy per row, so later mutation of the caller's rows cannot change a built spec. */
function rowsOf(rows: readonly Row[]): Record<string, Value>[] {
  return rows.map((r) => ({ ...r }));
}

/** Field names Vega-Lite would read as nested paths (`a.b`, `a[0]`) are rejected rather than escaped. */
const PATH_CHARS = /[.[\]\\]/;

/**
 * Checks that every row has a finite number in each `numbers` field (> 0 for `positive`, i.e. on a
 * log axis) and a non-null value in each `present` field. Throws {@link ReportError} naming the row.
 */
function checkRows(
  fn: string,
  rows: readonly Row[],
  need: { numbers: string[]; positive: string[]; present: string[]; allowEmpty?: boolean },
): void {
  if (rows.length === 0 && !need.allowEmpty) throw new ReportError(`${fn}: data has no rows`);
  for (const f of [...need.numbers, ...need.present]) {
    if (f === '' || PATH_CHARS.test(f)) {
      throw new ReportError(`${fn}: field name '${f}' must be non-empty without '.', '[', ']' or '\\'`);
    }
  }
  const positive = new Set(need.positive);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    for (const f of need.numbers) {
      const v = r[f];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new ReportError(`${fn}: data[${i}].${f} = ${String(v)} is not a finite number`);
      }
      if (positive.has(f) && v <= 0) {
        throw new ReportError(`${fn}: data[${i}].${f} = ${v} is not > 0, as its log-scale axis needs`);
      }
    }
    for (const f of need.present) {
      if (r[f] === undefined || r[f] === null) throw new ReportError(`${fn}: data[${i}].${f} is missing`);
    }
  }
}
