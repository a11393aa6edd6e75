/**
 * The spectral (FNO) dictionary operator and its adjoint as autodiff ops, with complex
 * weights held as two real tensors so gradients w.r.t. real and imaginary parts are separate.
 * Shapes: codes z [B, C, N], signals x [B, c_out, N], weights wRe/wIm [c_out, C, M].
 * N is read from the input (never stored): the same weights run at any N ≥ 2M − 1.
 */
import { accumulate, record } from '../autodiff.js';
import { SpectralDecoder, type DecoderSpec } from '../kernels/decoder.js';
import { spectralAdjoint, spectralApply, spectralWeightGrad } from '../kernels/spectral.js';
import { threadCount } from '../parallel.js';
import { allocate, expectSameDtype, ShapeError, shapeStr, Tensor, type FloatArray } from '../tensor.js';

function dims(op: string, t: Tensor, wRe: Tensor, wIm: Tensor, onCodes: boolean) {
  if (t.ndim !== 3 || wRe.ndim !== 3 || wIm.ndim !== 3 || wRe.shape.some((d, i) => d !== wIm.shape[i])) {
    throw new ShapeError(op, `expects input [B, ch, N] and weights [c_out, C, M] (re and im alike), got ${shapeStr(t.shape)}, ${shapeStr(wRe.shape)}, ${shapeStr(wIm.shape)}`);
  }
  const [cout, C, M] = wRe.shape;
  const [B, ch, N] = t.shape;
  const want = onCodes ? C : cout;
  if (ch !== want) throw new ShapeError(op, `input ${shapeStr(t.shape)} has ${ch} channels, weights ${shapeStr(wRe.shape)} need ${want}`);
  if (N < 2 * M - 1) throw new ShapeError(op, `resolution N = ${N} is below 2M − 1 = ${2 * M - 1} for M = ${M} modes`);
  return { B, C, cout, N, M };
}

/** Free decoder tapes by size: taken by a forward, given back when its backward has run (one spare per size). */
const tapes = new Map<string, SpectralDecoder>();

/**
 * Adds the decoder tape's Dᵀg into z's gradient. When z has none yet and is an op's output, the tape's buffer
 * becomes it (no allocation, zero fill and copy of [B, C, N] per step): `backward` releases such gradients when it
 * ends, before the tape can be taken by another forward. A leaf keeps its gradient, so it gets a copy.
 */
function addGrad(z: Tensor, gz: FloatArray): void {
  if (z.grad) accumulate(z, gz);
  else z.grad = z.backwardFn ? gz : gz.slice();
}

/**
 * D z [B, cout, N] for codes z and spectral weights [cout, C, M] (any arrays: copied into the tape) on a decoder
 * tape (kernels/decoder.ts) over chunks of the batch, on worker threads when a pool is set. The op's parents are
 * `parents` (z first); its backward gives z's gradient and adds the spectral weight gradient into the arrays that
 * `weightGrads()` returns (null: not wanted), then calls `afterWeightGrads` with them.
 */
export function decoderOp(
  z: Tensor,
  wRe: ArrayLike<number>,
  wIm: ArrayLike<number>,
  spec: DecoderSpec,
  parents: Tensor[],
  weightGrads: () => [FloatArray, FloatArray] | null,
  afterWeightGrads?: (gRe: FloatArray, gIm: FloatArray) => void,
): Tensor {
  const { B, C, cout, N, M, dtype } = spec;
  const key = `${dtype}:${B}:${C}:${cout}:${N}:${M}:${threadCount()}`;
  const tape = tapes.get(key) ?? new SpectralDecoder(spec);
  tapes.delete(key);
  const res = record(new Tensor(tape.forward(z.data, wRe, wIm), [B, cout, N]), parents, (g) => {
    const w = weightGrads();
    const gz = tape.backward(g, w ? w[0] : null, w ? w[1] : null, z.requiresGrad);
    if (gz) addGrad(z, gz);
    tapes.set(key, tape);
    if (w && afterWeightGrads) afterWeightGrads(w[0], w[1]);
  });
  if (!res.backwardFn) tapes.set(key, tape);
  return res;
}

/**
 * (Dz)[b,i,n] = Σ_c Σ_{|k|<M} w[i,c,k]·Z[b,c,k]·e^{2πikn/N}, Z forward-normalised → [B, c_out, N], as a decoder
 * tape (`decoderOp`).
 */
export function spectralConv(z: Tensor, wRe: Tensor, wIm: Tensor): Tensor {
  const dtype = expectSameDtype('spectralConv', z, wRe, wIm);
  const { B, C, cout, N, M } = dims('spectralConv', z, wRe, wIm, true);
  return decoderOp(z, wRe.data, wIm.data, { B, C, cout, N, M, dtype }, [z, wRe, wIm], () =>
    wRe.requiresGrad || wIm.requiresGrad ? [wRe.ensureGrad(), wIm.ensureGrad()] : null,
  );
}

/** The exact adjoint of `spectralConv` under the Euclidean inner product: x [B, c_out, N] → [B, C, N]. */
export function spectralConvAdjoint(x: Tensor, wRe: Tensor, wIm: Tensor): Tensor {
  const dtype = expectSameDtype('spectralConvAdjoint', x, wRe, wIm);
  const { B, C, cout, N, M } = dims('spectralConvAdjoint', x, wRe, wIm, false);
  const out = allocate(dtype, B * C * N);
  spectralAdjoint(x.data, wRe.data, wIm.data, B, C, cout, N, M, out);
  return record(new Tensor(out, [B, C, N]), [x, wRe, wIm], (g) => {
    if (x.requiresGrad) {
      const gx = allocate(dtype, B * cout * N);
      spectralApply(g, wRe.data, wIm.data, B, C, cout, N, M, gx);
      accumulate(x, gx);
    }
    // ⟨g, Dᵀx⟩ = ⟨Dg, x⟩: the weight gradient is the forward one with (z, gx) = (g, x)
    if (wRe.requiresGrad || wIm.requiresGrad) spectralWeightGrad(g, x.data, B, C, cout, N, M, wRe.ensureGrad(), wIm.ensureGrad());
  });
}
