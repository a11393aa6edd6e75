import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../src/core/autodiff.js';
import { circularConv, circularCorr } from '../../src/core/ops/conv.js';
import { mul } from '../../src/core/ops/elementwise.js';
import { sqNorm, sum } from '../../src/core/ops/reduce.js';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { adjointResidual, checkGradients, param } from '../helpers/gradcheck.js';

// Long kernels take the all-mode Fourier-multiplier route of ops/conv.ts (the sizes below do, by its cost
// model); it must equal the definition like the direct loops: float64 round-off of FFTs of length ≤ 32 is
// ~1e-15 relative, so 1e-12 is safe while any flip, conjugation or factor N is O(1).
test('circular convolution through the Fourier multiplier equals the definition (even/odd N, K > N), adjoint and gradients', () => {
  const rng = new Rng(31);
  for (const [B, C, cin, N, K] of [[2, 3, 2, 16, 12], [1, 2, 1, 15, 11], [2, 2, 2, 9, 20]] as const) {
    const z = param([B, C, N], rng);
    const d = param([cin, C, K], rng);
    const x = noGrad(() => circularConv(z, d));
    let worst = 0;
    for (let b = 0; b < B; b++) for (let i = 0; i < cin; i++) for (let n = 0; n < N; n++) {
      let s = 0;
      for (let c = 0; c < C; c++) for (let j = 0; j < K; j++) s += d.data[(i * C + c) * K + j] * z.data[(b * C + c) * N + (((n - j) % N) + N) % N];
      worst = Math.max(worst, Math.abs(x.data[(b * cin + i) * N + n] - s));
    }
    assert.ok(worst < 1e-12, `N=${N} K=${K}: max deviation from the definition ${worst}`);
    const dd = d.detach();
    const res = adjointResidual((v) => circularConv(v, dd), (y) => circularCorr(y, dd), [B, C, N], [B, cin, N], rng);
    assert.ok(res < 1e-12, `adjoint residual ${res}`);
    const w = Tensor.randn([B, cin, N], rng, 'float64');
    checkGradients(() => sum(mul(circularConv(z, d), w)), [z, d], { label: `conv N=${N}` });
    checkGradients(() => sqNorm(circularCorr(param([B, cin, N], new Rng(5)), d)), [d], { label: `corr N=${N}` });
  }
});
