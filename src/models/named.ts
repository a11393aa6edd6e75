/**
 * The six models by their paper names, as classes: `new SAEFNO({ concepts: 5, modes: 16 })`.
 * Each is a `SparseAutoencoder` built by `createModel` with its kind fixed.
 */
import { Rng } from '../core/rng.js';
import type { ModelConfigInput, ModelKind } from './config.js';
import { createModel, type Init } from './registry.js';
import { SparseAutoencoder } from './sae.js';

/** Options of a named model: the config without `model`, plus a seed and an initialisation. */
export type NamedModelOptions = Omit<ModelConfigInput, 'model'> & { seed?: number; init?: Init };

function named(kind: ModelKind) {
  return class extends SparseAutoencoder {
    constructor(opts: NamedModelOptions) {
      const { seed = 0, init, ...config } = opts;
      const m = createModel({ ...config, model: kind }, new Rng(seed), init);
      super(m.config, m.dictionary, m.lifting, m.lambda);
    }
  };
}

/** SAE: dense dictionary D ∈ R^{m×p}. */
export const SAE = named('sae');
/** Lifted SAE: D_L ∈ R^{h×p} with lifting L and projection P. */
export const LSAE = named('l-sae');
/** SAE-CNN: circular-convolution dictionary with K taps. */
export const SAECNN = named('sae-cnn');
/** Lifted SAE-CNN: pointwise lifting around the convolution dictionary. */
export const LSAECNN = named('l-sae-cnn');
/** SAE-FNO: spectral dictionary on the first M Fourier modes (resolution-free). */
export const SAEFNO = named('sae-fno');
/** Lifted SAE-FNO. */
export const LSAEFNO = named('l-sae-fno');
