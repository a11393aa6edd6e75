/** Finite-difference gradient checks (float64) shared by the test files. */
import assert from 'node:assert/strict';
import { backward } from '../../src/core/autodiff.js';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';

/** A float64 tensor of standard normal entries that requires grad. */
export function param(shape: number[], rng: Rng, std = 1): Tensor {
  const t = Tensor.randn(shape, rng, 'float64', std);
  t.requiresGrad = true;
  return t;
}

/**
 * Compares the autodiff gradient of the scalar `f()` w.r.t. each input with central
 * differences (step h). With h = 1e-5 and smooth f the truncation error is O(h²) ≈ 1e-10
 * relative, round-off ≈ 1e-16/h ≈ 1e-11, so 1e-6 relative error leaves ample margin while
 * any wrong factor or index fails. Kinks (thresholds) must be kept away from by the caller.
 */
export function checkGradients(f: () => Tensor, inputs: Tensor[], opts: { h?: number; tol?: number; label?: string; reference?: () => Tensor } = {}): number {
  const { h = 1e-5, tol = 1e-6, label = '' } = opts;
  // `reference` (default f) is what finite differences evaluate: e.g. the loss with the codes frozen
  for (const p of inputs) p.zeroGrad();
  backward(f());
  let worst = 0;
  inputs.forEach((p, k) => {
    const analytic = p.ensureGrad().slice();
    const numeric = new Float64Array(p.size);
    for (let i = 0; i < p.size; i++) {
      const old = p.data[i];
      p.data[i] = old + h;
      const fp = (opts.reference ?? f)().item();
      p.data[i] = old - h;
      const fm = (opts.reference ?? f)().item();
      p.data[i] = old;
      numeric[i] = (fp - fm) / (2 * h);
    }
    let num = 0;
    let den = 0;
    for (let i = 0; i < p.size; i++) {
      num += (analytic[i] - numeric[i]) ** 2;
      den += numeric[i] ** 2;
    }
    const rel = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-12);
    worst = Math.max(worst, rel);
    assert.ok(rel <= tol, `${label} input ${k} (${p}): gradient relative error ${rel.toExponential(3)} > ${tol}`);
  });
  return worst;
}

/** Inner product of two arrays. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Adjoint test ⟨A x, y⟩ = ⟨x, Aᵀ y⟩ with random x, y in float64; returns the relative
 * residual. Round-off of sums of n products is ≈ n·1e-16, so 1e-12 is a safe bound here.
 */
export function adjointResidual(apply: (x: Tensor) => Tensor, adjoint: (y: Tensor) => Tensor, xShape: number[], yShape: number[], rng: Rng): number {
  const x = Tensor.randn(xShape, rng, 'float64');
  const y = Tensor.randn(yShape, rng, 'float64');
  const lhs = dot(apply(x).data, y.data);
  const rhs = dot(x.data, adjoint(y).data);
  return Math.abs(lhs - rhs) / Math.max(Math.abs(lhs), Math.abs(rhs), 1e-300);
}
