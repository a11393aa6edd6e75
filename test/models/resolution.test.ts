/**
 * Resolution generalisation (issue 5, SPEC §4): SAE-FNO trained at N = 128 runs unchanged at
 * N = 256 and 512. Its codes are functions (mass units), so sampled on a common grid they agree,
 * and the relative reconstruction error is the same at every N.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { FunctionalModel } from '../../src/data/functional.js';
import { relativeError } from '../../src/metrics/index.js';
import { createModel } from '../../src/models/registry.js';
import { recommendedSettings } from '../../src/train/defaults.js';
import { OnlineSource } from '../../src/train/source.js';
import { Trainer } from '../../src/train/trainer.js';

test('SAE-FNO trained at N = 128 gives the same codes and reconstruction error at N = 256 and 512', (t) => {
  // band-limited concepts (fourier, |k| ≤ 8 < M = 16): the rectangle rules at every N see the same function
  const config = { family: 'fourier', concepts: 5, baseResolution: 64, occurrence: { kind: 'one-sparse' } } as const;
  const N0 = 128;
  const source = new OnlineSource({ kind: 'functional', config, seed: 3, resolution: N0 }, new Rng(1), new Rng(2), 8, 'float32');
  const rec = recommendedSettings('sae-fno', N0);
  const model = createModel({ model: 'sae-fno', concepts: 5, modes: 16, iters: rec.iters, lambda: rec.lambda, oneSided: rec.oneSided }, new Rng(4), {
    kind: 'perturbed-truth',
    eps: 0.3,
    atoms: source.truth.atoms,
  });
  const trainer = new Trainer(model, source, { steps: 200, batch: 32, lr: rec.lr, optimizer: rec.optimizer, schedule: rec.schedule });
  for (let s = 0; s < 200; s++) trainer.trainStep();

  // the same underlying signals (same occurrences) rendered at N0·{1, 2, 4}
  const gen = new FunctionalModel(config, 3);
  const count = 64;
  const occ = gen.sampleOccurrences(count, new Rng(9));
  const at = (N: number) => {
    const x = gen.render(occ, count, N).x;
    const r = model.infer(Tensor.from(x, [count, 1, N]));
    return { x, codes: r.codes.data, recon: r.reconstruction.data, relErr: relativeError(x, r.reconstruction.data) };
  };
  const base = at(N0);
  assert.ok(base.relErr < 0.2, `reconstruction at N0 is poor (${base.relErr}); the comparison would be vacuous`);
  for (const f of [2, 4]) {
    const fine = at(f * N0);
    // codes on the common grid s = n/N0
    let num = 0;
    let den = 0;
    for (let b = 0; b < count * 5; b++)
      for (let n = 0; n < N0; n++) {
        const d = fine.codes[b * f * N0 + f * n] - base.codes[b * N0 + n];
        num += d * d;
        den += base.codes[b * N0 + n] ** 2;
      }
    const codeErr = Math.sqrt(num / den);
    t.diagnostic(`${f}·N0: code difference ${codeErr.toExponential(2)}, relative error ${fine.relErr.toFixed(4)} (N0: ${base.relErr.toFixed(4)})`);
    // issue 5: ≤ 0.05 (an independent implementation measured ≈ 0.003 at 4× on band-limited concepts)
    assert.ok(codeErr <= 0.05, `codes at ${f}·N0 differ from N0 by ${codeErr}`);
    // "the same relative reconstruction error at every N": within 10 % of each other
    assert.ok(Math.abs(fine.relErr - base.relErr) <= 0.1 * base.relErr, `relative error ${base.relErr} at N0 vs ${fine.relErr} at ${f}·N0`);
  }
});
