/**
 * Euclidean sparse generative model (SPEC §3): x = D* z* + ε with unit-norm atoms, s-sparse
 * codes (uniform random support, amplitudes uniform in [a_min, a_max], optional random
 * sign) and Gaussian noise σ. The dictionary is fixed by the seed; data come from a
 * separate Rng so online training can draw fresh batches.
 *
 * Dictionary: i.i.d. Gaussian columns, normalised. With a target `coherence` μ*:
 * - if the Gaussian draw has μ ≤ μ*, atoms are mixed towards a common random unit
 *   direction u, d_i(β) = normalise(√(1−β)·g_i + √β·u); μ(β) is continuous with μ(1) = 1,
 *   so bisection on β reaches μ*;
 * - otherwise μ is lowered by projected gradient descent on ¼Σ_{i≠j}(|⟨d_i,d_j⟩| − μ*)₊²
 *   (atoms renormalised after each step) until μ ≤ μ*. A μ* below the Welch bound
 *   √((p−m)/(m(p−1))) is impossible and rejected by validation.
 * A draw is accepted when |μ − μ*| ≤ 0.01 (and μ ≤ maxCoherence when given); otherwise the
 * dictionary is redrawn, at most maxDraws times.
 */
import { z } from 'zod';
import { Rng, type RngState } from '../core/rng.js';
import { DataConfigError, drawWithinCoherence, normaliseRows, parseConfig, rangeSchema, rowsCoherence } from './coherence.js';

/** Accepted distance between the reached and the target coherence. */
export const COHERENCE_TARGET_TOLERANCE = 0.01;

/** The Euclidean config object (strict: unknown keys are rejected), without cross-field checks; extend this one. */
export const euclideanConfigObject = z.strictObject({
  /** signal dimension. */
  m: z.int().min(1),
  /** number of atoms. */
  p: z.int().min(1),
  /** nonzeros per code, ≤ p. */
  sparsity: z.int().min(0),
  /** amplitude magnitude range [min, max], min ≥ 0. */
  amplitude: rangeSchema(0).default([1, 2]),
  /** random sign per nonzero. */
  signed: z.boolean().default(true),
  /** Gaussian noise standard deviation σ. */
  noise: z.number().min(0).default(0),
  /** target mutual coherence of the dictionary (optional; see module header). */
  coherence: z.number().min(0).max(1).optional(),
  /** redraw the dictionary until its mutual coherence is ≤ this (optional: no bound). */
  maxCoherence: z.number().gt(0).max(1).optional(),
  /** redraws allowed before giving up with a CoherenceBoundError. */
  maxDraws: z.int().min(1).default(100),
});

/** Welch bound: the lowest mutual coherence any p unit vectors in R^m can have. */
export function welchBound(m: number, p: number): number {
  return p <= m ? 0 : Math.sqrt((p - m) / (m * (p - 1)));
}

/** The Euclidean config schema with cross-field checks (sparsity ≤ p, coherence target and bound not below the Welch bound). */
export const euclideanConfigSchema = euclideanConfigObject.superRefine((c, ctx) => {
  if (c.sparsity > c.p) ctx.addIssue({ code: 'custom', path: ['sparsity'], message: `sparsity ${c.sparsity} exceeds p = ${c.p}` });
  const welch = welchBound(c.m, c.p);
  if (c.maxCoherence !== undefined && c.p >= 2 && c.maxCoherence < welch) {
    ctx.addIssue({
      code: 'custom',
      path: ['maxCoherence'],
      message: `maxCoherence ${c.maxCoherence} is below the Welch bound ${welch.toFixed(4)} for m = ${c.m}, p = ${c.p}: no dictionary can meet it`,
    });
  }
  if (c.coherence !== undefined) {
    if (c.p < 2) ctx.addIssue({ code: 'custom', path: ['coherence'], message: `a coherence target needs p ≥ 2, got p = ${c.p}` });
    else if (c.coherence < welch - COHERENCE_TARGET_TOLERANCE) {
      ctx.addIssue({
        code: 'custom',
        path: ['coherence'],
        message: `coherence ${c.coherence} is below the Welch bound ${welch.toFixed(4)} for m = ${c.m}, p = ${c.p}`,
      });
    }
    if (c.maxCoherence !== undefined && c.maxCoherence < c.coherence - COHERENCE_TARGET_TOLERANCE) {
      ctx.addIssue({ code: 'custom', path: ['maxCoherence'], message: `maxCoherence ${c.maxCoherence} is below the coherence target ${c.coherence}` });
    }
  }
});

export type EuclideanConfigInput = z.input<typeof euclideanConfigSchema>;
export type EuclideanConfig = z.output<typeof euclideanConfigSchema>;

/** Validates a Euclidean config and fills defaults; throws DataConfigError naming each bad field. */
export function validateEuclideanConfig(input: unknown): EuclideanConfig {
  return parseConfig(euclideanConfigSchema, input, 'validateEuclideanConfig');
}

/** A batch of Euclidean data with its truth codes. */
export interface EuclideanSample {
  /** [count, m] signals. */
  x: Float64Array;
  /** [count, p] true codes (exactly `sparsity` nonzeros per row). */
  codes: Float64Array;
}

/** Checks a seed (any safe integer) and returns it. */
export function checkSeed(fn: string, seed: number): number {
  if (!Number.isSafeInteger(seed)) throw new DataConfigError(`${fn}: seed must be a safe integer, got ${seed}`, ['seed']);
  return seed;
}

/** Euclidean sparse generative model with a seeded truth dictionary. */
export class EuclideanModel {
  readonly config: EuclideanConfig;
  readonly seed: number;
  readonly m: number;
  readonly p: number;
  /** [m, p] row-major; columns are the unit-norm atoms. */
  readonly dictionary: Float64Array;
  /** mutual coherence of `dictionary`. */
  readonly coherence: number;
  /** dictionary draws it took to meet the coherence requirement (1 without one). */
  readonly draws: number;
  /** [p, m]: atoms contiguous, for sampling. */
  private readonly atoms: Float64Array;
  private readonly dataState: RngState;

  /** @param config validated with `validateEuclideanConfig`; @param seed fixes the dictionary and `generate`'s data. */
  constructor(config: EuclideanConfigInput, seed = 0) {
    this.config = validateEuclideanConfig(config);
    this.seed = checkSeed('EuclideanModel', seed);
    const { m, p, coherence: target, maxCoherence, maxDraws } = this.config;
    this.m = m;
    this.p = p;
    const master = new Rng(seed);
    const dictRng = master.fork();
    this.dataState = master.fork().getState();
    const requirements: string[] = [];
    if (target !== undefined) requirements.push(`coherence ${target} ± ${COHERENCE_TARGET_TOLERANCE}`);
    if (maxCoherence !== undefined) requirements.push(`coherence ≤ ${maxCoherence}`);
    const drawn = drawWithinCoherence(
      () => drawAtoms(m, p, dictRng, target),
      (atoms) => rowsCoherence(atoms, p, m),
      (mu) =>
        Math.max(
          target === undefined ? -1 : Math.abs(mu - target) - COHERENCE_TARGET_TOLERANCE,
          maxCoherence === undefined ? -1 : mu - maxCoherence,
        ),
      requirements.length > 0 ? maxDraws : 1,
      `EuclideanModel(m = ${m}, p = ${p}, seed = ${seed})`,
      requirements.join(' and ') || 'no requirement',
    );
    this.atoms = drawn.value;
    this.coherence = drawn.coherence;
    this.draws = drawn.draws;
    this.dictionary = new Float64Array(m * p);
    for (let i = 0; i < p; i++) for (let r = 0; r < m; r++) this.dictionary[r * p + i] = this.atoms[i * m + r];
  }

  /** A fresh Rng for data, derived from the seed (the same stream at every call). */
  dataRng(): Rng {
    const rng = new Rng(0);
    rng.setState(this.dataState);
    return rng;
  }

  /**
   * Draws `count` signals from `rng` (support, then amplitudes and signs, then noise, per signal).
   * @returns x [count, m] and codes [count, p].
   */
  sample(count: number, rng: Rng): EuclideanSample {
    if (!Number.isInteger(count) || count < 0) throw new DataConfigError(`EuclideanModel.sample: count must be a non-negative integer, got ${count}`, ['count']);
    const { m, p, atoms } = this;
    const { sparsity, amplitude, signed, noise } = this.config;
    const x = new Float64Array(count * m);
    const codes = new Float64Array(count * p);
    // Partial Fisher–Yates on a pool that is never reset: from any arrangement it yields a uniform random s-subset.
    const pool = new Int32Array(p);
    for (let i = 0; i < p; i++) pool[i] = i;
    for (let b = 0; b < count; b++) {
      const xb = b * m;
      for (let k = 0; k < sparsity; k++) {
        const swap = k + rng.int(p - k);
        const j = pool[swap];
        pool[swap] = pool[k];
        pool[k] = j;
        let a = rng.uniformIn(amplitude[0], amplitude[1]);
        if (signed && rng.uniform() < 0.5) a = -a;
        codes[b * p + j] = a;
        for (let r = 0; r < m; r++) x[xb + r] += a * atoms[j * m + r];
      }
      if (noise > 0) for (let r = 0; r < m; r++) x[xb + r] += noise * rng.normal();
    }
    return { x, codes };
  }

  /** `count` signals from the seed's data stream: the same data for the same seed and config. */
  generate(count: number): EuclideanSample {
    return this.sample(count, this.dataRng());
  }
}

/** Draws p unit atoms in R^m as rows [p, m], steered to the target coherence when given (module header). */
function drawAtoms(m: number, p: number, rng: Rng, target: number | undefined): Float64Array {
  const atoms = rng.fillNormal(new Float64Array(p * m)) as Float64Array;
  normaliseRows(atoms, p, m);
  if (target === undefined) return atoms;
  if (rowsCoherence(atoms, p, m) <= target) return mixTowardsCommon(atoms, m, p, rng, target);
  decorrelate(atoms, m, p, target);
  return atoms;
}

/** Bisection on β of μ(normalise(√(1−β)·g_i + √β·u)) = target; returns the atoms at the low end (μ ≤ target). */
function mixTowardsCommon(g: Float64Array, m: number, p: number, rng: Rng, target: number): Float64Array {
  const u = rng.fillNormal(new Float64Array(m)) as Float64Array;
  normaliseRows(u, 1, m);
  const mixed = new Float64Array(p * m);
  const mix = (beta: number): number => {
    const cg = Math.sqrt(1 - beta);
    const cu = Math.sqrt(beta);
    for (let i = 0; i < p; i++) for (let r = 0; r < m; r++) mixed[i * m + r] = cg * g[i * m + r] + cu * u[r];
    normaliseRows(mixed, p, m);
    return rowsCoherence(mixed, p, m);
  };
  let lo = 0;
  let hi = 1;
  for (let it = 0; it < 40 && hi - lo > 1e-9; it++) {
    const mid = (lo + hi) / 2;
    if (mix(mid) <= target) lo = mid;
    else hi = mid;
  }
  mix(lo);
  return mixed;
}

/**
 * Lowers the coherence of unit rows in place by projected gradient steps on
 * ¼Σ_{i≠j}(|g_ij| − t)₊² with t slightly below the target, until μ ≤ target or the
 * iteration budget ends (the redraw loop then judges the result).
 */
function decorrelate(atoms: Float64Array, m: number, p: number, target: number): void {
  const aim = Math.max(0, target - COHERENCE_TARGET_TOLERANCE / 2);
  const step = 0.2;
  const gram = new Float64Array(p * p);
  const grad = new Float64Array(p * m);
  for (let it = 0; it < 2000; it++) {
    let mu = 0;
    for (let i = 0; i < p; i++) {
      for (let j = i + 1; j < p; j++) {
        let dot = 0;
        for (let r = 0; r < m; r++) dot += atoms[i * m + r] * atoms[j * m + r];
        gram[i * p + j] = dot;
        gram[j * p + i] = dot;
        if (Math.abs(dot) > mu) mu = Math.abs(dot);
      }
    }
    if (mu <= target) return;
    grad.fill(0);
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) {
        const g = gram[i * p + j];
        if (i === j || Math.abs(g) <= aim) continue;
        const w = g - Math.sign(g) * aim;
        for (let r = 0; r < m; r++) grad[i * m + r] += w * atoms[j * m + r];
      }
    }
    for (let k = 0; k < p * m; k++) atoms[k] -= step * grad[k];
    normaliseRows(atoms, p, m);
  }
}
