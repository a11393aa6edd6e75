/**
 * `saeno verify`: the paper's propositions and the operator identities of SPEC §6 checked
 * numerically in float64. Each check reports a residual against a tolerance derived from
 * float64 round-off (see docs/theory.md for the derivations of the identities checked).
 */
import { backward, noGrad } from '../core/autodiff.js';
import { spectralConv } from '../core/ops/spectral.js';
import { Rng } from '../core/rng.js';
import { Tensor } from '../core/tensor.js';
import type { ModelConfigInput } from '../models/config.js';
import { powerIteration } from '../models/operators/operator.js';
import { SpectralDictionary } from '../models/operators/spectral.js';
import { createModel } from '../models/registry.js';
import type { SparseAutoencoder } from '../models/sae.js';

export interface CheckResult {
  name: string;
  /** The paper statement or identity tested. */
  statement: string;
  residual: number;
  tolerance: number;
  pass: boolean;
}

interface Check {
  name: string;
  statement: string;
  tolerance: number;
  run: () => number;
}

/** max |a − b| / max(max |b|, tiny): the relative residual used by every check. */
export function relResidual(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-300);
}

/** The arrays concatenated into one float64 array. */
export function flat(arrays: ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(arrays.reduce((s, a) => s + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

function batch(model: SparseAutoencoder, B: number, N: number, rng: Rng): Tensor {
  const c = model.config;
  return Tensor.randn(model.functional ? [B, c.channels, N] : [B, c.inputSize as number], rng, 'float64');
}

/** One plain gradient step: p ← p − lr·(scale ⊙ ∇p), then the model's projections. Returns the loss before the step. */
export function sgdStep(model: SparseAutoencoder, x: Tensor, lr: number, gradScale?: (p: Tensor, g: Float32Array | Float64Array) => void): number {
  const params = model.parameters();
  for (const p of params) p.zeroGrad();
  const { loss } = model.loss(x);
  backward(loss);
  for (const p of params) {
    const g = p.ensureGrad();
    gradScale?.(p, g);
    for (let i = 0; i < p.size; i++) p.data[i] -= lr * g[i];
  }
  model.afterUpdate();
  return loss.item();
}

/** Prop 3.1: a decoder-gradient step on D_L moves D = P·D_L by η·P·Pᵀ·(x − Dz)·zᵀ (batch-mean form). */
function prop31(): number {
  const rng = new Rng(31);
  const model = createModel({ model: 'l-sae', dtype: 'float64', inputSize: 6, concepts: 9, liftWidth: 12, lifting: 'gaussian', grad: 'decoder', normalize: false, lambda: 0.05 }, rng);
  const B = 4;
  const x = batch(model, B, 1, rng);
  const eta = 0.1;
  const before = flat(model.effectiveAtoms()); // atom-major: [p][m]
  const z = model.infer(x).codes; // z is a constant in decoder mode
  const recon = noGrad(() => model.decode(z)).data;
  sgdStep(model, x, eta);
  const after = flat(model.effectiveAtoms());
  const { P } = model.lifting!;
  const [m, h] = P.shape;
  const p = model.config.concepts;
  // predicted ΔD[:, j] = (η/B)·P·Pᵀ·Σ_b (x_b − D z_b)·z_b[j]
  const PPt = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let k = 0; k < m; k++) for (let l = 0; l < h; l++) PPt[i * m + k] += P.data[i * h + l] * P.data[k * h + l];
  const predicted = new Float64Array(p * m);
  for (let b = 0; b < B; b++)
    for (let j = 0; j < p; j++) {
      const zj = z.data[b * p + j];
      if (zj === 0) continue;
      for (let i = 0; i < m; i++) {
        let s = 0;
        for (let k = 0; k < m; k++) s += PPt[i * m + k] * (x.data[b * m + k] - recon[b * m + k]);
        predicted[j * m + i] += (eta / B) * s * zj;
      }
    }
  const delta = after.map((v, i) => v - before[i]);
  return relResidual(delta, predicted);
}

/**
 * Sets a lifted model's operator to D_L = L·D from an unlifted model of the same family
 * (block by block), so that with P = Lᵀ, LᵀL = I its effective dictionary P·D_L is D.
 */
export function liftInto(plain: SparseAutoencoder, lifted: SparseAutoencoder): void {
  const L = lifted.lifting!.L;
  const [hh, c] = L.shape;
  const src = plain.dictionary.blocks();
  lifted.dictionary.blocks().forEach((dst, b) => {
    const CK = dst.atoms * dst.taps;
    for (let i = 0; i < hh; i++) for (let a = 0; a < CK; a++) {
      let s = 0;
      for (let j = 0; j < c; j++) s += L.data[i * c + j] * src[b].data[j * CK + a];
      dst.data[i * CK + a] = s;
    }
  });
}

/** Prop 3.2 set-up: a model and its orthonormally lifted twin with D_L = L·D. */
function liftedTwin(base: ModelConfigInput, h: number, seed: number): [SparseAutoencoder, SparseAutoencoder] {
  const plain = createModel(base, new Rng(seed));
  const liftedCfg = { ...base, model: `l-${base.model}` as ModelConfigInput['model'], liftWidth: h, lifting: 'orthonormal' as const };
  const lifted = createModel(liftedCfg, new Rng(seed + 1));
  liftInto(plain, lifted);
  return [plain, lifted];
}

const PROP32_MODELS: Array<[string, ModelConfigInput, number, number]> = [
  ['sae', { model: 'sae', dtype: 'float64', inputSize: 8, concepts: 12, iters: 15, lambda: 0.05 }, 20, 1],
  ['sae-cnn', { model: 'sae-cnn', dtype: 'float64', concepts: 3, kernelSize: 6, iters: 15, lambda: 0.05 }, 4, 24],
  ['sae-fno', { model: 'sae-fno', dtype: 'float64', concepts: 3, modes: 6, iters: 15, lambda: 0.05 }, 4, 24],
];

function prop32Inference(base: ModelConfigInput, h: number, N: number): number {
  const [plain, lifted] = liftedTwin(base, h, 32);
  const x = batch(plain, 5, N, new Rng(320));
  const a = plain.infer(x);
  const b = lifted.infer(x);
  return Math.max(relResidual(b.codes.data, a.codes.data), relResidual(b.reconstruction.data, a.reconstruction.data));
}

function prop32Trajectory(base: ModelConfigInput, h: number, N: number, steps: number): number {
  const [plain, lifted] = liftedTwin({ ...base, grad: 'full' }, h, 33);
  const rng = new Rng(330);
  let worst = 0;
  for (let s = 0; s < steps; s++) {
    const x = batch(plain, 6, N, rng);
    sgdStep(plain, x, 0.05);
    sgdStep(lifted, x, 0.05);
    worst = Math.max(worst, relResidual(flat(lifted.effectiveAtoms(N)), flat(plain.effectiveAtoms(N))));
  }
  return worst;
}

/**
 * The full-mode SAE-FNO twin of an SAE-CNN at odd resolution N: M = (N + 1)/2 modes, weights =
 * the DFT of the CNN kernels, every other setting the CNN's; with `restrict` the K-tap
 * receptive field is kept after each update (docs/theory.md §4).
 */
export function fnoTwin(cnn: SparseAutoencoder, N: number, restrict: boolean): SparseAutoencoder {
  if (N % 2 !== 1) throw new RangeError(`fnoTwin: N must be odd (all modes without a Nyquist mode), got ${N}`);
  const { kernelSize, ...common } = cnn.config;
  const K = kernelSize as number;
  const kernels = cnn.stateTensors().kernels;
  return createModel({ ...common, model: 'sae-fno', modes: (N + 1) / 2, restrictTaps: restrict ? { taps: K, resolution: N } : null }, new Rng(4), {
    kind: 'cnn-kernel',
    kernels: { data: kernels.data, shape: kernels.shape },
    resolution: N,
  });
}

/**
 * The gradient correction under which FNO SGD tracks CNN SGD (docs/theory.md §4): the k = 0
 * gradient of the real weights doubled. Pass to `sgdStep` with the rate `(N/2)·η_CNN`.
 */
export function doubleDcGradient(op: SpectralDictionary): (p: Tensor, g: Float32Array | Float64Array) => void {
  const M = op.modes;
  return (p, g) => {
    if (p !== op.wRe) return;
    for (let i = 0; i < g.length; i += M) g[i] *= 2;
  };
}

/** An SAE-CNN with K taps and the full-mode SAE-FNO built from its kernels (their DFT), N odd. */
function cnnFnoPair(N: number, K: number, restrict: boolean): [SparseAutoencoder, SparseAutoencoder] {
  const cnn = createModel({ dtype: 'float64', concepts: 3, iters: 15, lambda: 0.05, normalize: false, model: 'sae-cnn', kernelSize: K }, new Rng(3));
  return [cnn, fnoTwin(cnn, N, restrict)];
}

function fnoCnnInference(N: number, K: number): number {
  const [cnn, fno] = cnnFnoPair(N, K, false);
  const x = batch(cnn, 4, N, new Rng(5));
  const a = cnn.infer(x);
  const b = fno.infer(x);
  return Math.max(relResidual(b.codes.data, a.codes.data), relResidual(b.reconstruction.data, a.reconstruction.data));
}

/**
 * Training equivalence: SGD on the CNN kernel with rate η equals SGD on the full-mode FNO
 * weights with rate (N/2)·η and the k = 0 gradient doubled, projected to K taps after each
 * step (docs/theory.md §3). Returns the worst relative kernel difference over the run.
 */
export function fnoCnnTrajectory(N: number, K: number, steps: number, dcCorrection = true): number {
  const [cnn, fno] = cnnFnoPair(N, K, true);
  const eta = 0.02;
  const rng = new Rng(6);
  const doubleDc = dcCorrection ? doubleDcGradient(fno.dictionary as SpectralDictionary) : undefined;
  let worst = 0;
  for (let s = 0; s < steps; s++) {
    const x = batch(cnn, 4, N, rng);
    sgdStep(cnn, x, eta);
    sgdStep(fno, x, (N / 2) * eta, doubleDc);
    const kernelsFno = fno.effectiveAtoms(N).map((a) => Array.from(a.subarray(0, K), (v) => v / N));
    const kernelsCnn = cnn.effectiveAtoms(N).map((a) => Array.from(a.subarray(0, K)));
    worst = Math.max(worst, relResidual(flat(kernelsFno), flat(kernelsCnn)));
  }
  return worst;
}

/** ⟨Dz, y⟩ = ⟨z, Dᵀy⟩ for every operator of every model. */
function adjointCheck(cfg: ModelConfigInput, N: number): number {
  const rng = new Rng(41);
  const model = createModel(cfg, rng);
  const op = model.dictionary;
  const z = Tensor.randn(model.functional ? [3, op.atoms, N] : [3, op.atoms], rng, 'float64');
  const y = Tensor.randn(model.functional ? [3, op.outChannels, N] : [3, op.outChannels], rng, 'float64');
  return noGrad(() => {
    let lhs = 0;
    let rhs = 0;
    const Dz = op.apply(z).data;
    const Dty = op.adjoint(y).data;
    for (let i = 0; i < Dz.length; i++) lhs += Dz[i] * y.data[i];
    for (let i = 0; i < Dty.length; i++) rhs += z.data[i] * Dty[i];
    return Math.abs(lhs - rhs) / Math.max(Math.abs(lhs), Math.abs(rhs));
  });
}

/** Closed-form ‖D‖² against power iteration on DᵀD applied through the operator. */
function normCheck(cfg: ModelConfigInput, N: number): number {
  const rng = new Rng(42);
  const model = createModel(cfg, rng);
  const op = model.dictionary;
  const shape = model.functional ? [1, op.atoms, N] : [1, op.atoms];
  const n = shape.reduce((a, b) => a * b, 1);
  const lam = noGrad(() => powerIteration((v) => op.adjoint(op.apply(new Tensor(v.slice(), shape))).data as Float64Array, n, 50000));
  return Math.abs(op.normSq(N) - lam) / lam;
}

/**
 * Discretisation invariance: the FNO operator applied at N, 2N, 4N to samples of one
 * band-limited code function returns samples of one function (compare on the common grid).
 */
function fnoDiscretisation(N: number): number {
  const rng = new Rng(43);
  const M = 6;
  const model = createModel({ model: 'sae-fno', dtype: 'float64', concepts: 2, modes: M }, rng);
  const op = model.dictionary as SpectralDictionary;
  const coef = Array.from({ length: 2 * 5 * 2 }, () => rng.normal()); // 2 concepts × modes 0..4 × (cos, sin)
  const g = (c: number, s: number) => {
    let v = 0;
    for (let k = 0; k < 5; k++) v += coef[(c * 5 + k) * 2] * Math.cos(2 * Math.PI * k * s) + coef[(c * 5 + k) * 2 + 1] * Math.sin(2 * Math.PI * k * s);
    return v;
  };
  const outAt = (n: number) => {
    const z = Tensor.zeros([1, 2, n], 'float64');
    for (let c = 0; c < 2; c++) for (let i = 0; i < n; i++) z.data[c * n + i] = g(c, i / n);
    return noGrad(() => spectralConv(z, op.wRe, op.wIm)).data;
  };
  const base = outAt(N);
  let worst = 0;
  for (const f of [2, 4]) {
    const fine = outAt(f * N);
    const restricted = Array.from({ length: N }, (_, i) => fine[i * f]);
    worst = Math.max(worst, relResidual(restricted, base));
  }
  return worst;
}

const OPERATOR_MODELS: Array<[string, ModelConfigInput]> = [
  ['SAE dense', { model: 'sae', dtype: 'float64', inputSize: 7, concepts: 11 }],
  ['L-SAE lifted dense', { model: 'l-sae', dtype: 'float64', inputSize: 7, concepts: 11, liftWidth: 9, lifting: 'gaussian' }],
  ['SAE-CNN conv', { model: 'sae-cnn', dtype: 'float64', channels: 2, concepts: 3, kernelSize: 5 }],
  ['L-SAE-CNN lifted conv', { model: 'l-sae-cnn', dtype: 'float64', channels: 2, concepts: 3, kernelSize: 5, liftWidth: 4 }],
  ['SAE-FNO spectral', { model: 'sae-fno', dtype: 'float64', channels: 2, concepts: 3, modes: 5 }],
  ['L-SAE-FNO lifted spectral', { model: 'l-sae-fno', dtype: 'float64', channels: 2, concepts: 3, modes: 5, liftWidth: 4 }],
];

/** Every check of SPEC §6, in order. */
export function verifyChecks(): Check[] {
  const checks: Check[] = [
    { name: 'prop3.1 effective update', statement: 'Prop 3.1: a decoder-gradient step η on D_L moves D = P·D_L by η·P·Pᵀ(x − Dz)zᵀ', tolerance: 1e-12, run: prop31 },
  ];
  for (const [name, cfg, h, N] of PROP32_MODELS) {
    checks.push({
      name: `prop3.2 inference ${name}`,
      statement: `Prop 3.2: with LᵀL = I, P = Lᵀ, D_L = L·D, L-${name.toUpperCase()} codes and reconstructions equal ${name.toUpperCase()}'s`,
      tolerance: 1e-12,
      run: () => prop32Inference(cfg, h, N),
    });
    checks.push({
      name: `prop3.2 trajectory ${name}`,
      statement: `Fig 5: orthogonal lifting gives the same SGD training trajectory (effective atoms, 30 steps, atom normalisation on)`,
      tolerance: 1e-10,
      run: () => prop32Trajectory(cfg, h, N, 30),
    });
  }
  checks.push(
    { name: 'fno=cnn inference', statement: 'Full-mode SAE-FNO with a K-tap kernel (weights = DFT of the CNN kernel) equals SAE-CNN: codes and reconstructions (N = 33, K = 7)', tolerance: 1e-10, run: () => fnoCnnInference(33, 7) },
    {
      name: 'fno=cnn training',
      statement: 'Fig 2c: with K-tap projection after each step, FNO SGD at rate (N/2)·η (k = 0 gradient ×2) tracks SAE-CNN SGD at rate η (30 steps)',
      tolerance: 1e-9,
      run: () => fnoCnnTrajectory(33, 7, 30),
    },
  );
  for (const [name, cfg] of OPERATOR_MODELS) {
    checks.push({ name: `adjoint ${name}`, statement: `⟨Dz, y⟩ = ⟨z, Dᵀy⟩ for the ${name} operator`, tolerance: 1e-12, run: () => adjointCheck(cfg, 13) });
    checks.push({ name: `norm ${name}`, statement: `closed-form ‖D‖² equals power iteration on DᵀD (${name})`, tolerance: 1e-8, run: () => normCheck(cfg, 13) });
  }
  checks.push({
    name: 'fno discretisation',
    statement: 'SAE-FNO applied at N, 2N, 4N to samples of one band-limited code function returns samples of one function (N = 16)',
    tolerance: 1e-12,
    run: () => fnoDiscretisation(16),
  });
  return checks;
}

/** Runs every check; `onResult` sees each as it completes. */
export function runVerify(onResult?: (r: CheckResult) => void): CheckResult[] {
  return verifyChecks().map((c) => {
    let residual: number;
    try {
      residual = c.run();
    } catch (err) {
      residual = NaN;
      c.statement += ` [error: ${err instanceof Error ? err.message : String(err)}]`;
    }
    const r = { name: c.name, statement: c.statement, residual, tolerance: c.tolerance, pass: residual <= c.tolerance };
    onResult?.(r);
    return r;
  });
}
