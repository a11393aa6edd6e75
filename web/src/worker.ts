/**
 * The training worker: owns the Engine, trains in time slices of SLICE_MS (so pause and
 * other messages are handled between slices) and posts snapshots; the page never computes.
 */
import { Engine } from './engine.js';
import { EVAL_COUNT, type FromWorker, type ReadyInfo, type Snapshot, type ToWorker } from './protocol.js';

/** Training time between two snapshots. */
const SLICE_MS = 100;
/** Dictionary error and atoms are recomputed at most this often while training (a few ms each). */
const DICTIONARY_EVERY_MS = 250;
/** The resolution panel (inference on the held-out set at N0·{1,2,4}) at most this often while training. */
const RESOLUTIONS_EVERY_MS = 2000;

const scope = self as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
};

let engine: Engine | null = null;
let running = false;
/** training runs until this step; extended by maxSteps when Train is pressed after reaching it. */
let target = 0;
let lastDictionary = 0;
let lastResolutions = 0;
/** the held-out signal shown in the resolution panel. */
let sample = 0;
/** (time, step) marks of the last ~second, for the wall-clock rate. */
let marks: [number, number][] = [];

function post(message: FromWorker, transfer?: Transferable[]): void {
  scope.postMessage(message, transfer);
}

function fail(e: unknown): void {
  running = false;
  post({ type: 'error', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  post({ type: 'status', running: false, step: engine?.step ?? 0 });
}

function rate(now: number, step: number): number {
  marks.push([now, step]);
  while (marks.length > 2 && now - marks[0][0] > 1000) marks.shift();
  const [t0, s0] = marks[0];
  return now > t0 ? ((step - s0) * 1000) / (now - t0) : 0;
}

function snapshot(e: Engine, full: boolean, now: number): Snapshot {
  const out: Snapshot = { step: e.step, losses: e.takeLosses(), stepsPerSecond: running ? rate(now, e.step) : 0, msPerStep: e.takeTimings() };
  if (full || now - lastDictionary >= DICTIONARY_EVERY_MS) {
    out.dictionary = e.dictionary();
    lastDictionary = now;
  }
  if (full || now - lastResolutions >= RESOLUTIONS_EVERY_MS) {
    out.resolutions = e.resolutions(sample);
    lastResolutions = performance.now();
  }
  return out;
}

function tick(): void {
  const e = engine;
  if (!running || !e) return;
  try {
    const t0 = performance.now();
    while (performance.now() - t0 < SLICE_MS && e.step < target) e.trainStep();
    const done = e.step >= target;
    if (done) running = false;
    post({ type: 'snapshot', snapshot: snapshot(e, done, performance.now()) });
    if (done) post({ type: 'status', running: false, step: e.step });
    else setTimeout(tick, 0);
  } catch (err) {
    fail(err);
  }
}

function ready(e: Engine, loadedFrom?: string): void {
  engine = e;
  running = false;
  target = e.step;
  marks = [];
  const info: ReadyInfo = {
    settings: e.settings,
    truth: e.truth,
    coherence: e.data.coherence,
    score: e.settings.data.sparsity === 'one-sparse' ? 'one-sparse accuracy' : 'support F1',
    loadedFrom,
    step: e.step,
  };
  post({ type: 'ready', info, snapshot: snapshot(e, true, performance.now()) });
  post({ type: 'status', running: false, step: e.step });
}

scope.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  try {
    switch (msg.type) {
      case 'reset':
        running = false;
        engine = null; // settings the engine cannot run leave nothing to train
        ready(new Engine(msg.settings));
        break;
      case 'import':
        running = false;
        ready(Engine.fromWeights(new Uint8Array(msg.bytes), msg.name), msg.name);
        break;
      case 'train':
        if (!engine || running) return;
        if (engine.step >= target) target = engine.step + engine.settings.train.maxSteps;
        running = true;
        marks = [[performance.now(), engine.step]];
        post({ type: 'status', running: true, step: engine.step });
        setTimeout(tick, 0);
        break;
      case 'pause':
        if (!engine || !running) return;
        running = false;
        post({ type: 'snapshot', snapshot: snapshot(engine, true, performance.now()) });
        post({ type: 'status', running: false, step: engine.step });
        break;
      case 'sample':
        sample = Math.min(EVAL_COUNT - 1, Math.max(0, Math.floor(msg.index) || 0));
        if (engine && !running) post({ type: 'snapshot', snapshot: { step: engine.step, losses: [], stepsPerSecond: 0, msPerStep: [], resolutions: engine.resolutions(sample) } });
        break;
      case 'export': {
        if (!engine) return;
        const bytes = engine.exportWeights();
        const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
        post({ type: 'weights', bytes: buffer, name: `saeno-explorer-step${engine.step}.safetensors` }, [buffer]);
        break;
      }
    }
  } catch (err) {
    fail(err);
  }
};
