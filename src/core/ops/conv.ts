/**
 * Multi-channel circular convolution and its adjoint (circular correlation) as autodiff
 * ops. Shapes: codes z [B, C, N], kernels d [cin, C, K], signals x [B, cin, N].
 */
import { accumulate, record } from '../autodiff.js';
import { convAdjoint, convForward, convKernelGrad } from '../kernels/conv.js';
import { allocate, expectSameDtype, ShapeError, shapeStr, Tensor } from '../tensor.js';

function dims(op: string, t: Tensor, d: Tensor, tChannelsAxisIsC: boolean): { B: number; C: number; cin: number; N: number; K: number } {
  if (t.ndim !== 3 || d.ndim !== 3) throw new ShapeError(op, `expects 3-D input and kernel, got ${shapeStr(t.shape)} and ${shapeStr(d.shape)}`);
  const [cin, C, K] = d.shape;
  const [B, ch, N] = t.shape;
  const want = tChannelsAxisIsC ? C : cin;
  if (ch !== want) throw new ShapeError(op, `input ${shapeStr(t.shape)} has ${ch} channels, kernel ${shapeStr(d.shape)} needs ${want}`);
  if (N < 1) throw new ShapeError(op, `resolution N must be ≥ 1, got ${N}`);
  return { B, C, cin, N, K };
}

/** (Dz)[b,i,n] = Σ_c Σ_j d[i,c,j]·z[b,c,(n−j) mod N] → [B, cin, N]. */
export function circularConv(z: Tensor, d: Tensor): Tensor {
  const dtype = expectSameDtype('circularConv', z, d);
  const { B, C, cin, N, K } = dims('circularConv', z, d, true);
  const out = allocate(dtype, B * cin * N);
  convForward(z.data, d.data, B, C, cin, N, K, out);
  return record(new Tensor(out, [B, cin, N]), [z, d], (g) => {
    if (z.requiresGrad) {
      const gz = allocate(dtype, B * C * N);
      convAdjoint(g, d.data, B, C, cin, N, K, gz);
      accumulate(z, gz);
    }
    if (d.requiresGrad) convKernelGrad(z.data, g, B, C, cin, N, K, d.ensureGrad());
  });
}

/** (Dᵀx)[b,c,m] = Σ_i Σ_j d[i,c,j]·x[b,i,(m+j) mod N] → [B, C, N]: the exact adjoint of `circularConv`. */
export function circularCorr(x: Tensor, d: Tensor): Tensor {
  const dtype = expectSameDtype('circularCorr', x, d);
  const { B, C, cin, N, K } = dims('circularCorr', x, d, false);
  const out = allocate(dtype, B * C * N);
  convAdjoint(x.data, d.data, B, C, cin, N, K, out);
  return record(new Tensor(out, [B, C, N]), [x, d], (g) => {
    if (x.requiresGrad) {
      const gx = allocate(dtype, B * cin * N);
      convForward(g, d.data, B, C, cin, N, K, gx);
      accumulate(x, gx);
    }
    // ⟨g, Dᵀx⟩ = ⟨Dg, x⟩, so the kernel gradient is the forward one with (z, g) = (g, x)
    if (d.requiresGrad) convKernelGrad(g, x.data, B, C, cin, N, K, d.ensureGrad());
  });
}
