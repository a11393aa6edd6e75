/**
 * The whole unrolled-ISTA encoder as one autodiff op per dictionary family (dense, spectral, circular conv),
 * with the hand-written backward of kernels/ista-dense.ts and ista-spectral.ts: z^T = ISTA_T(D, x), gradients to x, the weights and λ.
 * Tapes (every iterate, kept for the backward) are pooled by size and reused across training steps; with
 * worker threads (core/parallel.ts) they live in shared memory and their chunks of samples run in parallel.
 */
import { record } from '../autodiff.js';
import { DenseIsta } from '../kernels/ista-dense.js';
import type { IstaSettings } from '../kernels/ista-common.js';
import { SpectralIsta } from '../kernels/ista-spectral.js';
import { threadCount } from '../parallel.js';
import { kernelGradFromSpectral, kernelToSpectral } from '../kernels/spectral.js';
import { allocate, expectSameDtype, ShapeError, shapeStr, Tensor, type DType, type FloatArray } from '../tensor.js';

/** ISTA options of the fused ops (see `unrolledIsta`). */
export interface FusedIstaOptions {
  /** T ≥ 1 iterations */
  iters: number;
  /** step α > 0 (a constant for gradients) */
  alpha: number;
  /** λ ≥ 0, or a one-element tensor when λ is learned; the threshold is α·λ */
  lambda: Tensor | number;
  oneSided: boolean;
}

/** Free tapes by size key: a tape is taken by a forward and given back when its backward has run. */
const pool = new Map<string, unknown[]>();

function acquire<T>(key: string, make: () => T): T {
  const free = pool.get(key);
  return (free && (free.pop() as T | undefined)) ?? make();
}

function release(key: string, tape: unknown): void {
  const free = pool.get(key) ?? [];
  // one spare per size is enough for the train loop; more would only hold memory
  if (free.length === 0) free.push(tape);
  pool.set(key, free);
}

function settings(op: string, o: FusedIstaOptions): IstaSettings {
  if (!Number.isInteger(o.iters) || o.iters < 1) throw new RangeError(`${op}: iters T must be a positive integer, got ${o.iters}`);
  if (!(o.alpha > 0) || !Number.isFinite(o.alpha)) throw new RangeError(`${op}: step α must be positive and finite, got ${o.alpha}`);
  const lam = typeof o.lambda === 'number' ? o.lambda : o.lambda.item();
  const theta = o.alpha * lam;
  if (!(theta >= 0) || !Number.isFinite(theta)) throw new RangeError(`${op}: threshold αλ must be finite and ≥ 0, got ${theta}`);
  return { T: o.iters, alpha: o.alpha, theta, oneSided: o.oneSided };
}

/** The inputs of the op, with λ when it is a tensor. */
function parentsOf(inputs: Tensor[], lambda: Tensor | number): Tensor[] {
  return typeof lambda === 'number' ? inputs : [...inputs, lambda];
}

/**
 * Where a spectral tape's backward puts x's gradient: the tape's own buffer when x has none yet and is an op output
 * (x adopts it: `backward` releases such gradients when it ends, before the tape can run another backward), so
 * [B, c_out, N] is neither zero-filled nor added on this thread; else x's gradient (added into); null if not wanted.
 */
function gxTarget(x: Tensor, tape: SpectralIsta): FloatArray | null {
  if (!x.requiresGrad) return null;
  const sameType = tape.gx instanceof (x.dtype === 'float32' ? Float32Array : Float64Array);
  if (!x.grad && x.backwardFn && sameType && tape.gx.length === x.size) return (x.grad = tape.gx);
  return x.ensureGrad();
}

/** ∂L/∂λ = α·∂L/∂θ into a learned λ. */
function lambdaGrad(lambda: Tensor | number, alpha: number, gTheta: number): void {
  if (typeof lambda !== 'number' && lambda.requiresGrad) lambda.ensureGrad()[0] += alpha * gTheta;
}

/**
 * Dense ISTA: x [B, m], D [m, p] → z^T [B, p] (height units), gradients to x, D and λ.
 */
export function istaDense(x: Tensor, D: Tensor, opts: FusedIstaOptions): Tensor {
  const op = 'istaDense';
  const dtype = expectSameDtype(op, x, D);
  if (x.ndim !== 2 || D.ndim !== 2 || x.shape[1] !== D.shape[0]) throw new ShapeError(op, `expects x [B, m] and D [m, p], got ${shapeStr(x.shape)} and ${shapeStr(D.shape)}`);
  const s = settings(op, opts);
  const [B, m] = x.shape;
  const p = D.shape[1];
  const key = `dense:${dtype}:${B}:${m}:${p}:${s.T}:${threadCount()}`;
  const tape = acquire(key, () => new DenseIsta({ B, m, p, T: s.T, dtype }));
  const out = new Tensor(allocate(dtype, B * p), [B, p]);
  out.data.set(tape.forward(x.data, D.data, s));
  const parents = parentsOf([x, D], opts.lambda);
  const res = record(out, parents, (g) => {
    const gTheta = tape.backward(g, D.requiresGrad ? D.ensureGrad() : null, x.requiresGrad ? x.ensureGrad() : null);
    lambdaGrad(opts.lambda, s.alpha, gTheta);
    release(key, tape);
  });
  if (!res.backwardFn) release(key, tape);
  return res;
}

/** Runs a spectral tape over the batch; the weight-gradient spectra come back summed over samples in order. */
function spectralTape(op: string, x: Tensor, wRe: ArrayLike<number>, wIm: ArrayLike<number>, C: number, M: number, opts: FusedIstaOptions, dtype: DType) {
  const s = settings(op, opts);
  const [B, cout, N] = x.shape;
  const key = `spectral:${dtype}:${B}:${C}:${cout}:${N}:${M}:${s.T}:${threadCount()}`;
  const tape = acquire(key, () => new SpectralIsta({ B, C, cout, N, M, T: s.T, dtype }));
  const out = new Tensor(allocate(dtype, B * C * N), [B, C, N]);
  out.data.set(tape.forward(x.data, wRe, wIm, s));
  return { s, key, tape, out, cout };
}

/**
 * Spectral (FNO) ISTA: x [B, c_out, N], weights wRe/wIm [c_out, C, M] (SPEC §4 operator) → z^T [B, C, N]
 * (mass units), gradients to x, the weights and λ. Needs N ≥ 2M − 2 (see kernels/spectral.ts).
 */
export function istaSpectral(x: Tensor, wRe: Tensor, wIm: Tensor, opts: FusedIstaOptions): Tensor {
  const op = 'istaSpectral';
  const dtype = expectSameDtype(op, x, wRe, wIm);
  if (x.ndim !== 3 || wRe.ndim !== 3 || wRe.shape.some((d, i) => d !== wIm.shape[i]) || x.shape[1] !== wRe.shape[0]) {
    throw new ShapeError(op, `expects x [B, c_out, N] and weights [c_out, C, M] (re and im alike), got ${shapeStr(x.shape)}, ${shapeStr(wRe.shape)}, ${shapeStr(wIm.shape)}`);
  }
  const [, C, M] = wRe.shape;
  if (2 * (M - 1) > x.shape[2]) throw new ShapeError(op, `resolution N = ${x.shape[2]} is below 2M − 1 = ${2 * M - 1} for M = ${M} modes`);
  const { s, key, tape, out } = spectralTape(op, x, wRe.data, wIm.data, C, M, opts, dtype);
  const res = record(out, parentsOf([x, wRe, wIm], opts.lambda), (g) => {
    const wantW = wRe.requiresGrad || wIm.requiresGrad;
    const gTheta = tape.backward(g, wantW ? wRe.ensureGrad() : null, wantW ? wIm.ensureGrad() : null, gxTarget(x, tape));
    lambdaGrad(opts.lambda, s.alpha, gTheta);
    release(key, tape);
  });
  if (!res.backwardFn) release(key, tape);
  return res;
}

/**
 * Circular-convolution (CNN) ISTA: x [B, c_out, N], kernels d [c_out, C, K] → z^T [B, C, N] (height units),
 * gradients to x, d and λ. Circular convolution is the Fourier multiplier ŵ_k = Σ_j d_j e^{−2πikj/N} on all
 * ⌊N/2⌋+1 modes, so this is `istaSpectral` with those weights; the kernel gradient is the transposed DFT
 * ∂L/∂d_j = Σ_k ∂L/∂Re ŵ_k·cos(2πkj/N) − ∂L/∂Im ŵ_k·sin(2πkj/N).
 */
export function istaConv(x: Tensor, d: Tensor, opts: FusedIstaOptions): Tensor {
  const op = 'istaConv';
  const dtype = expectSameDtype(op, x, d);
  if (x.ndim !== 3 || d.ndim !== 3 || x.shape[1] !== d.shape[0]) throw new ShapeError(op, `expects x [B, c_out, N] and kernels [c_out, C, K], got ${shapeStr(x.shape)} and ${shapeStr(d.shape)}`);
  const [cout, C, K] = d.shape;
  const N = x.shape[2];
  const M = (N >> 1) + 1;
  const wRe = new Float64Array(cout * C * M);
  const wIm = new Float64Array(cout * C * M);
  kernelToSpectral(d.data, cout, C, K, N, M, wRe, wIm);
  const { s, key, tape, out } = spectralTape(op, x, wRe, wIm, C, M, opts, dtype);
  const res = record(out, parentsOf([x, d], opts.lambda), (g) => {
    const gRe = d.requiresGrad ? new Float64Array(cout * C * M) : null, gIm = d.requiresGrad ? new Float64Array(cout * C * M) : null;
    const gTheta = tape.backward(g, gRe, gIm, gxTarget(x, tape));
    if (gRe && gIm) kernelGradFromSpectral(gRe, gIm, cout, C, M, N, K, d.ensureGrad());
    lambdaGrad(opts.lambda, s.alpha, gTheta);
    release(key, tape);
  });
  if (!res.backwardFn) release(key, tape);
  return res;
}

