/**
 * Metrics of a model against what is known of the data (SPEC §5): the one function behind
 * the trainer's periodic evaluation and `saeno eval`. Always reconstruction and sparsity;
 * with truth atoms the dictionary error and support metrics; on 1-sparse data the 1-sparse accuracy.
 */
import { ShapeError, shapeStr, Tensor } from '../core/tensor.js';
import {
  dictionaryError,
  fitOneSparseCalibration,
  meanL0,
  mutualCoherence,
  oneSparseAccuracy,
  psnr,
  relativeError,
  shiftInvariantDictionaryError,
  supportMetrics,
  supportMetricsEuclidean,
  type DictionaryErrorResult,
  type OneSparseCalibration,
  type ShiftInvariantDictionaryErrorResult,
} from '../metrics/index.js';
import type { SparseAutoencoder } from '../models/sae.js';
import { SUPPORT_DEFAULTS } from './defaults.js';
import type { LabelledBatch, Truth } from './source.js';

/**
 * Flat metrics (one JSON line in `log.jsonl`); optional keys are absent when the truth does
 * not allow them. Code amplitudes are compared in the model's units (height for CNN, mass for FNO).
 */
export interface Metrics {
  /** ½·mean over signals of ‖x − x̂‖². */
  loss: number;
  /** ‖x − x̂‖²/‖x‖² over the whole set. */
  relError: number;
  /** dB, peak = max |x|. */
  psnr: number;
  /** mean number of non-zero code entries per signal. */
  meanL0: number;
  /** mutual coherence of the learned effective dictionary (shift-maximised for functional models). */
  coherenceMax: number;
  coherenceMean: number;
  /** Hungarian-matched sign-invariant dictionary error (shift-invariant for functional data, at the data's N). */
  dictErrorMax?: number;
  dictErrorMean?: number;
  supportPrecision?: number;
  supportRecall?: number;
  supportF1?: number;
  /** mean |â − a|/|a| over true positives. */
  amplitudeError?: number;
  /** 1-sparse accuracy with the given calibration (fitted at the training N0), else re-fitted on these codes. */
  oneSparseAccuracy?: number;
  /** the fraction whose largest code is on the matched atom (concept identity only). */
  oneSparseIdentity?: number;
  /** with a given calibration: the per-resolution re-fitted accuracy beside it. */
  oneSparseAccuracyRefit?: number;
}

export interface EvaluateOptions {
  /** signals per inference call (bounds memory). */
  chunk?: number;
  /** 1-sparse read-out fitted at the training resolution (`fitCalibration`); default: re-fitted here. */
  calibration?: OneSparseCalibration;
}

/** Codes and reconstructions of a whole set, in chunks, as float64. */
export function inferAll(model: SparseAutoencoder, x: Tensor, chunk = 256): { codes: Float64Array; reconstruction: Float64Array; codeShape: number[] } {
  const count = x.shape[0];
  const per = x.size / Math.max(1, count);
  let codes: Float64Array | null = null;
  let codeShape: number[] = [];
  const reconstruction = new Float64Array(x.size);
  for (let s = 0; s < count; s += chunk) {
    const n = Math.min(chunk, count - s);
    const part = new Tensor(x.data.subarray(s * per, (s + n) * per), [n, ...x.shape.slice(1)]);
    const r = model.infer(part);
    const codePer = r.codes.size / n;
    if (!codes) {
      codes = new Float64Array(count * codePer);
      codeShape = [count, ...r.codes.shape.slice(1)];
    }
    codes.set(r.codes.data, s * codePer);
    reconstruction.set(r.reconstruction.data, s * per);
  }
  return { codes: codes ?? new Float64Array(0), reconstruction, codeShape };
}

/**
 * Matches the learned effective atoms with the truth atoms at the data's resolution N
 * (shift-invariant for functional models).
 */
export function matchDictionary(model: SparseAutoencoder, truth: Truth, N: number): DictionaryErrorResult | ShiftInvariantDictionaryErrorResult {
  const learned = model.effectiveAtoms(N);
  if (truth.kind === 'euclidean') return dictionaryError(truth.atoms, learned);
  return shiftInvariantDictionaryError(truth.atoms, learned, { channels: truth.channels, resolution: N });
}

function norm2(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** Median over signals of the largest |z|: the scale that the detection threshold is relative to. */
function medianPeak(codes: Float64Array, count: number): number {
  const per = codes.length / count;
  const peaks = new Float64Array(count);
  for (let s = 0; s < count; s++) {
    let m = 0;
    for (let i = s * per; i < (s + 1) * per; i++) m = Math.max(m, Math.abs(codes[i]));
    peaks[s] = m;
  }
  peaks.sort();
  return peaks[count >> 1];
}

function checkCompatible(model: SparseAutoencoder, data: LabelledBatch, truth: Truth | null): void {
  model.checkInput(data.x);
  if (!truth) return;
  if ((truth.kind === 'functional') !== model.functional) throw new ShapeError('evaluate', `${truth.kind} truth does not fit a ${model.config.model} model`);
  const len = model.functional ? truth.channels * truth.resolution : (model.config.inputSize as number);
  if (truth.atoms.some((a) => a.length !== len)) throw new ShapeError('evaluate', `truth atoms of length ${truth.atoms[0]?.length} do not fit signals of shape ${shapeStr(data.x.shape.slice(1))}`);
}

/**
 * All metrics the truth allows, for a model on a labelled set (any resolution N the model accepts).
 * @param data x [count, m] or [count, c_in, N], with truth occurrences (functional) or codes [count, p] (Euclidean)
 * @param truth the truth atoms (functional: sampled at `truth.resolution`, resampled to N if different), or null
 */
export function evaluate(model: SparseAutoencoder, data: LabelledBatch, truth: Truth | null, opts: EvaluateOptions = {}): Metrics {
  checkCompatible(model, data, truth);
  const { x } = data;
  const count = x.shape[0];
  const N = model.functional ? x.shape[2] : 1;
  const { codes, reconstruction } = inferAll(model, x, opts.chunk);
  let sq = 0;
  for (let i = 0; i < x.size; i++) sq += (x.data[i] - reconstruction[i]) ** 2;
  const learned = model.effectiveAtoms(N);
  const coherence = mutualCoherence(learned, { channels: model.functional ? model.config.channels : 1, shiftInvariant: model.functional });
  const out: Metrics = {
    loss: (0.5 * sq) / count,
    relError: relativeError(x.data, reconstruction),
    psnr: psnr(x.data, reconstruction),
    meanL0: meanL0(codes, count),
    coherenceMax: coherence.max,
    coherenceMean: coherence.meanOffDiagonal,
  };
  if (!truth) return out;
  const match = matchDictionary(model, truth, N);
  out.dictErrorMax = match.max;
  out.dictErrorMean = match.mean;
  const C = model.config.concepts;
  let support;
  if (truth.kind === 'euclidean') {
    if (data.codes) support = supportMetricsEuclidean(data.codes, codes, count, C, match.match, 0, match.sign);
  } else if (data.occurrences) {
    const atN = truth.resolution === N;
    const conceptNorms = atN ? truth.atoms.map(norm2) : undefined;
    const convention = model.dictionary.kind === 'spectral' ? 'mass' : 'height';
    if (convention === 'mass' || conceptNorms) {
      support = supportMetrics(data.occurrences, codes, {
        count,
        C,
        N,
        match: match.match,
        offsets: (match as ShiftInvariantDictionaryErrorResult).offset,
        sign: match.sign,
        tolerance: SUPPORT_DEFAULTS.toleranceCells / (truth.baseResolution ?? N),
        threshold: SUPPORT_DEFAULTS.thresholdFraction * medianPeak(codes, count),
        convention,
        conceptNorms,
      });
    }
    if (truth.oneSparse) {
      const layout = { count, C, N, concepts: truth.atoms.length, baseResolution: truth.baseResolution ?? N };
      const fixed = oneSparseAccuracy(data.occurrences, codes, { ...layout, fit: opts.calibration });
      out.oneSparseAccuracy = fixed.accuracy;
      out.oneSparseIdentity = fixed.identityAccuracy;
      if (opts.calibration) out.oneSparseAccuracyRefit = oneSparseAccuracy(data.occurrences, codes, layout).accuracy;
    }
  }
  if (support) {
    out.supportPrecision = support.precision;
    out.supportRecall = support.recall;
    out.supportF1 = support.f1;
    out.amplitudeError = support.amplitudeError;
  }
  return out;
}

/**
 * Fits the 1-sparse read-out (concept → atom matching and per-concept offsets) on a
 * 1-sparse set, normally at the training resolution N0, for reuse at every other N.
 */
export function fitCalibration(model: SparseAutoencoder, data: LabelledBatch): OneSparseCalibration {
  if (!data.occurrences) throw new RangeError('fitCalibration: the data has no truth occurrences');
  model.checkInput(data.x);
  const { codes } = inferAll(model, data.x);
  const [count, , N] = data.x.shape;
  return fitOneSparseCalibration(data.occurrences, codes, { count, C: model.config.concepts, N });
}
