/** Reductions with backward: sum, mean, squared norm (whole tensor or the trailing axes). */
import { record } from '../autodiff.js';
import { allocate, ShapeError, shapeStr, Tensor } from '../tensor.js';

/** Σ of all entries → scalar. */
export function sum(a: Tensor): Tensor {
  let s = 0;
  const d = a.data;
  for (let i = 0; i < d.length; i++) s += d[i];
  const out = Tensor.scalar(s, a.dtype);
  return record(out, [a], (g) => {
    const ga = a.ensureGrad();
    const gv = g[0];
    for (let i = 0; i < ga.length; i++) ga[i] += gv;
  });
}

/** Mean of all entries → scalar. */
export function mean(a: Tensor): Tensor {
  if (a.size === 0) throw new ShapeError('mean', `empty tensor ${shapeStr(a.shape)}`);
  let s = 0;
  const d = a.data;
  for (let i = 0; i < d.length; i++) s += d[i];
  const n = a.size;
  return record(Tensor.scalar(s / n, a.dtype), [a], (g) => {
    const ga = a.ensureGrad();
    const gv = g[0] / n;
    for (let i = 0; i < ga.length; i++) ga[i] += gv;
  });
}

/** ‖a‖² = Σ a² → scalar. */
export function sqNorm(a: Tensor): Tensor {
  let s = 0;
  const d = a.data;
  for (let i = 0; i < d.length; i++) s += d[i] * d[i];
  return record(Tensor.scalar(s, a.dtype), [a], (g) => {
    const ga = a.ensureGrad();
    const gv = 2 * g[0];
    for (let i = 0; i < ga.length; i++) ga[i] += gv * d[i];
  });
}

/**
 * Sum over the trailing `a.ndim − lead` axes: [d0..d_{lead−1}, …] → [d0..d_{lead−1}].
 * (Per-signal sums of a batch, e.g. lead = 1.)
 */
export function sumTrailing(a: Tensor, lead: number): Tensor {
  if (!Number.isInteger(lead) || lead < 0 || lead > a.ndim) throw new ShapeError('sumTrailing', `lead ${lead} out of range for ${shapeStr(a.shape)}`);
  const outShape = a.shape.slice(0, lead);
  const rows = outShape.reduce((p, q) => p * q, 1);
  const inner = rows === 0 ? 0 : a.size / rows;
  const out = allocate(a.dtype, rows);
  const d = a.data;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let k = 0; k < inner; k++) s += d[r * inner + k];
    out[r] = s;
  }
  return record(new Tensor(out, outShape), [a], (g) => {
    const ga = a.ensureGrad();
    for (let r = 0; r < rows; r++) for (let k = 0; k < inner; k++) ga[r * inner + k] += g[r];
  });
}
