/**
 * The sparse autoencoder of SPEC §4, one class for all six models: an unrolled-ISTA
 * encoder around a dictionary operator (dense, conv or spectral), optionally lifted.
 * Encoder: z = ISTA(D_L, L·x); decoder: x̂ = P·D_L·z; effective dictionary D = P·D_L.
 */
import { noGrad } from '../core/autodiff.js';
import { scale, sub } from '../core/ops/elementwise.js';
import { sqNorm } from '../core/ops/reduce.js';
import { ShapeError, shapeStr, Tensor } from '../core/tensor.js';
import { isFunctional, type ModelConfig } from './config.js';
import { unrolledIsta } from './ista.js';
import type { Lifting } from './operators/lifting.js';
import { atomNormsSq, scaleAtoms, type DictionaryOperator } from './operators/operator.js';
import { ConvDictionary } from './operators/conv.js';
import { restrictSpectralTaps } from './operators/restrict.js';
import { SpectralDictionary } from './operators/spectral.js';

export interface ForwardResult {
  /** z^T: [B, p] (dense) or [B, C, N]; height units for conv, mass units for spectral. */
  codes: Tensor;
  /** x̂ = P·D_L·z^T, the input's shape. */
  reconstruction: Tensor;
}

export class SparseAutoencoder {
  /**
   * @param config validated configuration (see `parseModelConfig`)
   * @param dictionary D (unlifted) or D_L (lifted), the operator the encoder iterates with
   * @param lifting L and P, or null
   * @param lambda the sparsity weight λ as a one-element tensor (trainable if learned)
   */
  constructor(
    readonly config: ModelConfig,
    readonly dictionary: DictionaryOperator,
    readonly lifting: Lifting | null,
    readonly lambda: Tensor,
  ) {
    lambda.name = 'lambda';
    lambda.requiresGrad = config.learnLambda;
  }

  get functional(): boolean {
    return isFunctional(this.config.model);
  }

  /** Trainable tensors in a fixed order: dictionary, then lifting (if learned), then λ (if learned). */
  parameters(): Tensor[] {
    return [...this.dictionary.params, ...(this.lifting?.params ?? []), ...(this.config.learnLambda ? [this.lambda] : [])];
  }

  /** Every tensor that defines the model, by checkpoint name. */
  stateTensors(): Record<string, Tensor> {
    const out: Record<string, Tensor> = { ...this.dictionary.named, lambda: this.lambda };
    if (this.lifting) Object.assign(out, { L: this.lifting.L, P: this.lifting.P });
    return out;
  }

  /** Checks an input batch: [B, m] for SAE/L-SAE, [B, c_in, N] with N ≥ the operator's minimum otherwise. */
  checkInput(x: Tensor): void {
    const op = `${this.config.model}`;
    if (!this.functional) {
      if (x.ndim !== 2 || x.shape[1] !== this.config.inputSize) throw new ShapeError(op, `input has shape ${shapeStr(x.shape)}, expected [batch, ${this.config.inputSize}]`);
      return;
    }
    if (x.ndim !== 3 || x.shape[1] !== this.config.channels) throw new ShapeError(op, `input has shape ${shapeStr(x.shape)}, expected [batch, ${this.config.channels}, N]`);
    const minN = this.dictionary.minResolution();
    if (x.shape[2] < minN) throw new ShapeError(op, `input resolution N = ${x.shape[2]} is below the minimum ${minN} (2M − 1 for M = ${this.config.modes} modes)`);
  }

  /** α: the configured step, or 0.95/‖D_L‖² at the input's resolution (a constant for gradients). */
  stepSize(N: number): number {
    if (this.config.alpha !== 'auto') return this.config.alpha;
    const n2 = noGrad(() => this.dictionary.normSq(N));
    if (!(n2 > 0) || !Number.isFinite(n2)) throw new RangeError(`${this.config.model}: dictionary norm ‖D‖² = ${n2} is not positive and finite (diverged weights?)`);
    return 0.95 / n2;
  }

  /** Codes z^T for input x ([B, m] or [B, c_in, N]); gradient mode `decoder` encodes without a tape. */
  encode(x: Tensor): Tensor {
    const xs = castTo(x, this.config.dtype);
    this.checkInput(xs);
    const run = () =>
      unrolledIsta(this.dictionary, this.lifting ? this.lifting.lift(xs) : xs, {
        iters: this.config.iters,
        alpha: this.stepSize(this.functional ? xs.shape[2] : 1),
        lambda: this.config.learnLambda ? this.lambda : this.lambda.item(),
        oneSided: this.config.oneSided,
      });
    return this.config.grad === 'decoder' ? noGrad(run).detach() : run();
  }

  /** x̂ = P·D_L·z; functional operators take P folded into their weights (c channels formed, not h). */
  decode(z: Tensor): Tensor {
    const { dictionary: d, lifting } = this;
    if (!lifting) return d.apply(z);
    if (d instanceof SpectralDictionary || d instanceof ConvDictionary) return d.applyProjected(z, lifting);
    return lifting.project(d.apply(z));
  }

  forward(x: Tensor): ForwardResult {
    const codes = this.encode(x);
    return { codes, reconstruction: this.decode(codes) };
  }

  /** ½·mean over the batch of ‖x − x̂‖² (sum over features). */
  loss(x: Tensor): ForwardResult & { loss: Tensor } {
    const xs = castTo(x, this.config.dtype);
    const r = this.forward(xs);
    return { ...r, loss: scale(sqNorm(sub(xs, r.reconstruction)), 0.5 / xs.shape[0]) };
  }

  /** Inference: codes and reconstruction without a tape. */
  infer(x: Tensor): ForwardResult {
    return noGrad(() => this.forward(x));
  }

  /** Scales each concept's parameters so that its atom of the effective dictionary P·D_L has unit norm. */
  normalizeAtoms(): void {
    const blocks = this.dictionary.blocks();
    const P = this.lifting ? this.lifting.P.data : null;
    const nsq = atomNormsSq(blocks, P, this.lifting ? this.lifting.channels : 0);
    scaleAtoms(
      blocks,
      Array.from(nsq, (v) => (v > 0 ? 1 / Math.sqrt(v) : 1)),
    );
  }

  /** Projections applied after every optimizer update: receptive-field restriction, atom norms, λ ≥ 0. */
  afterUpdate(): void {
    if (this.config.restrictTaps) restrictSpectralTaps(this.dictionary as SpectralDictionary, this.config.restrictTaps.taps, this.config.restrictTaps.resolution);
    if (this.config.normalize) this.normalizeAtoms();
    if (this.config.learnLambda && this.lambda.data[0] < 0) this.lambda.data[0] = 0;
  }

  /**
   * Atoms of the effective dictionary D = P·D_L at resolution N, as float64 arrays of
   * length m (dense) or c_in·N (channel-major), in the operator's own convention
   * (conv: kernel taps; spectral: the concept function κ_c(n/N)). Metrics normalise them.
   */
  effectiveAtoms(N = 1): Float64Array[] {
    const atoms = this.dictionary.atomArrays(N);
    if (!this.lifting) return atoms;
    const { P } = this.lifting;
    const [c, h] = P.shape;
    const len = this.functional ? N : 1;
    return atoms.map((a) => {
      const out = new Float64Array(c * len);
      for (let i = 0; i < c; i++) for (let j = 0; j < h; j++) {
        const w = P.data[i * h + j];
        for (let n = 0; n < len; n++) out[i * len + n] += w * a[j * len + n];
      }
      return out;
    });
  }
}

function castTo(x: Tensor, dtype: ModelConfig['dtype']): Tensor {
  return x.dtype === dtype ? x : x.to(dtype);
}
