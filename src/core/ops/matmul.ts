/** Matrix product with optional transposes, and its backward (two more GEMMs). */
import { record } from '../autodiff.js';
import { gemm } from '../kernels/matmul.js';
import { allocate, expectSameDtype, ShapeError, shapeStr, Tensor } from '../tensor.js';

/**
 * op(a)·op(b) for 2-D tensors. a: [M, K] ([K, M] with transA), b: [K, N] ([N, K] with transB)
 * → [M, N].
 */
export function matmul(a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const dtype = expectSameDtype('matmul', a, b);
  if (a.ndim !== 2 || b.ndim !== 2) throw new ShapeError('matmul', `expects 2-D tensors, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  const [M, Ka] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [Kb, N] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (Ka !== Kb) {
    throw new ShapeError('matmul', `inner dimensions differ: ${shapeStr(a.shape)}${transA ? 'ᵀ' : ''} · ${shapeStr(b.shape)}${transB ? 'ᵀ' : ''}`);
  }
  const K = Ka;
  const out = allocate(dtype, M * N);
  gemm(transA, transB, M, N, K, 1, a.data, b.data, 0, out);
  return record(new Tensor(out, [M, N]), [a, b], (g) => {
    // C = op(A)·op(B) ⇒ dop(A) = dC·op(B)ᵀ, dop(B) = op(A)ᵀ·dC (transposed back to storage)
    if (a.requiresGrad) {
      if (!transA) gemm(false, !transB, M, K, N, 1, g, b.data, 1, a.ensureGrad());
      else gemm(transB, true, K, M, N, 1, b.data, g, 1, a.ensureGrad());
    }
    if (b.requiresGrad) {
      if (!transB) gemm(!transA, false, K, N, M, 1, a.data, g, 1, b.ensureGrad());
      else gemm(true, transA, N, K, M, 1, g, a.data, 1, b.ensureGrad());
    }
  });
}
