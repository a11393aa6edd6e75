/**
 * Property tests of both array codecs: random round trips, and fuzzing of both decoders with
 * random bytes and mutated valid files. A decoder must return arrays consistent with their
 * shape (and finite unless allowed) or throw FileFormatError; any other exception fails.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FileFormatError } from '../../src/io/errors.js';
import { checkNdArray, DTYPE_NAMES, isFloat, itemSize, type DTypeName, type NdArray, type NdData } from '../../src/io/ndarray.js';
import { decodeNpy, encodeNpy } from '../../src/io/npy.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';

const FUZZ_RUNS = 2000; // per decoder and input kind, as issue 4 asks
const ROUND_TRIP_RUNS = 300;
const SEED = 20240917; // fixed so CI failures reproduce; fast-check prints the seed/path of a counterexample

/** Raw bytes reinterpreted as `dtype` elements: every bit pattern (NaN payloads, -0, subnormals) occurs. */
function fromBytes(dtype: DTypeName, bytes: Uint8Array): NdData {
  const copy = bytes.slice();
  switch (dtype) {
    case 'float32': return new Float32Array(copy.buffer);
    case 'float64': return new Float64Array(copy.buffer);
    case 'int32': return new Int32Array(copy.buffer);
    case 'int64': return new BigInt64Array(copy.buffer);
    case 'uint8': return copy;
    case 'bool': return copy.map((b) => b & 1);
  }
}

const dimArb = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 17) });
const ndArrayArb: fc.Arbitrary<NdArray> = fc
  .record({ dtype: fc.constantFrom(...DTYPE_NAMES), shape: fc.array(dimArb, { maxLength: 4 }) })
  .chain(({ dtype, shape }) => {
    const n = shape.reduce((a, b) => a * b, 1) * itemSize(dtype);
    return fc.uint8Array({ minLength: n, maxLength: n }).map((bytes) => ({ dtype, shape, data: fromBytes(dtype, bytes) }) as NdArray);
  });
const nameArb = fc.oneof(fc.constantFrom('x', 'weight', 'enc.W', '__proto__', ''), fc.string({ maxLength: 8 }));
const tensorsArb = fc.dictionary(nameArb.filter((s) => s !== '__metadata__'), ndArrayArb, { maxKeys: 4, noNullPrototype: true });
const metadataArb = fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 12 }), { maxKeys: 3, noNullPrototype: true }), { nil: undefined });

const bytesOf = (d: NdData): Uint8Array => new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

function assertSameArray(a: NdArray | undefined, b: NdArray): void {
  assert.ok(a);
  assert.equal(a.dtype, b.dtype);
  assert.deepEqual(a.shape, b.shape);
  assert.deepEqual(bytesOf(a.data), bytesOf(b.data));
}

/** fc.check with a clear failure report; returns the number of runs made. */
function run<T>(arb: fc.Arbitrary<T>, predicate: (v: T) => void, numRuns: number): number {
  const out = fc.check(fc.property(arb, predicate), { numRuns, seed: SEED });
  if (out.failed) assert.fail(fc.defaultReportMessage(out) ?? 'property failed');
  return out.numRuns;
}

test('round trip: decodeNpy(encodeNpy(a)) is a, bit for bit, for random dtypes, shapes and bit patterns', (t) => {
  const runs = run(ndArrayArb, (a) => assertSameArray(decodeNpy(encodeNpy(a), { allowNonFinite: true }), a), ROUND_TRIP_RUNS);
  t.diagnostic(`npy round trip: ${runs} runs`);
});

test('round trip: safetensors with random names, tensors and metadata', (t) => {
  const runs = run(fc.tuple(tensorsArb, metadataArb), ([tensors, metadata]) => {
    const back = decodeSafetensors(encodeSafetensors(tensors, metadata), { allowNonFinite: true });
    assert.deepEqual(back.metadata, metadata ?? {});
    assert.deepEqual(Object.keys(back.tensors).sort(), Object.keys(tensors).sort());
    for (const [k, v] of Object.entries(tensors)) assertSameArray(back.tensors[k], v);
  }, ROUND_TRIP_RUNS);
  t.diagnostic(`safetensors round trip: ${runs} runs`);
});

// ---------- mutations ----------

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array };

/** A byte position: anywhere (taken modulo the length), or counted back from the end where the data lives. */
const posArb = fc.oneof(fc.nat(), fc.integer({ min: -48, max: -1 }));
const byteMutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: posArb, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: posArb, value: fc.constantFrom(0, 1, 0x20, 0x7b, 0x7d, 0x22, 0x28, 0x29, 0x2c, 0x30, 0x39, 0x7f, 0x80, 0xff) }),
  fc.record({ kind: fc.constant('truncate' as const), at: posArb }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: posArb, count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: posArb, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

/** Overwrites near the end (the data section of these small files): reaches the value checks and the "ok" path. */
const dataMutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.integer({ min: -48, max: -1 }), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.integer({ min: -48, max: -1 }), value: fc.integer({ min: 0, max: 255 }) }),
);

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const pos = m.kind === 'append' ? 0 : m.at;
  const at = pos < 0 ? Math.max(0, bytes.length + pos) : pos % (bytes.length + 1);
  const out = bytes.slice();
  switch (m.kind) {
    case 'flip':
      if (at < out.length) out[at]! ^= 1 << m.bit;
      return out;
    case 'set':
      if (at < out.length) out[at] = m.value;
      return out;
    case 'truncate':
      return out.subarray(0, at);
    case 'append':
      return concat(out, m.bytes);
    case 'delete':
      return concat(out.subarray(0, at), out.subarray(at + m.count));
    case 'insert':
      return concat(out.subarray(0, at), m.bytes, out.subarray(at));
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// Values that stress the validators: huge, negative, fractional, unsafe, wrong types.
const nastyInt = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 40 }) },
  fc.constantFrom(-1, 0.5, 2 ** 31, 2 ** 32 + 1, 2 ** 53, 2 ** 53 + 2, 1e300, 1e15),
);
const nastyValue = fc.oneof(nastyInt, fc.constantFrom(null, true, 'F32', [], {}, [1, 2], '7'));

// ---------- outcome bookkeeping ----------

/** Tallies outcomes by error field, so the test can show the fuzzer reaches deep checks. */
class Tally {
  counts = new Map<string, number>();
  add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  report(t: TestContext, label: string, runs: number): void {
    t.diagnostic(`${label}: ${runs} runs; outcomes ${JSON.stringify(Object.fromEntries([...this.counts].sort((a, b) => b[1] - a[1])))}`);
  }
}

/** Checks a decoded array the way a caller relies on it: consistent shape/data, bool 0/1, finite floats unless allowed. */
function checkResult(a: NdArray, allowNonFinite: boolean): void {
  checkNdArray(a, 'decoded');
  if (!allowNonFinite && isFloat(a.dtype)) for (const v of a.data as Float32Array) assert.ok(Number.isFinite(v));
}

/** Runs a decode; a FileFormatError is a valid outcome (tallied by field), anything else propagates. */
function outcome(tally: Tally, decode: () => void): void {
  try {
    decode();
    tally.add('ok');
  } catch (e) {
    if (!(e instanceof FileFormatError)) throw e;
    assert.ok(e.message.startsWith(`${e.file}: `));
    // the field without tensor names and indices
    const f = e.field.replace(/ \[[\d, ]*\]$/, ' […]');
    tally.add(f.startsWith('tensor "') ? (f.endsWith(' element […]') ? 'tensor element […]' : 'tensor') : f);
  }
}

// ---------- .npy ----------

function npyHeaderLength(bytes: Uint8Array): number {
  return bytes[6] === 1 ? 10 + (bytes[8]! | (bytes[9]! << 8)) : 12 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
}

/** Rewrites the header dict of a valid .npy with a (possibly invalid) replacement, fixing or breaking the length. */
const npyHeaderEditArb = fc.record({
  descr: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('<f4', '<f8', '<i4', '<i8', '|u1', '|b1') }, fc.constantFrom('<f4', '<f8', '<i4', '<i8', '|u1', '|b1', '>f8', '>i4', '|f4', '<f2', '|O', '<c8', "'", ''), fc.string({ maxLength: 4 })),
  shape: fc.oneof({ weight: 3, arbitrary: fc.array(nastyInt, { maxLength: 4 }).map((d) => (d.length === 1 ? `(${d[0]},)` : `(${d.join(', ')})`)) }, fc.constantFrom('(2)', '()', '(,)', '[1]', '(1, 2', '(99999999999999999999,)'), fc.string({ maxLength: 6 })),
  fortran: fc.oneof({ weight: 4, arbitrary: fc.constant('False') }, fc.constantFrom('True', 'false', '0')),
  extra: fc.oneof({ weight: 4, arbitrary: fc.constant('') }, fc.constantFrom(" 'x': 1,", " 'descr': '<f4',", '}')),
  lengthDelta: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -70000, max: 70000 }) }),
});

type NpyEdit = typeof npyHeaderEditArb extends fc.Arbitrary<infer T> ? T : never;

function editNpyHeader(bytes: Uint8Array, e: NpyEdit): Uint8Array {
  const dict = `{'descr': '${e.descr}', 'fortran_order': ${e.fortran}, 'shape': ${e.shape},${e.extra} }`;
  const header = new TextEncoder().encode(`${dict}${' '.repeat(64 - ((dict.length + 11) % 64))}\n`);
  const out = concat(new Uint8Array(10), header, bytes.subarray(npyHeaderLength(bytes)));
  out.set(bytes.subarray(0, 8));
  out[6] = 1;
  new DataView(out.buffer).setUint16(8, Math.max(0, Math.min(0xffff, header.length + e.lengthDelta)), true);
  return out;
}

const validNpyArb = ndArrayArb.map((a) => encodeNpy(a));
const npyMutantArb = fc.oneof(
  fc.tuple(validNpyArb, fc.array(byteMutationArb, { minLength: 1, maxLength: 3 })).map(([b, ms]) => ms.reduce(mutate, b)),
  fc.tuple(validNpyArb, fc.array(dataMutationArb, { minLength: 1, maxLength: 4 })).map(([b, ms]) => ms.reduce(mutate, b)),
  fc.tuple(validNpyArb, npyHeaderEditArb).map(([b, e]) => editNpyHeader(b, e)),
  fc.tuple(validNpyArb, fc.constantFrom(1, 2, 3, 4), fc.nat({ max: 0xffffffff })).map(([b, v, len]) => {
    const out = b.slice(); // random version byte and random length field
    out[6] = v;
    new DataView(out.buffer).setUint32(8, len, true);
    return out;
  }),
);

test(`fuzz decodeNpy: ${FUZZ_RUNS} random byte strings`, { timeout: 60_000 }, (t) => {
  const tally = new Tally();
  const magic = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59);
  const arb = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.tuple(fc.constantFrom(1, 2, 3), fc.uint8Array({ maxLength: 300 })).map(([v, rest]) => concat(magic, Uint8Array.of(v, 0), rest)),
    // signature, version 1.0 and a correct length in front of random header text: reaches the dict parser
    fc.string({ maxLength: 80 }).map((s) => {
      const h = new TextEncoder().encode(s);
      return concat(magic, Uint8Array.of(1, 0, h.length & 255, h.length >> 8), h);
    }),
  );
  const runs = run(arb, (bytes) => outcome(tally, () => checkResult(decodeNpy(bytes), false)), FUZZ_RUNS);
  tally.report(t, 'npy random bytes', runs);
  assert.equal(runs, FUZZ_RUNS);
});

test(`fuzz decodeNpy: ${FUZZ_RUNS} mutations of valid files (bit flips, truncations, header edits)`, { timeout: 60_000 }, (t) => {
  const tally = new Tally();
  const runs = run(fc.tuple(npyMutantArb, fc.boolean()), ([bytes, allow]) => outcome(tally, () => checkResult(decodeNpy(bytes, { allowNonFinite: allow }), allow)), FUZZ_RUNS);
  tally.report(t, 'npy mutants', runs);
  assert.equal(runs, FUZZ_RUNS);
  // the mutants must exercise the deep checks, not just the signature: some pass, many fields fail
  for (const field of ['ok', 'magic', 'version', 'header length', 'header', 'descr', 'shape', 'data length', 'fortran_order', 'element […]']) {
    assert.ok((tally.counts.get(field) ?? 0) > 0, `no mutant reached outcome "${field}"`);
  }
});

// ---------- .safetensors ----------

function stParts(bytes: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>, data: bytes.subarray(8 + n) };
}

function stAssemble(headerText: string, data: Uint8Array, length?: bigint): Uint8Array {
  const h = new TextEncoder().encode(headerText);
  const out = concat(new Uint8Array(8), h, data);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(h.length), true);
  return out;
}

const stEditArb = fc.record({
  pick: fc.nat(),
  field: fc.constantFrom('dtype', 'shape', 'data_offsets', 'extra', 'delete', 'entry', 'metadata'),
  dtype: fc.constantFrom('F32', 'F64', 'I32', 'I64', 'U8', 'BOOL', 'F16', 'BF16', 'X', 'f32'),
  dims: fc.array(nastyInt, { maxLength: 4 }),
  offsets: fc.oneof(fc.tuple(nastyInt, nastyInt), fc.array(nastyInt, { maxLength: 3 }), nastyValue),
  value: nastyValue,
});

type StEdit = typeof stEditArb extends fc.Arbitrary<infer T> ? T : never;

function editSt(bytes: Uint8Array, e: StEdit): Uint8Array {
  const { header, data } = stParts(bytes);
  const names = Object.keys(header);
  if (e.field === 'metadata') header.__metadata__ = e.value;
  else if (names.length > 0) {
    const name = names[e.pick % names.length]!;
    const entry = header[name] as Record<string, unknown>;
    if (e.field === 'entry') header[name] = e.value;
    else if (e.field === 'delete') delete header[name];
    else if (e.field === 'extra') entry.extra = e.value;
    else if (e.field === 'dtype') entry.dtype = e.dtype;
    else if (e.field === 'shape') entry.shape = e.dims;
    else entry.data_offsets = e.offsets;
  }
  return stAssemble(JSON.stringify(header), data);
}

const validStArb = fc.tuple(tensorsArb, metadataArb).map(([t, m]) => encodeSafetensors(t, m));
const stMutantArb = fc.oneof(
  fc.tuple(validStArb, fc.array(byteMutationArb, { minLength: 1, maxLength: 3 })).map(([b, ms]) => ms.reduce(mutate, b)),
  fc.tuple(validStArb, fc.array(dataMutationArb, { minLength: 1, maxLength: 4 })).map(([b, ms]) => ms.reduce(mutate, b)),
  fc.tuple(validStArb, stEditArb).map(([b, e]) => editSt(b, e)),
  // garbage or truncated JSON headers, with a correct length
  fc.tuple(validStArb, fc.oneof(fc.json(), fc.string({ maxLength: 40 }).map((s) => `{${s}`)), fc.nat()).map(([b, text, cut]) => {
    const { header, data } = stParts(b);
    const full = JSON.stringify(header);
    return stAssemble(cut % 3 === 0 ? full.slice(0, cut % (full.length + 1)) : text, data);
  }),
  // a random header length (u64) in front of a valid header
  fc.tuple(validStArb, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(([b, len]) => {
    const out = b.slice();
    new DataView(out.buffer).setBigUint64(0, len % 3n === 0n ? len % 200n : len, true);
    return out;
  }),
);

test(`fuzz decodeSafetensors: ${FUZZ_RUNS} random byte strings`, { timeout: 60_000 }, (t) => {
  const tally = new Tally();
  const arb = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.string({ maxLength: 60 }).map((s) => stAssemble(`{${s}`, new Uint8Array(0))), // plausible length, random text
  );
  const runs = run(arb, (bytes) => outcome(tally, () => {
    for (const a of Object.values(decodeSafetensors(bytes).tensors)) checkResult(a, false);
  }), FUZZ_RUNS);
  tally.report(t, 'safetensors random bytes', runs);
  assert.equal(runs, FUZZ_RUNS);
});

test(`fuzz decodeSafetensors: ${FUZZ_RUNS} mutations of valid files (bit flips, truncations, header edits, garbage JSON)`, { timeout: 60_000 }, (t) => {
  const tally = new Tally();
  const runs = run(fc.tuple(stMutantArb, fc.boolean()), ([bytes, allow]) => outcome(tally, () => {
    for (const a of Object.values(decodeSafetensors(bytes, { allowNonFinite: allow }).tensors)) checkResult(a, allow);
  }), FUZZ_RUNS);
  tally.report(t, 'safetensors mutants', runs);
  assert.equal(runs, FUZZ_RUNS);
  for (const field of ['ok', 'header length', 'header', 'tensor', 'tensor element […]', 'data', '__metadata__']) {
    assert.ok((tally.counts.get(field) ?? 0) > 0, `no mutant reached outcome "${field}"`);
  }
});
