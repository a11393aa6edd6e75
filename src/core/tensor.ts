/**
 * Dense row-major tensors of float32 or float64, carrying what reverse-mode autodiff
 * needs (gradient buffer, parents, backward closure). Views share storage.
 */
import type { Rng } from './rng.js';

export type DType = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;

/** An op was called with shapes or arguments it cannot take; the message names op and shapes. */
export class ShapeError extends Error {
  override name = 'ShapeError';
  constructor(op: string, detail: string) {
    super(`${op}: ${detail}`);
  }
}

/** Product of the dimensions (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function allocate(dtype: DType, n: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

function checkShape(op: string, shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(op, `invalid shape ${shapeStr(shape)}`);
  }
}

export class Tensor {
  readonly data: FloatArray;
  readonly shape: readonly number[];
  /** Whether gradients flow to this tensor (parameters, and results of ops on them). */
  requiresGrad: boolean;
  /** Accumulated gradient ∂loss/∂this, same layout as `data`; allocated on first use. */
  grad: FloatArray | null = null;
  /** @internal inputs of the op that produced this tensor (autodiff tape). */
  parents: readonly Tensor[] = [];
  /** @internal pushes `this.grad` into the parents' gradients. */
  backwardFn: (() => void) | null = null;
  /** Optional name, used in error messages and checkpoints. */
  name?: string;

  constructor(data: FloatArray, shape: readonly number[], opts: { requiresGrad?: boolean; name?: string } = {}) {
    checkShape('Tensor', shape);
    if (sizeOf(shape) !== data.length) {
      throw new ShapeError('Tensor', `data length ${data.length} does not match shape ${shapeStr(shape)}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = opts.requiresGrad ?? false;
    this.name = opts.name;
  }

  get dtype(): DType {
    return this.data instanceof Float64Array ? 'float64' : 'float32';
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  static zeros(shape: readonly number[], dtype: DType = 'float32', opts: { requiresGrad?: boolean; name?: string } = {}): Tensor {
    checkShape('Tensor.zeros', shape);
    return new Tensor(allocate(dtype, sizeOf(shape)), shape, opts);
  }

  static full(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
    const t = Tensor.zeros(shape, dtype);
    t.data.fill(value);
    return t;
  }

  static scalar(value: number, dtype: DType = 'float32', opts: { requiresGrad?: boolean; name?: string } = {}): Tensor {
    const t = Tensor.zeros([], dtype, opts);
    t.data[0] = value;
    return t;
  }

  /** Copies `values` (any array-like) into a new tensor. */
  static from(values: ArrayLike<number>, shape: readonly number[], dtype: DType = 'float32', opts: { requiresGrad?: boolean; name?: string } = {}): Tensor {
    const data = allocate(dtype, values.length);
    data.set(values);
    return new Tensor(data, shape, opts);
  }

  /** Standard normal entries times `std`, from `rng`. */
  static randn(shape: readonly number[], rng: Rng, dtype: DType = 'float32', std = 1): Tensor {
    const t = Tensor.zeros(shape, dtype);
    rng.fillNormal(t.data, std);
    return t;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) throw new ShapeError('Tensor.item', `tensor of shape ${shapeStr(this.shape)} has ${this.data.length} elements, not 1`);
    return this.data[0];
  }

  /** A tensor that does not track gradients and shares this one's storage. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A deep copy of the values (no gradient history). */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape, { name: this.name });
  }

  /** A copy converted to `dtype`. */
  to(dtype: DType): Tensor {
    const out = allocate(dtype, this.data.length);
    out.set(this.data);
    return new Tensor(out, this.shape, { name: this.name });
  }

  /** The gradient buffer, allocated (zeroed) on first use. */
  ensureGrad(): FloatArray {
    if (!this.grad) this.grad = allocate(this.dtype, this.data.length);
    return this.grad;
  }

  zeroGrad(): void {
    if (this.grad) this.grad.fill(0);
  }

  toString(): string {
    return `Tensor(${shapeStr(this.shape)}, ${this.dtype}${this.name ? `, ${this.name}` : ''})`;
  }
}

/** Asserts that `t` has exactly `shape` (−1 matches any size). */
export function expectShape(op: string, what: string, t: Tensor, shape: readonly number[]): void {
  const ok = t.shape.length === shape.length && shape.every((d, i) => d === -1 || d === t.shape[i]);
  if (!ok) throw new ShapeError(op, `${what} has shape ${shapeStr(t.shape)}, expected ${shapeStr(shape.map((d) => (d === -1 ? '*' : d)) as never)}`);
}

/** Asserts that all tensors share one dtype (ops never mix precisions silently). */
export function expectSameDtype(op: string, ...ts: Tensor[]): DType {
  const d = ts[0].dtype;
  for (const t of ts) {
    if (t.dtype !== d) throw new ShapeError(op, `mixed dtypes ${ts.map((x) => x.dtype).join(', ')}`);
  }
  return d;
}
