import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';

test('one seed gives identical streams; another seed a different one', () => {
  const draw = (seed: number) => {
    const r = new Rng(seed);
    return [r.nextUint32(), r.uniform(), r.normal(), r.normal(), r.int(7), ...r.sampleWithoutReplacement(50, 5)];
  };
  assert.deepEqual(draw(42), draw(42));
  assert.notDeepEqual(draw(42), draw(43));
});

test('state round-trips exactly, including the cached normal deviate', () => {
  const r = new Rng(7);
  r.normal(); // leaves a spare
  const s = r.getState();
  const a = [r.normal(), r.uniform(), r.int(1000)];
  r.setState(s);
  assert.deepEqual([r.normal(), r.uniform(), r.int(1000)], a);
});

test('uniform and normal moments match their laws', () => {
  // n = 2e5: standard errors are 1/sqrt(12n) ≈ 6.5e-4 (uniform mean), 1/sqrt(n) ≈ 2.2e-3
  // (normal mean) and sqrt(2/n) ≈ 3.2e-3 (normal variance); 5 sigma bounds
  const r = new Rng(1);
  const n = 200000;
  let su = 0;
  let sn = 0;
  let sn2 = 0;
  for (let i = 0; i < n; i++) {
    const u = r.uniform();
    assert.ok(u >= 0 && u < 1);
    su += u;
    const z = r.normal();
    sn += z;
    sn2 += z * z;
  }
  assert.ok(Math.abs(su / n - 0.5) < 5 * 6.5e-4);
  assert.ok(Math.abs(sn / n) < 5 * 2.2e-3);
  assert.ok(Math.abs(sn2 / n - 1) < 5 * 3.2e-3);
});

test('int is unbiased and sampling without replacement gives distinct values', () => {
  const r = new Rng(3);
  const counts = new Array(6).fill(0);
  const n = 60000;
  for (let i = 0; i < n; i++) counts[r.int(6)]++;
  // binomial sd = sqrt(n·(1/6)(5/6)) ≈ 91; 5 sigma
  for (const c of counts) assert.ok(Math.abs(c - n / 6) < 5 * 91, `count ${c}`);
  for (let k = 0; k < 100; k++) {
    const s = r.sampleWithoutReplacement(20, 10);
    assert.equal(new Set(s).size, 10);
    assert.ok(s.every((v) => v >= 0 && v < 20));
  }
  assert.throws(() => r.sampleWithoutReplacement(3, 4), /k ≤ n/);
});
