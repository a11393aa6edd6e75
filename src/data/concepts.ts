/**
 * Concept families of the functional sparse generative model (SPEC §3): functions on the
 * periodic domain [0,1), evaluable at any s ∈ R, one profile per input channel, unit
 * L2[0,1) norm summed over channels. Hand-written: the truth must be exact, seeded, and
 * identical at every resolution, so each family is a closed-form function, not a table.
 *
 * Localized families (gaussian, gabor, random-taps, box) are centred at `support/2` and
 * essentially vanish outside [0, support) (energy outside < 3e-5 for the smooth ones, 0 for
 * the others), so a CNN kernel of K = support·N taps starting at index 0 can represent
 * them. `fourier` is global (random band-limited, modes |k| ≤ kMax).
 */
import type { Rng } from '../core/rng.js';

/** The concept families of SPEC §3. */
export const CONCEPT_FAMILIES = ['gaussian', 'gabor', 'fourier', 'random-taps', 'box'] as const;
export type ConceptFamily = (typeof CONCEPT_FAMILIES)[number];

/** A concept: `evaluate(s, channel)` is φ_c(s) in channel `channel`, 1-periodic in s. */
export interface Concept {
  readonly channels: number;
  evaluate(s: number, channel: number): number;
}

/**
 * Family parameters (function units on [0,1)):
 * - `width`: gaussian standard deviation, gabor envelope standard deviation, or box width
 *   (a [min, max] range; the C gaussian or box widths of a channel are drawn with log-gaps
 *   ≥ log(max/min)/C, as `frequency` below; gabor envelope widths are independent uniform);
 * - `frequency`: gabor cosine frequency range in cycles per unit interval; the C frequencies
 *   of a channel are drawn uniformly among the sets with pairwise gaps ≥ (max−min)/C,
 *   since gabors of close frequencies are near duplicates;
 * - `kMax`: fourier highest mode.
 */
export interface FamilyParams {
  family: ConceptFamily;
  /** width of [0, support) occupied by localized concepts, in (0, 1]. */
  support: number;
  /** base grid 1/N_base: random-taps cells. */
  baseResolution: number;
  width?: readonly [number, number];
  frequency?: readonly [number, number];
  kMax?: number;
}

/**
 * Defaults per family (SPEC §3, issue 5). Chosen so the default 5 concepts are
 * distinguishable: see `DEFAULT_MAX_COHERENCE` in functional.ts for the coherence each gives.
 * gaussian widths span 8× (widest = 0.08 < support/6, so ±3σ stays in [0, support); adjacent
 * widths at least 8^{1/5} ≈ 1.52× apart for 5 concepts); gabor as in the issue-5 recovery data;
 * box widths span 10×.
 */
export const FAMILY_DEFAULTS: {
  gaussian: { width: [number, number] };
  gabor: { width: [number, number]; frequency: [number, number] };
  fourier: { kMax: number };
  box: { width: [number, number] };
} = {
  gaussian: { width: [0.01, 0.08] },
  gabor: { width: [0.06, 0.08], frequency: [0, 15] },
  fourier: { kMax: 8 },
  box: { width: [0.04, 0.4] },
};

/**
 * Trapezoid points for smooth periodic profiles: spectrally accurate, the error is the
 * aliased spectrum ~ e^{−2π²(Q/2 − f)²w²} < e^{−80} for envelope widths w ≥ 1e-3 and f ≤ 100.
 */
const QUADRATURE_POINTS = 4096;

/**
 * Cell index of u ∈ [0,1) on a grid of `cells` per unit. The 1e-9 tolerance puts a sample
 * taken at a cell boundary j/N_base (computed as n/N, which may round just below) into
 * the cell it mathematically belongs to, at every resolution N.
 */
function cellOf(u: number, cells: number): number {
  return Math.floor(u * cells + 1e-9);
}

/** One channel's profile on [0,1): raw shape and its squared L2[0,1) norm. */
interface Profile {
  value(u: number): number;
  normSq(): number;
}

/** Squared L2[0,1) norm of a smooth periodic profile by the trapezoid rule. */
function quadratureNormSq(value: (u: number) => number): number {
  let sum = 0;
  for (let q = 0; q < QUADRATURE_POINTS; q++) {
    const v = value(q / QUADRATURE_POINTS);
    sum += v * v;
  }
  return sum / QUADRATURE_POINTS;
}

/**
 * Gaussian envelope (std `width`, centre `centre`) times cos(2π·freq·x + phase),
 * periodised by summing images x = u − centre + k over |k| ≤ images (with u − centre ∈ (−1, 1),
 * an omitted image has |x| > 9·width: below e^{−40}). freq = 0, phase = 0 is the plain Gaussian bump (cos 0 = 1 exactly).
 */
class GaborProfile implements Profile {
  private readonly images: number;
  private readonly inv2w2: number;

  constructor(
    private readonly centre: number,
    width: number,
    private readonly freq: number,
    private readonly phase: number,
  ) {
    this.images = 1 + Math.floor(9 * width);
    this.inv2w2 = 1 / (2 * width * width);
  }

  value(u: number): number {
    const d = u - this.centre;
    let sum = 0;
    for (let k = -this.images; k <= this.images; k++) {
      const x = d + k;
      const env = Math.exp(-x * x * this.inv2w2);
      sum += env * Math.cos(2 * Math.PI * this.freq * x + this.phase);
    }
    return sum;
  }

  normSq(): number {
    return quadratureNormSq((u) => this.value(u));
  }
}

/** a_0 + Σ_{k=1}^{kMax} a_k cos 2πku + b_k sin 2πku; coefficients [a_0, a_1, b_1, …]. */
class FourierProfile implements Profile {
  constructor(private readonly coef: Float64Array) {}

  value(u: number): number {
    const c = this.coef;
    let sum = c[0];
    for (let k = 1; 2 * k < c.length; k++) {
      const t = 2 * Math.PI * k * u;
      sum += c[2 * k - 1] * Math.cos(t) + c[2 * k] * Math.sin(t);
    }
    return sum;
  }

  /** Exact (Parseval). */
  normSq(): number {
    const c = this.coef;
    let sum = c[0] * c[0];
    for (let i = 1; i < c.length; i++) sum += 0.5 * c[i] * c[i];
    return sum;
  }
}

/** Piecewise constant on cells [j, j+1)/N_base: `taps[j]` for j < taps.length, else 0. */
class TapsProfile implements Profile {
  constructor(
    private readonly taps: Float64Array,
    private readonly cells: number,
  ) {}

  value(u: number): number {
    const j = cellOf(u, this.cells);
    return j < this.taps.length ? this.taps[j] : 0;
  }

  /** Exact: Σ taps² / N_base. */
  normSq(): number {
    let sum = 0;
    for (const t of this.taps) sum += t * t;
    return sum / this.cells;
  }
}

/** Indicator of [lo, hi) ⊂ [0, 1). */
class BoxProfile implements Profile {
  constructor(
    private readonly lo: number,
    private readonly hi: number,
  ) {}

  value(u: number): number {
    return u >= this.lo && u < this.hi ? 1 : 0;
  }

  /** Exact: the width. */
  normSq(): number {
    return this.hi - this.lo;
  }
}

/** A concept from per-channel profiles, each scaled so that channel carries energy 1/c_in. */
class ProfileConcept implements Concept {
  readonly channels: number;
  private readonly scale: Float64Array;

  constructor(
    private readonly profiles: Profile[],
    signs: Float64Array,
  ) {
    this.channels = profiles.length;
    this.scale = new Float64Array(profiles.length);
    for (let ch = 0; ch < profiles.length; ch++) {
      this.scale[ch] = signs[ch] / Math.sqrt(profiles[ch].normSq() * profiles.length);
    }
  }

  evaluate(s: number, channel: number): number {
    let u = s - Math.floor(s);
    if (u >= 1) u -= 1; // s = −tiny rounds to u = 1
    return this.scale[channel] * this.profiles[channel].value(u);
  }
}

/**
 * `count` values in [lo, hi] with pairwise gaps ≥ (hi−lo)/count, uniform over such sets
 * (sorted uniforms on the shortened interval plus i·gap), in random order. Keeps
 * frequencies (and log-widths) of different concepts apart, since close ones make
 * near-duplicate concepts.
 */
export function spacedUniform(rng: Rng, count: number, lo: number, hi: number): Float64Array {
  const gap = (hi - lo) / count;
  const free = hi - lo - (count - 1) * gap;
  const sorted = new Float64Array(count);
  for (let i = 0; i < count; i++) sorted[i] = free * rng.uniform();
  sorted.sort();
  const order = rng.permutation(count);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[order[i]] = lo + sorted[i] + i * gap;
  return out;
}

/** Draws one channel's profiles for all `count` concepts (widths/frequencies are drawn jointly to keep them apart). */
function drawChannelProfiles(params: FamilyParams, count: number, rng: Rng): Profile[] {
  const centre = params.support / 2;
  const profiles: Profile[] = [];
  switch (params.family) {
    case 'gaussian': {
      const [lo, hi] = params.width ?? FAMILY_DEFAULTS.gaussian.width;
      for (const logW of spacedUniform(rng, count, Math.log(lo), Math.log(hi))) profiles.push(new GaborProfile(centre, Math.exp(logW), 0, 0));
      break;
    }
    case 'gabor': {
      const [wLo, wHi] = params.width ?? FAMILY_DEFAULTS.gabor.width;
      const [fLo, fHi] = params.frequency ?? FAMILY_DEFAULTS.gabor.frequency;
      for (const f of spacedUniform(rng, count, fLo, fHi)) {
        profiles.push(new GaborProfile(centre, rng.uniformIn(wLo, wHi), f, 2 * Math.PI * rng.uniform()));
      }
      break;
    }
    case 'fourier': {
      const kMax = params.kMax ?? FAMILY_DEFAULTS.fourier.kMax;
      for (let c = 0; c < count; c++) {
        const coef = new Float64Array(2 * kMax + 1);
        rng.fillNormal(coef);
        profiles.push(new FourierProfile(coef));
      }
      break;
    }
    case 'random-taps': {
      const cells = params.baseResolution;
      const taps = cellOf(params.support, cells);
      for (let c = 0; c < count; c++) profiles.push(new TapsProfile(rng.fillNormal(new Float64Array(taps)) as Float64Array, cells));
      break;
    }
    case 'box': {
      const [lo, hi] = params.width ?? FAMILY_DEFAULTS.box.width;
      for (const logB of spacedUniform(rng, count, Math.log(lo), Math.log(hi))) {
        const b = Math.exp(logB);
        profiles.push(new BoxProfile(centre - b / 2, centre + b / 2));
      }
      break;
    }
  }
  return profiles;
}

/**
 * Draws `count` concepts of a family with `channels` channels each. Channels are
 * independent draws from the family; with several channels, channels ≥ 1 get a random
 * sign (so multi-channel bumps differ by more than width). Each channel has L2 norm
 * 1/√channels, so each concept has unit L2[0,1) norm summed over channels.
 * Parameters are assumed validated (see `validateFunctionalConfig`).
 */
export function drawConcepts(params: FamilyParams, count: number, channels: number, rng: Rng): Concept[] {
  const perChannel: Profile[][] = [];
  for (let ch = 0; ch < channels; ch++) perChannel.push(drawChannelProfiles(params, count, rng));
  const concepts: Concept[] = [];
  for (let c = 0; c < count; c++) {
    const signs = new Float64Array(channels).fill(1);
    for (let ch = 1; ch < channels; ch++) signs[ch] = rng.uniform() < 0.5 ? -1 : 1;
    concepts.push(
      new ProfileConcept(
        perChannel.map((p) => p[c]),
        signs,
      ),
    );
  }
  return concepts;
}

/**
 * Samples concepts at resolution N: `out[c, ch, n] = φ_c(n/N)` in channel ch, shape
 * [C, c_in, N] (the concept at its natural position; a CNN truth kernel is its first K taps).
 * `n/N` is computed as a division so that sample 2n at 2N equals sample n at N bit for bit.
 */
export function sampleConcepts(concepts: readonly Concept[], channels: number, N: number): Float64Array {
  const out = new Float64Array(concepts.length * channels * N);
  let o = 0;
  for (const concept of concepts) {
    for (let ch = 0; ch < channels; ch++) {
      for (let n = 0; n < N; n++) out[o++] = concept.evaluate(n / N, ch);
    }
  }
  return out;
}
