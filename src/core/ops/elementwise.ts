/**
 * Elementwise arithmetic with NumPy broadcasting (e.g. a batch [B, m] with a vector [m]),
 * each op with its backward; gradients of broadcast inputs are summed over the
 * broadcast dimensions.
 */
import { accumulate, record } from '../autodiff.js';
import { allocate, expectSameDtype, ShapeError, shapeStr, sizeOf, Tensor, type FloatArray } from '../tensor.js';

/** Output shape of broadcasting `a` with `b` (NumPy rules). */
export function broadcastShape(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const da = a[a.length - n + k] ?? 1;
    const db = b[b.length - n + k] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new ShapeError(op, `shapes ${shapeStr(a)} and ${shapeStr(b)} do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** For each flat output index, the flat index into an input of shape `inShape` broadcast to `outShape`. */
function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const n = sizeOf(outShape);
  const idx = new Int32Array(n);
  const nd = outShape.length;
  const strides = new Array<number>(nd).fill(0);
  let s = 1;
  for (let k = inShape.length - 1; k >= 0; k--) {
    const ko = nd - inShape.length + k;
    strides[ko] = inShape[k] === 1 ? 0 : s;
    s *= inShape[k];
  }
  const counter = new Array<number>(nd).fill(0);
  let flat = 0;
  for (let i = 0; i < n; i++) {
    idx[i] = flat;
    for (let k = nd - 1; k >= 0; k--) {
      counter[k]++;
      flat += strides[k];
      if (counter[k] < outShape[k]) break;
      flat -= strides[k] * counter[k];
      counter[k] = 0;
    }
  }
  return idx;
}

/** Sums `g` (laid out as `outShape`) down to `inShape`, the adjoint of broadcasting. */
function reduceTo(g: FloatArray, idx: Int32Array | null, inSize: number, dtype: FloatArray): FloatArray {
  if (!idx) return g;
  const r = allocate(dtype instanceof Float64Array ? 'float64' : 'float32', inSize);
  for (let i = 0; i < idx.length; i++) r[idx[i]] += g[i];
  return r;
}

type Binary = (x: number, y: number) => number;

/**
 * Shared machinery of the binary ops: broadcasting, the forward loop, and a backward
 * given the local partial derivatives ∂f/∂a and ∂f/∂b.
 */
function binary(op: string, a: Tensor, b: Tensor, f: Binary, dfa: Binary | null, dfb: Binary | null): Tensor {
  const dtype = expectSameDtype(op, a, b);
  const same = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
  const shape = same ? [...a.shape] : broadcastShape(op, a.shape, b.shape);
  const n = sizeOf(shape);
  const ia = same || a.size === n ? null : broadcastIndex(a.shape, shape);
  const ib = same || b.size === n ? null : broadcastIndex(b.shape, shape);
  const ad = a.data;
  const bd = b.data;
  const out = allocate(dtype, n);
  if (!ia && !ib) for (let i = 0; i < n; i++) out[i] = f(ad[i], bd[i]);
  else for (let i = 0; i < n; i++) out[i] = f(ad[ia ? ia[i] : i], bd[ib ? ib[i] : i]);
  return record(new Tensor(out, shape), [a, b], (g) => {
    if (a.requiresGrad && dfa) {
      const ga = allocate(dtype, n);
      for (let i = 0; i < n; i++) ga[i] = g[i] * dfa(ad[ia ? ia[i] : i], bd[ib ? ib[i] : i]);
      accumulate(a, reduceTo(ga, ia, a.size, ga));
    }
    if (b.requiresGrad && dfb) {
      const gb = allocate(dtype, n);
      for (let i = 0; i < n; i++) gb[i] = g[i] * dfb(ad[ia ? ia[i] : i], bd[ib ? ib[i] : i]);
      accumulate(b, reduceTo(gb, ib, b.size, gb));
    }
  });
}

const one = (): number => 1;
const minusOne = (): number => -1;

/** a + b (broadcasting). */
export function add(a: Tensor, b: Tensor): Tensor {
  return binary('add', a, b, (x, y) => x + y, one, one);
}

/** a − b (broadcasting). */
export function sub(a: Tensor, b: Tensor): Tensor {
  return binary('sub', a, b, (x, y) => x - y, one, minusOne);
}

/** a ⊙ b (broadcasting). */
export function mul(a: Tensor, b: Tensor): Tensor {
  return binary('mul', a, b, (x, y) => x * y, (_x, y) => y, (x) => x);
}

/** a / b (broadcasting); a zero divisor is an error, not a silent Inf. */
export function div(a: Tensor, b: Tensor): Tensor {
  for (let i = 0; i < b.size; i++) if (b.data[i] === 0) throw new ShapeError('div', `divisor ${b} has a zero at flat index ${i}`);
  return binary('div', a, b, (x, y) => x / y, (_x, y) => 1 / y, (x, y) => -x / (y * y));
}

/** Unary map with derivative; the shared loop of scale/neg/relu-like ops. */
export function unary(op: string, a: Tensor, f: (x: number) => number, df: (x: number, y: number) => number): Tensor {
  const n = a.size;
  const out = allocate(a.dtype, n);
  const ad = a.data;
  for (let i = 0; i < n; i++) out[i] = f(ad[i]);
  return record(new Tensor(out, a.shape), [a], (g) => {
    const ga = a.ensureGrad();
    for (let i = 0; i < n; i++) ga[i] += g[i] * df(ad[i], out[i]);
  });
}

/** s·a for a constant s. */
export function scale(a: Tensor, s: number): Tensor {
  if (!Number.isFinite(s)) throw new ShapeError('scale', `factor must be finite, got ${s}`);
  return unary('scale', a, (x) => s * x, () => s);
}

/** −a. */
export function neg(a: Tensor): Tensor {
  return scale(a, -1);
}

/** A view of `a` with a new shape (same storage, same element order); −1 infers one dim. */
export function reshape(a: Tensor, shape: readonly number[]): Tensor {
  const s = [...shape];
  const free = s.indexOf(-1);
  if (free >= 0) s[free] = a.size / sizeOf(s.filter((_, i) => i !== free));
  if (sizeOf(s) !== a.size || !s.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError('reshape', `cannot reshape ${shapeStr(a.shape)} (${a.size} elements) to ${shapeStr(shape)}`);
  }
  return record(new Tensor(a.data, s), [a], (g) => accumulate(a, g));
}
