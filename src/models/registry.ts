/**
 * Builds any of the six models from its configuration, with one of the initialisations:
 * random; perturbed truth (truth + relative noise ε, the local-convergence setting of the
 * theory); explicit arrays (a weights file); SAE-FNO from CNN kernels (their DFT).
 */
import type { Rng } from '../core/rng.js';
import { allocate, ShapeError, shapeStr, Tensor, type DType, type FloatArray } from '../core/tensor.js';
import { isFunctional, isLifted, parseModelConfig, type ModelConfig, type ModelConfigInput } from './config.js';
import { ConvDictionary } from './operators/conv.js';
import { DenseDictionary } from './operators/dense.js';
import { Lifting } from './operators/lifting.js';
import { atomNormsSq, type DictionaryOperator } from './operators/operator.js';
import { SpectralDictionary } from './operators/spectral.js';
import { kernelToSpectral } from '../core/kernels/spectral.js';
import { SparseAutoencoder } from './sae.js';

/** A plain array with a shape, as read from `.npy`/`.safetensors`. */
export interface ArrayInput {
  data: ArrayLike<number>;
  shape: readonly number[];
}

export type Init =
  | { kind: 'random' }
  /**
   * Truth atoms of the effective dictionary, each of length m (SAE: column of D*) or
   * c_in·N0 (functional: the concept sampled at the training resolution N0, any scale);
   * the model starts at normalise(truth + ε·noise) with noise of expected relative norm ε.
   */
  | { kind: 'perturbed-truth'; eps: number; atoms: Float64Array[]; resolution?: number }
  /** Tensors by checkpoint name (`D`, `kernels`, `weights_re`/`weights_im`, `L`, `P`, `lambda`). */
  | { kind: 'arrays'; tensors: Record<string, ArrayInput> }
  /** SAE-FNO from CNN kernels [c_in, C, K] at resolution N0: weights = their DFT (exact CNN emulation with all modes). */
  | { kind: 'cnn-kernel'; kernels: ArrayInput; resolution: number };

/**
 * Creates a model. `rng` draws random weights, the lifting and the perturbation.
 * @param input configuration (validated; errors name the field)
 */
export function createModel(input: ModelConfigInput | ModelConfig, rng: Rng, init: Init = { kind: 'random' }): SparseAutoencoder {
  const config = parseModelConfig(input);
  const { dtype } = config;
  const cEff = isFunctional(config.model) ? config.channels : (config.inputSize as number);
  const lifting = isLifted(config.model)
    ? init.kind === 'arrays' && init.tensors.L && init.tensors.P
      ? new Lifting(tensorFrom(init.tensors.L, dtype, 'L'), tensorFrom(init.tensors.P, dtype, 'P'), config.lifting === 'learned')
      : Lifting.create(config.lifting === 'explicit' ? fail('lifting "explicit" needs arrays L and P (a weights file)') : config.lifting, config.liftWidth as number, cEff, rng, dtype)
    : null;
  const rows = lifting ? lifting.width : cEff;
  const dictionary = buildOperator(config, rows, rng);
  const lambda = Tensor.scalar(config.lambda, dtype);
  const model = new SparseAutoencoder(config, dictionary, lifting, lambda);

  switch (init.kind) {
    case 'random':
      model.normalizeAtoms();
      break;
    case 'arrays':
      loadTensors(model, init.tensors);
      break;
    case 'perturbed-truth':
      setEffective(model, perturbedTruth(config, init.atoms, init.eps, rng), lifting);
      model.normalizeAtoms();
      break;
    case 'cnn-kernel': {
      if (!(dictionary instanceof SpectralDictionary)) throw new RangeError(`init cnn-kernel: applies to SAE-FNO models, not ${config.model}`);
      const [ci, C, K] = init.kernels.shape;
      if (init.kernels.shape.length !== 3 || ci !== cEff || C !== config.concepts) {
        throw new ShapeError('init cnn-kernel', `kernels ${shapeStr(init.kernels.shape)} do not fit [${cEff}, ${config.concepts}, K]`);
      }
      const M = dictionary.modes;
      const re = new Float64Array(ci * C * M);
      const im = new Float64Array(ci * C * M);
      kernelToSpectral(init.kernels.data, ci, C, K, init.resolution, M, re, im);
      setEffective(model, [re, im], lifting);
      break;
    }
  }
  return model;
}

function fail(msg: string): never {
  throw new RangeError(`model config: ${msg}`);
}

/** The operator with random weights (standard normal; normalised later). */
function buildOperator(config: ModelConfig, rows: number, rng: Rng): DictionaryOperator {
  const { dtype, concepts: C } = config;
  if (!isFunctional(config.model)) return new DenseDictionary(Tensor.randn([rows, C], rng, dtype));
  if (config.model.endsWith('cnn')) return new ConvDictionary(Tensor.randn([rows, C, config.kernelSize as number], rng, dtype));
  const M = config.modes as number;
  return new SpectralDictionary(Tensor.randn([rows, C, M], rng, dtype), Tensor.randn([rows, C, M], rng, dtype));
}

/**
 * Perturbed truth in the parameter layout of the unlifted operator ([c, C, taps] blocks):
 * truth atoms normalised, plus noise of expected relative norm ε.
 */
function perturbedTruth(config: ModelConfig, atoms: Float64Array[], eps: number, rng: Rng): Float64Array[] {
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new RangeError(`init perturbed-truth: ε must be finite and ≥ 0, got ${eps}`);
  const C = config.concepts;
  if (atoms.length !== C) throw new ShapeError('init perturbed-truth', `truth has ${atoms.length} atoms, the model ${C}`);
  if (!isFunctional(config.model)) {
    const m = config.inputSize as number;
    const D = new Float64Array(m * C);
    atoms.forEach((a, c) => {
      if (a.length !== m) throw new ShapeError('init perturbed-truth', `truth atom ${c} has length ${a.length}, expected m = ${m}`);
      const n = norm(a);
      for (let i = 0; i < m; i++) D[i * C + c] = a[i] / n + (eps * rng.normal()) / Math.sqrt(m);
    });
    return [D];
  }
  const cin = config.channels;
  const N = atoms[0].length / cin;
  if (!Number.isInteger(N) || atoms.some((a) => a.length !== cin * N)) throw new ShapeError('init perturbed-truth', `truth atoms must all have length c_in·N with c_in = ${cin}`);
  if (config.model.endsWith('cnn')) {
    // the truth kernel is the first K taps of the sampled concept (localized concepts sit at the start of the domain)
    const K = config.kernelSize as number;
    const d = new Float64Array(cin * C * K);
    atoms.forEach((a, c) => {
      for (let i = 0; i < cin; i++) for (let j = 0; j < K; j++) d[(i * C + c) * K + j] = j < N ? a[i * N + j] : 0;
    });
    const n = atomNormsSq([{ data: d, outChannels: cin, atoms: C, taps: K, tapWeight: () => 1 }], null, 0);
    for (let i = 0; i < cin; i++) for (let c = 0; c < C; c++) for (let j = 0; j < K; j++) d[(i * C + c) * K + j] = d[(i * C + c) * K + j] / Math.sqrt(n[c]) + (eps * rng.normal()) / Math.sqrt(cin * K);
    return [d];
  }
  // spectral: κ = the concept function, so w_k = (1/N)·Σ_n φ(n/N)·e^{−2πikn/N}
  const M = config.modes as number;
  const scaled = new Float64Array(cin * C * N);
  atoms.forEach((a, c) => {
    for (let i = 0; i < cin; i++) for (let n = 0; n < N; n++) scaled[(i * C + c) * N + n] = a[i * N + n] / N;
  });
  const re = new Float64Array(cin * C * M);
  const im = new Float64Array(cin * C * M);
  kernelToSpectral(scaled, cin, C, N, N, M, re, im);
  const parseval = (k: number) => (k === 0 ? 1 : 2);
  const n = atomNormsSq(
    [
      { data: re, outChannels: cin, atoms: C, taps: M, tapWeight: parseval },
      { data: im, outChannels: cin, atoms: C, taps: M, tapWeight: parseval },
    ],
    null,
    0,
  );
  // noise std σ per real entry: E‖ξ‖² = c_in·σ²·(1 + 4(M − 1)) = 1 (k = 0 has no imaginary part)
  const sigma = eps / Math.sqrt(cin * (4 * M - 3));
  for (let i = 0; i < cin; i++) for (let c = 0; c < C; c++) for (let k = 0; k < M; k++) {
    const o = (i * C + c) * M + k;
    re[o] = re[o] / Math.sqrt(n[c]) + sigma * rng.normal();
    im[o] = k === 0 ? 0 : im[o] / Math.sqrt(n[c]) + sigma * rng.normal();
  }
  return [re, im];
}

/**
 * Sets the operator's parameters from effective-dictionary blocks [c, C, taps]; with a
 * lifting, D_L = L·D (so that P·D_L = D for an orthonormal lifting).
 */
function setEffective(model: SparseAutoencoder, blocks: Float64Array[], lifting: Lifting | null): void {
  const params = model.dictionary.blocks();
  params.forEach((p, b) => {
    const src = blocks[b];
    const { atoms: C, taps: K, outChannels: H } = p;
    if (!lifting) {
      p.data.set(src);
      return;
    }
    const L = lifting.L.data;
    const c = lifting.channels;
    for (let h = 0; h < H; h++) for (let a = 0; a < C * K; a++) {
      let s = 0;
      for (let i = 0; i < c; i++) s += L[h * c + i] * src[i * C * K + a];
      p.data[h * C * K + a] = s;
    }
  });
}

function loadTensors(model: SparseAutoencoder, tensors: Record<string, ArrayInput>): void {
  for (const [name, t] of Object.entries(model.stateTensors())) {
    const src = tensors[name];
    if (!src) {
      if (name === 'lambda' || name === 'L' || name === 'P') continue; // defaults from the config
      throw new ShapeError('init arrays', `missing tensor "${name}" (expected shape ${shapeStr(t.shape)})`);
    }
    if (src.shape.length !== t.shape.length || src.shape.some((d, i) => d !== t.shape[i])) {
      throw new ShapeError('init arrays', `tensor "${name}" has shape ${shapeStr(src.shape)}, the model needs ${shapeStr(t.shape)}`);
    }
    t.data.set(src.data);
  }
  if (model.dictionary instanceof SpectralDictionary) {
    const { wIm, outChannels: H, atoms: C, modes: M } = model.dictionary;
    for (let ic = 0; ic < H * C; ic++) wIm.data[ic * M] = 0;
  }
}

function tensorFrom(a: ArrayInput, dtype: DType, name: string): Tensor {
  const data: FloatArray = allocate(dtype, a.data.length);
  data.set(a.data);
  return new Tensor(data, a.shape, { name });
}

function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s) || 1;
}

