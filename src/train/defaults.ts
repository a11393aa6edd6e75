/**
 * Training defaults in ONE place (CLI, library and experiments read them from here), so
 * that tuned settings change everywhere at once. Values that depend on the data (λ on the
 * code scale, kernel taps and modes on N) are functions of it.
 */
import type { ModelKind } from '../models/config.js';

/** Optimisation defaults. */
export const TRAIN_DEFAULTS = {
  steps: 1000,
  batch: 32,
  lr: 1e-3,
  optimizer: 'adam' as 'adam' | 'sgd',
  /** heavy-ball momentum of SGD. */
  momentum: 0.9,
  /** metrics and checkpoints every this many steps (and at the end). */
  evalEvery: 100,
  /** signals held out for the periodic evaluation (a fixed set per run). */
  evalCount: 256,
  seed: 0,
  /** weights with a max |w| above this count as diverged (besides any NaN/Inf). */
  maxWeight: 1e6,
};

/** Model defaults that do not depend on the model family (T, λ and the threshold do: `recommendedSettings`). */
export const MODEL_DEFAULTS = {
  alpha: 'auto' as const,
  grad: 'full' as const,
  dtype: 'float32' as const,
  /** concepts C of a functional model when neither the flag nor the data's truth gives it. */
  functionalConcepts: 5,
};

/** Online data defaults when neither `--data` nor generator flags are given. */
export const ONLINE_DEFAULTS = {
  /** resolution N of online functional data. */
  resolution: 128,
  /** Euclidean online data: the issue-5 recovery case. */
  euclidean: { m: 50, p: 100, sparsity: 5 },
};

/**
 * λ on the code scale of each model (issue 5): unit-norm dense atoms and FNO mass codes
 * give codes ≈ the amplitude a; unit-norm CNN kernels against unit-L2[0,1) concepts give
 * code heights ≈ a·√N, so λ scales with √N there.
 * @param N training resolution (ignored for SAE / L-SAE).
 */
export function defaultLambda(kind: ModelKind, N: number): number {
  return recommendedSettings(kind, N).lambda;
}

/** Model and optimiser settings that recover the truth and stay there (measured, see below). */
export interface RecommendedSettings {
  iters: number;
  lambda: number;
  oneSided: boolean;
  optimizer: 'adam' | 'sgd';
  lr: number;
  schedule: { kind: 'constant' } | { kind: 'step'; factor: number; every: number };
}

/**
 * Per model family, measured on the issue-5 recovery problems (5 gabor concepts, N = 128,
 * Bernoulli 0.3, amplitudes [1, 2]; perturbed truth ε = 0.3; Euclidean m = 50, p = 100, s = 5):
 * - SAE, L-SAE: T = 50, λ = 0.3, Adam 1e-2 — from a random start (the `saeno train` default) mean/max
 *   error 0.93/0.97 → 0.088/0.71 in 1000 steps (seed 7: 0.062/0.53; L-SAE 0.086/0.63, and 0.37 vs 0.72 at
 *   step 500); from the truth perturbed by ε = 0.5, 0.45/0.59 → 0.069/0.105. λ = 0.1 (Adam 3e-3) is the
 *   sharper local setting (0.55/0.44 → 0.07/0.05 from ε = 0.5) but from a random start its codes stay
 *   dense (ℓ0 ≈ 46 for s = 5) and the dictionary does not move (0.91 after 1000 steps).
 * - SAE-CNN: λ = 0.25·√N (heights), T = 50, SGD 3e-3 halved every 200 steps — mean 0.27 → 0.10,
 *   flat from step 300 to 800. λ = 1 (≈ 0.09·√N) plateaus at 0.20; λ = 5 breaks one atom; T = 20
 *   drifts back to 0.26; constant-rate Adam drifts away (0.25 → 0.37).
 * - SAE-FNO: λ = 0.3 (masses), one-sided, T = 100, Adam 3e-4 halved every 150 steps — mean
 *   0.28 → 0.125, flat from step 400 to 600. λ = 0.1 floors at 0.185, λ = 0.5 at 0.14, λ = 1 at 0.21;
 *   without decay λ = 0.2 reaches 0.14 at step 300 and drifts to 0.15+ (the truth is not a fixed
 *   point of finite-T training with smooth atoms).
 */
export function recommendedSettings(kind: ModelKind, N: number): RecommendedSettings {
  if (kind.endsWith('cnn')) {
    return { iters: 50, lambda: 0.25 * Math.sqrt(N), oneSided: false, optimizer: 'sgd', lr: 3e-3, schedule: { kind: 'step', factor: 0.5, every: 200 } };
  }
  if (kind.endsWith('fno')) {
    // Adam steps every lifted weight by ≈ lr, so h lifted channels move the effective atom ≈ √h/√c_in times
    // faster: L-SAE-FNO (h = 16) at 3e-4 overshoots (0.13 at step 100, then 0.18), at 1e-4 it stays at 0.126
    const lr = kind === 'l-sae-fno' ? 1e-4 : 3e-4;
    return { iters: 100, lambda: 0.3, oneSided: true, optimizer: 'adam', lr, schedule: { kind: 'step', factor: 0.5, every: 150 } };
  }
  return { iters: 50, lambda: 0.3, oneSided: false, optimizer: 'adam', lr: 1e-2, schedule: { kind: 'constant' } };
}

/** K taps of a CNN kernel: half the domain (the default concept support is [0, 1/2)). */
export function defaultKernelSize(N: number): number {
  return Math.max(1, Math.floor(N / 2));
}

/** M Fourier modes: 16, or fewer when N < 2·16 − 1 (the model needs N ≥ 2M − 1). */
export function defaultModes(N: number): number {
  return Math.max(1, Math.min(16, Math.floor((N + 1) / 2)));
}

/** h of a lifted model: twice the input size (dense) or max(16, 2·c_in) channels (functional). */
export function defaultLiftWidth(functional: boolean, inputSize: number): number {
  return functional ? Math.max(16, 2 * inputSize) : 2 * inputSize;
}

/** Support metrics: location tolerance in base-grid cells, and the detection threshold as a fraction of the median per-signal peak |z| (finite-T ISTA codes of smooth atoms ripple around each occurrence; at the exact gabor truth, N = 128, T = 50, the fraction 0.1 gives precision 0.26, 0.25 gives 0.39–0.43 at recall ≥ 0.97). */
export const SUPPORT_DEFAULTS = {
  toleranceCells: 1,
  thresholdFraction: 0.25,
};
