/**
 * N-dimensional arrays as stored in `.npy` and `.safetensors` files: a dtype, a C-order shape
 * and one flat typed array. Pure (no Node imports): the file codecs run in browsers too.
 */
import { FileFormatError } from './errors.js';

/** Element types saeno reads and writes. `bool` is stored one byte per element (0 or 1). */
export type DTypeName = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool';

/** The typed array that holds each dtype's elements. */
export interface DataOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

/** Any array data saeno stores. */
export type NdData = DataOf[DTypeName];

/** A C-order (row-major) array: element `[i0, …, ik]` is `data[((i0·s1 + i1)·s2 + …)]`. */
export interface NdArray<D extends DTypeName = DTypeName> {
  dtype: D;
  shape: number[];
  data: DataOf[D];
}

type Ctor = { new (n: number): NdData; readonly BYTES_PER_ELEMENT: number };

const CTORS: Record<DTypeName, Ctor> = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** All supported dtype names. */
export const DTYPE_NAMES = Object.keys(CTORS) as readonly DTypeName[];

/** Bytes per element of `dtype`. */
export function itemSize(dtype: DTypeName): number {
  return CTORS[dtype].BYTES_PER_ELEMENT;
}

/** True for `float32` and `float64`, the dtypes that can hold NaN/Inf. */
export function isFloat(dtype: DTypeName): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/** Number of elements of `shape` (1 for the 0-d shape `[]`); RangeError if a dim is not a non-negative safe integer or the product is not safe. */
export function size(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`size: shape[${i}] = ${d} is not a non-negative integer (shape [${shape.join(',')}])`);
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new RangeError(`size: shape [${shape.join(',')}] has more than 2^53 elements`);
  return n;
}

/**
 * Element count of a shape read from a file, or -1 if it exceeds `limit` — checked as the product
 * grows, so a hostile shape can never overflow or make the caller allocate more than `limit`.
 * Dims must already be non-negative safe integers.
 */
export function sizeWithin(shape: readonly number[], limit: number): number {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > limit) return -1;
  }
  return n;
}

/**
 * Makes an array of `dtype` and `shape`; `data` defaults to zeros and must otherwise be the
 * dtype's typed array with exactly `size(shape)` elements (RangeError/TypeError if not).
 */
export function ndarray<D extends DTypeName>(dtype: D, shape: readonly number[], data?: DataOf[D]): NdArray<D> {
  const n = checkParts(dtype, shape, data, 'ndarray');
  return { dtype, shape: [...shape], data: data ?? (new CTORS[dtype](n) as DataOf[D]) };
}

/** Throws (TypeError/RangeError naming `where`) unless `arr` is a consistent NdArray; bool elements must be 0 or 1. */
export function checkNdArray(arr: NdArray, where: string): void {
  checkParts(arr.dtype, arr.shape, arr.data, where);
  if (arr.dtype === 'bool') {
    const i = firstNonBool(arr.data as Uint8Array);
    if (i >= 0) throw new RangeError(`${where}: bool element ${formatIndex(i, arr.shape)} is ${arr.data[i]}, not 0 or 1`);
  }
}

/** Validates dtype, shape and (if given) data type and length; returns the element count. */
function checkParts(dtype: DTypeName, shape: readonly number[], data: NdData | undefined, where: string): number {
  const ctor = Object.hasOwn(CTORS, dtype) ? CTORS[dtype] : undefined;
  if (ctor === undefined) throw new TypeError(`${where}: unknown dtype "${String(dtype)}" (expected one of ${DTYPE_NAMES.join(', ')})`);
  if (!Array.isArray(shape)) throw new TypeError(`${where}: shape must be an array of integers`);
  let n: number;
  try {
    n = size(shape);
  } catch (e) {
    throw new RangeError(`${where}: ${(e as Error).message}`);
  }
  if (data === undefined) return n;
  if (!(data instanceof ctor)) throw new TypeError(`${where}: ${dtype} data must be a ${ctor.name}, got ${(data as object | null)?.constructor?.name ?? typeof data}`);
  if (data.length !== n) throw new RangeError(`${where}: data length ${data.length} does not match shape [${shape.join(',')}] (${n} elements)`);
  return n;
}

/** `[i0, i1, …]`, the C-order multi-index of flat index `flat` in `shape`. */
export function formatIndex(flat: number, shape: readonly number[]): string {
  const idx = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    idx[k] = flat % shape[k]!;
    flat = Math.floor(flat / shape[k]!);
  }
  return `[${idx.join(', ')}]`;
}

function firstNonBool(data: Uint8Array): number {
  for (let i = 0; i < data.length; i++) if (data[i]! > 1) return i;
  return -1;
}

function firstNonFinite(data: Float32Array | Float64Array): number {
  // x - x is 0 for finite x and NaN for NaN and ±Inf: one compare per element
  for (let i = 0; i < data.length; i++) if (data[i]! - data[i]! !== 0) return i;
  return -1;
}

/**
 * Checks decoded values: bool bytes must be 0 or 1, and float elements finite unless
 * `allowNonFinite`. Throws FileFormatError naming `${label}element [i, j]`.
 */
export function checkDecodedValues(arr: NdArray, file: string, label: string, allowNonFinite: boolean): void {
  let i = -1;
  let what = '';
  if (arr.dtype === 'bool') {
    i = firstNonBool(arr.data as Uint8Array);
    what = `is byte ${arr.data[i]}, not a bool (0 or 1)`;
  } else if (!allowNonFinite && isFloat(arr.dtype)) {
    i = firstNonFinite(arr.data as Float32Array | Float64Array);
    const v = arr.data[i] as number;
    what = `is ${Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf'} (pass allowNonFinite to accept)`;
  }
  if (i < 0) return;
  const field = `${label}element ${formatIndex(i, arr.shape)}`;
  throw new FileFormatError(file, field, `${field} ${what}`);
}

const HOST_BIG_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/**
 * Copies `count` elements of `dtype` stored at `bytes[offset…]` in the given byte order into a
 * new typed array. Always copies: file offsets need not be aligned to the element size, and
 * the result must not keep the whole file buffer alive. The caller has checked the bounds.
 */
export function readElements<D extends DTypeName>(bytes: Uint8Array, offset: number, dtype: D, count: number, bigEndian: boolean): DataOf[D] {
  const out = new CTORS[dtype](count) as DataOf[D];
  const raw = new Uint8Array(out.buffer);
  raw.set(bytes.subarray(offset, offset + raw.length));
  if (bigEndian !== HOST_BIG_ENDIAN && out.BYTES_PER_ELEMENT > 1) swapBytes(raw, out.BYTES_PER_ELEMENT);
  return out;
}

/** Writes `data`'s elements little-endian into `dst` at byte `offset` (the caller sized `dst`). */
export function writeElements(dst: Uint8Array, offset: number, data: NdData): void {
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  dst.set(raw, offset);
  if (HOST_BIG_ENDIAN && data.BYTES_PER_ELEMENT > 1) swapBytes(dst.subarray(offset, offset + raw.length), data.BYTES_PER_ELEMENT);
}

/** Options shared by the `.npy` and `.safetensors` decoders. */
export interface DecodeOptions {
  /** Name used in error messages (the path when reading a file). */
  source?: string;
  /** Accept NaN and ±Inf in float arrays (rejected by default: they poison training silently). */
  allowNonFinite?: boolean;
}
