/**
 * The explorer's engine: online data from the functional sparse generative model, an
 * SAE-FNO / SAE-CNN pair (or their lifted forms) trained with Adam on the same batches, and
 * every number the page shows. No DOM and no worker API, so the Web Worker and the Node
 * measurement of steps/s run exactly this code.
 */
import { backward } from '../../src/core/autodiff.js';
import { Adam } from '../../src/core/optim.js';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { FunctionalModel, type FunctionalConfigInput, type Occurrence } from '../../src/data/functional.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import type { NdArray } from '../../src/io/ndarray.js';
import {
  fitOneSparseCalibration,
  oneSparseAccuracy,
  relativeError,
  shiftInvariantDictionaryError,
  supportMetrics,
  type OneSparseCalibration,
  type ShiftInvariantDictionaryErrorResult,
} from '../../src/metrics/index.js';
import type { ModelConfigInput, ModelKind } from '../../src/models/config.js';
import { createModel, type ArrayInput } from '../../src/models/registry.js';
import type { SparseAutoencoder } from '../../src/models/sae.js';
import { ARCHS, EVAL_COUNT, FACTORS, type Arch, type DictionaryView, type ResolutionView, type Settings, type SignalView } from './protocol.js';

/** The `format` metadata of the explorer's weights files. */
export const WEIGHTS_FORMAT = 'saeno-explorer/1';

/** Settings the explorer cannot run; the message names the field. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

interface Member {
  arch: Arch;
  model: SparseAutoencoder;
  opt: Adam;
  /** training time (ms) and steps, for ms/step. */
  ms: number;
  timed: number;
  /** losses not yet reported. */
  steps: number[];
  values: number[];
}

/** The saeno model kind of one member of the pair. */
export function modelKind(arch: Arch, lifted: boolean): ModelKind {
  return `${lifted ? 'l-' : ''}sae-${arch}` as ModelKind;
}

/**
 * The model configuration of `arch` under `s`. λ is given in amplitude units: SAE-FNO codes
 * are masses (≈ a) but SAE-CNN codes are heights (≈ a·√N0 against unit-norm kernels), so
 * the CNN gets λ·√N0 — the same scaling as the library's `defaultLambda`.
 */
export function modelConfig(arch: Arch, s: Settings): ModelConfigInput {
  const m = s.model;
  return {
    model: modelKind(arch, m.lifted),
    concepts: s.data.concepts,
    iters: m.iters,
    grad: m.grad,
    lambda: arch === 'cnn' ? m.lambda * Math.sqrt(s.data.N0) : m.lambda,
    ...(arch === 'fno' ? { modes: m.modes } : { kernelSize: m.kernelSize }),
    ...(m.lifted ? { liftWidth: m.liftWidth } : {}),
  };
}

/** The generator configuration: occurrences on the grid of N0, so they fall on samples at N0·{1,2,4}. */
export function dataConfig(s: Settings): FunctionalConfigInput {
  const d = s.data;
  return {
    family: d.family,
    concepts: d.concepts,
    baseResolution: d.N0,
    occurrence: d.sparsity === 'one-sparse' ? { kind: 'one-sparse' } : { kind: 'bernoulli', p: d.p },
    noise: d.noise,
  };
}

function checkSettings(s: Settings): void {
  const { data: d, model: m, train: t } = s;
  const need = (ok: boolean, field: string, msg: string) => {
    if (!ok) throw new SettingsError(`settings: ${field}: ${msg}`);
  };
  need(Number.isInteger(d.N0) && d.N0 >= 8 && d.N0 <= 1024, 'N0', `must be an integer in [8, 1024], got ${d.N0}`);
  need(m.fno || m.cnn, 'models', 'train at least one of SAE-FNO and SAE-CNN');
  if (m.fno) need(2 * m.modes - 1 <= d.N0, 'modes', `M = ${m.modes} needs N0 ≥ 2M − 1 = ${2 * m.modes - 1}, but N0 = ${d.N0}`);
  if (m.cnn) need(m.kernelSize <= d.N0, 'kernelSize', `K = ${m.kernelSize} taps exceed N0 = ${d.N0}`);
  need(t.lr > 0 && Number.isFinite(t.lr), 'lr', `must be positive, got ${t.lr}`);
  need(Number.isInteger(t.batch) && t.batch >= 1, 'batch', `must be a positive integer, got ${t.batch}`);
  need(Number.isInteger(t.maxSteps) && t.maxSteps >= 1, 'maxSteps', `must be a positive integer, got ${t.maxSteps}`);
}

function unit(a: ArrayLike<number>): Float64Array {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  const k = s > 0 ? 1 / Math.sqrt(s) : 0;
  return Float64Array.from(a, (v) => v * k);
}

/** `sign·a[(n − k) mod N]`, unit norm: the learned atom moved onto its concept (k from the metric). */
function align(a: Float64Array, k: number, sign: number): Float64Array {
  const N = a.length;
  const out = new Float64Array(N);
  for (let n = 0; n < N; n++) out[n] = sign * a[(((n - k) % N) + N) % N];
  return unit(out);
}

/** Concepts of `data` sampled at N, one array each. */
function truthAtoms(data: FunctionalModel, N: number): Float64Array[] {
  const all = data.atoms(N);
  return Array.from({ length: data.config.concepts }, (_, c) => all.slice(c * N, (c + 1) * N));
}

/** Median over signals of the largest |z|: the detection threshold is a fraction of it (as in the library's evaluate). */
function medianPeak(codes: ArrayLike<number>, count: number): number {
  const per = codes.length / count;
  const peaks = new Float64Array(count);
  for (let s = 0; s < count; s++) {
    let m = 0;
    for (let i = s * per; i < (s + 1) * per; i++) m = Math.max(m, Math.abs(codes[i]));
    peaks[s] = m;
  }
  return peaks.sort()[count >> 1];
}

export class Engine {
  readonly data: FunctionalModel;
  /** normalised truth concepts at N0. */
  readonly truth: Float64Array[];
  step = 0;
  private readonly members: Member[];
  private readonly batchRng: Rng;
  private readonly evalOcc: Occurrence[];

  /**
   * @param settings validated here (SettingsError, or the library's config errors naming the field)
   * @param weights tensors by `<arch>.<name>` (a weights file), else a random initialisation from the seed
   */
  constructor(
    readonly settings: Settings,
    weights?: Record<string, ArrayInput>,
    step = 0,
  ) {
    checkSettings(settings);
    const { N0, seed } = settings.data;
    this.data = new FunctionalModel(dataConfig(settings), seed);
    this.truth = truthAtoms(this.data, N0).map(unit);
    const master = new Rng(seed);
    this.batchRng = master.fork();
    this.members = ARCHS.filter((a) => settings.model[a]).map((arch) => {
      const initRng = master.fork();
      const tensors = weights && prefixed(weights, arch);
      const model = createModel(modelConfig(arch, settings), initRng, tensors ? { kind: 'arrays', tensors } : { kind: 'random' });
      return { arch, model, opt: new Adam(model.parameters(), settings.train.lr), ms: 0, timed: 0, steps: [], values: [] };
    });
    this.evalOcc = this.data.generate(EVAL_COUNT, N0).occurrences;
    this.step = step;
  }

  /** One step: a fresh batch [B, 1, N0], then per model zeroGrad → loss → backward → Adam → projections. */
  trainStep(): void {
    const { batch: B } = this.settings.train;
    const N0 = this.settings.data.N0;
    const x = Tensor.from(this.data.sample(B, N0, this.batchRng).x, [B, 1, N0]);
    this.step++;
    for (const m of this.members) {
      const t0 = performance.now();
      m.opt.zeroGrad();
      const { loss } = m.model.loss(x);
      const value = loss.item();
      if (!Number.isFinite(value)) throw new Error(`${m.model.config.model}: loss is ${value} at step ${this.step} (diverged): lower the learning rate and reset`);
      backward(loss);
      m.opt.update();
      m.model.afterUpdate();
      m.ms += performance.now() - t0;
      m.timed++;
      m.steps.push(this.step);
      m.values.push(value);
    }
  }

  /** Losses since the last call, per model. */
  takeLosses(): { arch: Arch; steps: number[]; values: number[] }[] {
    return this.members.map((m) => {
      const out = { arch: m.arch, steps: m.steps, values: m.values };
      m.steps = [];
      m.values = [];
      return out;
    });
  }

  /** Mean ms per optimizer step per model (training only), then the counters restart. */
  takeTimings(): { arch: Arch; ms: number }[] {
    return this.members.map((m) => {
      const out = { arch: m.arch, ms: m.timed ? m.ms / m.timed : 0 };
      m.ms = 0;
      m.timed = 0;
      return out;
    });
  }

  private match(m: Member, N: number, truth: Float64Array[]): { result: ShiftInvariantDictionaryErrorResult; learned: Float64Array[] } {
    const learned = m.model.effectiveAtoms(N);
    return { result: shiftInvariantDictionaryError(truth, learned, { resolution: N }), learned };
  }

  /** Each model's dictionary error at N0 and its atoms aligned onto the concepts. */
  dictionary(): DictionaryView[] {
    return this.members.map((m) => {
      const { result: r, learned } = this.match(m, this.settings.data.N0, this.truth);
      return {
        arch: m.arch,
        max: r.max,
        mean: r.mean,
        perAtom: r.perAtom,
        match: r.match,
        aligned: r.match.map((j, c) => (j < 0 ? new Float64Array(learned[0].length) : align(learned[j], r.shift[c], r.sign[c]))),
      };
    });
  }

  /**
   * The trained models at N0·{1, 2, 4} on the same held-out signals (the same occurrences
   * rendered at each N): scores per resolution and, for signal `sample`, the reconstruction
   * and codes. The read-out (1-sparse calibration, or the dictionary matching for support
   * F1) is fitted at N0 and kept at every N (SPEC §5); `refit` re-fits it at each N.
   */
  resolutions(sample = 0): ResolutionView[] {
    const { N0, concepts: C, sparsity } = this.settings.data;
    const count = EVAL_COUNT;
    const occ = this.evalOcc;
    const oneSparse = sparsity === 'one-sparse';
    const fits = new Map<Arch, OneSparseCalibration | ShiftInvariantDictionaryErrorResult>();
    return FACTORS.map((factor) => {
      const N = N0 * factor;
      const { x } = this.data.render(occ, count, N);
      const xt = Tensor.from(x, [count, 1, N]);
      const truthN = oneSparse ? [] : truthAtoms(this.data, N);
      const models: SignalView[] = [];
      const scores: ResolutionView['scores'] = [];
      for (const m of this.members) {
        const r = m.model.infer(xt);
        const codes = r.codes.data;
        const layout = { count, C, N, concepts: C };
        let score: number;
        let refit: number;
        let match: number[];
        if (oneSparse) {
          if (factor === 1) fits.set(m.arch, fitOneSparseCalibration(occ, codes, layout));
          const fit = fits.get(m.arch) as OneSparseCalibration;
          score = oneSparseAccuracy(occ, codes, { ...layout, baseResolution: N0, fit }).accuracy;
          refit = factor === 1 ? score : oneSparseAccuracy(occ, codes, { ...layout, baseResolution: N0 }).accuracy;
          match = fit.match;
        } else {
          const here = this.match(m, N, truthN).result;
          if (factor === 1) fits.set(m.arch, here);
          const fit = fits.get(m.arch) as ShiftInvariantDictionaryErrorResult;
          const support = (d: ShiftInvariantDictionaryErrorResult) =>
            supportMetrics(occ, codes, {
              count,
              C,
              N,
              match: d.match,
              offsets: d.offset,
              sign: d.sign,
              tolerance: 1 / N0,
              threshold: 0.1 * medianPeak(codes, count),
              convention: m.model.dictionary.kind === 'spectral' ? 'mass' : 'height',
              conceptNorms: truthN.map((a) => Math.hypot(...a)),
            }).f1;
          score = support(fit);
          refit = support(here);
          match = fit.match;
        }
        const conceptOfAtom = new Array<number>(C).fill(-1);
        match.forEach((j, c) => {
          if (j >= 0) conceptOfAtom[j] = c;
        });
        scores.push({ arch: m.arch, score, refit, relError: relativeError(x, r.reconstruction.data) });
        models.push({
          arch: m.arch,
          reconstruction: Float64Array.from(r.reconstruction.data.subarray(sample * N, (sample + 1) * N)),
          codes: Float64Array.from(codes.subarray(sample * C * N, (sample + 1) * C * N)),
          conceptOfAtom,
        });
      }
      return { factor, N, x: x.slice(sample * N, (sample + 1) * N), models, scores };
    });
  }

  /**
   * The trained weights as `.safetensors`: every model's state tensors as `<arch>.<name>`
   * (`fno.weights_re`, `cnn.kernels`, `…L`, `…P`, `…lambda`), and metadata `format`,
   * `settings` (JSON), `step` and `<arch>.config` (the saeno model config, JSON). Weights only:
   * a loaded file continues with fresh optimizer state.
   */
  exportWeights(): Uint8Array {
    const tensors: Record<string, NdArray> = {};
    const metadata: Record<string, string> = { format: WEIGHTS_FORMAT, settings: JSON.stringify(this.settings), step: String(this.step) };
    for (const m of this.members) {
      for (const [name, t] of Object.entries(m.model.stateTensors())) {
        tensors[`${m.arch}.${name}`] = t.dtype === 'float64' ? { dtype: 'float64', shape: [...t.shape], data: t.data.slice() as Float64Array } : { dtype: 'float32', shape: [...t.shape], data: t.data.slice() as Float32Array };
      }
      metadata[`${m.arch}.config`] = JSON.stringify(m.model.config);
    }
    return encodeSafetensors(tensors, metadata);
  }

  /** An engine from a file written by {@link exportWeights}; errors name the file and the field. */
  static fromWeights(bytes: Uint8Array, name: string): Engine {
    const file = decodeSafetensors(bytes, { source: name });
    const meta = file.metadata;
    if (meta.format !== WEIGHTS_FORMAT || !meta.settings) {
      throw new SettingsError(`${name}: not a saeno explorer weights file (metadata "format" is ${JSON.stringify(meta.format)}, expected "${WEIGHTS_FORMAT}" with "settings")`);
    }
    let settings: Settings;
    try {
      settings = JSON.parse(meta.settings) as Settings;
    } catch (e) {
      throw new SettingsError(`${name}: metadata "settings" is not valid JSON (${(e as Error).message})`);
    }
    if (!settings?.data || !settings.model || !settings.train) throw new SettingsError(`${name}: metadata "settings" lacks data, model or train`);
    for (const arch of ARCHS) {
      const has = Object.keys(file.tensors).some((k) => k.startsWith(`${arch}.`));
      if (has !== Boolean(settings.model[arch])) throw new SettingsError(`${name}: settings.model.${arch} is ${settings.model[arch]} but the file ${has ? 'has' : 'lacks'} ${arch}.* tensors`);
    }
    const tensors: Record<string, ArrayInput> = {};
    for (const [key, t] of Object.entries(file.tensors)) {
      if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new SettingsError(`${name}: tensor "${key}" is ${t.dtype}; model weights are float32 or float64`);
      tensors[key] = { data: t.data as Float32Array | Float64Array, shape: t.shape };
    }
    const step = Number(meta.step ?? 0);
    return new Engine(settings, tensors, Number.isInteger(step) && step >= 0 ? step : 0);
  }
}

/** The tensors of one arch, with the `<arch>.` prefix removed. */
function prefixed(all: Record<string, ArrayInput>, arch: Arch): Record<string, ArrayInput> | undefined {
  const out: Record<string, ArrayInput> = {};
  for (const [k, v] of Object.entries(all)) if (k.startsWith(`${arch}.`)) out[k.slice(arch.length + 1)] = v;
  return Object.keys(out).length ? out : undefined;
}
