/** Reconstruction and sparsity metrics (SPEC §5): relative squared error, PSNR, mean ℓ0. */
import { MetricsError } from './assignment.js';

function checkPair(fn: string, x: ArrayLike<number>, xhat: ArrayLike<number>): void {
  if (x.length !== xhat.length) throw new MetricsError(`${fn}: x has length ${x.length}, xhat has length ${xhat.length}`);
}

/**
 * Squared error and squared norm summed over `[from, to)`, checking finiteness.
 * @returns `[Σ (x − x̂)², Σ x², max |x|]`.
 */
function sums(fn: string, x: ArrayLike<number>, xhat: ArrayLike<number>, from: number, to: number): [number, number, number] {
  let err = 0;
  let ref = 0;
  let peak = 0;
  for (let i = from; i < to; i++) {
    const a = x[i]!;
    const b = xhat[i]!;
    if (!Number.isFinite(a) || !Number.isFinite(b)) throw new MetricsError(`${fn}: x[${i}] = ${a}, xhat[${i}] = ${b} (not finite)`);
    const d = a - b;
    err += d * d;
    ref += a * a;
    peak = Math.max(peak, Math.abs(a));
  }
  return [err, ref, peak];
}

/** `err/ref`, with 0/0 = 0 and e/0 = Infinity (a zero signal reconstructed exactly has no error). */
function ratio(err: number, ref: number): number {
  return ref > 0 ? err / ref : err > 0 ? Infinity : 0;
}

/**
 * Relative squared error of a whole batch: `‖x − x̂‖² / ‖x‖²` summed over all entries
 * (any layout, e.g. `[count, m]` or `[count, c_in, N]`). 0 for an exact reconstruction.
 */
export function relativeError(x: ArrayLike<number>, xhat: ArrayLike<number>): number {
  checkPair('relativeError', x, xhat);
  const [err, ref] = sums('relativeError', x, xhat, 0, x.length);
  return ratio(err, ref);
}

/**
 * Per-signal relative squared error `‖x_s − x̂_s‖² / ‖x_s‖²` for `count` equal-length
 * signals (`[count, …]` row-major). A zero signal gives 0 if reconstructed exactly, else Infinity.
 * @returns Float64Array of length count.
 */
export function relativeErrorPerSignal(x: ArrayLike<number>, xhat: ArrayLike<number>, count: number): Float64Array {
  const fn = 'relativeErrorPerSignal';
  checkPair(fn, x, xhat);
  if (!Number.isInteger(count) || count < 1 || x.length % count !== 0) {
    throw new MetricsError(`${fn}: count = ${count} does not divide the length ${x.length}`);
  }
  const len = x.length / count;
  const out = new Float64Array(count);
  for (let s = 0; s < count; s++) {
    const [err, ref] = sums(fn, x, xhat, s * len, (s + 1) * len);
    out[s] = ratio(err, ref);
  }
  return out;
}

/**
 * Peak signal-to-noise ratio in dB, `10·log10(peak² / MSE)` with `peak = max |x|` over
 * the whole batch and MSE the mean squared error over all entries. Infinity for an
 * exact reconstruction; −Infinity for x ≡ 0 with a non-zero error.
 */
export function psnr(x: ArrayLike<number>, xhat: ArrayLike<number>): number {
  checkPair('psnr', x, xhat);
  if (x.length === 0) throw new MetricsError('psnr: x is empty');
  const [err, , peak] = sums('psnr', x, xhat, 0, x.length);
  if (err === 0) return Infinity;
  return 10 * Math.log10((peak * peak) / (err / x.length));
}

/**
 * Mean number of active code entries per signal, `#{|z| > threshold} / count`, for codes
 * `[count, …]` of any layout (Euclidean `[count, p]` or functional `[count, C, N]`).
 */
export function meanL0(codes: ArrayLike<number>, count: number, threshold = 0): number {
  if (!Number.isInteger(count) || count < 1) throw new MetricsError(`meanL0: count must be a positive integer, got ${count}`);
  let nz = 0;
  for (let i = 0; i < codes.length; i++) {
    const v = codes[i]!;
    if (!Number.isFinite(v)) throw new MetricsError(`meanL0: codes[${i}] is ${v}`);
    if (Math.abs(v) > threshold) nz++;
  }
  return nz / count;
}
