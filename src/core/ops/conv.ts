/**
 * Multi-channel circular convolution and its adjoint (circular correlation) as autodiff
 * ops. Shapes: codes z [B, C, N], kernels d [cin, C, K], signals x [B, cin, N].
 * Long kernels go through the all-mode Fourier multiplier ŵ = DFT(d) (kernels/spectral.ts, exact; the
 * convolution then runs on the chunked decoder tape of ops/spectral.ts), short ones through the direct loops
 * of kernels/conv.ts.
 */
import { accumulate, record } from '../autodiff.js';
import { convAdjoint, convForward, convKernelGrad } from '../kernels/conv.js';
import { kernelGradFromSpectral, kernelToSpectral, spectralAdjoint, spectralApply, spectralWeightGrad } from '../kernels/spectral.js';
import { allocate, expectSameDtype, ShapeError, shapeStr, Tensor, type FloatArray } from '../tensor.js';
import { decoderOp } from './spectral.js';

function dims(op: string, t: Tensor, d: Tensor, tChannelsAxisIsC: boolean): { B: number; C: number; cin: number; N: number; K: number } {
  if (t.ndim !== 3 || d.ndim !== 3) throw new ShapeError(op, `expects 3-D input and kernel, got ${shapeStr(t.shape)} and ${shapeStr(d.shape)}`);
  const [cin, C, K] = d.shape;
  const [B, ch, N] = t.shape;
  const want = tChannelsAxisIsC ? C : cin;
  if (ch !== want) throw new ShapeError(op, `input ${shapeStr(t.shape)} has ${ch} channels, kernel ${shapeStr(d.shape)} needs ${want}`);
  if (N < 1) throw new ShapeError(op, `resolution N must be ≥ 1, got ${N}`);
  return { B, C, cin, N, K };
}

/**
 * The Fourier multiplier of the kernels when it is cheaper than the direct loops, else null. Per sample the
 * direct loops cost ≈ 1.3 ns·C·cin·K·N and the spectral route ≈ 0.8 ns·(C + cin)·N·log₂N (transforms) plus
 * 2 ns·C·cin·N (mixing), as measured on the bench machine.
 */
function multiplier(d: Tensor, C: number, cin: number, N: number, K: number): { wRe: Float64Array; wIm: Float64Array; M: number } | null {
  if (N < 8 || 1.3 * C * cin * K <= 0.8 * (C + cin) * Math.log2(N) + 2 * C * cin) return null;
  const M = (N >> 1) + 1;
  const wRe = new Float64Array(cin * C * M), wIm = new Float64Array(cin * C * M);
  kernelToSpectral(d.data, cin, C, K, N, M, wRe, wIm);
  return { wRe, wIm, M };
}

/** Kernel gradient of ⟨g, conv(z, d)⟩ accumulated into d.grad, by either route. */
function kernelGrad(z: ArrayLike<number>, g: ArrayLike<number>, d: Tensor, dm: { B: number; C: number; cin: number; N: number; K: number }, w: ReturnType<typeof multiplier>): void {
  const { B, C, cin, N, K } = dm;
  if (!w) return convKernelGrad(z, g, B, C, cin, N, K, d.ensureGrad());
  const gRe = new Float64Array(cin * C * w.M), gIm = new Float64Array(cin * C * w.M);
  spectralWeightGrad(z, g, B, C, cin, N, w.M, gRe, gIm);
  kernelGradFromSpectral(gRe, gIm, cin, C, w.M, N, K, d.ensureGrad());
}

/** D z by either route into out [B, cin, N] (overwritten). */
function forwardInto(z: ArrayLike<number>, d: Tensor, dm: { B: number; C: number; cin: number; N: number; K: number }, w: ReturnType<typeof multiplier>, out: FloatArray): void {
  const { B, C, cin, N, K } = dm;
  if (w) spectralApply(z, w.wRe, w.wIm, B, C, cin, N, w.M, out);
  else convForward(z, d.data, B, C, cin, N, K, out);
}

/** Dᵀ x by either route into out [B, C, N] (overwritten). */
function adjointInto(x: ArrayLike<number>, d: Tensor, dm: { B: number; C: number; cin: number; N: number; K: number }, w: ReturnType<typeof multiplier>, out: FloatArray): void {
  const { B, C, cin, N, K } = dm;
  if (w) spectralAdjoint(x, w.wRe, w.wIm, B, C, cin, N, w.M, out);
  else convAdjoint(x, d.data, B, C, cin, N, K, out);
}

/** (Dz)[b,i,n] = Σ_c Σ_j d[i,c,j]·z[b,c,(n−j) mod N] → [B, cin, N]. */
export function circularConv(z: Tensor, d: Tensor): Tensor {
  const dtype = expectSameDtype('circularConv', z, d);
  const dm = dims('circularConv', z, d, true);
  const { B, C, cin, N, K } = dm;
  const w = multiplier(d, C, cin, N, K);
  if (w) {
    const { M } = w;
    const grads = (): [FloatArray, FloatArray] | null => (d.requiresGrad ? [new Float64Array(cin * C * M), new Float64Array(cin * C * M)] : null);
    return decoderOp(z, w.wRe, w.wIm, { B, C, cout: cin, N, M, dtype }, [z, d], grads, (gRe, gIm) => kernelGradFromSpectral(gRe, gIm, cin, C, M, N, K, d.ensureGrad()));
  }
  const out = allocate(dtype, B * cin * N);
  forwardInto(z.data, d, dm, w, out);
  return record(new Tensor(out, [B, cin, N]), [z, d], (g) => {
    if (z.requiresGrad) {
      const gz = allocate(dtype, B * C * N);
      adjointInto(g, d, dm, w, gz);
      accumulate(z, gz);
    }
    if (d.requiresGrad) kernelGrad(z.data, g, d, dm, w);
  });
}

/** (Dᵀx)[b,c,m] = Σ_i Σ_j d[i,c,j]·x[b,i,(m+j) mod N] → [B, C, N]: the exact adjoint of `circularConv`. */
export function circularCorr(x: Tensor, d: Tensor): Tensor {
  const dtype = expectSameDtype('circularCorr', x, d);
  const dm = dims('circularCorr', x, d, false);
  const { B, C, cin, N, K } = dm;
  const w = multiplier(d, C, cin, N, K);
  const out = allocate(dtype, B * C * N);
  adjointInto(x.data, d, dm, w, out);
  return record(new Tensor(out, [B, C, N]), [x, d], (g) => {
    if (x.requiresGrad) {
      const gx = allocate(dtype, B * cin * N);
      forwardInto(g, d, dm, w, gx);
      accumulate(x, gx);
    }
    // ⟨g, Dᵀx⟩ = ⟨Dg, x⟩, so the kernel gradient is the forward one with (z, g) = (g, x)
    if (d.requiresGrad) kernelGrad(g, x.data, d, dm, w);
  });
}
