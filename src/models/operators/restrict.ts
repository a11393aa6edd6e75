/**
 * Receptive-field matching between SAE-FNO and SAE-CNN (SPEC §6 check 3): the spatial
 * kernel of a spectral dictionary at resolution R is d[j] = κ(j/R)/R (full modes make the
 * spectral operator exactly circular convolution with d), and a K-tap CNN kernel maps back
 * to spectral weights by its DFT w_k = Σ_{j<K} d[j]·e^{−2πikj/R}, k < M.
 */
import type { SpectralDictionary } from './spectral.js';

/**
 * Spectral weights of K-tap kernels at resolution R. kernels: [c_out, C, K] →
 * { re, im }: [c_out, C, M] (k = 0 and Nyquist come out real).
 */
export function kernelToSpectral(kernels: ArrayLike<number>, cout: number, C: number, K: number, R: number, M: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(cout * C * M);
  const im = new Float64Array(cout * C * M);
  const cosT = new Float64Array(R);
  const sinT = new Float64Array(R);
  for (let n = 0; n < R; n++) {
    cosT[n] = Math.cos((2 * Math.PI * n) / R);
    sinT[n] = -Math.sin((2 * Math.PI * n) / R);
  }
  for (let ic = 0; ic < cout * C; ic++) {
    for (let k = 0; k < M; k++) {
      let sr = 0;
      let si = 0;
      for (let j = 0; j < K; j++) {
        const t = (k * j) % R;
        sr += kernels[ic * K + j] * cosT[t];
        si += kernels[ic * K + j] * sinT[t];
      }
      re[ic * M + k] = sr;
      im[ic * M + k] = si;
    }
  }
  return { re, im };
}

/** Keeps only the first K taps of each spatial kernel at resolution R (in place on the weights). */
export function restrictSpectralTaps(op: SpectralDictionary, K: number, R: number): void {
  const { atoms: C, outChannels: H, modes: M } = op;
  const atoms = op.atomArrays(R);
  const kernels = new Float64Array(H * C * K);
  for (let c = 0; c < C; c++) for (let i = 0; i < H; i++) for (let j = 0; j < Math.min(K, R); j++) kernels[(i * C + c) * K + j] = atoms[c][i * R + j] / R;
  const { re, im } = kernelToSpectral(kernels, H, C, K, R, M);
  op.wRe.data.set(re);
  op.wIm.data.set(im);
}
