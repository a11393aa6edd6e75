/**
 * Pointwise channel mixing (a 1×1 convolution): out[b,i,n] = Σ_j W[i,j]·x[b,j,n].
 * Lifting `L` and projection `P` of the lifted functional models are this op.
 */
import { record } from '../autodiff.js';
import { gemm } from '../kernels/matmul.js';
import { allocate, expectSameDtype, ShapeError, shapeStr, Tensor } from '../tensor.js';

/** x: [B, c, N], W: [h, c] → [B, h, N]. */
export function channelMix(x: Tensor, W: Tensor): Tensor {
  const dtype = expectSameDtype('channelMix', x, W);
  if (x.ndim !== 3 || W.ndim !== 2 || W.shape[1] !== x.shape[1]) {
    throw new ShapeError('channelMix', `input ${shapeStr(x.shape)} and mixing matrix ${shapeStr(W.shape)} do not fit ([B, c, N] and [h, c])`);
  }
  const [B, c, N] = x.shape;
  const h = W.shape[0];
  const out = allocate(dtype, B * h * N);
  for (let b = 0; b < B; b++) gemm(false, false, h, N, c, 1, W.data, x.data.subarray(b * c * N, (b + 1) * c * N), 0, out.subarray(b * h * N, (b + 1) * h * N));
  return record(new Tensor(out, [B, h, N]), [x, W], (g) => {
    if (x.requiresGrad) {
      const gx = x.ensureGrad();
      for (let b = 0; b < B; b++) gemm(true, false, c, N, h, 1, W.data, g.subarray(b * h * N, (b + 1) * h * N), 1, gx.subarray(b * c * N, (b + 1) * c * N));
    }
    if (W.requiresGrad) {
      const gW = W.ensureGrad();
      for (let b = 0; b < B; b++) gemm(false, true, h, c, N, 1, g.subarray(b * h * N, (b + 1) * h * N), x.data.subarray(b * c * N, (b + 1) * c * N), 1, gW);
    }
  });
}
