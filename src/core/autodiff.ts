/**
 * Reverse-mode autodiff on a tape (micrograd-style): each op builds its output and a
 * backward closure that accumulates (+=) into its inputs' gradients; `backward` runs
 * the closures in reverse topological order. Speed comes from coarse ops, not the tape.
 */
import { Tensor, type FloatArray } from './tensor.js';

let gradEnabled = true;

/** Whether ops currently record backward closures. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording the tape (inference, weight updates, metrics). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Wraps an op's output: when gradients are enabled and some input requires them, the
 * output joins the tape with `backward(outGrad)`, which must accumulate into
 * `parent.ensureGrad()` of each parent that `requiresGrad`.
 */
export function record(out: Tensor, parents: Tensor[], backward: (outGrad: FloatArray) => void): Tensor {
  if (gradEnabled && parents.some((p) => p.requiresGrad)) {
    out.requiresGrad = true;
    out.parents = parents;
    out.backwardFn = () => backward(out.grad as FloatArray);
  }
  return out;
}

/** Adds `g` into `t`'s gradient when `t` requires one. */
export function accumulate(t: Tensor, g: ArrayLike<number>): void {
  if (!t.requiresGrad) return;
  const dst = t.ensureGrad();
  for (let i = 0; i < dst.length; i++) dst[i] += g[i];
}

/**
 * Back-propagates from `root` (a scalar loss unless `seed` gives ∂L/∂root), accumulating
 * into the `.grad` of every tensor on the tape. Intermediate gradients are released
 * afterwards; leaves (parameters) keep theirs until `zeroGrad`.
 */
export function backward(root: Tensor, seed?: ArrayLike<number>): void {
  if (!root.requiresGrad) throw new Error(`backward: ${root} does not require grad (no parameter reaches it)`);
  if (!seed && root.size !== 1) throw new Error(`backward: root ${root} is not a scalar; pass a seed gradient`);
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // iterative DFS: unrolled encoders make tapes deep enough to overflow recursion
  const stack: Array<[Tensor, number]> = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    if (i < t.parents.length) {
      top[1]++;
      const p = t.parents[i];
      if (p.requiresGrad && !seen.has(p)) {
        seen.add(p);
        stack.push([p, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  const g = root.ensureGrad();
  if (seed) for (let i = 0; i < g.length; i++) g[i] += seed[i];
  else g[0] += 1;
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k];
    if (t.backwardFn && t.grad) t.backwardFn();
  }
  for (const t of order) {
    if (t.backwardFn) {
      t.grad = null;
      t.backwardFn = null;
      t.parents = [];
    }
  }
}

/** Gradients of scalar `loss` w.r.t. `params` (their `.grad` is zeroed first). */
export function grad(loss: Tensor, params: Tensor[]): FloatArray[] {
  for (const p of params) p.zeroGrad();
  backward(loss);
  return params.map((p) => p.ensureGrad());
}
