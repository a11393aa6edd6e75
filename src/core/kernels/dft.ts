/**
 * Row transforms of the spectral ISTA: the forward-normalised first M Fourier modes of real rows, and the
 * unnormalised Hermitian inverse from M modes (imaginary parts of k = 0 and Nyquist never act), as in
 * kernels/spectral.ts. Three implementations: the JS real FFT (any N and dtype, exact in float64); for float32
 * the WASM SIMD real FFT (power-of-two N, four rows per pass, wasm/kernels.ts `WasmFft`) or, with few modes,
 * the DFT matrix on the WASM SIMD GEMM (`WasmDft`: symmetric fold, two [N/2, M] products, 2NM FLOPs per row).
 */
import type { DType, FloatArray } from '../tensor.js';
import { WasmDft, WasmFft } from '../wasm/kernels.js';
import { getRealFFTPlan } from './fft.js';

export interface RowTransform {
  /** re/im[off + r·M + k] = (1/N)·Σ_n src[srcOff + r·N + n]·e^{−2πikn/N} for r < rows, k < M. */
  forward(src: ArrayLike<number>, srcOff: number, rows: number, re: Float64Array, im: Float64Array, off: number): void;
  /**
   * y[r·N + n] = Σ_{|k|<M} Y_{r,k} e^{2πikn/N} over the Hermitian extension, Y from re/im at off; returns y, the
   * transform's own buffer (valid until its next call; it may be longer than rows·N), so callers fuse their
   * update into one pass over it.
   */
  inverse(re: Float64Array, im: Float64Array, off: number, rows: number): FloatArray;
}

class FftRows implements RowTransform {
  private readonly fft;
  private out = new Float64Array(0);
  constructor(private readonly M: number, private readonly N: number) {
    this.fft = getRealFFTPlan(N);
  }
  forward(src: ArrayLike<number>, srcOff: number, rows: number, re: Float64Array, im: Float64Array, off: number): void {
    this.fft.forwardRows(src, srcOff, rows, re, im, off, this.M, 'forward');
  }
  inverse(re: Float64Array, im: Float64Array, off: number, rows: number): FloatArray {
    if (this.out.length < rows * this.N) this.out = new Float64Array(rows * this.N);
    this.fft.inverseRows(re, im, off, rows, this.out, 0, this.M, 'forward');
    return this.out;
  }
}

/** cos and sin of 2π·r/N with exact zeros on the axes (so DC and Nyquist imaginary columns are exactly 0). */
function trig(r: number, N: number): [number, number] {
  const q = r % N;
  if (q === 0) return [1, 0];
  if (2 * q === N) return [-1, 0];
  if (4 * q === N) return [0, 1];
  if (4 * q === 3 * N) return [0, -1];
  return [Math.cos((2 * Math.PI * q) / N), Math.sin((2 * Math.PI * q) / N)];
}

const cache = new Map<string, RowTransform>();

/**
 * Whether float32 rows of length N with M modes go through the DFT-matrix GEMM. Measured per row, forward +
 * inverse (bench machine): GEMM ≈ 0.05–0.1 µs per mode at N = 256–1024, WASM FFT (power-of-two N) ≈ 0.45 µs at
 * N = 256 and 1.7 µs at N = 1024 whatever M, JS FFT ≈ 3.5 and 11 µs; so the GEMM wins for M ≤ log₂N against
 * the WASM FFT and for M ≤ 6·log₂N against the JS FFT (other N).
 */
export function prefersGemm(N: number, M: number, dtype: DType): boolean {
  const pow2 = N >= 4 && (N & (N - 1)) === 0;
  return dtype === 'float32' && M <= (pow2 ? 1 : 6) * Math.log2(N);
}

/**
 * The row transform for (N, M, dtype) of this thread (cached). float32 with WASM SIMD: the DFT GEMM where
 * `prefersGemm`, else (power-of-two N) the four-rows-per-pass WASM FFT; otherwise the JS FFT in float64.
 */
export function rowTransform(N: number, M: number, dtype: DType): RowTransform {
  const key = `${N}:${M}:${dtype}`;
  let t = cache.get(key);
  if (!t) {
    const f32 = dtype === 'float32';
    const tr = (r: number) => trig(r, N);
    t = (f32 && prefersGemm(N, M, dtype) ? WasmDft.create(N, M, tr) : null) ?? (f32 ? WasmFft.create(N, M, tr) : null) ?? new FftRows(M, N);
    cache.set(key, t);
  }
  return t;
}
