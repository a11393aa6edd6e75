import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsError, maxWeightAssignment, optimalAssignment } from '../../src/metrics/assignment.js';
import { Rng } from '../../src/core/rng.js';

/** Minimum total cost over all injective maps of the smaller side into the larger (brute force). */
function bruteForceMin(cost: number[][]): number {
  const R = cost.length;
  const C = cost[0]!.length;
  let best = Infinity;
  const used = new Array<boolean>(C).fill(false);
  const rec = (r: number, assigned: number, total: number): void => {
    if (r === R) {
      if (assigned === Math.min(R, C)) best = Math.min(best, total);
      return;
    }
    if (R - r > C - assigned) rec(r + 1, assigned, total); // this row may stay out
    for (let c = 0; c < C; c++) {
      if (used[c]) continue;
      used[c] = true;
      rec(r + 1, assigned + 1, total + cost[r]![c]!);
      used[c] = false;
    }
  };
  rec(0, 0, 0);
  return best;
}

function total(cost: number[][], assign: number[]): number {
  return assign.reduce((s, c, r) => (c >= 0 ? s + cost[r]![c]! : s), 0);
}

describe('optimalAssignment', () => {
  it('matches the brute-force optimum on random square and rectangular matrices', () => {
    const rng = new Rng(1);
    for (const [R, C] of [[5, 5], [3, 6], [6, 3], [1, 4], [4, 1]] as const) {
      for (let trial = 0; trial < 5; trial++) {
        const cost = Array.from({ length: R }, () => Array.from({ length: C }, () => rng.normal()));
        const assign = optimalAssignment(cost);
        assert.equal(assign.length, R);
        const cols = assign.filter((c) => c >= 0);
        assert.equal(cols.length, Math.min(R, C), 'exactly min(R, C) rows assigned');
        assert.equal(new Set(cols).size, cols.length, 'one-to-one');
        // both totals are sums of the same float64 entries: only summation order differs (≤ 1e-12)
        assert.ok(Math.abs(total(cost, assign) - bruteForceMin(cost)) < 1e-12);
      }
    }
  });

  it('beats greedy on a crafted case', () => {
    // greedy takes the largest weight 0.9 at (0,0), then must take 0.1 at (1,1): total 1.0;
    // the optimum pairs (0,1) and (1,0): 0.8 + 0.85 = 1.65
    const weight = [
      [0.9, 0.8],
      [0.85, 0.1],
    ];
    assert.deepEqual(maxWeightAssignment(weight), [1, 0]);
  });

  it('handles empty input and rejects ragged or non-finite costs', () => {
    assert.deepEqual(optimalAssignment([]), []);
    assert.deepEqual(optimalAssignment([[], []]), [-1, -1]);
    assert.throws(() => optimalAssignment([[1, 2], [3]]), (e: unknown) => e instanceof MetricsError && /row 1/.test(e.message));
    assert.throws(() => optimalAssignment([[1, NaN]]), (e: unknown) => e instanceof MetricsError && /cost\[0\]\[1\]/.test(e.message));
  });
});
