import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FileFormatError } from '../../src/io/errors.js';
import { ndarray, type NdArray } from '../../src/io/ndarray.js';
import { decodeNpy, encodeNpy } from '../../src/io/npy.js';

const fixture = (name: string): Uint8Array => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));

/** Exact equality: dtype, shape and every data byte (so -0, NaN payloads and subnormals count). */
function assertSame(actual: NdArray, expected: NdArray): void {
  assert.equal(actual.dtype, expected.dtype);
  assert.deepEqual(actual.shape, expected.shape);
  assert.equal(actual.data.constructor, expected.data.constructor);
  assert.deepEqual(new Uint8Array(actual.data.buffer, actual.data.byteOffset, actual.data.byteLength), new Uint8Array(expected.data.buffer, expected.data.byteOffset, expected.data.byteLength));
}

/** The arrays test/io/make_fixtures.py saved with np.save (same values, written independently here). */
const FIXTURES: Record<string, NdArray> = {
  f32_2x3: ndarray('float32', [2, 3], Float32Array.of(-1.5, 0, 2.25, 3.4028234663852886e38, 1e-45, -0.1)),
  f64_4: ndarray('float64', [4], Float64Array.of(Math.PI, -0, 1e-300, 1.7976931348623157e308)),
  i32_2x2x2: ndarray('int32', [2, 2, 2], Int32Array.of(-2147483648, 2147483647, 0, -1, 1, 2, 3, 4)),
  i64_3: ndarray('int64', [3], BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n, 42n)),
  u8_5: ndarray('uint8', [5], Uint8Array.of(0, 1, 127, 128, 255)),
  bool_2x3: ndarray('bool', [2, 3], Uint8Array.of(1, 0, 1, 0, 0, 1)),
  f64_scalar: ndarray('float64', [], Float64Array.of(2.5)),
  f32_0x3: ndarray('float32', [0, 3]),
  // NumPy divides in float32; float64 division then rounding to float32 gives the same value (53 ≥ 2·24 + 2 bits)
  f32_100x7: ndarray('float32', [100, 7], Float32Array.from({ length: 700 }, (_, i) => i / 7)),
};

test('fixtures written by np.save decode exactly', () => {
  for (const [name, expected] of Object.entries(FIXTURES)) assertSame(decodeNpy(fixture(`${name}.npy`)), expected);
});

test('encodeNpy is byte-identical to np.save for every fixture', () => {
  for (const [name, arr] of Object.entries(FIXTURES)) assert.deepEqual(encodeNpy(arr), new Uint8Array(fixture(`${name}.npy`)), name);
});

test('NumPy variants: big-endian descr, format versions 2.0 and 3.0', () => {
  assertSame(decodeNpy(fixture('special/f8_big_endian.npy')), ndarray('float64', [3], Float64Array.of(1.5, -2, 1e10)));
  assertSame(decodeNpy(fixture('special/i4_big_endian.npy')), ndarray('int32', [3], Int32Array.of(1, -2, 65539)));
  for (const v of [2, 3]) {
    const bytes = fixture(`special/f32_v${v}.npy`);
    assert.equal(bytes[6], v);
    assertSame(decodeNpy(bytes), ndarray('float32', [3], Float32Array.of(1, 2, 3)));
  }
});

/** Runs `fn`, asserts it throws a FileFormatError on `field`, returns the message. */
function formatError(fn: () => unknown, field: string): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof FileFormatError, `expected FileFormatError, got ${String(e)}`);
    assert.equal(e.field, field, e.message);
    return e.message;
  }
  assert.fail(`expected a FileFormatError on ${field}`);
}

test('NumPy files we reject get a FileFormatError naming the file and field', () => {
  const opts = { source: 'x.npy' };
  assert.match(formatError(() => decodeNpy(fixture('special/f32_fortran.npy'), opts), 'fortran_order'), /^x\.npy: fortran_order: Fortran-order arrays are not supported/);
  assert.match(formatError(() => decodeNpy(fixture('special/i8.npy'), opts), 'descr'), /^x\.npy: descr: dtype '\|i1' is not supported/);
  const nan = fixture('special/f32_nan_at_1_2.npy');
  assert.equal(formatError(() => decodeNpy(nan, opts), 'element [1, 2]'), 'x.npy: element [1, 2] is NaN (pass allowNonFinite to accept)');
  const ok = decodeNpy(nan, { allowNonFinite: true });
  assert.deepEqual(Array.from(ok.data as Float32Array), [0, 1, 2, 3, 4, NaN]);
});

test('round trip every dtype over 0-d, 1-d, zero-size and 3-d shapes', () => {
  const shapes = [[], [1], [7], [0], [3, 0, 2], [2, 3, 4]];
  for (const shape of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    const arrays: NdArray[] = [
      ndarray('float32', shape, Float32Array.from({ length: n }, (_, i) => Math.fround(i * 0.37 - 3))),
      ndarray('float64', shape, Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 1e-5)),
      ndarray('int32', shape, Int32Array.from({ length: n }, (_, i) => (i * 2654435761) | 0)),
      ndarray('int64', shape, BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * -123456789012345n)),
      ndarray('uint8', shape, Uint8Array.from({ length: n }, (_, i) => (i * 37) & 255)),
      ndarray('bool', shape, Uint8Array.from({ length: n }, (_, i) => i % 3 === 0 ? 1 : 0)),
    ];
    for (const a of arrays) {
      const bytes = encodeNpy(a);
      const dataStart = bytes.length - a.data.byteLength;
      assert.equal(dataStart % 64, 0, 'data starts on a 64-byte boundary like NumPy');
      assertSame(decodeNpy(bytes), a);
    }
  }
});

test('a header over 65535 bytes switches to version 2.0 and still round-trips', () => {
  const shape = new Array<number>(25_000).fill(1); // "1, " per dim → ~75 kB header
  shape[0] = 2;
  const a = ndarray('float64', shape, Float64Array.of(-0.5, 8));
  const bytes = encodeNpy(a);
  assert.equal(bytes[6], 2);
  const headerLen = new DataView(bytes.buffer).getUint32(8, true);
  assert.ok(headerLen > 65535);
  assert.equal((12 + headerLen) % 64, 0);
  assertSame(decodeNpy(bytes), a);
  const small = encodeNpy(ndarray('float64', [2]));
  assert.equal(small[6], 1);
});

/** Builds a .npy file around a hand-written header (padded like NumPy's) and raw data bytes. */
function rawNpy(dict: string, data: ArrayLike<number> = [], major = 1): Uint8Array {
  const lenBytes = major === 1 ? 2 : 4;
  const pad = 64 - ((8 + lenBytes + dict.length + 1) % 64);
  const header = dict + ' '.repeat(pad) + '\n';
  const out = new Uint8Array(8 + lenBytes + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (lenBytes === 2) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[8 + lenBytes + i] = header.charCodeAt(i);
  out.set(Array.from(data), 8 + lenBytes + header.length);
  return out;
}

const hdr = (descr: string, shape: string, fortran = 'False'): string => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

test('rawNpy builds what encodeNpy builds (so the error tests below start from a valid file)', () => {
  const a = ndarray('int32', [2], Int32Array.of(5, -6));
  const dict = hdr('<i4', '(2,)') + ' '.repeat(20);
  assert.deepEqual(rawNpy(dict, new Uint8Array(a.data.buffer)), encodeNpy(a));
});

test('header parser: accepted spellings', () => {
  const f4 = new Uint8Array(Float32Array.of(1, 2, 3, 4, 5, 6).buffer);
  const want = ndarray('float32', [2, 3], Float32Array.of(1, 2, 3, 4, 5, 6));
  assertSame(decodeNpy(rawNpy(`{"shape":(2,3),"fortran_order":False,"descr":"<f4"}`, f4)), want); // any key order, double quotes, no spaces
  assertSame(decodeNpy(rawNpy(`{ 'descr' : '<f4' ,\n 'fortran_order' : False , 'shape' : ( 2 , 3 , ) }`, f4)), want);
  assertSame(decodeNpy(rawNpy(hdr('<f4', '(2L, 3L)'), f4)), want); // Python 2 longs
  assertSame(decodeNpy(rawNpy(hdr('<f4', '(6,)', 'True'), f4)), ndarray('float32', [6], want.data)); // 1-d: both orders coincide
  assertSame(decodeNpy(rawNpy(hdr('<u1', '(2,)'), [7, 9])), ndarray('uint8', [2], Uint8Array.of(7, 9)));
  assertSame(decodeNpy(rawNpy(hdr('>b1', '()'), [1])), ndarray('bool', [], Uint8Array.of(1)));
});

test('every malformed field gets its own FileFormatError', () => {
  const f4 = [0, 0, 128, 63, 0, 0, 0, 64]; // 1.0, 2.0
  const cases: [string, Uint8Array, string, RegExp?][] = [
    ['empty file', new Uint8Array(0), 'magic'],
    ['not npy', new TextEncoder().encode('PK\x03\x04 zip file'), 'magic'],
    ['version 4.0', (() => { const b = rawNpy(hdr('<f4', '(2,)'), f4); b[6] = 4; return b; })(), 'version', /format version 4\.0/],
    ['version 1.1', (() => { const b = rawNpy(hdr('<f4', '(2,)'), f4); b[7] = 1; return b; })(), 'version'],
    ['cut in length field', rawNpy(hdr('<f4', '(2,)'), f4, 2).subarray(0, 10), 'header length'],
    ['cut in header', rawNpy(hdr('<f4', '(2,)'), f4).subarray(0, 40), 'header length', /truncated file/],
    ['truncated data', rawNpy(hdr('<f4', '(2,)'), f4.slice(0, 7)), 'data length', /data is 7 bytes but shape \(2\) × float32 needs 8 \(truncated file\)/],
    ['trailing data', rawNpy(hdr('<f4', '(2,)'), [...f4, 0]), 'data length', /trailing bytes/],
    ['huge shape', rawNpy(hdr('<f8', '(1000000000000000, 1000000000000000)'), f4), 'data length', /needs 8000000000000000000000000000000/],
    ['dim too long', rawNpy(hdr('<f8', '(12345678901234567890,)'), f4), 'shape', /too large/],
    ['dim 2^53+1', rawNpy(hdr('<f8', '(9007199254740993,)'), f4), 'shape', /too large/],
    ['int, not tuple', rawNpy(hdr('<f4', '(2)'), f4), 'shape', /\(2\) is an int, not a tuple/],
    ['negative dim', rawNpy(hdr('<f4', '(-2,)'), f4), 'header', /non-negative integer/],
    ['float dim', rawNpy(hdr('<f4', '(2.0,)'), f4), 'header'],
    ['leading zero', rawNpy(hdr('<f4', '(02,)'), f4), 'header'],
    ['list shape', rawNpy(hdr('<f4', '[2]'), f4), 'header', /expected '\('/],
    ['fortran 2-d', rawNpy(hdr('<f4', '(1, 2, 1, 2)', 'True'), [...f4, ...f4]), 'fortran_order'],
    ['fortran not bool', rawNpy(hdr('<f4', '(2,)', '0'), f4), 'header', /True or False/],
    ['structured dtype', rawNpy(`{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }`, f4), 'header', /expected a string/],
    ['f2', rawNpy(hdr('<f2', '(4,)'), f4), 'descr', /'<f2' is not supported/],
    ['object dtype', rawNpy(hdr('|O', '(1,)'), f4), 'descr'],
    ['no byte order on f4', rawNpy(hdr('|f4', '(2,)'), f4), 'descr', /no byte order/],
    ['missing key', rawNpy(`{'descr': '<f4', 'shape': (2,), }`, f4), 'header', /missing key 'fortran_order'/],
    ['repeated key', rawNpy(`{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }`, f4), 'header', /repeated key 'descr'/],
    ['extra key', rawNpy(`{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}`, f4), 'header', /unexpected or repeated key 'x'/],
    ['text after dict', rawNpy(hdr('<f4', '(2,)') + ' x', f4), 'header', /after the dict/],
    ['unterminated string', rawNpy(`{'descr`, f4), 'header'],
    ['escaped string', rawNpy(hdr('<f\\x34', '(2,)'), f4), 'header', /escaped/],
    ['missing comma', rawNpy(`{'descr': '<f4' 'fortran_order': False}`, f4), 'header', /expected ',' or '}'/],
    ['v3 bad utf-8', (() => { const b = rawNpy(hdr('<f4', '(2,)'), f4, 3); b[12 + 11] = 0xff; return b; })(), 'header', /UTF-8/],
    ['bool byte 2', rawNpy(hdr('|b1', '(2,)'), [1, 2]), 'element [1]', /is byte 2/],
    ['Inf', rawNpy(hdr('<f4', '(2,)'), [0, 0, 128, 127, 0, 0, 0, 0]), 'element [0]', /is Inf/],
  ];
  for (const [what, bytes, field, re] of cases) {
    const msg = formatError(() => decodeNpy(bytes, { source: 'bad.npy' }), field);
    assert.ok(msg.startsWith(`bad.npy: ${field}`), `${what}: ${msg}`);
    if (re) assert.match(msg, re, what);
  }
});

test('encodeNpy rejects inconsistent arrays with a RangeError/TypeError naming encodeNpy', () => {
  assert.throws(() => encodeNpy({ dtype: 'float32', shape: [3], data: new Float32Array(2) }), /^RangeError: encodeNpy: data length 2/);
  assert.throws(() => encodeNpy({ dtype: 'bool', shape: [1], data: Uint8Array.of(3) }), /^RangeError: encodeNpy: bool element \[0\] is 3/);
  assert.throws(() => encodeNpy({ dtype: 'int8', shape: [1], data: new Int8Array(1) } as unknown as NdArray), /^TypeError: encodeNpy: unknown dtype "int8"/);
});
