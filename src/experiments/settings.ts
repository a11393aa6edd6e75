/**
 * Every hyper-parameter of `saeno reproduce`, for the full run and for `--quick`, in ONE place:
 * the recipes read them from here (and copy them into each figure's `config.json`), so settings
 * can be retuned without touching a recipe. The pass/fail criteria live here too, fixed before
 * any result was looked at, and are the same in both modes.
 */
import type { FunctionalConfigInput } from '../data/functional.js';
import type { EuclideanConfigInput } from '../data/euclidean.js';
import type { ModelConfigInput } from '../models/config.js';
import type { TrainConfigInput } from '../train/trainer.js';

export type Mode = 'full' | 'quick';

/** A model's configuration without the fields a recipe fills in (kind, concepts, input size). */
export type ModelSettings = Omit<ModelConfigInput, 'model' | 'concepts' | 'inputSize'>;

/** Optimisation of one model: steps, batch, rate, optimizer (+ SGD momentum), learning-rate schedule. */
export interface TrainSettings {
  steps: number;
  batch: number;
  lr: number;
  optimizer: 'adam' | 'sgd';
  momentum?: number;
  schedule?: TrainConfigInput['schedule'];
}

/** Initialisation: random, or the truth perturbed by relative noise ε (the local-convergence setting). */
export type InitSettings = { kind: 'random' } | { kind: 'perturbed-truth'; eps: number };

/** Online functional data at resolution N (the data module's config, plus N). */
export interface FunctionalDataSettings {
  N: number;
  config: FunctionalConfigInput;
}

/** fig2a (SAE-CNN vs L-SAE-CNN) and fig4 (SAE vs L-SAE): lifting accelerates learning. */
export interface LiftingSettings {
  seeds: number;
  data: { kind: 'functional'; N: number; config: FunctionalConfigInput } | { kind: 'euclidean'; config: EuclideanConfigInput };
  /** the unlifted model; the lifted one is the same with `l-` and the lifting below. */
  model: ModelSettings & { model: 'sae' | 'sae-cnn' };
  /**
   * One lifted model per entry. 'learned' starts orthonormal (the unlifted model's effective
   * dictionary exactly) and trains L, P; 'gaussian' is fixed (entries N(0, 1/h), P = Lᵀ).
   * Orthonormal fixed liftings are fig5's (no acceleration under SGD, Prop 3.2).
   */
  liftings: { kind: 'learned' | 'gaussian'; width: number }[];
  init: InitSettings;
  train: TrainSettings;
  /** steps between points of the curves. */
  evalEvery: number;
}

/** fig2b: SAE-FNO (truncated modes) vs SAE-CNN on smooth concepts, non-smooth concepts as the control. */
export interface SmoothSettings {
  seeds: number;
  N: number;
  /** the data config shared by both families (family and its parameters set per condition). */
  data: Omit<FunctionalConfigInput, 'family'>;
  /** the smooth family (and its parameters): its band should lie within the FNO's M modes, the premise of the claim. */
  smooth: FunctionalConfigInput & { family: 'gabor' | 'gaussian' | 'fourier' };
  /** the non-smooth control family. */
  control: FunctionalConfigInput & { family: 'random-taps' | 'box' };
  fno: ModelSettings;
  cnn: ModelSettings;
  init: InitSettings;
  trainFno: TrainSettings;
  trainCnn: TrainSettings;
  evalEvery: number;
}

/** fig2c: full-mode SAE-FNO with the CNN's K-tap receptive field tracks SAE-CNN under SGD (float64). */
export interface FullModeSettings {
  seeds: number;
  /** odd, so that M = (N + 1)/2 modes are all the modes (docs/theory.md §4). */
  N: number;
  data: FunctionalConfigInput;
  /** the SAE-CNN (normalisation off: the two parameterisations normalise different norms). */
  cnn: ModelSettings & { kernelSize: number };
  init: InitSettings;
  /** SGD rate of the CNN; the FNO's is (N/2)·lr with the k = 0 gradient doubled. */
  lr: number;
  steps: number;
  batch: number;
  evalEvery: number;
  /** also train the FNO at the CNN's rate without the derived factor (shows the factor matters). */
  control: boolean;
}

/** fig3: train at N0 on 1-sparse data, infer at N0·factors. */
export interface ResolutionSettings {
  seeds: number;
  N0: number;
  factors: number[];
  data: FunctionalConfigInput;
  fno: ModelSettings;
  cnn: ModelSettings;
  init: InitSettings;
  trainFno: TrainSettings;
  trainCnn: TrainSettings;
  /** steps between points of the training curves. */
  evalEvery: number;
  /** signals of the test set (rendered at every N) and of the N0 calibration set. */
  testCount: number;
  calibrationCount: number;
  /** example signals drawn per resolution and model (first seed). */
  examples: number;
}

/** fig5: orthogonal lifting (LᵀL = I, P = Lᵀ, D_L = L·D) gives the SGD dynamics of no lifting (float64). */
export interface OrthogonalSettings {
  seeds: number;
  N: number;
  data: FunctionalConfigInput;
  model: ModelSettings & { kernelSize: number };
  liftWidth: number;
  init: InitSettings;
  /** SGD rates: the first is the one the verdict is on; the others are reported (large rates make the dynamics chaotic, so round-off grows). */
  sgdRates: number[];
  steps: number;
  batch: number;
  evalEvery: number;
  /** the same pair trained with Adam at this rate (not covered by Prop 3.2: Adam's scaling does not commute with L), or null. */
  adamControlLr: number | null;
}

export interface Settings {
  fig2a: LiftingSettings;
  fig2b: SmoothSettings;
  fig2c: FullModeSettings;
  fig3: ResolutionSettings;
  fig4: LiftingSettings;
  fig5: OrthogonalSettings;
}

/** Pass/fail thresholds, stated before any result was seen; identical in both modes. */
export const CRITERIA = {
  /** fig2a/fig4: the lifted model's mean log10 dictionary error over the curve must be lower by more than this (decades), in the seed mean and in a majority of seeds. */
  accelerationLogGap: 0,
  /** fig2a/fig4: the lifted dictionary's mean |off-diagonal Gram| must be lower by more than this. */
  orthogonalityGap: 0,
  /** fig2b: FNO's final dictionary error / CNN's on smooth concepts must be below this. */
  smoothRatio: 1,
  /** fig2c: max |Δ dictionary error| between the SAE-CNN and SAE-FNO curves (float64 round-off amplified over the run). */
  fullModeTolerance: 1e-8,
  /** fig3: SAE-FNO's 1-sparse accuracy (read-out fitted at N0) may drop by at most this at any N. */
  resolutionAccuracyDrop: 0.1,
  /** fig3: SAE-FNO's relative reconstruction error may rise by at most this at any N. */
  resolutionErrorRise: 0.05,
  /** fig5: max |Δ dictionary error| between SAE-CNN and orthogonally lifted L-SAE-CNN (float64 round-off amplified over the run). */
  orthogonalTolerance: 1e-8,
};
export type Criteria = typeof CRITERIA;

const gabor = (N: number, extra: Partial<FunctionalConfigInput> = {}): FunctionalConfigInput => ({
  family: 'gabor',
  concepts: 5,
  baseResolution: Math.min(64, N),
  occurrence: { kind: 'bernoulli', p: 0.3 },
  amplitude: [1, 2],
  ...extra,
});

const adam = (steps: number, lr: number, batch = 32): TrainSettings => ({
  steps,
  batch,
  lr,
  optimizer: 'adam',
  schedule: { kind: 'step', factor: 0.5, every: Math.max(1, Math.round(steps / 3)) },
});

/**
 * SAE-CNN at resolution N: K = N/2 taps (the concepts' support [0, 1/2)), λ = 0.1·√N (codes are
 * heights ≈ a·√N, docs/theory.md §5), one-sided threshold (amplitudes are positive).
 */
const cnn = (N: number, iters: number): ModelSettings & { kernelSize: number } => ({ kernelSize: N / 2, iters, lambda: 0.1 * Math.sqrt(N), oneSided: true });

/** SAE-FNO with M modes: λ = 0.1 (codes are masses ≈ a ∈ [1, 2]), one-sided threshold. */
const fno = (modes: number, iters: number): ModelSettings => ({ modes, iters, lambda: 0.1, oneSided: true });

/** The full run (`saeno reproduce`): 5 seeds, ≤ 30 min on 2 cores. */
const FULL: Settings = {
  fig2a: {
    seeds: 5,
    data: { kind: 'functional', N: 128, config: gabor(128) },
    model: { model: 'sae-cnn', ...cnn(128, 20) },
    liftings: [
      { kind: 'gaussian', width: 4 },
      { kind: 'learned', width: 4 },
    ],
    init: { kind: 'random' },
    train: adam(800, 1e-2),
    evalEvery: 40,
  },
  fig2b: {
    seeds: 5,
    N: 128,
    data: { concepts: 5, baseResolution: 32, occurrence: { kind: 'bernoulli', p: 0.3 }, amplitude: [1, 2] },
    // the gabor band: frequency ≤ 12 plus ~3 spectral std of a σ ≥ 0.06 envelope (3/(2π·0.06) ≈ 8) ≈ 20 = M
    // ([0, 8] and [0, 10] cannot meet the default coherence bound 0.7 with 5 concepts)
    smooth: { family: 'gabor', frequency: [0, 12] },
    control: { family: 'random-taps' },
    fno: fno(20, 20),
    cnn: cnn(128, 20),
    init: { kind: 'random' },
    trainFno: adam(800, 1e-2),
    trainCnn: adam(800, 1e-2),
    evalEvery: 40,
  },
  fig2c: {
    seeds: 5,
    N: 127,
    data: gabor(127, { baseResolution: 127 }),
    cnn: { ...cnn(127, 20), kernelSize: 63, dtype: 'float64', normalize: false },
    init: { kind: 'random' },
    lr: 0.05,
    steps: 200,
    batch: 16,
    evalEvery: 10,
    control: true,
  },
  fig3: {
    seeds: 5,
    N0: 128,
    factors: [1, 2, 4],
    data: gabor(128, { occurrence: { kind: 'one-sparse' } }),
    fno: fno(16, 20),
    cnn: cnn(128, 20),
    init: { kind: 'random' },
    trainFno: adam(800, 1e-2),
    trainCnn: adam(800, 1e-2),
    evalEvery: 50,
    testCount: 200,
    calibrationCount: 200,
    examples: 1,
  },
  fig4: {
    seeds: 5,
    data: { kind: 'euclidean', config: { m: 50, p: 100, sparsity: 5, amplitude: [1, 2] } },
    model: { model: 'sae', iters: 50, lambda: 0.1, grad: 'full' },
    liftings: [
      { kind: 'gaussian', width: 100 },
      { kind: 'learned', width: 100 },
    ],
    init: { kind: 'perturbed-truth', eps: 0.5 },
    // plain SGD: Prop 3.1's effective update η·P·Pᵀ·(x − Dz)zᵀ, whose multipliers the figure shows, is an SGD statement
    train: { steps: 600, batch: 32, lr: 1, optimizer: 'sgd', momentum: 0 },
    evalEvery: 20,
  },
  fig5: {
    seeds: 5,
    N: 128,
    data: gabor(128),
    model: { ...cnn(128, 20), dtype: 'float64' },
    liftWidth: 3,
    init: { kind: 'random' },
    sgdRates: [0.05, 0.3],
    steps: 200,
    batch: 16,
    evalEvery: 10,
    adamControlLr: 1e-2,
  },
};

/** `--quick`: every figure in ≤ 2 min total (tiny sizes, 2 seeds, few steps: a smoke test of the whole pipeline); exercised in CI. */
const QUICK: Settings = {
  fig2a: {
    ...FULL.fig2a,
    seeds: 2,
    data: { kind: 'functional', N: 32, config: gabor(32) },
    model: { model: 'sae-cnn', ...cnn(32, 10) },
    liftings: [
      { kind: 'gaussian', width: 3 },
      { kind: 'learned', width: 3 },
    ],
    train: adam(80, 1e-2, 16),
    evalEvery: 10,
  },
  fig2b: {
    ...FULL.fig2b,
    seeds: 2,
    // N ≥ 2M − 1 = 39 keeps the smooth band (M = 20) inside the model
    N: 48,
    data: { ...FULL.fig2b.data, baseResolution: 24 },
    fno: fno(20, 10),
    cnn: cnn(48, 10),
    trainFno: adam(80, 1e-2, 16),
    trainCnn: adam(80, 1e-2, 16),
    evalEvery: 10,
  },
  fig2c: {
    ...FULL.fig2c,
    seeds: 2,
    N: 31,
    data: gabor(31, { baseResolution: 31 }),
    cnn: { ...cnn(31, 10), kernelSize: 15, dtype: 'float64', normalize: false },
    steps: 40,
    batch: 8,
    evalEvery: 5,
  },
  fig3: {
    ...FULL.fig3,
    seeds: 2,
    N0: 32,
    data: gabor(32, { occurrence: { kind: 'one-sparse' } }),
    fno: fno(12, 10),
    cnn: cnn(32, 10),
    trainFno: adam(80, 1e-2, 16),
    trainCnn: adam(80, 1e-2, 16),
    evalEvery: 20,
    testCount: 64,
    calibrationCount: 64,
  },
  fig4: {
    ...FULL.fig4,
    seeds: 2,
    data: { kind: 'euclidean', config: { m: 20, p: 30, sparsity: 3, amplitude: [1, 2] } },
    model: { model: 'sae', iters: 10, lambda: 0.1, grad: 'full' },
    liftings: [
      { kind: 'gaussian', width: 40 },
      { kind: 'learned', width: 40 },
    ],
    train: { ...FULL.fig4.train, steps: 80 },
    evalEvery: 10,
  },
  fig5: {
    ...FULL.fig5,
    seeds: 2,
    N: 32,
    data: gabor(32),
    model: { ...cnn(32, 10), dtype: 'float64' },
    liftWidth: 2,
    steps: 40,
    batch: 8,
    evalEvery: 5,
  },
};

/** The settings of a mode (a deep copy: callers may adjust seeds without touching the defaults). */
export function settingsFor(mode: Mode): Settings {
  return structuredClone(mode === 'quick' ? QUICK : FULL);
}
