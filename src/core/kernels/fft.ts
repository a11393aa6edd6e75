/**
 * Fast Fourier transforms of any length N ≥ 1 on typed arrays, float64 arithmetic, no allocation per call.
 * Hand-written because the core must run in browsers without native code and the FNO needs every N:
 * Stockham mixed radix (8, 4, 2, 3, 5 and generic odd primes) or Bluestein's chirp-z, chosen per length by a
 * cost model; real transforms through a half-length complex FFT (even n) or two rows per complex FFT (odd n).
 */
import type { FloatArray } from '../tensor.js';

/** `'backward'`: forward unnormalised, inverse × 1/N (numpy default). `'forward'`: forward × 1/N, inverse unnormalised. */
export type FFTNorm = 'backward' | 'forward';

/** Invalid FFT length, mode count or buffer; the message names the function and the field. */
export class FFTError extends RangeError {
  override name = 'FFTError';
}

/** Radices for the Stockham stages: a leading 2 or 4, then 8s, then the odd primes in increasing order. */
function factorize(n: number): number[] {
  const f: number[] = [];
  let m = n;
  // the power-of-two part as 8s with one leading 2 or 4 (the first stage needs no twiddles)
  let pow2 = 1;
  while (m % 2 === 0) { pow2 *= 2; m /= 2; }
  const lead = 2 ** (Math.log2(pow2) % 3);
  if (lead > 1) f.push(lead);
  for (let q = pow2 / lead; q > 1; q /= 8) f.push(8);
  for (let p = 3; p * p <= m; p += 2) {
    while (m % p === 0) { f.push(p); m /= p; }
  }
  if (m > 1) f.push(m);
  return f;
}

/** The Bluestein convolution length: the cheapest 5-smooth L ≥ 2n − 1 (at most the next power of two). */
function bluesteinLength(n: number): number {
  let pow2 = 1;
  while (pow2 < 2 * n - 1) pow2 *= 2;
  let best = pow2, bestCost = mixedRadixCost(pow2);
  for (let a = 1; a <= pow2; a *= 2) {
    for (let b = a; b <= pow2; b *= 3) {
      for (let L = b; L <= pow2; L *= 5) {
        if (L < 2 * n - 1) continue;
        const c = mixedRadixCost(L);
        if (c < bestCost) { best = L; bestCost = c; }
      }
    }
  }
  return best;
}

/*
 * Cost model (≈ ns per transform on V8, fitted on this project's bench machine): a Stockham stage costs
 * ≈ 2.6 ns per element for the hand-written radices (≤ 8) and ≈ p ns per element for a generic prime p;
 * Bluestein costs 3 FFTs of its 5-smooth length L plus ≈ 4·L ns of chirp products. Used to choose
 * mixed radix vs Bluestein per length, and the direct DFT vs the FFT for pruned real transforms.
 */
function mixedRadixCost(n: number): number {
  let c = 0;
  for (const r of factorize(n)) c += n * (r <= 8 ? 2.6 : r);
  return c;
}
function bluesteinCost(n: number): number {
  const L = bluesteinLength(n);
  return 3 * mixedRadixCost(L) + 4 * L;
}
/** Estimated cost of one complex FFT of length n with the algorithm `ComplexFFT` picks. */
function complexCost(n: number): number {
  return Math.min(mixedRadixCost(n), bluesteinCost(n));
}

/** cos/sin of −2π·num/den with exact zeros and ±1 on the axes (so Nyquist and DC terms stay exactly real). */
function rootCos(num: number, den: number): number {
  const r = ((num % den) + den) % den;
  if (4 * r === den || 4 * r === 3 * den) return 0;
  if (r === 0) return 1;
  if (2 * r === den) return -1;
  return Math.cos((2 * Math.PI * r) / den);
}
function rootSin(num: number, den: number): number {
  // sin(−2πr/den)
  const r = ((num % den) + den) % den;
  if (r === 0 || 2 * r === den) return 0;
  if (4 * r === den) return -1;
  if (4 * r === 3 * den) return 1;
  return -Math.sin((2 * Math.PI * r) / den);
}

interface Stage {
  radix: number;
  /** product of the radices of the earlier stages */
  ns: number;
  /** twiddles e^{−2πi·r·k/(ns·radix)}, index k·(radix−1) + r − 1 */
  twr: Float64Array;
  twi: Float64Array;
  /** generic radix only: e^{−2πi·q/radix}, q = 0..radix−1 */
  rootr: Float64Array;
  rooti: Float64Array;
}

/*
 * Stockham passes (Govindaraju et al. 2008 formulation): for j = b·ns + k, load v_r = x[j + r·n/R]·w^{r·k},
 * take an R-point DFT, store y[b·ns·R + k + r·ns]. One function per radix because the butterflies differ;
 * passing the butterfly as a callback costs 2–3× in V8. The twiddle multiply is skipped at k = 0.
 */

function pass2(n: number, ns: number, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array, twr: Float64Array, twi: Float64Array): void {
  const m = n >> 1;
  const nb = m / ns;
  for (let b = 0, j = 0; b < nb; b++) {
    const ob = b * ns * 2;
    for (let k = 0; k < ns; k++, j++) {
      const a0r = xr[j], a0i = xi[j];
      let a1r = xr[j + m], a1i = xi[j + m];
      if (k > 0) {
        const wr = twr[k], wi = twi[k];
        const t = a1r * wr - a1i * wi; a1i = a1r * wi + a1i * wr; a1r = t;
      }
      const o = ob + k;
      yr[o] = a0r + a1r; yi[o] = a0i + a1i;
      yr[o + ns] = a0r - a1r; yi[o + ns] = a0i - a1i;
    }
  }
}

function pass3(n: number, ns: number, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array, twr: Float64Array, twi: Float64Array): void {
  const m = n / 3;
  const nb = m / ns;
  const s3 = Math.sqrt(3) / 2;
  for (let b = 0, j = 0; b < nb; b++) {
    const ob = b * ns * 3;
    for (let k = 0; k < ns; k++, j++) {
      const a0r = xr[j], a0i = xi[j];
      let a1r = xr[j + m], a1i = xi[j + m];
      let a2r = xr[j + 2 * m], a2i = xi[j + 2 * m];
      if (k > 0) {
        const t = 2 * k;
        let wr = twr[t], wi = twi[t];
        let u = a1r * wr - a1i * wi; a1i = a1r * wi + a1i * wr; a1r = u;
        wr = twr[t + 1]; wi = twi[t + 1];
        u = a2r * wr - a2i * wi; a2i = a2r * wi + a2i * wr; a2r = u;
      }
      const sr = a1r + a2r, si = a1i + a2i;
      const tr = a0r - 0.5 * sr, ti = a0i - 0.5 * si;
      // −i·s3·(a1 − a2)
      const ur = s3 * (a1i - a2i), ui = -s3 * (a1r - a2r);
      const o = ob + k;
      yr[o] = a0r + sr; yi[o] = a0i + si;
      yr[o + ns] = tr + ur; yi[o + ns] = ti + ui;
      yr[o + 2 * ns] = tr - ur; yi[o + 2 * ns] = ti - ui;
    }
  }
}

function pass4(n: number, ns: number, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array, twr: Float64Array, twi: Float64Array): void {
  const m = n >> 2;
  const nb = m / ns;
  for (let b = 0, j = 0; b < nb; b++) {
    const ob = b * ns * 4;
    for (let k = 0; k < ns; k++, j++) {
      const a0r = xr[j], a0i = xi[j];
      let a1r = xr[j + m], a1i = xi[j + m];
      let a2r = xr[j + 2 * m], a2i = xi[j + 2 * m];
      let a3r = xr[j + 3 * m], a3i = xi[j + 3 * m];
      if (k > 0) {
        const t = 3 * k;
        let wr = twr[t], wi = twi[t];
        let u = a1r * wr - a1i * wi; a1i = a1r * wi + a1i * wr; a1r = u;
        wr = twr[t + 1]; wi = twi[t + 1];
        u = a2r * wr - a2i * wi; a2i = a2r * wi + a2i * wr; a2r = u;
        wr = twr[t + 2]; wi = twi[t + 2];
        u = a3r * wr - a3i * wi; a3i = a3r * wi + a3i * wr; a3r = u;
      }
      const s02r = a0r + a2r, s02i = a0i + a2i, d02r = a0r - a2r, d02i = a0i - a2i;
      const s13r = a1r + a3r, s13i = a1i + a3i, d13r = a1r - a3r, d13i = a1i - a3i;
      const o = ob + k;
      yr[o] = s02r + s13r; yi[o] = s02i + s13i;
      yr[o + ns] = d02r + d13i; yi[o + ns] = d02i - d13r;
      yr[o + 2 * ns] = s02r - s13r; yi[o + 2 * ns] = s02i - s13i;
      yr[o + 3 * ns] = d02r - d13i; yi[o + 3 * ns] = d02i + d13r;
    }
  }
}

function pass5(n: number, ns: number, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array, twr: Float64Array, twi: Float64Array): void {
  const m = n / 5;
  const nb = m / ns;
  const c1 = Math.cos((2 * Math.PI) / 5), c2 = Math.cos((4 * Math.PI) / 5);
  const s1 = Math.sin((2 * Math.PI) / 5), s2 = Math.sin((4 * Math.PI) / 5);
  for (let b = 0, j = 0; b < nb; b++) {
    const ob = b * ns * 5;
    for (let k = 0; k < ns; k++, j++) {
      const a0r = xr[j], a0i = xi[j];
      let a1r = xr[j + m], a1i = xi[j + m];
      let a2r = xr[j + 2 * m], a2i = xi[j + 2 * m];
      let a3r = xr[j + 3 * m], a3i = xi[j + 3 * m];
      let a4r = xr[j + 4 * m], a4i = xi[j + 4 * m];
      if (k > 0) {
        const t = 4 * k;
        let wr = twr[t], wi = twi[t];
        let u = a1r * wr - a1i * wi; a1i = a1r * wi + a1i * wr; a1r = u;
        wr = twr[t + 1]; wi = twi[t + 1];
        u = a2r * wr - a2i * wi; a2i = a2r * wi + a2i * wr; a2r = u;
        wr = twr[t + 2]; wi = twi[t + 2];
        u = a3r * wr - a3i * wi; a3i = a3r * wi + a3i * wr; a3r = u;
        wr = twr[t + 3]; wi = twi[t + 3];
        u = a4r * wr - a4i * wi; a4i = a4r * wi + a4i * wr; a4r = u;
      }
      const p14r = a1r + a4r, p14i = a1i + a4i, m14r = a1r - a4r, m14i = a1i - a4i;
      const p23r = a2r + a3r, p23i = a2i + a3i, m23r = a2r - a3r, m23i = a2i - a3i;
      // y1,4 = A1 ∓ i·B1, y2,3 = A2 ∓ i·B2
      const A1r = a0r + c1 * p14r + c2 * p23r, A1i = a0i + c1 * p14i + c2 * p23i;
      const A2r = a0r + c2 * p14r + c1 * p23r, A2i = a0i + c2 * p14i + c1 * p23i;
      const B1r = s1 * m14r + s2 * m23r, B1i = s1 * m14i + s2 * m23i;
      const B2r = s2 * m14r - s1 * m23r, B2i = s2 * m14i - s1 * m23i;
      const o = ob + k;
      yr[o] = a0r + p14r + p23r; yi[o] = a0i + p14i + p23i;
      yr[o + ns] = A1r + B1i; yi[o + ns] = A1i - B1r;
      yr[o + 2 * ns] = A2r + B2i; yi[o + 2 * ns] = A2i - B2r;
      yr[o + 3 * ns] = A2r - B2i; yi[o + 3 * ns] = A2i + B2r;
      yr[o + 4 * ns] = A1r - B1i; yi[o + 4 * ns] = A1i + B1r;
    }
  }
}

function pass8(n: number, ns: number, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array, twr: Float64Array, twi: Float64Array): void {
  const m = n >> 3;
  const nb = m / ns;
  const h = Math.SQRT1_2;
  for (let b = 0, j = 0; b < nb; b++) {
    const ob = b * ns * 8;
    for (let k = 0; k < ns; k++, j++) {
      let a0r = xr[j], a0i = xi[j];
      let a1r = xr[j + m], a1i = xi[j + m];
      let a2r = xr[j + 2 * m], a2i = xi[j + 2 * m];
      let a3r = xr[j + 3 * m], a3i = xi[j + 3 * m];
      let a4r = xr[j + 4 * m], a4i = xi[j + 4 * m];
      let a5r = xr[j + 5 * m], a5i = xi[j + 5 * m];
      let a6r = xr[j + 6 * m], a6i = xi[j + 6 * m];
      let a7r = xr[j + 7 * m], a7i = xi[j + 7 * m];
      if (k > 0) {
        const t = 7 * k;
        let wr = twr[t], wi = twi[t];
        let u = a1r * wr - a1i * wi; a1i = a1r * wi + a1i * wr; a1r = u;
        wr = twr[t + 1]; wi = twi[t + 1];
        u = a2r * wr - a2i * wi; a2i = a2r * wi + a2i * wr; a2r = u;
        wr = twr[t + 2]; wi = twi[t + 2];
        u = a3r * wr - a3i * wi; a3i = a3r * wi + a3i * wr; a3r = u;
        wr = twr[t + 3]; wi = twi[t + 3];
        u = a4r * wr - a4i * wi; a4i = a4r * wi + a4i * wr; a4r = u;
        wr = twr[t + 4]; wi = twi[t + 4];
        u = a5r * wr - a5i * wi; a5i = a5r * wi + a5i * wr; a5r = u;
        wr = twr[t + 5]; wi = twi[t + 5];
        u = a6r * wr - a6i * wi; a6i = a6r * wi + a6i * wr; a6r = u;
        wr = twr[t + 6]; wi = twi[t + 6];
        u = a7r * wr - a7i * wi; a7i = a7r * wi + a7i * wr; a7r = u;
      }
      // radix-4 on the even inputs (E) and the odd inputs (O), then y_q = E_q + ω^q·O_q, y_{q+4} = E_q − ω^q·O_q
      let s = a0r + a4r, t0 = a0i + a4i, d = a0r - a4r, e = a0i - a4i;
      let s2 = a2r + a6r, u2 = a2i + a6i, d2 = a2r - a6r, e2 = a2i - a6i;
      const E0r = s + s2, E0i = t0 + u2, E2r = s - s2, E2i = t0 - u2;
      const E1r = d + e2, E1i = e - d2, E3r = d - e2, E3i = e + d2;
      s = a1r + a5r; t0 = a1i + a5i; d = a1r - a5r; e = a1i - a5i;
      s2 = a3r + a7r; u2 = a3i + a7i; d2 = a3r - a7r; e2 = a3i - a7i;
      const O0r = s + s2, O0i = t0 + u2, O2r = s - s2, O2i = t0 - u2;
      const O1r = d + e2, O1i = e - d2, O3r = d - e2, O3i = e + d2;
      // ω = e^{−iπ/4}: ω·O1 = (O1r + O1i, O1i − O1r)/√2, ω²·O2 = −i·O2, ω³·O3 = (O3i − O3r, −O3r − O3i)/√2
      const W1r = h * (O1r + O1i), W1i = h * (O1i - O1r);
      const W3r = h * (O3i - O3r), W3i = -h * (O3r + O3i);
      const o = ob + k;
      yr[o] = E0r + O0r; yi[o] = E0i + O0i;
      yr[o + ns] = E1r + W1r; yi[o + ns] = E1i + W1i;
      yr[o + 2 * ns] = E2r + O2i; yi[o + 2 * ns] = E2i - O2r;
      yr[o + 3 * ns] = E3r + W3r; yi[o + 3 * ns] = E3i + W3i;
      yr[o + 4 * ns] = E0r - O0r; yi[o + 4 * ns] = E0i - O0i;
      yr[o + 5 * ns] = E1r - W1r; yi[o + 5 * ns] = E1i - W1i;
      yr[o + 6 * ns] = E2r - O2i; yi[o + 6 * ns] = E2i + O2r;
      yr[o + 7 * ns] = E3r - W3r; yi[o + 7 * ns] = E3i - W3i;
    }
  }
}

/** Generic odd radix p: y_q = v_0 + Σ_{r=1}^{(p−1)/2} (v_r + v_{p−r})·cos − i(v_r − v_{p−r})·sin, O(p²) per group. */
function passGeneric(n: number, st: Stage, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array, vr: Float64Array, vi: Float64Array): void {
  const { radix: p, ns, twr, twi, rootr, rooti } = st;
  const m = n / p;
  const nb = m / ns;
  const h = (p - 1) >> 1;
  for (let b = 0, j = 0; b < nb; b++) {
    const ob = b * ns * p;
    for (let k = 0; k < ns; k++, j++) {
      for (let r = 0; r < p; r++) {
        const ar = xr[j + r * m], ai = xi[j + r * m];
        if (k > 0 && r > 0) {
          const wr = twr[k * (p - 1) + r - 1], wi = twi[k * (p - 1) + r - 1];
          vr[r] = ar * wr - ai * wi; vi[r] = ar * wi + ai * wr;
        } else {
          vr[r] = ar; vi[r] = ai;
        }
      }
      // reuse the tail of v for the sums/differences: v[r] ← v_r + v_{p−r}, v[p−r] ← v_r − v_{p−r}
      let y0r = vr[0], y0i = vi[0];
      for (let r = 1; r <= h; r++) {
        const sr = vr[r] + vr[p - r], si = vi[r] + vi[p - r];
        const dr = vr[r] - vr[p - r], di = vi[r] - vi[p - r];
        vr[r] = sr; vi[r] = si; vr[p - r] = dr; vi[p - r] = di;
        y0r += sr; y0i += si;
      }
      const o = ob + k;
      yr[o] = y0r; yi[o] = y0i;
      for (let q = 1; q <= h; q++) {
        let ar = vr[0], ai = vi[0], br = 0, bi = 0;
        for (let r = 1, idx = q; r <= h; r++, idx += q) {
          if (idx >= p) idx -= p;
          // rootr/rooti hold cos and −sin of 2π·idx/p
          const c = rootr[idx], s = -rooti[idx];
          ar += c * vr[r]; ai += c * vi[r];
          br += s * vr[p - r]; bi += s * vi[p - r];
        }
        // y_q = A − i·B, y_{p−q} = A + i·B
        yr[o + q * ns] = ar + bi; yi[o + q * ns] = ai - br;
        yr[o + (p - q) * ns] = ar - bi; yi[o + (p - q) * ns] = ai + br;
      }
    }
  }
}

function makeStage(radix: number, ns: number): Stage {
  const L = ns * radix;
  const twr = new Float64Array(ns * (radix - 1));
  const twi = new Float64Array(ns * (radix - 1));
  for (let k = 0; k < ns; k++) {
    for (let r = 1; r < radix; r++) {
      twr[k * (radix - 1) + r - 1] = rootCos(r * k, L);
      twi[k * (radix - 1) + r - 1] = rootSin(r * k, L);
    }
  }
  const generic = radix > 5 && radix !== 8;
  const rootr = new Float64Array(generic ? radix : 0);
  const rooti = new Float64Array(generic ? radix : 0);
  for (let q = 0; q < rootr.length; q++) { rootr[q] = rootCos(q, radix); rooti[q] = rootSin(q, radix); }
  return { radix, ns, twr, twi, rootr, rooti };
}

function isPow2(n: number): boolean {
  return (n & (n - 1)) === 0;
}

function checkLength(n: number, where: string): void {
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 30) throw new FFTError(`${where}: length n must be an integer in [1, 2^30], got ${n}`);
}

/**
 * Complex DFT plan of length n: X_k = Σ_m x_m e^{−2πikm/n} (forward), x_m = Σ_k X_k e^{+2πikm/n} (inverse),
 * scaled per `FFTNorm`. Twiddles and scratch live in the plan; get shared plans with `getComplexFFTPlan`.
 */
export class ComplexFFT {
  readonly n: number;
  /** 'mixed-radix' (Stockham stages) or 'bluestein' (chirp-z through FFTs of a 5-smooth length), whichever the cost model rates faster */
  readonly algorithm: 'mixed-radix' | 'bluestein';
  /** @internal input buffers that `execute` transforms (callers inside the kernels fill them directly) */
  readonly inRe: Float64Array;
  /** @internal */
  readonly inIm: Float64Array;
  /** @internal where the last `execute` left its result (one of the plan's buffers) */
  outRe: Float64Array;
  /** @internal */
  outIm: Float64Array;
  private readonly tmpRe: Float64Array;
  private readonly tmpIm: Float64Array;
  private readonly stages: Stage[];
  private readonly vr: Float64Array;
  private readonly vi: Float64Array;
  // Bluestein: chirp c_m = e^{−iπm²/n}, filter spectrum (incl. 1/L), power-of-two sub-plan of length L ≥ 2n−1
  private readonly sub: ComplexFFT | null = null;
  private readonly chirpRe = new Float64Array(0);
  private readonly chirpIm = new Float64Array(0);
  private readonly filtRe = new Float64Array(0);
  private readonly filtIm = new Float64Array(0);

  /** @param n transform length, any integer ≥ 1 */
  constructor(n: number) {
    checkLength(n, 'ComplexFFT');
    this.n = n;
    this.inRe = new Float64Array(n);
    this.inIm = new Float64Array(n);
    this.tmpRe = new Float64Array(n);
    this.tmpIm = new Float64Array(n);
    this.outRe = this.inRe;
    this.outIm = this.inIm;
    this.algorithm = bluesteinCost(n) < mixedRadixCost(n) ? 'bluestein' : 'mixed-radix';
    this.stages = [];
    let maxRadix = 0;
    if (this.algorithm === 'mixed-radix') {
      const radices = factorize(n);
      let ns = 1;
      for (const r of radices) {
        this.stages.push(makeStage(r, ns));
        ns *= r;
        maxRadix = Math.max(maxRadix, r);
      }
    } else {
      const L = bluesteinLength(n);
      this.sub = new ComplexFFT(L);
      this.chirpRe = new Float64Array(n);
      this.chirpIm = new Float64Array(n);
      // e^{−iπm²/n} = e^{−2πi·(m² mod 2n)/(2n)}, with m² mod 2n updated exactly as (m+1)² = m² + 2m + 1
      for (let m = 0, q = 0; m < n; q = (q + 2 * m + 1) % (2 * n), m++) {
        this.chirpRe[m] = rootCos(q, 2 * n);
        this.chirpIm[m] = rootSin(q, 2 * n);
      }
      // filter b_j = conj(c_j) for |j| < n, wrapped to length L; its DFT, divided by L for the inverse
      const s = this.sub;
      s.inRe.fill(0); s.inIm.fill(0);
      for (let m = 0; m < n; m++) {
        s.inRe[m] = this.chirpRe[m]; s.inIm[m] = -this.chirpIm[m];
        if (m > 0) { s.inRe[L - m] = this.chirpRe[m]; s.inIm[L - m] = -this.chirpIm[m]; }
      }
      s.execute(false);
      this.filtRe = Float64Array.from(s.outRe, (v) => v / L);
      this.filtIm = Float64Array.from(s.outIm, (v) => v / L);
    }
    this.vr = new Float64Array(maxRadix);
    this.vi = new Float64Array(maxRadix);
  }

  /**
   * @internal Unnormalised DFT of (inRe, inIm) (sign −, or + when `inverse`); result in (outRe, outIm).
   * The inverse runs the forward transform on swapped re/im, which conjugates input and output.
   * Overwrites the input buffers.
   */
  execute(inverse: boolean): void {
    let sr = inverse ? this.inIm : this.inRe, si = inverse ? this.inRe : this.inIm;
    let dr = inverse ? this.tmpIm : this.tmpRe, di = inverse ? this.tmpRe : this.tmpIm;
    if (this.sub) {
      this.bluestein(sr, si, dr, di);
      sr = dr; si = di;
    } else {
      const n = this.n;
      for (const st of this.stages) {
        const ns = st.ns;
        switch (st.radix) {
          case 8: pass8(n, ns, sr, si, dr, di, st.twr, st.twi); break;
          case 4: pass4(n, ns, sr, si, dr, di, st.twr, st.twi); break;
          case 2: pass2(n, ns, sr, si, dr, di, st.twr, st.twi); break;
          case 3: pass3(n, ns, sr, si, dr, di, st.twr, st.twi); break;
          case 5: pass5(n, ns, sr, si, dr, di, st.twr, st.twi); break;
          default: passGeneric(n, st, sr, si, dr, di, this.vr, this.vi);
        }
        const tr = sr; sr = dr; dr = tr;
        const ti = si; si = di; di = ti;
      }
    }
    // with swapped roles the true real part sits in the "imaginary" slot
    this.outRe = inverse ? si : sr;
    this.outIm = inverse ? sr : si;
  }

  /** X_k = c_k · Σ_m (x_m c_m) conj(c_{k−m}): one length-L cyclic convolution by two FFTs (the filter's is precomputed). */
  private bluestein(xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): void {
    const n = this.n, s = this.sub!;
    const cr = this.chirpRe, ci = this.chirpIm, fr = this.filtRe, fi = this.filtIm;
    const ar = s.inRe, ai = s.inIm;
    for (let m = 0; m < n; m++) {
      ar[m] = xr[m] * cr[m] - xi[m] * ci[m];
      ai[m] = xr[m] * ci[m] + xi[m] * cr[m];
    }
    ar.fill(0, n); ai.fill(0, n);
    s.execute(false);
    const L = ar.length;
    const pr = s.outRe, pi = s.outIm;
    for (let j = 0; j < L; j++) {
      const u = pr[j], v = pi[j];
      ar[j] = u * fr[j] - v * fi[j];
      ai[j] = u * fi[j] + v * fr[j];
    }
    s.execute(true);
    const qr = s.outRe, qi = s.outIm;
    for (let k = 0; k < n; k++) {
      yr[k] = qr[k] * cr[k] - qi[k] * ci[k];
      yi[k] = qr[k] * ci[k] + qi[k] * cr[k];
    }
  }

  /** Forward DFT. re, im, outRe, outIm: [n] (out may be the input: in place). Default norm 'backward'. */
  forward(re: FloatArray, im: FloatArray, outRe: FloatArray = re, outIm: FloatArray = im, norm: FFTNorm = 'backward'): void {
    this.run(re, im, outRe, outIm, false, norm === 'forward' ? 1 / this.n : 1);
  }

  /** Inverse DFT (sign +). re, im, outRe, outIm: [n] (out may be the input). Default norm 'backward' (× 1/n). */
  inverse(re: FloatArray, im: FloatArray, outRe: FloatArray = re, outIm: FloatArray = im, norm: FFTNorm = 'backward'): void {
    this.run(re, im, outRe, outIm, true, norm === 'backward' ? 1 / this.n : 1);
  }

  private run(re: FloatArray, im: FloatArray, outRe: FloatArray, outIm: FloatArray, inverse: boolean, scale: number): void {
    const n = this.n;
    if (Math.min(re.length, im.length, outRe.length, outIm.length) < n) {
      throw new FFTError(`ComplexFFT(${n}): re/im/outRe/outIm lengths ${re.length}/${im.length}/${outRe.length}/${outIm.length}, all must be ≥ n`);
    }
    for (let i = 0; i < n; i++) { this.inRe[i] = re[i]; this.inIm[i] = im[i]; }
    this.execute(inverse);
    const yr = this.outRe, yi = this.outIm;
    for (let i = 0; i < n; i++) { outRe[i] = yr[i] * scale; outIm[i] = yi[i] * scale; }
  }
}

/*
 * Even-n real transforms through a complex FFT of length h = n/2. These loops are separate small functions
 * rather than inline in the methods: V8 optimises them measurably better (≈ 20% on the whole rfft).
 */

/** z_m = x_{2m} + i·x_{2m+1}, m < h. */
function packEven(x: ArrayLike<number>, xo: number, h: number, zr: Float64Array, zi: Float64Array): void {
  for (let m = 0; m < h; m++) { zr[m] = x[xo + 2 * m]; zi[m] = x[xo + 2 * m + 1]; }
}

/** x_{2m} = s·Re y_m, x_{2m+1} = s·Im y_m. */
function unpackEven(yr: Float64Array, yi: Float64Array, h: number, out: FloatArray, oo: number, scale: number): void {
  for (let m = 0; m < h; m++) { out[oo + 2 * m] = yr[m] * scale; out[oo + 2 * m + 1] = yi[m] * scale; }
}

/**
 * X from Z = FFT_h(z): with S = Z_k + conj Z_{h−k} and T = −i·e^{−2πik/n}·(Z_k − conj Z_{h−k}),
 * X_k = (S + T)/2 and X_{h−k} = conj(S − T)/2, so each pair (k, h−k) costs one pair of loads.
 * Writes s·X_k for k < modes; X_0 and X_h are real.
 */
function splitEven(Zr: Float64Array, Zi: Float64Array, wr: Float64Array, wi: Float64Array, h: number, outRe: FloatArray, outIm: FloatArray, oo: number, modes: number, scale: number): void {
  outRe[oo] = (Zr[0] + Zi[0]) * scale; outIm[oo] = 0;
  if (modes > h) { outRe[oo + h] = (Zr[0] - Zi[0]) * scale; outIm[oo + h] = 0; }
  const hs = 0.5 * scale;
  const top = Math.min(modes - 1, h >> 1);
  for (let k = 1, q = h - 1; k <= top; k++, q--) {
    const ar = Zr[k], ai = Zi[k], br = Zr[q], bi = -Zi[q];
    const sr = ar + br, si = ai + bi, dr = ar - br, di = ai - bi;
    const c = wr[k], s = wi[k];
    // T = −i·W·D = (Im(W·D), −Re(W·D)), W = (c, s)
    const tr = c * di + s * dr, ti = s * di - c * dr;
    outRe[oo + k] = (sr + tr) * hs; outIm[oo + k] = (si + ti) * hs;
    if (q < modes) { outRe[oo + q] = (sr - tr) * hs; outIm[oo + q] = (ti - si) * hs; }
  }
}

/**
 * Z' for the inverse from X_0..X_{modes−1} (zero beyond): with S = X_k + conj X_{h−k} and
 * U = i·e^{+2πik/n}·(X_k − conj X_{h−k}), Z'_k = S + U and Z'_{h−k} = conj(S − U); then
 * x_{2m} + i·x_{2m+1} = (1/n)·IFFT_h(Z')_m for the unnormalised X. Imaginary parts of X_0 and X_h are not read.
 */
function mergeEven(re: ArrayLike<number>, im: ArrayLike<number>, io: number, modes: number, wr: Float64Array, wi: Float64Array, h: number, zr: Float64Array, zi: Float64Array): void {
  const x0 = re[io], xh = modes > h ? re[io + h] : 0;
  zr[0] = x0 + xh; zi[0] = x0 - xh;
  for (let k = 1, q = h - 1; k <= q; k++, q--) {
    let ar = 0, ai = 0, br = 0, bi = 0;
    if (k < modes) { ar = re[io + k]; ai = im[io + k]; }
    if (q < modes) { br = re[io + q]; bi = -im[io + q]; }
    const sr = ar + br, si = ai + bi, dr = ar - br, di = ai - bi;
    // e^{+2πik/n} = (c, −s) with (c, s) = (wr, wi); U = i·(D·e) = (−Im(D·e), Re(D·e))
    const c = wr[k], s = wi[k];
    const ur = dr * s - di * c, ui = dr * c + di * s;
    zr[k] = sr + ur; zi[k] = si + ui;
    zr[q] = sr - ur; zi[q] = ui - si;
  }
}

/**
 * Real-input DFT plan of length n. The spectrum is the K = ⌊n/2⌋+1 non-negative frequencies
 * X_k = s·Σ_m x_m e^{−2πikm/n} (s = 1, or 1/n for norm 'forward'); the inverse reads the first
 * `modes` of them (the rest are zero), extends them Hermitian (X_{−k} = conj X_k) and ignores the
 * imaginary parts of k = 0 and of the Nyquist bin k = n/2. Even n uses one complex FFT of length n/2, odd n
 * one of length n (shared by two rows in `forwardRows`/`inverseRows`). `modes` ≤ `directMaxModes` uses a
 * direct O(n·modes) DFT instead, which is faster for a few modes (by the cost model: up to 3 modes at
 * n = 1024, 4 at n = 1000, 24 at the prime n = 127).
 */
export class RealFFT {
  readonly n: number;
  /** K = ⌊n/2⌋ + 1, the number of non-negative frequencies */
  readonly bins: number;
  /**
   * Largest mode count for which forward/inverse use the direct O(n·modes/2) DFT instead of the FFT.
   * Set from a cost model measured on V8; assign it (e.g. 0 or `bins`) to force one path.
   */
  directMaxModes: number;
  private readonly cfft: ComplexFFT;
  /** e^{−2πik/n} for k = 0..⌊n/2⌋ (even-n split/merge twiddles) */
  private readonly wRe: Float64Array;
  private readonly wIm: Float64Array;
  // direct DFT: tables cos(2πkm/n) and sin(−2πkm/n) for k < tableModes, m = 0..⌊n/2⌋; symmetric/antisymmetric halves of x
  private cosTab = new Float64Array(0);
  private sinTab = new Float64Array(0);
  private tableModes = 0;
  private readonly symA: Float64Array;
  private readonly symD: Float64Array;

  /** @param n signal length, any integer ≥ 1 */
  constructor(n: number) {
    checkLength(n, 'RealFFT');
    this.n = n;
    this.bins = (n >> 1) + 1;
    const even = n % 2 === 0;
    this.cfft = getComplexFFTPlan(even ? n / 2 : n);
    const h = n >> 1;
    this.wRe = new Float64Array(h + 1);
    this.wIm = new Float64Array(h + 1);
    for (let k = 0; k <= h; k++) { this.wRe[k] = rootCos(k, n); this.wIm[k] = rootSin(k, n); }
    this.symA = new Float64Array(h + 1);
    this.symD = new Float64Array(h + 1);
    this.directMaxModes = defaultDirectModes(n);
  }

  private checkModes(modes: number, where: string): void {
    if (!Number.isInteger(modes) || modes < 1 || modes > this.bins) {
      throw new FFTError(`RealFFT(${this.n}).${where}: modes must be an integer in [1, ${this.bins}] (⌊n/2⌋+1), got ${modes}`);
    }
  }

  /** cos(2πkm/n), sin(−2πkm/n) rows for k < modes (grown on demand; only the direct path needs them). */
  private ensureTables(modes: number): void {
    if (modes <= this.tableModes) return;
    const w = (this.n >> 1) + 1;
    this.cosTab = new Float64Array(modes * w);
    this.sinTab = new Float64Array(modes * w);
    for (let k = 0; k < modes; k++) {
      for (let m = 0; m < w; m++) {
        this.cosTab[k * w + m] = rootCos(k * m, this.n);
        this.sinTab[k * w + m] = rootSin(k * m, this.n);
      }
    }
    this.tableModes = modes;
  }

  /**
   * Forward real DFT of input[inOff .. inOff+n) into outRe/outIm[outOff .. outOff+modes):
   * the first `modes` (default all K) coefficients. Imaginary parts of k = 0 and Nyquist are written as exact 0.
   */
  forward(input: ArrayLike<number>, inOff: number, outRe: FloatArray, outIm: FloatArray, outOff = 0, modes = this.bins, norm: FFTNorm = 'backward'): void {
    this.checkModes(modes, 'forward');
    const scale = norm === 'forward' ? 1 / this.n : 1;
    if (modes <= this.directMaxModes) this.directForward(input, inOff, outRe, outIm, outOff, modes, scale);
    else if (this.n % 2 === 0) this.evenForward(input, inOff, outRe, outIm, outOff, modes, scale);
    else this.oddForward(input, inOff, outRe, outIm, outOff, modes, scale);
  }

  /**
   * Inverse real DFT: re/im[inOff .. inOff+modes) are X_0..X_{modes−1} (higher modes zero), output
   * out[outOff .. outOff+n) = s·Σ_{k} X_k e^{+2πikm/n} over the Hermitian extension (s = 1/n for norm
   * 'backward', 1 for 'forward'). Imaginary parts of X_0 and of the Nyquist bin are ignored.
   */
  inverse(re: ArrayLike<number>, im: ArrayLike<number>, inOff: number, out: FloatArray, outOff = 0, modes = this.bins, norm: FFTNorm = 'backward'): void {
    this.checkModes(modes, 'inverse');
    const scale = norm === 'backward' ? 1 / this.n : 1;
    if (modes <= this.directMaxModes) this.directInverse(re, im, inOff, out, outOff, modes, scale);
    else if (this.n % 2 === 0) this.evenInverse(re, im, inOff, out, outOff, modes, scale);
    else this.oddInverse(re, im, inOff, out, outOff, modes, scale);
  }

  /**
   * `forward` on each row of x: [rows, n] from offset xOff; outRe/outIm: [rows, modes] from outOff.
   * Odd n on the FFT path transforms two rows per complex FFT (x₁ + i·x₂), halving the cost.
   */
  forwardRows(x: ArrayLike<number>, xOff: number, rows: number, outRe: FloatArray, outIm: FloatArray, outOff = 0, modes = this.bins, norm: FFTNorm = 'backward'): void {
    const n = this.n;
    let r = 0;
    if (n % 2 === 1 && modes > this.directMaxModes) {
      this.checkModes(modes, 'forwardRows');
      const scale = norm === 'forward' ? 1 / n : 1;
      for (; r + 1 < rows; r += 2) this.oddForwardPair(x, xOff + r * n, outRe, outIm, outOff + r * modes, modes, scale);
    }
    for (; r < rows; r++) this.forward(x, xOff + r * n, outRe, outIm, outOff + r * modes, modes, norm);
  }

  /** `inverse` on each row: re/im: [rows, modes] from inOff; out: [rows, n] from outOff. Odd n pairs rows like `forwardRows`. */
  inverseRows(re: ArrayLike<number>, im: ArrayLike<number>, inOff: number, rows: number, out: FloatArray, outOff = 0, modes = this.bins, norm: FFTNorm = 'backward'): void {
    const n = this.n;
    let r = 0;
    if (n % 2 === 1 && modes > this.directMaxModes) {
      this.checkModes(modes, 'inverseRows');
      const scale = norm === 'backward' ? 1 / n : 1;
      for (; r + 1 < rows; r += 2) this.oddInversePair(re, im, inOff + r * modes, out, outOff + r * n, modes, scale);
    }
    for (; r < rows; r++) this.inverse(re, im, inOff + r * modes, out, outOff + r * n, modes, norm);
  }

  /** Even n: pack x into z_m = x_{2m} + i·x_{2m+1}, one complex FFT of length n/2, split into X (see `splitEven`). */
  private evenForward(x: ArrayLike<number>, xo: number, outRe: FloatArray, outIm: FloatArray, oo: number, modes: number, scale: number): void {
    const f = this.cfft;
    packEven(x, xo, f.n, f.inRe, f.inIm);
    f.execute(false);
    splitEven(f.outRe, f.outIm, this.wRe, this.wIm, f.n, outRe, outIm, oo, modes, scale);
  }

  /** Even n inverse: merge X into Z' (see `mergeEven`), one inverse complex FFT of length n/2, unpack. */
  private evenInverse(re: ArrayLike<number>, im: ArrayLike<number>, io: number, out: FloatArray, oo: number, modes: number, scale: number): void {
    const f = this.cfft;
    mergeEven(re, im, io, modes, this.wRe, this.wIm, f.n, f.inRe, f.inIm);
    f.execute(true);
    unpackEven(f.outRe, f.outIm, f.n, out, oo, scale);
  }

  /** Odd n: a full complex FFT of the real signal (no Nyquist bin). */
  private oddForward(x: ArrayLike<number>, xo: number, outRe: FloatArray, outIm: FloatArray, oo: number, modes: number, scale: number): void {
    const f = this.cfft, n = this.n;
    for (let m = 0; m < n; m++) f.inRe[m] = x[xo + m];
    f.inIm.fill(0);
    f.execute(false);
    const Zr = f.outRe, Zi = f.outIm;
    for (let k = 0; k < modes; k++) { outRe[oo + k] = Zr[k] * scale; outIm[oo + k] = Zi[k] * scale; }
    outIm[oo] = 0;
  }

  /** Odd n inverse: Hermitian-extend into a full complex spectrum, inverse complex FFT, keep the real part. */
  private oddInverse(re: ArrayLike<number>, im: ArrayLike<number>, io: number, out: FloatArray, oo: number, modes: number, scale: number): void {
    const f = this.cfft, n = this.n;
    const zr = f.inRe, zi = f.inIm;
    zr.fill(0); zi.fill(0);
    zr[0] = re[io];
    for (let k = 1; k < modes; k++) {
      zr[k] = re[io + k]; zi[k] = im[io + k];
      zr[n - k] = re[io + k]; zi[n - k] = -im[io + k];
    }
    f.execute(true);
    const yr = f.outRe;
    for (let m = 0; m < n; m++) out[oo + m] = yr[m] * scale;
  }

  /**
   * Odd n, two rows at once: Z = FFT(x₁ + i·x₂), then X₁_k = (Z_k + conj Z_{n−k})/2 and
   * X₂_k = (Z_k − conj Z_{n−k})/(2i). Rows at xo and xo + n; spectra at oo and oo + modes.
   */
  private oddForwardPair(x: ArrayLike<number>, xo: number, outRe: FloatArray, outIm: FloatArray, oo: number, modes: number, scale: number): void {
    const f = this.cfft, n = this.n;
    const zr = f.inRe, zi = f.inIm;
    for (let m = 0; m < n; m++) { zr[m] = x[xo + m]; zi[m] = x[xo + n + m]; }
    f.execute(false);
    const Zr = f.outRe, Zi = f.outIm, hs = 0.5 * scale, o2 = oo + modes;
    outRe[oo] = Zr[0] * scale; outIm[oo] = 0;
    outRe[o2] = Zi[0] * scale; outIm[o2] = 0;
    for (let k = 1; k < modes; k++) {
      const ar = Zr[k], ai = Zi[k], br = Zr[n - k], bi = Zi[n - k];
      outRe[oo + k] = (ar + br) * hs; outIm[oo + k] = (ai - bi) * hs;
      outRe[o2 + k] = (ai + bi) * hs; outIm[o2 + k] = (br - ar) * hs;
    }
  }

  /** Odd n, two rows at once: Y_k = X₁_k + i·X₂_k over the Hermitian extensions, y = IFFT(Y), x₁ = Re y, x₂ = Im y. */
  private oddInversePair(re: ArrayLike<number>, im: ArrayLike<number>, io: number, out: FloatArray, oo: number, modes: number, scale: number): void {
    const f = this.cfft, n = this.n;
    const zr = f.inRe, zi = f.inIm, i2 = io + modes;
    zr.fill(0); zi.fill(0);
    zr[0] = re[io]; zi[0] = re[i2];
    for (let k = 1; k < modes; k++) {
      const a = re[io + k], b = im[io + k], c = re[i2 + k], d = im[i2 + k];
      zr[k] = a - d; zi[k] = b + c;
      zr[n - k] = a + d; zi[n - k] = c - b;
    }
    f.execute(true);
    const yr = f.outRe, yi = f.outIm;
    for (let m = 0; m < n; m++) { out[oo + m] = yr[m] * scale; out[oo + n + m] = yi[m] * scale; }
  }

  /** Direct DFT of the first `modes` bins using x_m ± x_{n−m} (cos/sin symmetry halves the work). */
  private directForward(x: ArrayLike<number>, xo: number, outRe: FloatArray, outIm: FloatArray, oo: number, modes: number, scale: number): void {
    this.ensureTables(modes);
    const n = this.n, w = (n >> 1) + 1, a = this.symA, d = this.symD;
    a[0] = x[xo]; d[0] = 0;
    for (let m = 1; m < w; m++) {
      const u = x[xo + m], v = n - m === m ? 0 : x[xo + n - m];
      a[m] = u + v; d[m] = u - v;
    }
    const ct = this.cosTab, st = this.sinTab;
    for (let k = 0; k < modes; k++) {
      let sr = 0, si = 0;
      const t = k * w;
      for (let m = 0; m < w; m++) { sr += a[m] * ct[t + m]; si += d[m] * st[t + m]; }
      // the sin table is exactly 0 at k = 0 and at Nyquist, so those imaginary parts come out exactly 0
      outRe[oo + k] = sr * scale; outIm[oo + k] = si * scale;
    }
  }

  /** Direct inverse: x_m and x_{n−m} share Σ c_k·Re X_k·cos and differ in the sign of Σ c_k·Im X_k·sin (c_k = 2, or 1 at Nyquist). */
  private directInverse(re: ArrayLike<number>, im: ArrayLike<number>, io: number, out: FloatArray, oo: number, modes: number, scale: number): void {
    this.ensureTables(modes);
    const n = this.n, w = (n >> 1) + 1, cs = this.symA, sn = this.symD;
    const ct = this.cosTab, st = this.sinTab;
    cs.fill(re[io]); sn.fill(0);
    for (let k = 1; k < modes; k++) {
      const nyq = 2 * k === n;
      const xr = (nyq ? 1 : 2) * re[io + k], xi = nyq ? 0 : 2 * im[io + k];
      const t = k * w;
      for (let m = 0; m < w; m++) { cs[m] += xr * ct[t + m]; sn[m] += xi * st[t + m]; }
    }
    out[oo] = cs[0] * scale;
    for (let m = 1; m < w; m++) {
      // sn holds Σ c_k·Im X_k·sin(−2πkm/n)
      out[oo + m] = (cs[m] + sn[m]) * scale;
      if (n - m !== m) out[oo + n - m] = (cs[m] - sn[m]) * scale;
    }
  }
}

/** Largest direct-DFT table (entries per cos/sin table) before it stops fitting in cache and the direct path loses. */
const MAX_DIRECT_TABLE = 1 << 16;

/**
 * Default `directMaxModes`: the direct forward + inverse cost ≈ 4.5 ns·modes·(⌊n/2⌋+1) (fitted like the
 * FFT cost model) against the plan's complex FFTs per row; pack/split costs are common to both and omitted.
 */
function defaultDirectModes(n: number): number {
  const w = (n >> 1) + 1;
  // odd n: the batched path pairs rows, so a row costs one complex FFT of length n per direction
  const fftCost = 2 * complexCost(n % 2 === 0 ? n / 2 : n) / (n % 2 === 0 ? 1 : 2);
  return Math.min(Math.floor(fftCost / (4.5 * w)), Math.floor(MAX_DIRECT_TABLE / w), w);
}

const complexPlans = new Map<number, ComplexFFT>();
const realPlans = new Map<number, RealFFT>();

/** The shared complex plan of length n (created on first use, then cached; plans are not re-entrant across threads). */
export function getComplexFFTPlan(n: number): ComplexFFT {
  let p = complexPlans.get(n);
  if (!p) { p = new ComplexFFT(n); complexPlans.set(n, p); }
  return p;
}

/** The shared real plan of length n (created on first use, then cached). */
export function getRealFFTPlan(n: number): RealFFT {
  let p = realPlans.get(n);
  if (!p) { p = new RealFFT(n); realPlans.set(n, p); }
  return p;
}

/** In-place forward complex DFT of re/im: [n] with the cached plan. */
export function fft(re: FloatArray, im: FloatArray, norm: FFTNorm = 'backward'): void {
  if (re.length !== im.length) throw new FFTError(`fft: re and im lengths differ (${re.length} vs ${im.length})`);
  getComplexFFTPlan(re.length).forward(re, im, re, im, norm);
}

/** In-place inverse complex DFT of re/im: [n] with the cached plan. */
export function ifft(re: FloatArray, im: FloatArray, norm: FFTNorm = 'backward'): void {
  if (re.length !== im.length) throw new FFTError(`ifft: re and im lengths differ (${re.length} vs ${im.length})`);
  getComplexFFTPlan(re.length).inverse(re, im, re, im, norm);
}
