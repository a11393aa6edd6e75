/**
 * saeno: sparse autoencoders for model recovery in Euclidean, lifted and function spaces.
 * The public library API (runs in Node and browsers; file IO lives in `saeno/io`-style
 * modules under src/io and is re-exported here only where browser-safe).
 */
export { Tensor, ShapeError, type DType } from './core/tensor.js';
export { backward, grad, noGrad } from './core/autodiff.js';
export { Rng } from './core/rng.js';
export { Adam, SGD, type Optimizer } from './core/optim.js';
export { getRealFFTPlan, RealFFT } from './core/kernels/fft.js';

export { parseModelConfig, MODEL_KINDS, type ModelConfig, type ModelConfigInput, type ModelKind } from './models/config.js';
export { createModel, type Init } from './models/registry.js';
export { SparseAutoencoder, type ForwardResult } from './models/sae.js';
export { SAE, LSAE, SAECNN, LSAECNN, SAEFNO, LSAEFNO } from './models/named.js';
export { unrolledIsta } from './models/ista.js';

export {
  CONCEPT_FAMILIES,
  EuclideanModel,
  FunctionalModel,
  validateEuclideanConfig,
  validateFunctionalConfig,
  shiftMaxCoherence,
  DataError,
  DataConfigError,
  CoherenceBoundError,
  type ConceptFamily,
  type EuclideanConfigInput,
  type FunctionalConfigInput,
} from './data/index.js';
export * from './metrics/index.js';
export * from './train/index.js';
export { buildBundle, parseBundle, type Dataset } from './data/bundle.js';

export { encodeNpy, decodeNpy } from './io/npy.js';
export { encodeSafetensors, decodeSafetensors } from './io/safetensors.js';
