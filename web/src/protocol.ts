/**
 * What the page and the training worker say to each other: the explorer's settings (with
 * defaults), the messages each way, and the snapshots the plots are drawn from.
 */
import type { ConceptFamily } from '../../src/data/concepts.js';

/** The two operator families the explorer trains side by side on the same batches. */
export const ARCHS = ['fno', 'cnn'] as const;
export type Arch = (typeof ARCHS)[number];

export interface DataSettings {
  family: ConceptFamily;
  /** C: number of true concepts (and of learned atoms). */
  concepts: number;
  /** 'one-sparse': one concept once per signal; 'bernoulli': each concept present with probability p. */
  sparsity: 'one-sparse' | 'bernoulli';
  p: number;
  /** Gaussian noise σ per sample. */
  noise: number;
  /** N0: training resolution; occurrences lie on the grid k/N0, so they hit samples at N0·{1,2,4}. */
  N0: number;
  seed: number;
}

export interface ModelSettings {
  /** Which of the pair to train (at least one). */
  fno: boolean;
  cnn: boolean;
  /** Lifted forms (L-SAE-FNO, L-SAE-CNN) with an orthonormal lifting of width h. */
  lifted: boolean;
  liftWidth: number;
  /** T: unrolled ISTA iterations. */
  iters: number;
  /** λ in amplitude units: SAE-FNO codes are masses ≈ a; SAE-CNN codes are heights ≈ a·√N0, so it gets λ·√N0. */
  lambda: number;
  /** M: Fourier modes of SAE-FNO. */
  modes: number;
  /** K: taps of SAE-CNN. */
  kernelSize: number;
  grad: 'full' | 'decoder';
}

export interface TrainSettings {
  lr: number;
  batch: number;
  /** Training stops by itself after this many steps. */
  maxSteps: number;
}

export interface Settings {
  data: DataSettings;
  model: ModelSettings;
  train: TrainSettings;
}

/**
 * Defaults, measured to converge visibly in seconds from a random start: library-default gabor
 * concepts, C = 4, 1-sparse, N0 = 64, T = 20, λ = 0.3, Adam lr 0.01, batch 32. Both max
 * dictionary errors fall below 0.5 within ≈ 150–200 steps (3–5 s in Chromium at 50–80 steps/s)
 * and level off at ≈ 0.3–0.45, then drift slowly: with T = 20 the loss minimum is not the truth
 * (started at the truth, training drifts to ≈ 0.5 too). λ = 0.1 gave codes too dense to
 * converge from random starts; lr 0.003 was slower with no lower plateau.
 */
export const DEFAULT_SETTINGS: Settings = {
  data: { family: 'gabor', concepts: 4, sparsity: 'one-sparse', p: 0.3, noise: 0, N0: 64, seed: 1 },
  model: { fno: true, cnn: true, lifted: false, liftWidth: 4, iters: 20, lambda: 0.3, modes: 20, kernelSize: 32, grad: 'full' },
  train: { lr: 0.01, batch: 32, maxSteps: 1000 },
};

/** Held-out signals scored at every resolution (the same occurrences at each N). */
export const EVAL_COUNT = 32;

/** Resolution factors of the resolution panel: the trained models run at N0·f. */
export const FACTORS = [1, 2, 4] as const;

/** Page → worker. */
export type ToWorker =
  | { type: 'reset'; settings: Settings }
  | { type: 'train' }
  | { type: 'pause' }
  | { type: 'export' }
  /** which held-out signal the resolution panel shows, 0 … EVAL_COUNT − 1. */
  | { type: 'sample'; index: number }
  | { type: 'import'; bytes: ArrayBuffer; name: string };

/** Dictionary state of one model at N0: error against the truth and its atoms aligned to the concepts. */
export interface DictionaryView {
  arch: Arch;
  /** Hungarian-matched, sign- and shift-invariant error (SPEC §5). */
  max: number;
  mean: number;
  perAtom: number[];
  /** learned atom matched to concept c. */
  match: number[];
  /** per concept c: atom match[c], sign-flipped and circularly shifted onto the concept, unit norm, length N0. */
  aligned: Float64Array[];
}

/** One model on the sample signal at one resolution. */
export interface SignalView {
  arch: Arch;
  reconstruction: Float64Array;
  /** codes of the sample signal, [C, N] row-major (FNO: mass units, CNN: height units). */
  codes: Float64Array;
  /** code channel j → true concept it is matched to (−1 if none), for colouring. */
  conceptOfAtom: number[];
}

/** Per resolution factor: the sample signal, each model's view, and the held-out scores. */
export interface ResolutionView {
  factor: number;
  N: number;
  /** the same underlying signal (same occurrences) sampled at N. */
  x: Float64Array;
  models: SignalView[];
  /**
   * per model: 1-sparse accuracy with the read-out fitted at N0 and kept (SPEC §5), or support
   * F1 with the N0 dictionary matching kept (Bernoulli data); `refit` re-fits at this N.
   */
  scores: { arch: Arch; score: number; refit: number; relError: number }[];
}

export interface Snapshot {
  step: number;
  /** new (step, loss) points per model since the last snapshot. */
  losses: { arch: Arch; steps: number[]; values: number[] }[];
  /** wall-clock training throughput over the last second (steps of the whole pair). */
  stepsPerSecond: number;
  /** mean time of one optimizer step per model, ms (training only). */
  msPerStep: { arch: Arch; ms: number }[];
  dictionary?: DictionaryView[];
  resolutions?: ResolutionView[];
}

export interface ReadyInfo {
  settings: Settings;
  /** normalised truth concepts at N0, [C][N0]. */
  truth: Float64Array[];
  /** shift-max coherence of the truth (SPEC §3). */
  coherence: number;
  /** which score the resolution table shows. */
  score: 'one-sparse accuracy' | 'support F1';
  /** set when the models came from a weights file. */
  loadedFrom?: string;
  step: number;
}

/** Worker → page. */
export type FromWorker =
  | { type: 'ready'; info: ReadyInfo; snapshot: Snapshot }
  | { type: 'snapshot'; snapshot: Snapshot }
  | { type: 'status'; running: boolean; step: number }
  | { type: 'weights'; bytes: ArrayBuffer; name: string }
  | { type: 'error'; message: string };
