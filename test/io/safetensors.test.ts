import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FileFormatError } from '../../src/io/errors.js';
import { ndarray, type NdArray } from '../../src/io/ndarray.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';

const enc = new TextEncoder();

/** Exact equality: dtype, shape and every data byte. */
function assertSame(actual: NdArray | undefined, expected: NdArray, what = ''): void {
  assert.ok(actual, `${what}: missing`);
  assert.equal(actual.dtype, expected.dtype, what);
  assert.deepEqual(actual.shape, expected.shape, what);
  assert.equal(actual.data.constructor, expected.data.constructor, what);
  assert.deepEqual(new Uint8Array(actual.data.buffer, actual.data.byteOffset, actual.data.byteLength), new Uint8Array(expected.data.buffer, expected.data.byteOffset, expected.data.byteLength), what);
}

/** A file from a header (object or raw text, padded with spaces to 8 like the reference) and data bytes. */
function rawSt(header: unknown, data: ArrayLike<number> = [], pad = true): Uint8Array {
  let h = enc.encode(typeof header === 'string' ? header : JSON.stringify(header));
  if (pad && h.length % 8 !== 0) h = enc.encode(new TextDecoder().decode(h) + ' '.repeat(8 - (h.length % 8)));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(Array.from(data), 8 + h.length);
  return out;
}

const f32Bytes = (...xs: number[]): number[] => Array.from(new Uint8Array(Float32Array.from(xs).buffer));

test('byte-identical to the reference implementation test vectors (safetensors/src/tensor.rs)', () => {
  const data = Float32Array.of(0, 1, 2, 3, 4, 5);
  // header of exactly 64 bytes: no padding
  const a = encodeSafetensors({ 'attn.0': ndarray('float32', [1, 2, 3], data) });
  assert.deepEqual(a, rawSt('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}', f32Bytes(0, 1, 2, 3, 4, 5)));
  assert.equal(a[0], 64);
  // 65 bytes → 7 spaces, so the data starts 8-aligned
  const b = encodeSafetensors({ attn0: ndarray('float32', [1, 1, 2, 3], data) });
  assert.equal(b[0], 72);
  assert.deepEqual(b.subarray(8 + 65, 8 + 72), enc.encode('       '));
  assert.deepEqual(encodeSafetensors({}), Uint8Array.of(8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32));
  assert.deepEqual(encodeSafetensors({}, { framework: 'pt' }), rawSt('{"__metadata__":{"framework":"pt"}}'));
  assert.equal(encodeSafetensors({}, { framework: 'pt' })[0], 40);
});

/** The tensors test/io/make_fixtures.py wrote into mixed.safetensors. */
const MIXED: Record<string, NdArray> = {
  weight: ndarray('float32', [2, 3], Float32Array.of(-1.5, 0, 2.25, 3.4028234663852886e38, 1e-45, -0.1)),
  bias: ndarray('float64', [4], Float64Array.of(Math.PI, -0, 1e-300, 1.7976931348623157e308)),
  step: ndarray('int64', [], BigInt64Array.of(7n)),
  idx: ndarray('int32', [4], Int32Array.of(3, 1, 4, 1)),
  mask: ndarray('bool', [2, 2], Uint8Array.of(1, 0, 0, 1)),
  bytes: ndarray('uint8', [5], Uint8Array.of(0, 1, 127, 128, 255)),
  empty: ndarray('float32', [0, 4]),
};

test('fixture written by the NumPy-only writer decodes exactly, and we write the same bytes', () => {
  const bytes = new Uint8Array(readFileSync(new URL('../fixtures/mixed.safetensors', import.meta.url)));
  const { tensors, metadata } = decodeSafetensors(bytes);
  assert.deepEqual(metadata, { format: 'pt', seed: '1' });
  assert.deepEqual(Object.keys(tensors).sort(), Object.keys(MIXED).sort());
  for (const [name, t] of Object.entries(MIXED)) assertSame(tensors[name], t, name);
  assert.deepEqual(encodeSafetensors(MIXED, { seed: '1', format: 'pt' }), bytes);
});

test('layout: widest dtype first then name, every tensor aligned to its element size', () => {
  const bytes = encodeSafetensors(MIXED);
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { data_offsets: [number, number]; dtype: string }>;
  const order = Object.entries(header).sort((x, y) => x[1].data_offsets[0] - y[1].data_offsets[0] || x[1].data_offsets[1] - y[1].data_offsets[1]).map(([k]) => k);
  assert.deepEqual(order, ['step', 'bias', 'empty', 'weight', 'idx', 'bytes', 'mask']);
  assert.equal((8 + n) % 8, 0);
  for (const [name, info] of Object.entries(header)) {
    assert.equal(info.data_offsets[0] % MIXED[name]!.data.BYTES_PER_ELEMENT, 0, name);
  }
});

test('round trip every dtype over 0-d, zero-size and 3-d shapes, with metadata', () => {
  for (const shape of [[], [0], [5], [2, 0, 3], [2, 3, 4]]) {
    const n = shape.reduce((a, b) => a * b, 1);
    const tensors: Record<string, NdArray> = {
      'f32.w': ndarray('float32', shape, Float32Array.from({ length: n }, (_, i) => Math.fround(1 / (i + 1)))),
      f64: ndarray('float64', shape, Float64Array.from({ length: n }, (_, i) => -i * 1e300)),
      i32: ndarray('int32', shape, Int32Array.from({ length: n }, (_, i) => -i * 1000003)),
      i64: ndarray('int64', shape, BigInt64Array.from({ length: n }, (_, i) => BigInt(i) << 40n)),
      u8: ndarray('uint8', shape, Uint8Array.from({ length: n }, (_, i) => 255 - i)),
      b: ndarray('bool', shape, Uint8Array.from({ length: n }, (_, i) => i & 1)),
    };
    const meta = { config: '{"a": [1, 2]}', 'ünïcode ✓': 'välue\n"quoted"' };
    const back = decodeSafetensors(encodeSafetensors(tensors, meta));
    assert.deepEqual(back.metadata, meta);
    for (const [name, t] of Object.entries(tensors)) assertSame(back.tensors[name], t, `${name} ${JSON.stringify(shape)}`);
  }
});

test('decodes from an unaligned view of a larger buffer', () => {
  const file = encodeSafetensors({ x: ndarray('float64', [3], Float64Array.of(1, 2, 3)) });
  const big = new Uint8Array(file.length + 3);
  big.set(file, 3);
  const t = decodeSafetensors(big.subarray(3)).tensors.x!;
  assert.deepEqual(Array.from(t.data as Float64Array), [1, 2, 3]);
});

test('names that look like prototype keys stay plain tensors and metadata keys', () => {
  const t = ndarray('uint8', [1], Uint8Array.of(9));
  const file = encodeSafetensors(Object.fromEntries([['__proto__', t], ['constructor', t]]), JSON.parse('{"__proto__": "m"}') as Record<string, string>);
  const back = decodeSafetensors(file);
  assert.deepEqual(Object.keys(back.tensors).sort(), ['__proto__', 'constructor']);
  assert.equal(Object.getPrototypeOf(back.tensors), Object.prototype);
  assert.deepEqual(Object.keys(back.metadata), ['__proto__']);
});

/** Asserts a FileFormatError on `field` whose message starts with the file and field; returns the message. */
function formatError(bytes: Uint8Array, field: string): string {
  try {
    decodeSafetensors(bytes, { source: 'data.safetensors' });
  } catch (e) {
    assert.ok(e instanceof FileFormatError, `expected FileFormatError, got ${String(e)}`);
    assert.equal(e.field, field, e.message);
    assert.ok(e.message.startsWith(`data.safetensors: ${field}`), e.message);
    return e.message;
  }
  assert.fail(`expected a FileFormatError on ${field}`);
}

test('the brief\'s example message, exactly', () => {
  const bytes = rawSt({ x: { dtype: 'F32', shape: [10, 10], data_offsets: [0, 396] } }, new Uint8Array(396));
  assert.equal(formatError(bytes, 'tensor "x"'), 'data.safetensors: tensor "x": byte length 396 does not match shape [10,10] × float32 (400)');
});

test('every validation rule has its own FileFormatError', () => {
  const one = (dtype: string, shape: unknown, offsets: unknown, data: ArrayLike<number>, extra: object = {}) => rawSt({ t: { dtype, shape, data_offsets: offsets, ...extra } }, data);
  const lenPrefix = (n: bigint, rest: ArrayLike<number> = []) => {
    const b = new Uint8Array(8 + rest.length);
    new DataView(b.buffer).setBigUint64(0, n, true);
    b.set(Array.from(rest), 8);
    return b;
  };
  const cases: [string, Uint8Array, string, RegExp?][] = [
    ['7 bytes', new Uint8Array(7), 'header length', /shorter than the 8-byte/],
    ['length 0', lenPrefix(0n), 'header length', /too small/],
    ['length 1', lenPrefix(1n, [123]), 'header length', /too small/],
    ['length 2^64-1', lenPrefix(2n ** 64n - 1n), 'header length', /exceeds the 100000000-byte limit/],
    ['length past end', lenPrefix(100n, enc.encode('{}      ')), 'header length', /exceeds the 8 bytes after/],
    ['bad utf-8', lenPrefix(8n, [123, 0xc3, 0x28, 125, 32, 32, 32, 32]), 'header', /UTF-8/],
    ['leading space', rawSt(' {}'), 'header', /must start with '\{'/],
    ['garbage json', rawSt('{"t": {"dtype": "F32",'), 'header', /not valid JSON/],
    ['array json', rawSt('[1, 2]'), 'header', /must start with/],
    ['entry is a number', rawSt({ t: 5 }), 'tensor "t"', /must be a JSON object/],
    ['entry missing keys', rawSt({ t: { dtype: 'F32' } }), 'tensor "t"', /shape must be an array/],
    ['unknown key', one('F32', [1], [0, 4], f32Bytes(1), { offset: 0 }), 'tensor "t"', /unexpected key "offset"/],
    ['unknown dtype', one('F33', [1], [0, 4], f32Bytes(1)), 'tensor "t"', /dtype "F33" is unknown/],
    ['unsupported dtype', one('BF16', [2], [0, 4], f32Bytes(1)), 'tensor "t"', /dtype "BF16" is not supported \(supported: F32, F64, I32, I64, U8, BOOL\)/],
    ['dtype not string', one('__proto__', [1], [0, 4], f32Bytes(1)), 'tensor "t"', /unknown/],
    ['negative dim', one('F32', [-1], [0, 4], f32Bytes(1)), 'tensor "t"', /non-negative integers, got \[-1\]/],
    ['fractional dim', one('F32', [0.5], [0, 4], f32Bytes(1)), 'tensor "t"', /shape/],
    ['unsafe dim', one('F32', [2 ** 53 + 2], [0, 4], f32Bytes(1)), 'tensor "t"', /shape/],
    ['string dim', one('F32', ['1'], [0, 4], f32Bytes(1)), 'tensor "t"', /shape/],
    ['offsets length 3', one('F32', [1], [0, 4, 8], f32Bytes(1)), 'tensor "t"', /data_offsets must be \[begin, end\]/],
    ['offsets begin > end', one('F32', [1], [4, 0], f32Bytes(1)), 'tensor "t"', /begin > end/],
    ['offsets past end', one('F32', [2], [0, 8], f32Bytes(1)), 'tensor "t"', /run past the end of the 4-byte data section/],
    ['overflowing shape', one('F64', [2 ** 40, 2 ** 40, 2 ** 40], [0, 8], f32Bytes(1, 2)), 'tensor "t"', /byte length 8 does not match shape \[1099511627776,1099511627776,1099511627776\] × float64 \(10633823966279326983230456482242756608\)/],
    ['trailing bytes', one('F32', [1], [0, 4], [...f32Bytes(1), 0]), 'data', /bytes \[4,5\) at the end of the data section belong to no tensor/],
    ['no tensors, stray data', rawSt({}, [1, 2]), 'data', /bytes \[0,2\)/],
    ['hole', rawSt({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, b: { dtype: 'U8', shape: [1], data_offsets: [2, 3] } }, [1, 2, 3]), 'data', /bytes \[1,2\) of the data section belong to no tensor \(a hole before tensor "b"\)/],
    ['overlap', rawSt({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [2], data_offsets: [1, 3] } }, [1, 2, 3]), 'tensor "b"', /overlap tensor "a" \[0,2\]/],
    ['duplicate region', rawSt({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [2], data_offsets: [0, 2] } }, [1, 2]), 'tensor "b"', /overlap/],
    ['metadata not object', rawSt({ __metadata__: 'x' }), '__metadata__', /JSON object of strings/],
    ['metadata value number', rawSt({ __metadata__: { seed: 1 } }), '__metadata__', /value of "seed" must be a string, got 1/],
    ['NaN', one('F32', [2, 2], [0, 16], f32Bytes(0, 1, 2, NaN)), 'tensor "t" element [1, 1]', /is NaN \(pass allowNonFinite to accept\)$/],
    ['-Inf f64', one('F64', [1], [0, 8], Array.from(new Uint8Array(Float64Array.of(-Infinity).buffer))), 'tensor "t" element [0]', /is -Inf/],
    ['bool 2', one('BOOL', [3], [0, 3], [0, 1, 2]), 'tensor "t" element [2]', /is byte 2, not a bool/],
  ];
  for (const [what, bytes, field, re] of cases) {
    const msg = formatError(bytes, field);
    if (re) assert.match(msg, re, what);
  }
});

test('allowNonFinite accepts NaN/Inf; integers are never checked for finiteness', () => {
  const file = encodeSafetensors({ a: ndarray('float32', [2], Float32Array.of(NaN, -Infinity)), n: ndarray('int32', [1], Int32Array.of(-1)) });
  const t = decodeSafetensors(file, { allowNonFinite: true }).tensors;
  assert.ok(Number.isNaN(t.a!.data[0]));
  assert.equal(t.a!.data[1], -Infinity);
});

test('encodeSafetensors rejects the reserved name, non-string metadata and inconsistent arrays', () => {
  const t = ndarray('uint8', [1]);
  assert.throws(() => encodeSafetensors({ __metadata__: t }), /^RangeError: encodeSafetensors: "__metadata__" is reserved/);
  assert.throws(() => encodeSafetensors({ t }, { seed: 1 as unknown as string }), /^TypeError: encodeSafetensors: metadata "seed" must be a string, got number/);
  assert.throws(() => encodeSafetensors({ w: { dtype: 'float32', shape: [2, 2], data: new Float32Array(3) } }), /^RangeError: encodeSafetensors: tensor "w": data length 3 does not match shape \[2,2\]/);
});
