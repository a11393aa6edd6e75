/**
 * The explorer page: the settings form, the buttons, and the plots drawn from the worker's
 * snapshots. All computation happens in the worker (worker.ts), so the page stays responsive.
 */
import { drawPlot, type Series } from './plot.js';
import { ARCHS, DEFAULT_SETTINGS, EVAL_COUNT, FACTORS, type Arch, type DictionaryView, type FromWorker, type ReadyInfo, type ResolutionView, type Settings, type Snapshot, type ToWorker } from './protocol.js';

const COLOR: Record<Arch, string> = { fno: '#2563eb', cnn: '#ea580c' };
const CONCEPT_COLORS = ['#0f766e', '#a21caf', '#ca8a04', '#dc2626', '#4f46e5', '#65a30d', '#0891b2', '#be185d'];
const TRUTH = '#111';
const conceptColor = (c: number) => CONCEPT_COLORS[c % CONCEPT_COLORS.length];

function el<T extends HTMLElement>(selector: string, root: ParentNode = document): T {
  const found = root.querySelector<T>(selector);
  if (!found) throw new Error(`explorer: missing element ${selector}`);
  return found;
}

// ---- settings form ----------------------------------------------------------------------------

type Kind = 'text' | 'number' | 'bool';
const FIELDS: { group: keyof Settings; name: string; kind: Kind }[] = [
  ...(['family', 'sparsity'] as const).map((name) => ({ group: 'data' as const, name, kind: 'text' as const })),
  ...(['concepts', 'p', 'noise', 'N0', 'seed'] as const).map((name) => ({ group: 'data' as const, name, kind: 'number' as const })),
  ...(['fno', 'cnn', 'lifted'] as const).map((name) => ({ group: 'model' as const, name, kind: 'bool' as const })),
  ...(['liftWidth', 'iters', 'lambda', 'modes', 'kernelSize'] as const).map((name) => ({ group: 'model' as const, name, kind: 'number' as const })),
  { group: 'model', name: 'grad', kind: 'text' },
  ...(['lr', 'batch', 'maxSteps'] as const).map((name) => ({ group: 'train' as const, name, kind: 'number' as const })),
];

const form = el<HTMLFormElement>('#settings');
const input = (name: string) => form.elements.namedItem(name) as HTMLInputElement;

function readForm(): Settings {
  const s = structuredClone(DEFAULT_SETTINGS) as unknown as Record<string, Record<string, unknown>>;
  for (const f of FIELDS) {
    const i = input(f.name);
    s[f.group][f.name] = f.kind === 'bool' ? i.checked : f.kind === 'number' ? Number(i.value) : i.value;
  }
  return s as unknown as Settings;
}

function writeForm(settings: Settings): void {
  const s = settings as unknown as Record<string, Record<string, unknown>>;
  for (const f of FIELDS) {
    const i = input(f.name);
    const v = s[f.group][f.name];
    if (f.kind === 'bool') i.checked = Boolean(v);
    else i.value = String(v);
  }
  showDependent();
}

/** Fields that only apply to one choice (p for Bernoulli data, h for lifted models). */
function showDependent(): void {
  el('[data-for="bernoulli"]').hidden = input('sparsity').value !== 'bernoulli';
  el('[data-for="lifted"]').hidden = !input('lifted').checked;
}

// ---- state --------------------------------------------------------------------------------------

let info: ReadyInfo | null = null;
let running = false;
let loss: Record<Arch, { x: number[]; y: number[] }>;
let dict: Record<Arch, { x: number[]; max: number[]; mean: number[] }>;
let dictionary: DictionaryView[] = [];
let resolutions: ResolutionView[] = [];
let factorIndex = 0;

function clearHistory(): void {
  loss = { fno: { x: [], y: [] }, cnn: { x: [], y: [] } };
  dict = { fno: { x: [], max: [], mean: [] }, cnn: { x: [], max: [], mean: [] } };
  dictionary = [];
  resolutions = [];
}
clearHistory();

function label(arch: Arch): string {
  return `${info?.settings.model.lifted ? 'L-' : ''}SAE-${arch.toUpperCase()}`;
}

// ---- worker ---------------------------------------------------------------------------------------

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
worker.addEventListener('error', (e) => {
  // an uncaught exception inside the worker is a bug, not a user error: report it loudly
  console.error(`explorer worker: ${e.message}`);
  message(`Internal error in the training worker: ${e.message}`, true);
});
const send = (msg: ToWorker, transfer: Transferable[] = []) => worker.postMessage(msg, transfer);

function message(text: string, isError = false): void {
  const m = el('#message');
  m.textContent = text;
  m.classList.toggle('error', isError);
}

function setState(state: 'ready' | 'training' | 'error'): void {
  document.body.dataset.state = state;
  el<HTMLButtonElement>('#train').disabled = !info || running;
  el<HTMLButtonElement>('#pause').disabled = !running;
  el<HTMLButtonElement>('#download').disabled = !info || running;
}

worker.onmessage = (ev: MessageEvent<FromWorker>) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'ready':
      info = msg.info;
      clearHistory();
      writeForm(info.settings);
      el('#changed').hidden = true;
      el('#truth-note').textContent = `${info.settings.data.concepts} ${info.settings.data.family} concepts, shift-max coherence ${info.coherence.toFixed(2)}`;
      buildAtomGrid(info.truth.length);
      buildScoreTable();
      message(info.loadedFrom ? `Loaded ${info.loadedFrom} (step ${info.step}).` : '');
      absorb(msg.snapshot);
      break;
    case 'snapshot':
      absorb(msg.snapshot);
      break;
    case 'status':
      running = msg.running;
      setState(!info ? 'error' : running ? 'training' : 'ready');
      el('#step').textContent = String(msg.step);
      break;
    case 'weights': {
      const url = URL.createObjectURL(new Blob([msg.bytes], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = msg.name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      message(`Saved ${msg.name}.`);
      break;
    }
    case 'error':
      // a failed reset leaves nothing to train; a failed load or a diverged run keeps the models
      setState(info ? 'ready' : 'error');
      message(msg.message, true);
      break;
  }
};

function absorb(s: Snapshot): void {
  for (const l of s.losses) {
    loss[l.arch].x.push(...l.steps);
    loss[l.arch].y.push(...l.values);
  }
  if (s.dictionary) {
    dictionary = s.dictionary;
    for (const d of s.dictionary) {
      dict[d.arch].x.push(s.step);
      dict[d.arch].max.push(d.max);
      dict[d.arch].mean.push(d.mean);
    }
  }
  if (s.resolutions) resolutions = s.resolutions;
  el('#step').textContent = String(s.step);
  if (s.stepsPerSecond > 0) el('#sps').textContent = s.stepsPerSecond.toFixed(1); // paused: keep the last rate
  const ms = s.msPerStep.filter((m) => m.ms > 0);
  if (ms.length) {
    const out = el('#ms');
    out.textContent = ms.map((m) => `${m.arch.toUpperCase()} ${m.ms.toFixed(1)}`).join(' · ');
    for (const m of ms) out.dataset[m.arch] = String(m.ms);
  }
  scheduleDraw();
}

// ---- drawing --------------------------------------------------------------------------------------

let drawPending = false;
function scheduleDraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    draw();
  });
}

function draw(): void {
  if (!info) return;
  const archs = ARCHS.filter((a) => info?.settings.model[a]);
  drawPlot(
    el('#plot-loss'),
    archs.map((a) => ({ x: loss[a].x, y: loss[a].y, color: COLOR[a], width: 1, label: label(a) })),
    { title: 'training loss ½‖x − x̂‖²', xLabel: 'step', logY: true },
  );
  drawPlot(
    el('#plot-dict'),
    archs.flatMap((a): Series[] => [
      { x: dict[a].x, y: dict[a].max, color: COLOR[a], label: label(a) },
      { x: dict[a].x, y: dict[a].mean, color: COLOR[a], dash: [4, 3], width: 1 },
    ]),
    { title: 'dictionary error: max, mean (dashed)', xLabel: 'step', logY: true },
  );
  for (const a of ARCHS) {
    const d = dictionary.find((v) => v.arch === a);
    for (const [id, v] of [[`#err-${a}`, d?.max], [`#err-${a}-mean`, d?.mean]] as const) {
      const out = el(id);
      out.textContent = v === undefined ? '–' : v.toFixed(3);
      out.dataset.value = v === undefined ? '' : String(v);
    }
  }
  drawAtoms();
  drawResolution();
}

function buildAtomGrid(C: number): void {
  const grid = el('#atom-grid');
  grid.replaceChildren(...Array.from({ length: C }, () => document.createElement('canvas')));
}

function drawAtoms(): void {
  if (!info) return;
  const N0 = info.settings.data.N0;
  const s = Array.from({ length: N0 }, (_, n) => n / N0);
  el('#atom-grid')
    .querySelectorAll('canvas')
    .forEach((canvas, c) => {
      const series: Series[] = [{ x: s, y: info!.truth[c], color: TRUTH, width: 2.5 }];
      const errs: string[] = [];
      for (const d of dictionary) {
        series.push({ x: s, y: d.aligned[c], color: COLOR[d.arch], width: 1.5 });
        errs.push(`${d.arch.toUpperCase()} ${d.perAtom[c].toFixed(2)}`);
      }
      drawPlot(canvas, series, { title: `concept ${c + 1} · ${errs.join(' · ')}`, titleColor: conceptColor(c), xRange: [0, 1] });
    });
}

function buildScoreTable(): void {
  if (!info) return;
  const body = el('#scores tbody');
  body.replaceChildren(
    ...ARCHS.filter((a) => info?.settings.model[a]).map((a) => {
      const row = document.createElement('tr');
      const head = document.createElement('th');
      head.textContent = label(a);
      head.className = a;
      row.append(head);
      for (const f of FACTORS) {
        const cell = document.createElement('td');
        cell.id = `score-${a}-${f}`;
        row.append(cell);
      }
      return row;
    }),
  );
  const what = info.score === 'one-sparse accuracy' ? '1-sparse accuracy (largest code on the right atom, within half a cell of τ)' : 'support F1 (location tolerance one N0 cell)';
  el('#score-caption').textContent =
    `${what} on ${EVAL_COUNT} held-out signals, rendered at each N from the same occurrences. Bold: read-out fitted at N0 and kept; ` +
    `in brackets: re-fitted at each N. err: ‖x − x̂‖²/‖x‖². SAE-FNO weights define functions, so they carry over to any N; ` +
    `SAE-CNN taps are samples, so its atoms shrink as N grows.`;
  for (const a of ARCHS) el(`#signal-columns [data-arch="${a}"]`).hidden = !info.settings.model[a];
}

function drawResolution(): void {
  if (!info) return;
  const factor = FACTORS[factorIndex];
  const N0 = info.settings.data.N0;
  el('#factor-label').textContent = `${factor} (N = ${N0 * factor})`;
  el('#scores thead').querySelectorAll('th[data-f]').forEach((th) => th.classList.toggle('current', Number((th as HTMLElement).dataset.f) === factor));
  for (const r of resolutions) {
    for (const sc of r.scores) {
      const cell = document.getElementById(`score-${sc.arch}-${r.factor}`);
      if (!cell) continue;
      cell.innerHTML = `<b>${sc.score.toFixed(2)}</b> <span class="refit">(${sc.refit.toFixed(2)})</span><br><span class="err">err ${sc.relError.toFixed(3)}</span>`;
      Object.assign(cell.dataset, { score: String(sc.score), refit: String(sc.refit), relError: String(sc.relError) });
      cell.classList.toggle('current', r.factor === factor);
    }
  }
  const view = resolutions.find((r) => r.factor === factor);
  if (!view) return;
  const s = Array.from({ length: view.N }, (_, n) => n / view.N);
  const C = info.settings.data.concepts;
  for (const m of view.models) {
    const column = el(`#signal-columns [data-arch="${m.arch}"]`);
    drawPlot(
      el('canvas.signal', column),
      [
        { x: s, y: view.x, color: '#9ca3af', width: 3, label: 'signal' },
        { x: s, y: m.reconstruction, color: COLOR[m.arch], width: 1.5, label: 'reconstruction' },
      ],
      { title: `${label(m.arch)} at N = ${view.N}`, xRange: [0, 1] },
    );
    const codes: Series[] = [];
    for (let j = 0; j < C; j++) {
      const c = m.conceptOfAtom[j];
      codes.push({ x: s, y: m.codes.subarray(j * view.N, (j + 1) * view.N), color: c >= 0 ? conceptColor(c) : '#999', stem: true, width: 1.5 });
    }
    drawPlot(el('canvas.codes', column), codes, { title: `codes z (${m.arch === 'fno' ? 'mass' : 'height'} units), coloured by matched concept`, xRange: [0, 1], xLabel: 's = n/N' });
  }
}

// ---- controls -----------------------------------------------------------------------------------------

el('#train').addEventListener('click', () => send({ type: 'train' }));
el('#pause').addEventListener('click', () => send({ type: 'pause' }));
el('#reset').addEventListener('click', () => {
  running = false;
  info = null;
  setState('ready');
  message('');
  send({ type: 'reset', settings: readForm() });
});
el('#download').addEventListener('click', () => send({ type: 'export' }));
el<HTMLInputElement>('#load').addEventListener('change', async (ev) => {
  const file = (ev.target as HTMLInputElement).files?.[0];
  if (!file) return;
  const bytes = await file.arrayBuffer();
  send({ type: 'import', bytes, name: file.name }, [bytes]);
  (ev.target as HTMLInputElement).value = '';
});
el<HTMLInputElement>('#factor').addEventListener('input', (ev) => {
  factorIndex = Number((ev.target as HTMLInputElement).value);
  scheduleDraw();
});
el<HTMLInputElement>('#sample').addEventListener('change', (ev) => send({ type: 'sample', index: Number((ev.target as HTMLInputElement).value) }));
form.addEventListener('input', () => {
  showDependent();
  el('#changed').hidden = false;
});
window.addEventListener('resize', scheduleDraw);

el<HTMLInputElement>('#sample').max = String(EVAL_COUNT - 1);
writeForm(DEFAULT_SETTINGS);
send({ type: 'reset', settings: readForm() });
