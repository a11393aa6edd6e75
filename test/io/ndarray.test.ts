import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FileFormatError } from '../../src/io/errors.js';
import { checkDecodedValues, checkNdArray, formatIndex, itemSize, ndarray, readElements, size, sizeWithin, writeElements } from '../../src/io/ndarray.js';

test('size: product of dims, 1 for 0-d, 0 with a zero dim; rejects bad dims', () => {
  assert.equal(size([]), 1);
  assert.equal(size([2, 3, 4]), 24);
  assert.equal(size([5, 0, 7]), 0);
  assert.throws(() => size([2, -1]), /shape\[1\] = -1/);
  assert.throws(() => size([1.5]), RangeError);
  assert.throws(() => size([2 ** 30, 2 ** 30]), /more than 2\^53/);
});

test('sizeWithin: stops at the limit instead of overflowing', () => {
  assert.equal(sizeWithin([3, 4], 12), 12);
  assert.equal(sizeWithin([3, 4], 11), -1);
  assert.equal(sizeWithin([2 ** 40, 2 ** 40, 0], 10), 0); // a zero dim anywhere wins
  assert.equal(sizeWithin([2 ** 52, 2 ** 52, 2 ** 52], 1e6), -1);
});

test('ndarray: zeros by default, validates data type and length', () => {
  const a = ndarray('int64', [2, 2]);
  assert.ok(a.data instanceof BigInt64Array);
  assert.equal(a.data.length, 4);
  const shape = [3];
  const b = ndarray('float32', shape, new Float32Array(3));
  shape[0] = 7; // the array keeps its own copy of the shape
  assert.deepEqual(b.shape, [3]);
  assert.throws(() => ndarray('float32', [2, 3], new Float32Array(5)), /data length 5 does not match shape \[2,3\] \(6 elements\)/);
  assert.throws(() => ndarray('float64', [2], new Float32Array(2) as unknown as Float64Array), /must be a Float64Array, got Float32Array/);
  assert.throws(() => ndarray('float16' as 'float32', [2]), /unknown dtype "float16"/);
  assert.throws(() => ndarray('toString' as 'float32', [2]), /unknown dtype "toString"/);
  assert.equal(itemSize('int64'), 8);
  assert.equal(itemSize('bool'), 1);
});

test('checkNdArray: names the caller and the first non-0/1 bool', () => {
  checkNdArray(ndarray('bool', [2], Uint8Array.of(0, 1)), 'f');
  assert.throws(() => checkNdArray(ndarray('bool', [2, 2], Uint8Array.of(0, 1, 1, 2)), 'encodeX'), /^RangeError: encodeX: bool element \[1, 1\] is 2, not 0 or 1$/);
  assert.throws(() => checkNdArray({ dtype: 'int32', shape: [3], data: new Int32Array(2) }, 'encodeX'), /^RangeError: encodeX: data length 2/);
});

test('formatIndex: C-order multi-index', () => {
  assert.equal(formatIndex(0, []), '[]');
  assert.equal(formatIndex(3 * 20 + 17, [5, 20]), '[3, 17]');
  assert.equal(formatIndex(23, [2, 3, 4]), '[1, 2, 3]');
});

test('checkDecodedValues: first NaN / Inf / -Inf named, allowNonFinite skips floats only', () => {
  const f = ndarray('float64', [2, 2], Float64Array.of(0, 1, -Infinity, NaN));
  assert.throws(() => checkDecodedValues(f, 'a.npy', '', false), (e: unknown) => e instanceof FileFormatError && e.message === 'a.npy: element [1, 0] is -Inf (pass allowNonFinite to accept)' && e.field === 'element [1, 0]');
  checkDecodedValues(f, 'a.npy', '', true);
  const g = ndarray('float32', [3], Float32Array.of(1, Infinity, NaN));
  assert.throws(() => checkDecodedValues(g, 'b', 'tensor "g" ', false), /^FileFormatError: b: tensor "g" element \[1\] is Inf/);
  const b = ndarray('bool', [3], Uint8Array.of(1, 0, 7));
  assert.throws(() => checkDecodedValues(b, 'c', '', true), /c: element \[2\] is byte 7, not a bool/);
});

test('readElements / writeElements: unaligned offsets, big-endian source swapped', () => {
  const bytes = new Uint8Array(1 + 8 * 2);
  const src = Float64Array.of(Math.PI, -1e-300);
  writeElements(bytes, 1, src); // offset 1: not 8-aligned
  const back = readElements(bytes, 1, 'float64', 2, false);
  assert.deepEqual(Array.from(back), [Math.PI, -1e-300]);
  assert.notEqual(back.buffer, bytes.buffer); // a copy, not a view into the file
  const be = Uint8Array.of(0x00, 0x00, 0x01, 0x02, 0xff, 0xff, 0xff, 0xfe);
  assert.deepEqual(Array.from(readElements(be, 0, 'int32', 2, true)), [0x0102, -2]);
});
