// Renderer: SVG from Vega-Lite (strict about warnings), PNG via resvg with the expected pixel size,
// text actually drawn (fonts found), XML parse check that can fail, atomic figure files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { lineWithBand, type Row } from '../../src/report/plots.js';
import {
  DEFAULT_PNG_SCALE,
  FONT_FILES,
  availableFonts,
  compileSpec,
  pngSize,
  renderPng,
  renderSvg,
  svgSize,
  writeFigure,
} from '../../src/report/render.js';
import { ReportError } from '../../src/report/errors.js';

function spec(): TopLevelSpec {
  const data: Row[] = [];
  for (const model of ['A', 'B']) {
    for (let k = 0; k <= 10; k++) {
      const mean = (model === 'A' ? 1 : 0.2) * 0.5 ** k;
      data.push({ step: k, model, mean, lo: 0.8 * mean, hi: 1.25 * mean });
    }
  }
  return lineWithBand({
    title: 'error vs step',
    x: { field: 'step', title: 'step' },
    y: { field: 'mean', title: 'error', scale: 'log' },
    series: 'model',
    data,
  });
}

const TEXT_SVG = (text: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40" fill="white"/>` +
  `<text x="4" y="28" font-family="sans-serif" font-size="20" fill="black">${text}</text></svg>`;

test('renderPng: PNG signature and pixel size = scale × SVG size, or the asked width', async () => {
  const svg = await renderSvg(spec());
  const size = svgSize(svg);
  // Vega sizes SVGs in whole px, so the zoomed PNG size is exact.
  assert.ok(Number.isInteger(size.width) && Number.isInteger(size.height));
  const png = renderPng(svg);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(png.length > 10_000, `png has ${png.length} bytes`);
  assert.deepEqual(pngSize(png), { width: DEFAULT_PNG_SCALE * size.width, height: DEFAULT_PNG_SCALE * size.height });
  // Fitting to a width: the height follows the aspect ratio, up to resvg's rounding to a whole pixel.
  const fitted = pngSize(renderPng(svg, { width: 800 }));
  assert.equal(fitted.width, 800);
  assert.ok(Math.abs(fitted.height - (size.height * 800) / size.width) <= 1, `height ${fitted.height}`);
  assert.throws(() => renderPng(svg, { width: 0 }), ReportError);
  assert.throws(() => renderPng(svg, { scale: -1 }), ReportError);
});

test('fonts: DejaVu Sans is loaded by path, text is drawn, and the PNG is reproducible', () => {
  assert.deepEqual(availableFonts(), [...FONT_FILES], 'install the Debian package fonts-dejavu-core');
  const hello = renderPng(TEXT_SVG('Hello'));
  const blank = renderPng(TEXT_SVG(''));
  // Without a usable font resvg silently skips text, and the two images would be byte-identical.
  assert.notDeepEqual(hello, blank);
  assert.deepEqual(renderPng(TEXT_SVG('Hello')), hello);
  // An explicit list without existing files falls back to system fonts rather than failing.
  assert.ok(pngSize(renderPng(TEXT_SVG('Hello'), { fontFiles: ['/nonexistent.ttf'] })).width > 0);
});

test('svgSize parses strictly: mismatched tags, bare & and non-SVG are errors', () => {
  assert.deepEqual(svgSize(TEXT_SVG('a &amp; b')), { width: 120, height: 40 });
  assert.throws(() => svgSize('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><g></svg>'), ReportError);
  assert.throws(() => svgSize(TEXT_SVG('a & b')), /does not parse/);
  assert.throws(() => svgSize('hello'), ReportError);
});

test('pngSize reads IHDR and rejects non-PNG bytes', () => {
  assert.throws(() => pngSize(new Uint8Array(30)), /not a PNG/);
  assert.throws(() => pngSize(new TextEncoder().encode('<svg/>')), ReportError);
});

test('renderSvg is strict about Vega-Lite warnings unless told otherwise; compile errors are ReportErrors', async () => {
  // A tick mark cannot use y2: Vega-Lite drops it with a warning.
  const warned = {
    data: { values: [{ a: 1, b: 2, c: 3 }] },
    mark: 'tick',
    encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' }, y2: { field: 'c' } },
  } as TopLevelSpec;
  const { warnings } = await compileSpec(warned);
  assert.equal(warnings.length, 1);
  await assert.rejects(renderSvg(warned), (e: Error) => e instanceof ReportError && /y2 dropped/.test(e.message));
  assert.ok(svgSize(await renderSvg(warned, { strict: false })).width > 0);
  const broken = { data: { values: [] }, mark: 'nonsense' } as unknown as TopLevelSpec;
  await assert.rejects(compileSpec(broken), (e: Error) => e instanceof ReportError && /Vega-Lite rejected/.test(e.message));
});

test('writeFigure writes figure.svg and figure.png atomically (no temporary files left), overwriting', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'saeno-report-'));
  try {
    const out = join(dir, 'fig2a');
    await writeFigure(out, spec()); // warm-up: first import and compile of vega-lite
    const f = await writeFigure(out, spec());
    t.diagnostic(`writeFigure (warm): ${f.ms.toFixed(0)} ms, PNG ${f.width}×${f.height}`);
    assert.deepEqual(readdirSync(out).sort(), ['figure.png', 'figure.svg']);
    const svg = readFileSync(f.svgPath, 'utf8');
    const png = new Uint8Array(readFileSync(f.pngPath));
    const size = svgSize(svg);
    assert.deepEqual(pngSize(png), { width: f.width, height: f.height });
    assert.deepEqual({ width: f.width, height: f.height }, { width: 2 * size.width, height: 2 * size.height });
    for (const text of ['error vs step', 'step', 'error', 'A', 'B']) assert.ok(svg.includes(`>${text}</text>`), text);
    // A single small figure renders well within a second once warm; 3 s leaves room for a busy CI core.
    assert.ok(f.ms < 3000, `${f.ms} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
