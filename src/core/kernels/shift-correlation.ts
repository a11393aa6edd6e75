/**
 * Circular cross-correlation of multi-channel atoms [channels, N] over all shifts at once through the real FFT,
 * and the inner product at one shift: the shared primitive of shift-maximised coherence (data generators) and
 * the shift-invariant dictionary error and coherence (metrics).
 */
import { getRealFFTPlan, type RealFFT } from './fft.js';

/** `Σ_c Σ_n a[c,n]·b[c,(n−k) mod N]` (b delayed by k ∈ [0, N)), in two contiguous runs per channel. */
export function shiftedDot(a: Float64Array, b: Float64Array, channels: number, N: number, k: number): number {
  let s = 0;
  for (let c = 0; c < channels; c++) {
    const o = c * N;
    for (let n = 0; n < k; n++) s += a[o + n]! * b[o + n - k + N]!;
    for (let n = k; n < N; n++) s += a[o + n]! * b[o + n - k]!;
  }
  return s;
}

/**
 * Best circular shifts between atoms `[channels, N]`: the correlation over all shifts is
 * `r = irfft(Σ_c A_c·conj(B_c))` (`r[k] = Σ_c Σ_n a[c,n] b[c,(n−k) mod N]`), from spectra
 * computed once per atom; buffers are reused across pairs.
 */
export class ShiftCorrelator {
  private readonly plan: RealFFT;
  private readonly K: number;
  private readonly crossRe: Float64Array;
  private readonly crossIm: Float64Array;
  private readonly corr: Float64Array;

  constructor(
    private readonly channels: number,
    private readonly N: number,
  ) {
    this.plan = getRealFFTPlan(N);
    this.K = this.plan.bins;
    this.crossRe = new Float64Array(this.K);
    this.crossIm = new Float64Array(this.K);
    this.corr = new Float64Array(N);
  }

  /** Real spectra `[channels, K]` of an atom. */
  spectrum(a: Float64Array): { re: Float64Array; im: Float64Array } {
    const { channels, N, K } = this;
    const re = new Float64Array(channels * K);
    const im = new Float64Array(channels * K);
    for (let c = 0; c < channels; c++) this.plan.forward(a, c * N, re, im, c * K);
    return { re, im };
  }

  /** The shift k ∈ [0, N) maximising |r[k]| (ties: smallest k). */
  bestShift(A: { re: Float64Array; im: Float64Array }, B: { re: Float64Array; im: Float64Array }): number {
    const { channels, K, crossRe, crossIm, corr } = this;
    crossRe.fill(0);
    crossIm.fill(0);
    for (let c = 0; c < channels; c++) {
      for (let f = 0; f < K; f++) {
        const i = c * K + f;
        crossRe[f]! += A.re[i]! * B.re[i]! + A.im[i]! * B.im[i]!;
        crossIm[f]! += A.im[i]! * B.re[i]! - A.re[i]! * B.im[i]!;
      }
    }
    this.plan.inverse(crossRe, crossIm, 0, corr);
    let bestK = 0;
    for (let k = 1; k < this.N; k++) if (Math.abs(corr[k]!) > Math.abs(corr[bestK]!)) bestK = k;
    return bestK;
  }
}
