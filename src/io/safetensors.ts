/**
 * `.safetensors` encode/decode on bytes, pure and browser-safe, following the reference
 * implementation (huggingface/safetensors): u64 LE header length, JSON header, one data section.
 * Spec: https://github.com/huggingface/safetensors#format
 */
import { FileFormatError } from './errors.js';
import {
  checkDecodedValues,
  checkNdArray,
  itemSize,
  readElements,
  sizeWithin,
  writeElements,
  type DecodeOptions,
  type DTypeName,
  type NdArray,
} from './ndarray.js';

/** The reference implementation's header size limit. */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

const ST_DTYPE: Record<DTypeName, string> = { float32: 'F32', float64: 'F64', int32: 'I32', int64: 'I64', uint8: 'U8', bool: 'BOOL' };
const FROM_ST = Object.fromEntries(Object.entries(ST_DTYPE).map(([k, v]) => [v, k as DTypeName])) as Record<string, DTypeName>;
/** Dtypes of the format that saeno does not read, so the error can say "not supported" rather than "unknown". */
const OTHER_ST_DTYPES = ['F16', 'BF16', 'I8', 'I16', 'U16', 'U32', 'U64', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64'];
/** The reference writer lays tensors out by dtype (this order, widest first), then by name, so every tensor is aligned. */
const LAYOUT_RANK: Record<DTypeName, number> = { int64: 0, float64: 1, float32: 2, int32: 3, uint8: 4, bool: 5 };

/** A decoded file: tensors by name and the `__metadata__` string map (empty if absent). */
export interface SafetensorsFile {
  tensors: Record<string, NdArray>;
  metadata: Record<string, string>;
}

/**
 * Encodes `tensors` (and the optional string→string `metadata`) the way the reference writer
 * does: compact JSON header with `__metadata__` first, space-padded to a multiple of 8 bytes;
 * tensors contiguous, ordered widest dtype first then by name (so each tensor's offset is a
 * multiple of its element size). Deterministic: same input, same bytes.
 * TypeError/RangeError on an inconsistent array, the reserved name `__metadata__`, or a non-string metadata value.
 */
export function encodeSafetensors(tensors: Record<string, NdArray>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors);
  for (const name of names) {
    if (name === METADATA_KEY) throw new RangeError(`encodeSafetensors: "${METADATA_KEY}" is reserved and cannot name a tensor`);
    checkNdArray(tensors[name]!, `encodeSafetensors: tensor "${name}"`);
  }
  names.sort((a, b) => LAYOUT_RANK[tensors[a]!.dtype] - LAYOUT_RANK[tensors[b]!.dtype] || (a < b ? -1 : a > b ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    const meta: Record<string, string> = {};
    for (const key of Object.keys(metadata).sort()) {
      const v = metadata[key];
      if (typeof v !== 'string') throw new TypeError(`encodeSafetensors: metadata "${key}" must be a string, got ${typeof v}`);
      Object.defineProperty(meta, key, { value: v, enumerable: true }); // defineProperty: a key "__proto__" stays a plain key
    }
    header[METADATA_KEY] = meta;
  }
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const end = offset + t.data.byteLength;
    Object.defineProperty(header, name, { value: { dtype: ST_DTYPE[t.dtype], shape: t.shape, data_offsets: [offset, end] }, enumerable: true });
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  offset = 8 + headerLen;
  for (const name of names) {
    writeElements(out, offset, tensors[name]!.data);
    offset += tensors[name]!.data.byteLength;
  }
  return out;
}

interface Entry {
  name: string;
  dtype: DTypeName;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Decodes `.safetensors` bytes with the reference implementation's checks: header length
 * 2…100 MB and within the file; header a UTF-8 JSON object starting with `{`; each tensor entry
 * exactly `{dtype, shape, data_offsets}` with a supported dtype (F32 F64 I32 I64 U8 BOOL),
 * non-negative integer dims and `0 ≤ begin ≤ end ≤ data size`; byte length = size(shape) × dtype
 * size; tensors tile the data section exactly (no overlap, no gap, no trailing bytes);
 * `__metadata__` a string→string map. Float NaN/Inf is rejected unless `opts.allowNonFinite`;
 * bool bytes must be 0 or 1. Every failure is a FileFormatError naming `opts.source` and the
 * field (`header length`, `header`, `tensor "x"`, `__metadata__`, `data`, `tensor "x" element [i, j]`).
 * Tensors are copied into fresh, aligned typed arrays.
 */
export function decodeSafetensors(bytes: Uint8Array, opts: DecodeOptions = {}): SafetensorsFile {
  const file = opts.source ?? '<safetensors>';
  const fail = (field: string, detail: string): never => {
    throw new FileFormatError(file, field, `${field}: ${detail}`);
  };
  if (bytes.length < 8) fail('header length', `file is ${bytes.length} bytes, shorter than the 8-byte header length field`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n64 < 2n) fail('header length', `${n64} is too small for a JSON object`);
  if (n64 > BigInt(MAX_HEADER_BYTES)) fail('header length', `${n64} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLen = Number(n64);
  if (headerLen > bytes.length - 8) fail('header length', `${headerLen} bytes exceeds the ${bytes.length - 8} bytes after the length field (truncated file?)`);

  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    fail('header', 'is not valid UTF-8');
  }
  if (text[0] !== '{') fail('header', `must start with '{', got ${JSON.stringify(text.slice(0, 20))}`);
  let json: Record<string, unknown> = {}; // starts with '{', so whatever parses is an object
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    fail('header', `is not valid JSON (${(e as Error).message})`);
  }

  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(json)) {
    if (name === METADATA_KEY) metadata = parseMetadata(info, fail);
    else entries.push(parseEntry(name, info, dataLen, fail));
  }

  // The tensors must tile [0, dataLen) exactly, as in the reference reader.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev: Entry | undefined;
  for (const e of entries) {
    if (e.begin < cursor) fail(`tensor "${e.name}"`, `data_offsets [${e.begin},${e.end}] overlap tensor "${prev!.name}" [${prev!.begin},${prev!.end}]`);
    if (e.begin > cursor) fail('data', `bytes [${cursor},${e.begin}) of the data section belong to no tensor (a hole before tensor "${e.name}")`);
    cursor = e.end;
    prev = e;
  }
  if (cursor !== dataLen) fail('data', `bytes [${cursor},${dataLen}) at the end of the data section belong to no tensor`);

  const tensors: [string, NdArray][] = [];
  for (const e of entries) {
    const arr = { dtype: e.dtype, shape: e.shape, data: readElements(bytes, dataStart + e.begin, e.dtype, (e.end - e.begin) / itemSize(e.dtype), false) } as NdArray;
    checkDecodedValues(arr, file, `tensor "${e.name}" `, opts.allowNonFinite ?? false);
    tensors.push([e.name, arr]);
  }
  // fromEntries defines own properties, so a tensor named "__proto__" cannot touch the prototype
  return { tensors: Object.fromEntries(tensors), metadata };
}

type Fail = (field: string, detail: string) => never;

function parseMetadata(info: unknown, fail: Fail): Record<string, string> {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) return fail(METADATA_KEY, 'must be a JSON object of strings');
  for (const [k, v] of Object.entries(info)) {
    if (typeof v !== 'string') fail(METADATA_KEY, `value of "${k}" must be a string, got ${JSON.stringify(v)}`);
  }
  return Object.fromEntries(Object.entries(info)) as Record<string, string>;
}

function parseEntry(name: string, info: unknown, dataLen: number, fail: Fail): Entry {
  const field = `tensor "${name}"`;
  if (typeof info !== 'object' || info === null || Array.isArray(info)) return fail(field, 'entry must be a JSON object {dtype, shape, data_offsets}');
  const keys = Object.keys(info);
  const extra = keys.find((k) => k !== 'dtype' && k !== 'shape' && k !== 'data_offsets');
  if (extra !== undefined) fail(field, `unexpected key "${extra}"`);
  const { dtype: st, shape, data_offsets: offsets } = info as Record<string, unknown>;

  if (typeof st !== 'string') return fail(field, `dtype must be a string, got ${JSON.stringify(st)}`);
  const dtype = Object.hasOwn(FROM_ST, st) ? FROM_ST[st]! : undefined;
  if (dtype === undefined) {
    fail(field, `dtype "${st}" is ${OTHER_ST_DTYPES.includes(st) ? 'not supported' : 'unknown'} (supported: ${Object.keys(FROM_ST).join(', ')})`);
  }
  const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isIndex)) return fail(field, `shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
    return fail(field, `data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(field, `data_offsets [${begin},${end}] have begin > end`);
  if (end > dataLen) fail(field, `data_offsets [${begin},${end}] run past the end of the ${dataLen}-byte data section (truncated file?)`);
  const size = itemSize(dtype!);
  const count = sizeWithin(shape, Math.floor(dataLen / size));
  if (count < 0 || count * size !== end - begin) {
    const needed = shape.reduce((a: bigint, d: number) => a * BigInt(d), 1n) * BigInt(size);
    fail(field, `byte length ${end - begin} does not match shape [${shape.join(',')}] × ${dtype} (${needed})`);
  }
  return { name, dtype: dtype!, shape: shape as number[], begin, end };
}
