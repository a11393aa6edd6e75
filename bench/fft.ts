/** FFT benchmark: rfft + irfft of a batch of rows, saeno's plans vs the npm package fft.js (powers of two only). */
import FFT from 'fft.js';
import { getRealFFTPlan } from '../src/core/kernels/fft.js';
import { emit, log, timeMedian } from './lib.js';

const BATCH = 256;
/** Both implementations get the same long warm-up so V8 has tiered both up to optimised code before timing. */
const WARM = { warmup: 50, minMs: 500 };

/** Row data shared by both implementations: BATCH rows of length N, uniform in [−1, 1). */
function rows(N: number): Float64Array {
  const x = new Float64Array(BATCH * N);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  return x;
}

/** Max |x − irfft(rfft(x))| over the batch: guards against timing a broken transform. */
function roundTripError(x: Float64Array, y: ArrayLike<number>, stride: number, N: number): number {
  let e = 0;
  for (let r = 0; r < BATCH; r++) for (let m = 0; m < N; m++) e = Math.max(e, Math.abs(x[r * N + m] - y[r * stride + m]));
  return e;
}

function benchSaeno(N: number): number {
  const p = getRealFFTPlan(N);
  const x = rows(N);
  const re = new Float64Array(BATCH * p.bins), im = new Float64Array(BATCH * p.bins);
  const y = new Float64Array(BATCH * N);
  const run = (): void => {
    p.forwardRows(x, 0, BATCH, re, im);
    p.inverseRows(re, im, 0, BATCH, y);
  };
  run();
  const err = roundTripError(x, y, N, N);
  if (err > 1e-12) throw new Error(`bench/fft: saeno round trip error ${err} at N=${N}`);
  return timeMedian(run, WARM);
}

/** fft.js: realTransform (half spectrum) + completeSpectrum, then a complex inverseTransform per row. */
function benchFftJs(N: number): number {
  const f = new FFT(N);
  const x = rows(N);
  const inputs = Array.from({ length: BATCH }, (_, r) => x.subarray(r * N, (r + 1) * N));
  const spec = Array.from({ length: BATCH }, () => new Float64Array(2 * N));
  const back = Array.from({ length: BATCH }, () => new Float64Array(2 * N));
  const run = (): void => {
    for (let r = 0; r < BATCH; r++) {
      f.realTransform(spec[r], inputs[r]);
      f.completeSpectrum(spec[r]);
      f.inverseTransform(back[r], spec[r]);
    }
  };
  run();
  let err = 0;
  for (let r = 0; r < BATCH; r++) for (let m = 0; m < N; m++) err = Math.max(err, Math.abs(back[r][2 * m] - x[r * N + m]));
  if (err > 1e-12) throw new Error(`bench/fft: fft.js round trip error ${err} at N=${N}`);
  return timeMedian(run, WARM);
}

/** Prints the `rfft N=…` cases (rfft + irfft of BATCH rows, float64) for saeno and, at powers of two, fft.js. */
export async function runFftBench(): Promise<void> {
  const ms: Record<string, number> = {};
  for (const N of [256, 1000, 1024]) {
    const t = benchSaeno(N);
    ms[`saeno ${N}`] = t;
    emit({ case: `rfft N=${N}`, impl: 'saeno', ms: t, params: { N, batch: BATCH } });
    if ((N & (N - 1)) === 0) {
      const u = benchFftJs(N);
      ms[`fft.js ${N}`] = u;
      emit({ case: `rfft N=${N}`, impl: 'fft.js', ms: u, params: { N, batch: BATCH } });
    }
  }
  log(`fft: saeno/fft.js at 256 ${(ms['saeno 256'] / ms['fft.js 256']).toFixed(2)}, at 1024 ${(ms['saeno 1024'] / ms['fft.js 1024']).toFixed(2)}; N=1000/N=1024 ${(ms['saeno 1000'] / ms['saeno 1024']).toFixed(2)}`);
}
