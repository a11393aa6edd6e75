// Plot builders: each spec compiles without Vega-Lite warnings, renders to SVG that parses and shows
// the titles/labels it was given, uses the requested scales, and bad data is rejected by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TopLevelSpec } from 'vega-lite';
import {
  barWithError,
  codeSupportPanels,
  concatFigure,
  lineWithBand,
  signalPanels,
  signalRows,
  type Row,
} from '../../src/report/plots.js';
import { compileSpec, renderSvg, svgSize } from '../../src/report/render.js';
import { ReportError } from '../../src/report/errors.js';

/** Compiles (asserting no warnings), renders strictly, and checks the SVG parses as XML. */
async function rendered(spec: TopLevelSpec): Promise<{ vega: object; svg: string }> {
  const { vega, warnings } = await compileSpec(spec);
  assert.deepEqual(warnings, []);
  const svg = await renderSvg(spec);
  const size = svgSize(svg);
  assert.ok(size.width > 100 && size.height > 100, `svg size ${size.width}×${size.height}`);
  return { vega, svg };
}

/** Every `{ name, type }` scale of a compiled Vega spec, nested groups included. */
function scales(vg: unknown, out: { name: string; type?: string; domain?: unknown }[] = []) {
  if (Array.isArray(vg)) for (const v of vg) scales(v, out);
  else if (vg && typeof vg === 'object') {
    for (const [k, v] of Object.entries(vg)) {
      if (k === 'scales' && Array.isArray(v)) out.push(...v);
      else scales(v, out);
    }
  }
  return out;
}

/** A text element with exactly this content (Vega escapes &, <, > in text nodes). */
function hasText(svg: string, text: string): boolean {
  const esc = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return svg.includes(`>${esc}</text>`);
}

function curves(): Row[] {
  const rows: Row[] = [];
  for (const model of ['SAE', 'L-SAE']) {
    for (const family of ['smooth', 'box']) {
      for (let k = 0; k <= 20; k++) {
        const mean = (model === 'SAE' ? 1 : 0.1) * Math.exp(-k / 4) + 1e-5;
        rows.push({ step: 10 * k, model, family, mean, lo: 0.5 * mean, hi: 2 * mean });
      }
    }
  }
  return rows;
}

const lineOpts = {
  title: 'Dictionary error vs step',
  x: { field: 'step', title: 'training step' },
  y: { field: 'mean', title: 'dictionary error (max)', scale: 'log' as const },
  series: { field: 'model', title: 'model' },
  data: curves(),
};

test('lineWithBand: log y axis, band and line marks, titles and legend labels in the SVG', async () => {
  const { vega, svg } = await rendered(lineWithBand(lineOpts));
  const sc = scales(vega);
  assert.equal(sc.find((s) => s.name === 'y')?.type, 'log');
  assert.equal(sc.find((s) => s.name === 'x')?.type, 'linear');
  for (const t of ['Dictionary error vs step', 'training step', 'dictionary error (max)', 'model', 'SAE', 'L-SAE']) {
    assert.ok(hasText(svg, t), `missing text '${t}'`);
  }
  assert.match(svg, /class="mark-area role-mark/);
  assert.match(svg, /class="mark-line role-mark/);
});

test('lineWithBand: log x on request, linear y otherwise; dash grouping gets its own legend', async () => {
  const spec = lineWithBand({
    ...lineOpts,
    x: { field: 'step', title: 'step', scale: 'log' },
    y: { field: 'mean', title: 'error' },
    dash: { field: 'family', title: 'concepts' },
    data: curves().filter((r) => (r.step as number) > 0),
  });
  const { vega, svg } = await rendered(spec);
  const sc = scales(vega);
  assert.equal(sc.find((s) => s.name === 'x')?.type, 'log');
  assert.equal(sc.find((s) => s.name === 'y')?.type, 'linear');
  for (const t of ['concepts', 'smooth', 'box']) assert.ok(hasText(svg, t), `missing text '${t}'`);
  assert.match(svg, /stroke-dasharray/);
});

test('lineWithBand: rejects values a log axis cannot show, non-finite numbers, missing fields, path-like names', () => {
  const bad = (patch: Row, i = 3) => curves().map((r, j) => (j === i ? { ...r, ...patch } : r));
  assert.throws(() => lineWithBand({ ...lineOpts, data: bad({ lo: 0 }) }), (e: Error) => e instanceof ReportError && /data\[3\]\.lo = 0 is not > 0/.test(e.message));
  assert.throws(() => lineWithBand({ ...lineOpts, data: bad({ mean: Number.NaN }) }), /data\[3\]\.mean = NaN is not a finite number/);
  assert.throws(() => lineWithBand({ ...lineOpts, data: bad({ model: null }) }), /data\[3\]\.model is missing/);
  assert.throws(() => lineWithBand({ ...lineOpts, series: 'a.b' }), /field name 'a\.b'/);
  assert.throws(() => lineWithBand({ ...lineOpts, data: [] }), /lineWithBand: data has no rows/);
  // Zero is fine on a linear axis.
  assert.doesNotThrow(() => lineWithBand({ ...lineOpts, y: { field: 'mean', title: 'e' }, data: bad({ lo: 0 }) }));
});

function accuracies(): Row[] {
  const rows: Row[] = [];
  for (const variant of ['fitted at N0', 're-fitted']) {
    for (const model of ['SAE-FNO', 'SAE-CNN']) {
      for (const N of [64, 128, 256]) {
        const mean = model === 'SAE-FNO' ? 0.9 : (0.9 * 64) / N;
        rows.push({ N, model, variant, mean, lo: mean - 0.05, hi: Math.min(1, mean + 0.05) });
      }
    }
  }
  return rows;
}

test('barWithError: grouped bars with error bars, fixed colours and y domain, facet columns in data order', async () => {
  const colors = { 'SAE-FNO': '#4c78a8', 'SAE-CNN': '#f58518' };
  const spec = barWithError({
    title: '1-sparse accuracy',
    x: { field: 'N', title: 'resolution N' },
    y: { field: 'mean', title: 'accuracy' },
    group: { field: 'model', title: 'model' },
    column: { field: 'variant', title: 'matching' },
    yDomain: [0, 1],
    colors,
    data: accuracies(),
  });
  const { vega, svg } = await rendered(spec);
  const y = scales(vega).find((s) => s.name === 'y');
  assert.deepEqual(y?.domain, [0, 1]);
  for (const t of ['1-sparse accuracy', 'resolution N', 'accuracy', 'SAE-FNO', 'SAE-CNN', '64', '128', '256', 'fitted at N0', 're-fitted']) {
    assert.ok(hasText(svg, t), `missing text '${t}'`);
  }
  assert.ok(svg.includes('fill="#4c78a8"') && svg.includes('fill="#f58518"'), 'bar colours');
  assert.match(svg, /class="mark-rule role-mark/); // the error bars
  // Columns keep the order of first appearance: 'fitted at N0' is left of 're-fitted'.
  assert.ok(svg.indexOf('>fitted at N0<') < svg.indexOf('>re-fitted<'));
});

test('barWithError: log y without facets; rejects a decreasing y domain', async () => {
  const opts = {
    title: 'reconstruction error',
    x: { field: 'N', title: 'N' },
    y: { field: 'mean', title: 'relative error', scale: 'log' as const },
    group: 'model',
    data: accuracies().filter((r) => r.variant === 're-fitted'),
  };
  const { vega } = await rendered(barWithError(opts));
  assert.equal(scales(vega).find((s) => s.name === 'y')?.type, 'log');
  assert.throws(() => barWithError({ ...opts, yDomain: [1, 0] }), /yDomain \[1, 0\] must be increasing/);
});

test('signalRows: s = n/N and both curves per sample; length mismatch is an error', () => {
  const rows = signalRows({ N: 4, model: 'm' }, [1, 2, 3, 4], [0, 0, 0, 1]);
  assert.deepEqual(rows[2], { N: 4, model: 'm', s: 0.5, truth: 3, reconstruction: 0 });
  assert.throws(() => signalRows({}, [1, 2], [1]), /truth has 2 samples but reconstruction has 1/);
});

test('signalPanels: facets by resolution and model, solid truth and dashed reconstruction', async () => {
  const rows: Row[] = [];
  for (const N of [32, 64]) {
    for (const model of ['SAE-FNO', 'SAE-CNN']) {
      const truth = Array.from({ length: N }, (_, n) => Math.exp(-((n / N - 0.4) ** 2) / 0.002));
      rows.push(...signalRows({ N, model }, truth, truth.map((v) => 0.9 * v)));
    }
  }
  const spec = signalPanels({
    title: 'Example reconstructions',
    data: rows,
    value: { truth: 'truth', reconstruction: 'reconstruction', title: 'x(s)' },
    row: { field: 'N', title: 'resolution' },
    column: { field: 'model', title: 'model' },
  });
  const { svg } = await rendered(spec);
  for (const t of ['Example reconstructions', 'x(s)', 's', 'resolution', '32', '64', 'SAE-FNO', 'SAE-CNN', 'true signal', 'reconstruction']) {
    assert.ok(hasText(svg, t), `missing text '${t}'`);
  }
  assert.match(svg, /stroke-dasharray="5,3"/);
  assert.ok(svg.indexOf('>SAE-FNO<') < svg.indexOf('>SAE-CNN<'), 'columns in data order');
});

test('codeSupportPanels: stems coloured by concept, true locations dashed, one y scale per row', async () => {
  const rows: Row[] = [];
  for (const N of [32, 128]) {
    for (let c = 0; c < 3; c++) {
      const tau = (c + 1) / 4;
      rows.push({ N, concept: `c${c}`, s: tau, z: (c + 1) * N, truth: false });
      rows.push({ N, concept: `c${c}`, s: tau, z: 0, truth: true });
    }
  }
  const spec = codeSupportPanels({
    title: 'Inferred code supports',
    data: rows,
    value: { field: 'z', title: '|z|' },
    concept: { field: 'concept', title: 'concept' },
    row: { field: 'N', title: 'N' },
    truth: 'truth',
  });
  const { svg } = await rendered(spec);
  for (const t of ['Inferred code supports', 'dashed: true locations τ', '|z|', 'concept', 'c0', 'c1', 'c2', '32', '128']) {
    assert.ok(hasText(svg, t), `missing text '${t}'`);
  }
  assert.match(svg, /stroke-dasharray="4,3"/);
  // Independent y per row: row N=32 tops out at 3·32 = 96 (ticks 0, 50, 100), row N=128 at
  // 3·128 = 384 (ticks up to 400). A shared scale would give one tick set, without '50'.
  assert.ok(hasText(svg, '50') && hasText(svg, '400'), 'per-row y ticks');
  // A resolution (or a whole model) without any inferred code still gets its panel when the true
  // locations are shown: no warning about an empty y extent.
  await rendered(codeSupportPanels(codeOpts(rows.filter((r) => r.truth === true || r.N === 32))));
  await rendered(codeSupportPanels(codeOpts(rows.filter((r) => r.truth === true))));
  assert.throws(() => codeSupportPanels(codeOpts([])), /codeSupportPanels: data has no rows/);
});

function codeOpts(data: Row[]) {
  return {
    title: 't',
    data,
    value: { field: 'z', title: '|z|' },
    concept: { field: 'concept', title: 'concept' },
    row: { field: 'N', title: 'N' },
    truth: 'truth',
  };
}

test('concatFigure: panels keep their own legends (dash legend survives next to other dashed panels)', async () => {
  const line = lineWithBand({ ...lineOpts, dash: { field: 'family', title: 'concepts' } });
  const bars = barWithError({
    title: 'accuracy',
    x: { field: 'N', title: 'N' },
    y: { field: 'mean', title: 'accuracy' },
    group: 'model',
    data: accuracies().filter((r) => r.variant === 're-fitted'),
  });
  const signals = signalPanels({
    title: 'signals',
    data: signalRows({ N: 8, model: 'm' }, [0, 1, 2, 3, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1, 0, 0]),
    value: { truth: 'truth', reconstruction: 'reconstruction', title: 'x' },
    row: { field: 'N', title: 'N' },
    column: { field: 'model', title: 'model' },
  });
  const { vega, svg } = await rendered(concatFigure([[bars, bars], line, signals], { title: 'Figure 3' }));
  for (const t of ['Figure 3', 'accuracy', 'Dictionary error vs step', 'signals', 'concepts', 'smooth', 'box', 'true signal']) {
    assert.ok(hasText(svg, t), `missing text '${t}'`);
  }
  // The line chart's dashes and the signals' dashes are two scales; a shared one would merge domains.
  assert.equal(scales(vega).filter((s) => s.name.endsWith('strokeDash')).length, 2);
  assert.throws(() => concatFigure([]), /concatFigure: panels is empty/);
  assert.throws(() => concatFigure([[]]), /panels\[0\] is an empty row/);
});
