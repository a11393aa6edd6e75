/**
 * Functional sparse generative model (SPEC §3): x(s) = Σ_c Σ_j a_{c,j} φ_c(s − τ_{c,j}) + ε(s)
 * on the periodic domain [0,1), sampled at any resolution N as x_N[n] = x(n/N).
 *
 * - Concepts (concepts.ts) are drawn once from the seed, redrawn (≤ maxDraws) until their
 *   shift-max coherence ≤ maxCoherence, else CoherenceBoundError.
 * - Occurrences per signal: `fixed` (count per concept), `bernoulli` (each concept once with
 *   probability p; the default, p = 0.3) or `one-sparse` (one random concept once in the
 *   whole signal). τ lies on the grid k/N_base, so it falls on a sample at every N that is a
 *   multiple of N_base; occurrences of one signal are ≥ minSeparation apart (circular), and
 *   a separation that cannot hold is a config error. Amplitudes uniform in [min, max],
 *   negated with probability ½ if signed.
 * - Occurrences come from a data Rng, noise from a separate one, so the same seed gives the
 *   same functions and occurrences at every N; noise is drawn per resolution.
 * - Truth: `atoms(N)` and dense `codes(…, 'height' | 'mass')` (SPEC §4 conventions).
 *
 * Coherence is measured at the reference resolution R = N_base·max(8, ⌈512/N_base⌉)
 * (≥ 8 samples per base cell, so random-taps cells are exact and shifts resolve a
 * 15-cycle gabor's phase to ~0.4 %). Default maxCoherence per family: DEFAULT_MAX_COHERENCE.
 */
import { z } from 'zod';
import { Rng, type RngState } from '../core/rng.js';
import { CONCEPT_FAMILIES, FAMILY_DEFAULTS, drawConcepts, sampleConcepts, type Concept, type ConceptFamily, type FamilyParams } from './concepts.js';
import { DataConfigError, DataError, drawWithinCoherence, parseConfig, rangeSchema, shiftMaxCoherence } from './coherence.js';
import { checkSeed } from './euclidean.js';

/**
 * Default shift-max coherence bound per family, for the default parameters and 5 concepts.
 * Measured over seeds 0–99 (min / median / max of the first draw):
 * - gaussian 0.96 (0.943 / 0.956 / 0.959): Gaussians differ only in width; widths a factor r
 *   apart have coherence √(2r/(1+r²)), so 5 widths in [0.01, 0.08] cannot do much better.
 *   Recoverable with 1-sparse data; for sparse mixtures prefer gabor.
 * - gabor 0.7 (0.548 / 0.653 / 0.850): the issue-5 recovery data; ≈ 2/3 of draws pass.
 * - fourier 0.8 (0.576 / 0.693 / 0.835); random-taps 0.7 (0.374 / 0.464 / 0.617);
 *   box 0.85 (0.758 / 0.790 / 0.811; nested boxes a factor r apart have coherence 1/√r).
 */
export const DEFAULT_MAX_COHERENCE: Record<ConceptFamily, number> = {
  gaussian: 0.96,
  gabor: 0.7,
  fourier: 0.8,
  'random-taps': 0.7,
  box: 0.85,
};

/** How many occurrences each signal gets: per concept (fixed count or Bernoulli), or exactly one in the whole signal. */
export const occurrenceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed'), count: z.int().min(0) }),
  z.strictObject({ kind: z.literal('bernoulli'), p: z.number().min(0).max(1) }),
  z.strictObject({ kind: z.literal('one-sparse') }),
]);
export type OccurrenceSpec = z.output<typeof occurrenceSchema>;

/** The functional config object (strict: unknown keys are rejected), without cross-field checks or defaults of family parameters; extend this one. */
export const functionalConfigObject = z.strictObject({
  family: z.enum(CONCEPT_FAMILIES).default('gabor'),
  /** number of concepts C. */
  concepts: z.int().min(1).default(5),
  /** input channels c_in. */
  channels: z.int().min(1).default(1),
  /** N_base: occurrence locations lie on k/N_base. */
  baseResolution: z.int().min(1).default(64),
  occurrence: occurrenceSchema.default({ kind: 'bernoulli', p: 0.3 }),
  /** minimum circular distance between occurrences of one signal, function units. */
  minSeparation: z.number().min(0).default(0),
  amplitude: rangeSchema(0).default([1, 2]),
  signed: z.boolean().default(false),
  /** Gaussian noise σ per sample. */
  noise: z.number().min(0).default(0),
  /** localized concepts live in [0, support). */
  support: z.number().gt(0).max(1).default(0.5),
  /** gaussian std, gabor envelope std, or box width range (see FamilyParams). */
  width: rangeSchema(0, true).optional(),
  /** gabor frequency range, cycles per unit interval. */
  frequency: rangeSchema(0).optional(),
  /** fourier highest mode. */
  kMax: z.int().min(0).optional(),
  /** redraw concepts until shift-max coherence ≤ this; default DEFAULT_MAX_COHERENCE[family]. */
  maxCoherence: z.number().gt(0).max(1).optional(),
  maxDraws: z.int().min(1).default(100),
});

type ParsedFunctionalConfig = z.output<typeof functionalConfigObject>;

/** Family parameters that apply to each family (others are rejected). */
const FAMILY_KEYS: Record<ConceptFamily, ReadonlyArray<'width' | 'frequency' | 'kMax'>> = {
  gaussian: ['width'],
  gabor: ['width', 'frequency'],
  fourier: ['kMax'],
  'random-taps': [],
  box: ['width'],
};

/** Fills the family's parameter defaults and the default maxCoherence. */
function resolveDefaults(c: ParsedFunctionalConfig): ParsedFunctionalConfig & { maxCoherence: number } {
  const out = { ...c, maxCoherence: c.maxCoherence ?? DEFAULT_MAX_COHERENCE[c.family] };
  if (c.family === 'gaussian' || c.family === 'gabor' || c.family === 'box') out.width = c.width ?? FAMILY_DEFAULTS[c.family].width;
  if (c.family === 'gabor') out.frequency = c.frequency ?? FAMILY_DEFAULTS.gabor.frequency;
  if (c.family === 'fourier') out.kMax = c.kMax ?? FAMILY_DEFAULTS.fourier.kMax;
  return out;
}

/** Largest number of occurrences one signal can have under `occurrence` with C concepts. */
function maxOccurrences(occurrence: OccurrenceSpec, C: number): number {
  if (occurrence.kind === 'fixed') return occurrence.count * C;
  if (occurrence.kind === 'bernoulli') return occurrence.p > 0 ? C : 0;
  return 1;
}

/** Minimum separation in base-grid cells: the least g with g/N_base ≥ minSeparation (0 when none). */
function separationCells(minSeparation: number, nBase: number): number {
  if (minSeparation === 0) return 0;
  let g = Math.max(1, Math.ceil(minSeparation * nBase));
  while (g > 1 && (g - 1) / nBase >= minSeparation) g--;
  while (g / nBase < minSeparation) g++;
  return g;
}

function checkFunctional(c: ParsedFunctionalConfig, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  for (const key of ['width', 'frequency', 'kMax'] as const) {
    if (c[key] !== undefined && !FAMILY_KEYS[c.family].includes(key)) {
      const families = CONCEPT_FAMILIES.filter((f) => FAMILY_KEYS[f].includes(key)).join(', ');
      issue(key, `${key} applies to family ${families} only, not '${c.family}'`);
    }
  }
  const r = resolveDefaults(c);
  const where = c.width === undefined ? ' (the default)' : '';
  if ((c.family === 'gaussian' || c.family === 'gabor') && r.width![1] > c.support / 6) {
    issue('width', `width ${JSON.stringify(r.width)}${where}: max ${r.width![1]} exceeds support/6 = ${(c.support / 6).toPrecision(4)} (a ${c.family} must vanish outside [0, support))`);
  }
  if (c.family === 'box' && r.width![1] > c.support) {
    issue('width', `width ${JSON.stringify(r.width)}${where}: max ${r.width![1]} exceeds support = ${c.support}`);
  }
  if (c.family === 'random-taps' && Math.floor(c.support * c.baseResolution + 1e-9) < 1) {
    issue('support', `support ${c.support} holds no cell of width 1/baseResolution = 1/${c.baseResolution}`);
  }
  const n = maxOccurrences(c.occurrence, c.concepts);
  const g = separationCells(c.minSeparation, c.baseResolution);
  if (n > 1 && n * g > c.baseResolution) {
    const room = Math.floor(c.baseResolution / g);
    issue(
      'minSeparation',
      `minSeparation ${c.minSeparation} leaves room for at most ${room} occurrence${room === 1 ? '' : 's'} on the base grid of ${c.baseResolution} points, ` +
        `but occurrence ${JSON.stringify(c.occurrence)} with ${c.concepts} concepts can need ${n}`,
    );
  }
}

/** The functional config schema: strict object, cross-field checks, then family defaults and maxCoherence filled in. */
export const functionalConfigSchema = functionalConfigObject.superRefine(checkFunctional).transform(resolveDefaults);

export type FunctionalConfigInput = z.input<typeof functionalConfigSchema>;
export type FunctionalConfig = z.output<typeof functionalConfigSchema>;

/** Validates a functional config and fills defaults; throws DataConfigError naming each bad field. */
export function validateFunctionalConfig(input: unknown): FunctionalConfig {
  return parseConfig(functionalConfigSchema, input, 'validateFunctionalConfig');
}

/** One occurrence: `amp·φ_concept(s − tau)` in signal `signal`; tau = k/N_base ∈ [0,1), function units. */
export interface Occurrence {
  signal: number;
  concept: number;
  tau: number;
  amp: number;
}

/** Code convention (SPEC §4): `height` for SAE-CNN (unit-norm sampled atoms), `mass` for SAE-FNO ((1/N)Σz = a). */
export type CodeConvention = 'height' | 'mass';

/** Functional sparse generative model with seeded truth concepts. */
export class FunctionalModel {
  readonly config: FunctionalConfig;
  readonly seed: number;
  /** the C truth concepts. */
  readonly concepts: readonly Concept[];
  /** shift-max coherence of the concepts at `referenceResolution`. */
  readonly coherence: number;
  /** resolution at which `coherence` is measured: N_base·max(8, ⌈512/N_base⌉). */
  readonly referenceResolution: number;
  /** concept draws it took to meet maxCoherence. */
  readonly draws: number;
  private readonly dataState: RngState;
  private readonly noiseState: RngState;
  /** minimum separation in base cells. */
  private readonly gap: number;
  private cached: { N: number; atoms: Float64Array; norms: Float64Array } | undefined;

  /** @param config validated with `validateFunctionalConfig`; @param seed fixes the concepts and `generate`'s data. */
  constructor(config: FunctionalConfigInput, seed = 0) {
    this.config = validateFunctionalConfig(config);
    this.seed = checkSeed('FunctionalModel', seed);
    const c = this.config;
    const master = new Rng(seed);
    const conceptRng = master.fork();
    this.dataState = master.fork().getState();
    this.noiseState = master.fork().getState();
    this.gap = separationCells(c.minSeparation, c.baseResolution);
    const R = c.baseResolution * Math.max(8, Math.ceil(512 / c.baseResolution));
    this.referenceResolution = R;
    const params: FamilyParams = { family: c.family, support: c.support, baseResolution: c.baseResolution, width: c.width, frequency: c.frequency, kMax: c.kMax };
    const drawn = drawWithinCoherence(
      () => drawConcepts(params, c.concepts, c.channels, conceptRng),
      (concepts) => shiftMaxCoherence(sampleConcepts(concepts, c.channels, R), c.concepts, c.channels, R),
      (mu) => mu - c.maxCoherence,
      c.maxDraws,
      `FunctionalModel(family ${c.family}, ${c.concepts} concepts, ${c.channels} channel${c.channels > 1 ? 's' : ''}, seed ${seed})`,
      `shift-max coherence ≤ ${c.maxCoherence}`,
    );
    this.concepts = drawn.value;
    this.coherence = drawn.coherence;
    this.draws = drawn.draws;
  }

  /** φ_concept(s) in `channel`, s ∈ R (periodic). */
  evaluate(concept: number, s: number, channel = 0): number {
    if (!(Number.isInteger(concept) && concept >= 0 && concept < this.concepts.length && Number.isInteger(channel) && channel >= 0 && channel < this.config.channels)) {
      throw new DataError(`FunctionalModel.evaluate: concept ${concept} or channel ${channel} outside [0, ${this.concepts.length}) × [0, ${this.config.channels})`);
    }
    return this.concepts[concept].evaluate(s, channel);
  }

  /** Concepts sampled at N: [C, c_in, N], `φ_c(n/N)` (not renormalised: unit L2[0,1) norm ⇒ sample norm ≈ √N). */
  atoms(N: number): Float64Array {
    return this.sampled('atoms', N).atoms.slice();
  }

  /** A fresh Rng for occurrences, derived from the seed (the same stream at every call). */
  dataRng(): Rng {
    return fromState(this.dataState);
  }

  /** A fresh Rng for noise, derived from the seed and independent of `dataRng()`. */
  noiseRng(): Rng {
    return fromState(this.noiseState);
  }

  /**
   * Draws the occurrences of `count` signals from `rng`, signal by signal, concepts in
   * increasing order within a signal. Locations: independent uniform grid points without
   * a minimum separation (two may coincide); with one, a uniformly random set of grid points with circular
   * gaps ≥ minSeparation (random start, uniform composition of the slack), assigned in
   * random order. Amplitudes uniform in `amplitude`, negated with probability ½ if signed.
   */
  sampleOccurrences(count: number, rng: Rng): Occurrence[] {
    checkCount('FunctionalModel.sampleOccurrences', count);
    const { occurrence, concepts: C, baseResolution: nBase, amplitude, signed } = this.config;
    const out: Occurrence[] = [];
    const present: number[] = [];
    const pos = new Int32Array(maxOccurrences(occurrence, C));
    for (let b = 0; b < count; b++) {
      present.length = 0;
      if (occurrence.kind === 'fixed') {
        for (let c = 0; c < C; c++) for (let k = 0; k < occurrence.count; k++) present.push(c);
      } else if (occurrence.kind === 'bernoulli') {
        for (let c = 0; c < C; c++) if (rng.uniform() < occurrence.p) present.push(c);
      } else {
        present.push(rng.int(C));
      }
      placeOnGrid(rng, present.length, nBase, this.gap, pos);
      for (let i = 0; i < present.length; i++) {
        let amp = rng.uniformIn(amplitude[0], amplitude[1]);
        if (signed && rng.uniform() < 0.5) amp = -amp;
        out.push({ signal: b, concept: present[i], tau: pos[i] / nBase, amp });
      }
    }
    return out;
  }

  /**
   * Samples signals at resolution N: x[b, ch, n] = Σ a·φ_c(n/N − τ) (+ σ·noise).
   * When τN is an integer (N a multiple of N_base) this is a circular shift of `atoms(N)`
   * by τN, so x at 2N restricted to even n equals x at N bit for bit (noise 0); otherwise
   * φ is evaluated at n/N − τ. Occurrences are summed in array order.
   * @param noiseRng noise source (default `noiseRng()`); unused when noise = 0.
   * @returns x: [count, c_in, N].
   */
  render(occurrences: readonly Occurrence[], count: number, N: number, noiseRng?: Rng): { x: Float64Array } {
    const fn = 'FunctionalModel.render';
    checkCount(fn, count);
    const { atoms } = this.sampled(fn, N);
    const cin = this.config.channels;
    const x = new Float64Array(count * cin * N);
    this.checkOccurrences(fn, occurrences, count);
    for (const o of occurrences) {
      const k = shiftOf(o.tau, N);
      for (let ch = 0; ch < cin; ch++) {
        const xo = (o.signal * cin + ch) * N;
        if (k === undefined) {
          const concept = this.concepts[o.concept];
          for (let n = 0; n < N; n++) x[xo + n] += o.amp * concept.evaluate(n / N - o.tau, ch);
          continue;
        }
        // x[n] += a·atom[(n − k) mod N], as two contiguous runs.
        const ao = (o.concept * cin + ch) * N;
        for (let n = k; n < N; n++) x[xo + n] += o.amp * atoms[ao + n - k];
        for (let n = 0; n < k; n++) x[xo + n] += o.amp * atoms[ao + n - k + N];
      }
    }
    const sigma = this.config.noise;
    if (sigma > 0) {
      const rng = noiseRng ?? this.noiseRng();
      for (let i = 0; i < x.length; i++) x[i] += sigma * rng.normal();
    }
    return { x };
  }

  /**
   * Dense truth codes [count, C, N]: each occurrence adds at index round(τN) mod N
   * (exact when N is a multiple of N_base)
   * - `height`: a·‖atoms(N)[c]‖₂ (norm over channels and samples), so circular convolution
   *   of the unit-norm sampled atom with the codes reproduces the signal (SAE-CNN);
   * - `mass`: a·N, a discrete delta of mass (1/N)Σz = a, so (1/N)·circular convolution of
   *   the sampled concept with the codes reproduces the signal (SAE-FNO, SPEC §4).
   */
  codes(occurrences: readonly Occurrence[], count: number, N: number, convention: CodeConvention): Float64Array {
    const fn = 'FunctionalModel.codes';
    checkCount(fn, count);
    if (convention !== 'height' && convention !== 'mass') throw new DataError(`${fn}: convention must be 'height' or 'mass', got ${String(convention)}`);
    const { norms } = this.sampled(fn, N);
    this.checkOccurrences(fn, occurrences, count);
    const C = this.config.concepts;
    const z = new Float64Array(count * C * N);
    for (const o of occurrences) {
      const idx = (((Math.round(o.tau * N) % N) + N) % N) | 0;
      z[(o.signal * C + o.concept) * N + idx] += o.amp * (convention === 'height' ? norms[o.concept] : N);
    }
    return z;
  }

  /** `count` signals at N from one Rng (occurrences, then noise): for online training. */
  sample(count: number, N: number, rng: Rng): { x: Float64Array; occurrences: Occurrence[] } {
    const occurrences = this.sampleOccurrences(count, rng);
    return { x: this.render(occurrences, count, N, rng).x, occurrences };
  }

  /**
   * `count` signals at N from the seed's streams: the same concepts and occurrences at
   * every N (noise from `noiseRng()`, drawn per resolution).
   */
  generate(count: number, N: number): { x: Float64Array; occurrences: Occurrence[] } {
    const occurrences = this.sampleOccurrences(count, this.dataRng());
    return { x: this.render(occurrences, count, N, this.noiseRng()).x, occurrences };
  }

  /** atoms(N) and per-concept sample norms, cached for the last N. */
  private sampled(fn: string, N: number): { atoms: Float64Array; norms: Float64Array } {
    if (!Number.isInteger(N) || N < 1) throw new DataError(`${fn}: resolution N must be a positive integer, got ${N}`);
    if (this.cached?.N !== N) {
      const { concepts: C, channels } = this.config;
      const atoms = sampleConcepts(this.concepts, channels, N);
      const norms = new Float64Array(C);
      for (let c = 0; c < C; c++) {
        let ss = 0;
        for (let i = c * channels * N; i < (c + 1) * channels * N; i++) ss += atoms[i] * atoms[i];
        norms[c] = Math.sqrt(ss);
      }
      this.cached = { N, atoms, norms };
    }
    return this.cached;
  }

  private checkOccurrences(fn: string, occurrences: readonly Occurrence[], count: number): void {
    const C = this.config.concepts;
    occurrences.forEach((o, i) => {
      if (!Number.isInteger(o.signal) || o.signal < 0 || o.signal >= count) throw new DataError(`${fn}: occurrences[${i}].signal ${o.signal} outside [0, ${count})`);
      if (!Number.isInteger(o.concept) || o.concept < 0 || o.concept >= C) throw new DataError(`${fn}: occurrences[${i}].concept ${o.concept} outside [0, ${C})`);
      if (!Number.isFinite(o.tau) || !Number.isFinite(o.amp)) throw new DataError(`${fn}: occurrences[${i}] has non-finite tau ${o.tau} or amp ${o.amp}`);
    });
  }
}

function fromState(state: RngState): Rng {
  const rng = new Rng(0);
  rng.setState(state);
  return rng;
}

function checkCount(fn: string, count: number): void {
  if (!Number.isInteger(count) || count < 0) throw new DataConfigError(`${fn}: count must be a non-negative integer, got ${count}`, ['count']);
}

/** τN mod N as an integer shift when τ is on the sample grid of N (within 1e-9), else undefined. */
function shiftOf(tau: number, N: number): number | undefined {
  const k = tau * N;
  const r = Math.round(k);
  if (Math.abs(k - r) > 1e-9) return undefined;
  return ((r % N) + N) % N;
}

/**
 * Writes n grid points of [0, nBase) into pos[0..n). gap = 0: independent uniform points.
 * gap ≥ 1: a uniformly random n-point set with circular gaps ≥ gap (callers ensure
 * n·gap ≤ nBase when n > 1): a uniform composition of the slack nBase − n·gap into n
 * parts (stars and bars) laid out from a uniform start — each set arises from exactly n
 * (start, composition) pairs, hence uniformly — then shuffled.
 */
function placeOnGrid(rng: Rng, n: number, nBase: number, gap: number, pos: Int32Array): void {
  if (gap === 0 || n <= 1) {
    for (let i = 0; i < n; i++) pos[i] = rng.int(nBase);
    return;
  }
  const slack = nBase - n * gap;
  const bars = rng.sampleWithoutReplacement(slack + n - 1, n - 1).sort((a, b) => a - b);
  let p = rng.int(nBase);
  let prevBar = -1;
  for (let i = 0; i < n; i++) {
    pos[i] = p;
    // part i = stars between bar i−1 and bar i (the last part runs to the end).
    const bar = i < n - 1 ? bars[i] : slack + n - 1;
    p = (p + gap + (bar - prevBar - 1)) % nBase;
    prevBar = bar;
  }
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = pos[i];
    pos[i] = pos[j];
    pos[j] = t;
  }
}
