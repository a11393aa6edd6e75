/**
 * Receptive-field matching between SAE-FNO and SAE-CNN (SPEC §6 check 3): the spatial kernel
 * of spectral weights at resolution R is d[j] = κ(j/R)/R (with all modes the spectral operator
 * is exactly circular convolution with d); keeping only its first K taps and transforming
 * back projects the weights onto the K-tap CNN kernels.
 */
import { kernelToSpectral, spectralToKernel } from '../../core/kernels/spectral.js';
import type { SpectralDictionary } from './spectral.js';

/** Keeps only the first K taps of each spatial kernel at resolution R (in place on the weights). */
export function restrictSpectralTaps(op: SpectralDictionary, K: number, R: number): void {
  const { atoms: C, outChannels: H, modes: M } = op;
  const d = new Float64Array(H * C * R);
  spectralToKernel(op.wRe.data, op.wIm.data, H, C, M, R, d);
  for (let ic = 0; ic < H * C; ic++) d.fill(0, ic * R + Math.min(K, R), (ic + 1) * R);
  kernelToSpectral(d, H, C, R, R, M, op.wRe.data, op.wIm.data);
}
