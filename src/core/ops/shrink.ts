/**
 * Shrinkage nonlinearities with backward: the soft threshold S_θ(u) = sign(u)·max(|u|−θ, 0),
 * its one-sided (non-negative) variant max(u−θ, 0), and ReLU.
 */
import { record } from '../autodiff.js';
import { allocate, ShapeError, shapeStr, Tensor } from '../tensor.js';
import { unary } from './elementwise.js';

/**
 * Soft threshold of `u` by θ ≥ 0. `theta` is a number or a one-element tensor (a learnable
 * threshold gets ∂L/∂θ = −Σ g·sign(u) over the active set).
 * @param oneSided use max(u−θ, 0) (non-negative codes) instead of the two-sided S_θ
 */
export function softThreshold(u: Tensor, theta: Tensor | number, oneSided = false): Tensor {
  const th = typeof theta === 'number' ? theta : theta.item();
  if (!(th >= 0) || !Number.isFinite(th)) throw new ShapeError('softThreshold', `threshold must be finite and ≥ 0, got ${th}`);
  if (typeof theta !== 'number' && theta.size !== 1) throw new ShapeError('softThreshold', `threshold tensor must have one element, got ${shapeStr(theta.shape)}`);
  const n = u.size;
  const ud = u.data;
  const out = allocate(u.dtype, n);
  if (oneSided) for (let i = 0; i < n; i++) out[i] = ud[i] > th ? ud[i] - th : 0;
  else for (let i = 0; i < n; i++) {
    const v = ud[i];
    out[i] = v > th ? v - th : v < -th ? v + th : 0;
  }
  const parents = typeof theta === 'number' ? [u] : [u, theta];
  return record(new Tensor(out, u.shape), parents, (g) => {
    const gu = u.requiresGrad ? u.ensureGrad() : null;
    let gth = 0;
    for (let i = 0; i < n; i++) {
      const o = out[i];
      if (o === 0) continue;
      if (gu) gu[i] += g[i];
      gth -= o > 0 ? g[i] : -g[i];
    }
    if (typeof theta !== 'number' && theta.requiresGrad) theta.ensureGrad()[0] += gth;
  });
}

/** max(u, 0). */
export function relu(u: Tensor): Tensor {
  return unary('relu', u, (x) => (x > 0 ? x : 0), (x) => (x > 0 ? 1 : 0));
}
