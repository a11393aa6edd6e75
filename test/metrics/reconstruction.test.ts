import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsError } from '../../src/metrics/assignment.js';
import { meanL0, psnr, relativeError, relativeErrorPerSignal } from '../../src/metrics/reconstruction.js';

// Closed forms on small hand-built arrays: the only error is float64 round-off of a few
// dozen additions (~1e-15 relative), so 1e-12 separates right from any wrong formula.
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

describe('relativeError', () => {
  it('equals ‖x − x̂‖²/‖x‖² over the batch and per signal', () => {
    // signal 0: x = 1 (×4), x̂ = 0.9 → 4·0.01/4 = 0.01; signal 1: x = 2 (×4), x̂ = 0 → 1
    const x = Float64Array.of(1, 1, 1, 1, 2, 2, 2, 2);
    const xhat = Float64Array.of(0.9, 0.9, 0.9, 0.9, 0, 0, 0, 0);
    close(relativeError(x, xhat), (0.04 + 16) / 20);
    const per = relativeErrorPerSignal(x, xhat, 2);
    close(per[0]!, 0.01);
    close(per[1]!, 1);
    close(relativeError(x, x), 0);
  });

  it('gives 0 for a zero signal reconstructed exactly and Infinity otherwise', () => {
    const per = relativeErrorPerSignal(Float32Array.of(0, 0, 1, 0), Float32Array.of(0, 0, 1, 0.5), 2);
    assert.equal(per[0], 0);
    close(per[1]!, 0.25);
    assert.equal(relativeError(Float64Array.of(0, 0), Float64Array.of(0, 1)), Infinity);
  });

  it('rejects mismatched lengths and non-finite values', () => {
    assert.throws(() => relativeError(new Float64Array(3), new Float64Array(4)), MetricsError);
    assert.throws(() => relativeError(Float64Array.of(1, NaN), new Float64Array(2)), (e: unknown) => e instanceof MetricsError && /x\[1\]/.test(e.message));
    assert.throws(() => relativeErrorPerSignal(new Float64Array(5), new Float64Array(5), 2), (e: unknown) => e instanceof MetricsError && /count = 2/.test(e.message));
  });
});

describe('psnr', () => {
  it('equals 10·log10(max|x|² / MSE) with the batch peak', () => {
    // peak |−2| = 2, every entry off by 0.1: MSE 0.01, PSNR = 10·log10(400) ≈ 26.0206 dB
    const x = Float64Array.of(1, -2, 0.5, 0);
    const xhat = x.map((v) => v + 0.1);
    close(psnr(x, xhat), 10 * Math.log10(400));
    assert.equal(psnr(x, x), Infinity);
  });
});

describe('meanL0', () => {
  it('counts entries above the threshold per signal', () => {
    const codes = Float64Array.of(0, 1, -0.2, 0, 0, 0, 3, 0.05, 0); // 3 signals of 3
    close(meanL0(codes, 3), 4 / 3);
    close(meanL0(codes, 3, 0.1), 3 / 3);
  });
});
