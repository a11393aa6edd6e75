import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward } from '../../src/core/autodiff.js';
import { sub } from '../../src/core/ops/elementwise.js';
import { sqNorm } from '../../src/core/ops/reduce.js';
import { Adam, SGD, type Optimizer } from '../../src/core/optim.js';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';

function quadratic(make: (p: Tensor[]) => Optimizer, steps: number, target: Tensor) {
  const p = Tensor.zeros([4], 'float64', { requiresGrad: true });
  const opt = make([p]);
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    backward(sqNorm(sub(p, target)));
    opt.update();
  }
  return { p, opt };
}

test('SGD step equals the closed form and both optimizers minimise a quadratic', () => {
  const target = Tensor.from([1, -2, 3, 0.5], [4], 'float64');
  // one SGD step from 0 on ‖p − t‖²: p = 0 − lr·2(0 − t) = 2·lr·t
  const { p } = quadratic((ps) => new SGD(ps, 0.1), 1, target);
  assert.deepEqual([...p.data].map((v) => +v.toFixed(12)), [0.2, -0.4, 0.6, 0.1]);
  for (const make of [(ps: Tensor[]) => new SGD(ps, 0.1, 0.5), (ps: Tensor[]) => new Adam(ps, 0.1)]) {
    const r = quadratic(make, 400, target);
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(r.p.data[i] - target.data[i]) < 1e-3, `${r.opt.constructor.name} did not converge`);
  }
});

test('optimizer state round-trips: resumed updates are bit-identical', () => {
  const rng = new Rng(5);
  const target = Tensor.randn([4], rng, 'float64');
  for (const make of [(ps: Tensor[]) => new SGD(ps, 0.05, 0.9), (ps: Tensor[]) => new Adam(ps, 0.05)]) {
    const a = quadratic(make, 7, target);
    const snap = { data: a.p.data.slice(), state: a.opt.getState() };
    const run = (p: Tensor, opt: Optimizer) => {
      for (let s = 0; s < 5; s++) {
        opt.zeroGrad();
        backward(sqNorm(sub(p, target)));
        opt.update();
      }
      return [...p.data];
    };
    const straight = run(a.p, a.opt);
    const p2 = new Tensor(snap.data, [4], { requiresGrad: true });
    const opt2 = make([p2]);
    opt2.setState(snap.state);
    assert.deepEqual(run(p2, opt2), straight);
    assert.equal(opt2.step, a.opt.step);
  }
});
