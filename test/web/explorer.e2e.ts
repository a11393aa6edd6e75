/**
 * End-to-end test of the explorer (web/) in headless Debian Chromium via playwright-core:
 * builds the static site, serves it on 127.0.0.1, trains until the displayed dictionary
 * errors fall below DICT_ERROR_THRESHOLD, moves the resolution slider, checks every shown
 * number, round-trips the weights through a .safetensors download and upload, and saves a
 * screenshot. Any console error or page error fails the test. Then the same engine and
 * settings run in Node, and both steps/s figures are printed.
 * Run: node --import tsx --test test/web/explorer.e2e.ts   (CHROMIUM=/path overrides the browser)
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { Engine } from '../../web/src/engine.js';
import { DEFAULT_SETTINGS } from '../../web/src/protocol.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'web', 'dist');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/**
 * Training must bring the MEAN dictionary error of both models below this within
 * TRAIN_BUDGET_MS. Random atoms score ≈ 0.9 against the concepts (near-orthogonal after the
 * best shift). With the defaults, seeds 1–5 all get below 0.5 within 125–175 steps (3–5 s in
 * Chromium) and level off at 0.23–0.41 (measured in Node over 600 steps); the max over concepts
 * levels off at 0.3–0.6, too close to any fixed bound to test. A mean of 0.5 means the typical
 * concept is matched by an atom with |cosine| ≈ 0.87 after the best shift: the concepts are found.
 */
const DICT_ERROR_THRESHOLD = 0.5;
const TRAIN_BUDGET_MS = 90_000;
/** Training goes on this long after the threshold, to measure steps/s over a steady stretch. */
const MEASURE_MS = 5_000;

function median(v: number[]): number {
  const s = v.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : NaN;
}

const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json' };

/**
 * A static file server for `dir` under the sub-folder `mount` on 127.0.0.1 and a free port:
 * serving from a sub-folder checks that the build uses relative URLs only (base './').
 */
async function serve(dir: string, mount: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (!path.startsWith(mount)) {
      res.writeHead(404).end();
      return;
    }
    let file = resolve(dir, `.${path.slice(mount.length - 1)}`);
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  assert.ok(addr && typeof addr === 'object');
  return { server, url: `http://127.0.0.1:${addr.port}${mount}` };
}

async function num(page: Page, selector: string, attr = 'value'): Promise<number> {
  const v = await page.locator(selector).getAttribute(`data-${attr}`);
  return v === null || v === '' ? NaN : Number(v);
}

/** The resolution table: per model and factor, score, refit score and relative error. */
async function scores(page: Page): Promise<Record<string, { score: number; refit: number; relError: number }>> {
  const out: Record<string, { score: number; refit: number; relError: number }> = {};
  for (const arch of ['fno', 'cnn']) {
    for (const f of [1, 2, 4]) {
      const id = `#score-${arch}-${f}`;
      out[`${arch}×${f}`] = { score: await num(page, id, 'score'), refit: await num(page, id, 'refit'), relError: await num(page, id, 'rel-error') };
    }
  }
  return out;
}

test('explorer: trains to the truth in Chromium, runs at 2× and 4× N0, round-trips weights', { timeout: 300_000 }, async () => {
  await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'warn' });
  assert.ok(existsSync(join(DIST, 'index.html')), 'vite build wrote web/dist/index.html');
  mkdirSync(ARTIFACTS, { recursive: true });
  const { server, url } = await serve(DIST, '/any/folder/');
  const profile = mkdtempSync(join(tmpdir(), 'saeno-chromium-'));
  // a fresh profile per run; the flags keep Chromium off the (closed) network
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1440, height: 1000 },
    acceptDownloads: true,
  });
  const problems: string[] = [];
  let chromiumRate = NaN;
  let chromiumMs = [NaN, NaN];
  try {
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && problems.push(`worker console: ${m.text()}`)));

    await page.goto(url);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 30_000 });
    const initial = [await num(page, '#err-fno-mean'), await num(page, '#err-cnn-mean')];
    assert.ok(initial.every((e) => e > 0.6 && e <= 1), `random initial mean dictionary errors are near 1: ${initial}`);

    // train until both models are below the threshold (bounded)
    const t0 = Date.now();
    await page.click('#train');
    await page.waitForSelector('body[data-state="training"]', { timeout: 10_000 });
    const rates: number[] = [];
    const msFno: number[] = [];
    const msCnn: number[] = [];
    let errs = initial;
    let reachedAt = NaN;
    // keep training MEASURE_MS after the threshold, so the rates are measured over a steady stretch
    while (Date.now() - t0 < TRAIN_BUDGET_MS) {
      await page.waitForTimeout(500);
      errs = [await num(page, '#err-fno-mean'), await num(page, '#err-cnn-mean')];
      const sps = Number(await page.locator('#sps').textContent());
      if (Number.isFinite(sps) && sps > 0) rates.push(sps);
      msFno.push(await num(page, '#ms', 'fno'));
      msCnn.push(await num(page, '#ms', 'cnn'));
      if (Number.isNaN(reachedAt) && errs.every((e) => e < DICT_ERROR_THRESHOLD)) reachedAt = Date.now();
      if (Date.now() - reachedAt > MEASURE_MS) break;
      if ((await page.locator('body').getAttribute('data-state')) !== 'training') break;
    }
    const seconds = (reachedAt - t0) / 1000;
    const step = Number(await page.locator('#step').textContent());
    if ((await page.locator('body').getAttribute('data-state')) === 'training') await page.click('#pause');
    await page.waitForSelector('body[data-state="ready"]', { timeout: 30_000 });
    assert.ok(Number.isFinite(reachedAt), `mean dictionary errors ${errs} below ${DICT_ERROR_THRESHOLD} within ${TRAIN_BUDGET_MS / 1000} s (step ${step})`);
    assert.ok(errs.every((e) => e < DICT_ERROR_THRESHOLD), `mean dictionary errors ${errs} stay below ${DICT_ERROR_THRESHOLD} (step ${step})`);
    chromiumRate = median(rates);
    chromiumMs = [median(msFno), median(msCnn)];
    const maxErrs = [await num(page, '#err-fno'), await num(page, '#err-cnn')];
    maxErrs.forEach((e, i) => assert.ok(e >= errs[i] && e <= 1, `max error ${e} shown, in [mean ${errs[i]}, 1]`));
    console.log(`Chromium: both mean errors < ${DICT_ERROR_THRESHOLD} after ${seconds.toFixed(1)} s; at step ${step}: max/mean FNO ${maxErrs[0].toFixed(3)}/${errs[0].toFixed(3)}, CNN ${maxErrs[1].toFixed(3)}/${errs[1].toFixed(3)}`);
    assert.ok(chromiumRate > 0, 'steps/s shown while training');
    assert.ok(chromiumMs.every((ms) => ms > 0 && ms < 1000), `ms/step per model shown: ${chromiumMs}`);

    // resolution slider: ×4, then ×2
    for (const [value, factor] of [['2', 4], ['1', 2]] as const) {
      await page.locator('#factor').fill(value);
      const want = `${factor} (N = ${DEFAULT_SETTINGS.data.N0 * factor})`;
      await page.waitForFunction((w) => document.querySelector('#factor-label')?.textContent === w, want, { timeout: 5000 });
      assert.equal(await page.locator(`#score-fno-${factor}.current`).count(), 1, 'the current resolution is highlighted');
    }
    const table = await scores(page);
    for (const [key, s] of Object.entries(table)) {
      for (const v of [s.score, s.refit]) assert.ok(v >= 0 && v <= 1, `${key}: score ${v} in [0, 1]`);
      assert.ok(Number.isFinite(s.relError) && s.relError >= 0 && s.relError < 1.5, `${key}: relative error ${s.relError} finite, in [0, 1.5)`);
    }
    // trained below the threshold, both models identify most held-out signals at N0 (measured: all 32)
    for (const arch of ['fno', 'cnn']) assert.ok(table[`${arch}×1`].score >= 0.75, `${arch} 1-sparse accuracy at N0: ${table[`${arch}×1`].score}`);
    // the paper's fig-3 claim, as shown: SAE-FNO's read-out fitted at N0 carries over to 4·N0 better than SAE-CNN's
    // (measured ≈ 0.7 vs 0), and re-fitted at 4·N0 SAE-FNO still identifies and locates ≥ 90 % (measured: all)
    assert.ok(table['fno×4'].score > table['cnn×4'].score, `fno×4 ${table['fno×4'].score} > cnn×4 ${table['cnn×4'].score}`);
    assert.ok(table['fno×4'].refit >= 0.9, `fno×4 refit ${table['fno×4'].refit}`);
    console.log(`scores (1-sparse accuracy, N0 read-out kept / refit / rel. error): ${JSON.stringify(table)}`);
    await page.screenshot({ path: join(ARTIFACTS, 'explorer.png'), fullPage: true });

    // weights: download, decode in Node, load back; the shown errors must come back unchanged
    const before = [await num(page, '#err-fno'), await num(page, '#err-cnn')];
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const saved = join(ARTIFACTS, 'explorer.safetensors');
    await download.saveAs(saved);
    const file = decodeSafetensors(readFileSync(saved), { source: saved });
    assert.equal(file.metadata.format, 'saeno-explorer/1');
    assert.deepEqual(Object.keys(file.tensors).filter((k) => !k.endsWith('lambda')).sort(), ['cnn.kernels', 'fno.weights_im', 'fno.weights_re']);
    assert.ok(Number(file.metadata.step) >= step, `file step ${file.metadata.step} ≥ ${step}`);
    await page.click('#reset');
    await page.waitForSelector('body[data-state="ready"]');
    await page.locator('#load').setInputFiles(saved);
    await page.waitForFunction(() => document.querySelector('#message')?.textContent?.startsWith('Loaded'), undefined, { timeout: 30_000 });
    const after = [await num(page, '#err-fno'), await num(page, '#err-cnn')];
    // same float32 weights, same float64 metric: equal up to round-off
    after.forEach((e, i) => assert.ok(Math.abs(e - before[i]) < 1e-9, `reloaded error ${e} equals ${before[i]}`));
    // a file that is not a weights file: a message naming it, and the loaded models stay
    await page.locator('#load').setInputFiles({ name: 'notes.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a safetensors file') });
    await page.waitForFunction(() => document.querySelector('#message.error')?.textContent?.includes('notes.safetensors'), undefined, { timeout: 10_000 });
    assert.equal(await page.locator('body').getAttribute('data-state'), 'ready', 'a bad file keeps the models');
    assert.equal(await num(page, '#err-fno'), after[0]);
  } finally {
    await context.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
  assert.deepEqual(problems, [], 'no console errors or page errors');

  // the same engine and settings in Node, for the steps/s comparison (training only, after a warm-up)
  const engine = new Engine(DEFAULT_SETTINGS);
  for (let i = 0; i < 20; i++) engine.trainStep();
  engine.takeTimings();
  const steps = 100;
  const t1 = performance.now();
  for (let i = 0; i < steps; i++) engine.trainStep();
  const nodeRate = (steps * 1000) / (performance.now() - t1);
  const nodeMs = engine.takeTimings().map((t) => t.ms);
  const fmt = (ms: number[]) => `FNO ${ms[0].toFixed(1)}, CNN ${ms[1].toFixed(1)}`;
  console.log(`one step = SAE-FNO + SAE-CNN on one batch of ${DEFAULT_SETTINGS.train.batch} at N0 = ${DEFAULT_SETTINGS.data.N0}`);
  console.log(`Chromium: ${chromiumRate.toFixed(1)} steps/s wall-clock with live metrics; training only ms/step ${fmt(chromiumMs)}`);
  console.log(`Node ${process.versions.node}: ${nodeRate.toFixed(1)} steps/s training only; ms/step ${fmt(nodeMs)}`);
});
