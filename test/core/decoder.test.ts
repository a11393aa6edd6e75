import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward } from '../../src/core/autodiff.js';
import { SpectralDecoder } from '../../src/core/kernels/decoder.js';
import { spectralAdjoint, spectralApply, spectralWeightGrad } from '../../src/core/kernels/spectral.js';
import { scale } from '../../src/core/ops/elementwise.js';
import { sqNorm } from '../../src/core/ops/reduce.js';
import { spectralConv } from '../../src/core/ops/spectral.js';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';

const rng = new Rng(21);
const randn = (n: number): Float64Array => rng.fillNormal(new Float64Array(n)) as Float64Array;
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const maxAbs = (a: ArrayLike<number>): number => maxDiff(a, new Float64Array(a.length));

test('decoder tape equals the spectral kernels: apply, adjoint and weight gradient (float64, uneven chunks, Nyquist kept)', () => {
  // B = 11 over 8 chunks (sizes 1 and 2); N = 2M − 2 keeps the Nyquist mode; c_out > C and c_out < C
  for (const [B, C, cout, N, M] of [[11, 3, 2, 16, 5], [11, 2, 4, 8, 5], [3, 2, 1, 45, 12]]) {
    const z = randn(B * C * N), g = randn(B * cout * N), wRe = randn(cout * C * M), wIm = randn(cout * C * M);
    const tape = new SpectralDecoder({ B, C, cout, N, M, dtype: 'float64' });
    const y = tape.forward(Float64Array.from(z), wRe, wIm);
    const yRef = new Float64Array(B * cout * N);
    spectralApply(z, wRe, wIm, B, C, cout, N, M, yRef);
    const gRe = new Float64Array(cout * C * M).fill(1), gIm = new Float64Array(cout * C * M).fill(1);
    const gz = tape.backward(Float64Array.from(g), gRe, gIm, true) as Float64Array;
    const gzRef = new Float64Array(B * C * N);
    spectralAdjoint(g, wRe, wIm, B, C, cout, N, M, gzRef);
    const rRe = new Float64Array(cout * C * M).fill(1), rIm = new Float64Array(cout * C * M).fill(1);
    spectralWeightGrad(z, g, B, C, cout, N, M, rRe, rIm);
    // the same sums in another order (chunked batch sums, FFT vs FFT): float64 round-off, 1e-12 relative
    for (const [name, a, b] of [['apply', y, yRef], ['adjoint', gz, gzRef], ['grad re', gRe, rRe], ['grad im', gIm, rIm]] as const) {
      assert.ok(maxDiff(a, b) <= 1e-12 * Math.max(1, maxAbs(b)), `[${B}, ${C}, ${cout}, ${N}, ${M}] ${name}: differs by ${maxDiff(a, b)}`);
    }
  }
});

test('spectralConv: a leaf code gradient is a copy (a later run of the same tape leaves it), an op output takes the tape buffer', () => {
  const [B, C, cout, N, M] = [4, 3, 2, 12, 4];
  const w = (): Tensor => Tensor.randn([cout, C, M], rng, 'float64');
  const [wRe, wIm] = [w(), w()];
  const z = Tensor.randn([B, C, N], rng, 'float64');
  z.requiresGrad = true;
  backward(sqNorm(spectralConv(z, wRe, wIm)));
  const first = Float64Array.from(z.grad as Float64Array);
  const other = Tensor.randn([B, C, N], rng, 'float64');
  other.requiresGrad = true;
  backward(sqNorm(spectralConv(other, wRe, wIm)));
  assert.deepEqual(Float64Array.from(z.grad as Float64Array), first, 'the leaf gradient changed when the tape ran again');
  // through an op: d/dz ‖D(2z)‖² = 4·(2·DᵀDz), the leaf gradient times 4 (powers of two: round-off only, 1e-12)
  z.zeroGrad();
  backward(sqNorm(spectralConv(scale(z, 2), wRe, wIm)));
  const through = z.grad as Float64Array;
  assert.ok(maxDiff(through, first.map((v) => 4 * v)) <= 1e-12 * maxAbs(first), 'gradient through an op output differs');
});
