import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../src/core/autodiff.js';
import { scale, sub } from '../../src/core/ops/elementwise.js';
import { sqNorm } from '../../src/core/ops/reduce.js';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import type { ModelConfigInput } from '../../src/models/config.js';
import { powerIteration } from '../../src/models/operators/operator.js';
import { createModel } from '../../src/models/registry.js';
import type { SparseAutoencoder } from '../../src/models/sae.js';
import { checkGradients, dot } from '../helpers/gradcheck.js';

const rng = new Rng(77);
const N = 12;
const configs: Record<string, ModelConfigInput> = {
  sae: { model: 'sae', dtype: 'float64', inputSize: 6, concepts: 9 },
  'l-sae': { model: 'l-sae', dtype: 'float64', inputSize: 6, concepts: 9, liftWidth: 10, lifting: 'learned' },
  'sae-cnn': { model: 'sae-cnn', dtype: 'float64', channels: 2, concepts: 3, kernelSize: 5 },
  'l-sae-cnn': { model: 'l-sae-cnn', dtype: 'float64', channels: 2, concepts: 3, kernelSize: 5, liftWidth: 4, lifting: 'learned' },
  'sae-fno': { model: 'sae-fno', dtype: 'float64', channels: 2, concepts: 3, modes: 5 },
  'l-sae-fno': { model: 'l-sae-fno', dtype: 'float64', channels: 2, concepts: 3, modes: 5, liftWidth: 4, lifting: 'learned' },
};

function inputFor(model: SparseAutoencoder, B: number, n = N, r = rng): Tensor {
  const c = model.config;
  return Tensor.randn(model.functional ? [B, c.channels, n] : [B, c.inputSize as number], r, 'float64');
}

/** The operator's explicit matrix, column j = D e_j. */
function explicitMatrix(model: SparseAutoencoder, n: number): { A: Float64Array; rows: number; cols: number; codeShape: number[] } {
  const op = model.dictionary;
  const codeShape = model.functional ? [1, op.atoms, n] : [1, op.atoms];
  const cols = codeShape.reduce((a, b) => a * b, 1);
  const rows = model.functional ? op.outChannels * n : op.outChannels;
  const A = new Float64Array(rows * cols);
  noGrad(() => {
    for (let j = 0; j < cols; j++) {
      const e = Tensor.zeros(codeShape, 'float64');
      e.data[j] = 1;
      const y = op.apply(e).data;
      for (let i = 0; i < rows; i++) A[i * cols + j] = y[i];
    }
  });
  return { A, rows, cols, codeShape };
}

for (const [name, cfg] of Object.entries(configs)) {
  test(`${name}: operator adjoint equals the explicit matrix's transpose; ‖D‖² equals power iteration`, () => {
    const model = createModel(cfg, rng);
    for (const n of model.functional ? [N, 2 * N + 1] : [1]) {
      const { A, rows, cols } = explicitMatrix(model, n);
      const y = Tensor.randn(model.functional ? [1, model.dictionary.outChannels, n] : [1, rows], rng, 'float64');
      const aty = noGrad(() => model.dictionary.adjoint(y)).data;
      let err = 0;
      let ref = 0;
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let i = 0; i < rows; i++) s += A[i * cols + j] * y.data[i];
        err = Math.max(err, Math.abs(s - aty[j]));
        ref = Math.max(ref, Math.abs(s));
      }
      // float64 sums of ≤ 100 terms: 1e-12 relative
      assert.ok(err <= 1e-12 * ref, `${name} N=${n}: adjoint mismatch ${err}`);
      const lam = powerIteration((v) => {
        const w = new Float64Array(rows);
        for (let i = 0; i < rows; i++) w[i] = dot(A.subarray(i * cols, (i + 1) * cols), v);
        const out = new Float64Array(cols);
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j] += A[i * cols + j] * w[i];
        return out;
      }, cols, 20000);
      const closed = model.dictionary.normSq(n);
      assert.ok(Math.abs(closed - lam) <= 1e-8 * lam, `${name} N=${n}: ‖D‖² ${closed} vs power iteration ${lam}`);
    }
  });

  test(`${name}: whole-model gradients (full and decoder modes, learnable λ and lifting) equal finite differences`, () => {
    for (const grad of ['full', 'decoder'] as const) {
      const model = createModel({ ...cfg, grad, alpha: 0.3, iters: 4, lambda: 0.05, learnLambda: grad === 'full' }, new Rng(5));
      // a fixed draw whose ISTA pre-activations stay > h away from the threshold kinks ±αλ
      const x = inputFor(model, 3, N, new Rng(6));
      const params = model.parameters();
      if (grad === 'full') {
        checkGradients(() => model.loss(x).loss, params, { label: `${name} full` });
      } else {
        // decoder mode: z^T is a constant, so the reference is ½·mean‖x − P·D_L·z*‖² with z* frozen
        const zStar = noGrad(() => model.encode(x));
        const ref = () => scale(sqNorm(sub(x, model.decode(zStar))), 0.5 / 3);
        const autodiff = (() => {
          for (const p of params) p.zeroGrad();
          return model.loss(x).loss;
        })();
        assert.ok(Math.abs(autodiff.item() - ref().item()) < 1e-12);
        checkGradients(() => model.loss(x).loss, params, { label: `${name} decoder`, reference: ref });
      }
    }
  });

  test(`${name}: atom normalisation gives unit effective atoms; codes and reconstructions have the input's layout`, () => {
    const model = createModel(cfg, rng);
    const n = model.functional ? 16 : 1;
    for (const a of model.effectiveAtoms(n)) {
      // spectral atoms are concept functions: unit L2[0,1) norm = Euclidean norm/√N (exact quadrature for N ≥ 2M − 1)
      const scaleN = model.dictionary.kind === 'spectral' ? n : 1;
      assert.ok(Math.abs(dot(a, a) / scaleN - 1) < 1e-10, `${name}: atom norm² ${dot(a, a) / scaleN}`);
    }
    const x = inputFor(model, 2, n);
    const r = model.infer(x);
    assert.deepEqual(r.reconstruction.shape, x.shape);
    assert.equal(r.codes.shape[1], model.config.concepts);
  });
}

test('decoder-mode loss equals full-mode loss in value (only gradients differ)', () => {
  const a = createModel({ ...configs['sae-cnn'], grad: 'full' }, new Rng(9));
  const b = createModel({ ...configs['sae-cnn'], grad: 'decoder' }, new Rng(9));
  const x = inputFor(a, 2);
  assert.equal(a.loss(x).loss.item(), b.loss(x).loss.item());
});

test('SAE-FNO rejects a resolution below 2M − 1 with a clear message', () => {
  const model = createModel(configs['sae-fno'], rng);
  assert.throws(() => model.infer(inputFor(model, 1, 8)), /N = 8 is below the minimum 9 \(2M − 1 for M = 5 modes\)/);
});

test('config errors name the field', () => {
  assert.throws(() => createModel({ model: 'sae-cnn', concepts: 3 } as ModelConfigInput, rng), /kernelSize is required for sae-cnn/);
  assert.throws(() => createModel({ model: 'sae', inputSize: 4, concepts: 3, bogus: 1 } as unknown as ModelConfigInput, rng), /bogus/);
});

test('lifted functional decoders: P folded into the weights equals P·(D_L z)', () => {
  for (const name of ['l-sae-cnn', 'l-sae-fno']) {
    const model = createModel(configs[name], new Rng(11));
    const z = Tensor.randn([3, model.dictionary.atoms, N], new Rng(12), 'float64');
    const lifting = model.lifting as NonNullable<SparseAutoencoder['lifting']>;
    const [folded, explicit] = noGrad(() => [model.decode(z).data, lifting.project(model.dictionary.apply(z)).data]);
    let err = 0, ref = 0;
    for (let i = 0; i < explicit.length; i++) {
      err = Math.max(err, Math.abs(folded[i] - explicit[i]));
      ref = Math.max(ref, Math.abs(explicit[i]));
    }
    // the same linear map summed in another order: float64 round-off of ≤ h·C·N terms, 1e-12 relative
    assert.ok(err <= 1e-12 * ref, `${name}: folded decoder differs by ${err} (scale ${ref})`);
  }
});
