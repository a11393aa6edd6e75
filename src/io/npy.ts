/**
 * NumPy `.npy` encode/decode on bytes (format versions 1.0, 2.0, 3.0), pure and browser-safe.
 * Hand-written because the header is a Python dict literal: we parse a strict subset, never eval.
 * Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
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

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
/** NumPy pads the header so the data starts on this boundary (lets readers mmap aligned data). */
const ARRAY_ALIGN = 64;
/** NumPy leaves room for the first dim to grow to this many digits (so `append` can rewrite it in place). */
const GROWTH_AXIS_MAX_DIGITS = 21;

/** The descr NumPy writes for each dtype (`descr` of a native little-endian array). */
const DESCR: Record<DTypeName, string> = {
  float32: '<f4',
  float64: '<f8',
  int32: '<i4',
  int64: '<i8',
  uint8: '|u1',
  bool: '|b1',
};
/** Kind letter + item size → dtype, for reading (byte order is parsed separately). */
const KIND: Record<string, DTypeName> = { f4: 'float32', f8: 'float64', i4: 'int32', i8: 'int64', u1: 'uint8', b1: 'bool' };

/**
 * Encodes `arr` exactly as `np.save` does: version 1.0 header (2.0 when the header exceeds
 * 65535 bytes), keys sorted, padded with spaces to a 64-byte boundary, C order, little-endian.
 * TypeError/RangeError if `arr` is inconsistent (data length ≠ size(shape), bool not 0/1).
 */
export function encodeNpy(arr: NdArray): Uint8Array {
  checkNdArray(arr, 'encodeNpy');
  const { shape } = arr;
  const shapeRepr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${DESCR[arr.dtype]}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  if (shape.length > 0) dict += ' '.repeat(GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length);
  let lenBytes = 2;
  let headerLen = paddedHeaderLength(dict.length, lenBytes);
  if (headerLen > 0xffff) {
    lenBytes = 4;
    headerLen = paddedHeaderLength(dict.length, lenBytes);
  }
  const dataStart = MAGIC.length + 2 + lenBytes + headerLen;
  const out = new Uint8Array(dataStart + arr.data.byteLength);
  out.set(MAGIC);
  out[6] = lenBytes === 2 ? 1 : 2; // major version; minor stays 0
  const view = new DataView(out.buffer);
  if (lenBytes === 2) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  const h = MAGIC.length + 2 + lenBytes;
  for (let i = 0; i < dict.length; i++) out[h + i] = dict.charCodeAt(i);
  out.fill(0x20, h + dict.length, dataStart - 1);
  out[dataStart - 1] = 0x0a; // '\n'
  writeElements(out, dataStart, arr.data);
  return out;
}

/** Header length (dict + spaces + '\n') making magic + version + length field + header a multiple of 64. */
function paddedHeaderLength(dictLength: number, lenBytes: number): number {
  const unpadded = MAGIC.length + 2 + lenBytes + dictLength + 1;
  return dictLength + 1 + (ARRAY_ALIGN - (unpadded % ARRAY_ALIGN)); // like NumPy: 1..64 spaces, never 0
}

/**
 * Decodes `.npy` bytes. Accepts versions 1.0/2.0 (latin-1 header) and 3.0 (UTF-8 header);
 * descr `<f4 <f8 <i4 <i8 |u1 |b1` and their big-endian forms (converted to native);
 * `fortran_order: False` (or True when at most one dim exceeds 1, where both orders coincide).
 * The data must be exactly size(shape) × itemsize bytes. Float NaN/Inf is rejected unless
 * `opts.allowNonFinite`; bool bytes must be 0 or 1. Every failure is a FileFormatError naming
 * `opts.source` and the field (`magic`, `version`, `header length`, `header`, `descr`,
 * `fortran_order`, `shape`, `data length`, `element [i, j]`). The result owns a fresh copy of the data.
 */
export function decodeNpy(bytes: Uint8Array, opts: DecodeOptions = {}): NdArray {
  const file = opts.source ?? '<npy>';
  const fail = (field: string, detail: string): never => {
    throw new FileFormatError(file, field, `${field}: ${detail}`);
  };
  if (bytes.length < MAGIC.length + 2 || MAGIC.some((b, i) => bytes[i] !== b)) fail('magic', 'not a .npy file (missing the \\x93NUMPY signature)');
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if ((major !== 1 && major !== 2 && major !== 3) || minor !== 0) fail('version', `format version ${major}.${minor} is not supported (1.0, 2.0, 3.0 are)`);
  const lenBytes = major === 1 ? 2 : 4;
  const h = MAGIC.length + 2 + lenBytes;
  if (bytes.length < h) fail('header length', `file is ${bytes.length} bytes, truncated inside the header length field`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = lenBytes === 2 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLen > bytes.length - h) fail('header length', `header of ${headerLen} bytes exceeds the ${bytes.length - h} bytes after the length field (truncated file?)`);

  let text = '';
  try {
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(bytes.subarray(h, h + headerLen));
  } catch {
    fail('header', 'is not valid UTF-8');
  }
  const header = parseHeader(text, fail);

  const m = /^([<>|])([a-zA-Z])(\d+)$/.exec(header.descr);
  const dtype = m ? KIND[m[2]! + m[3]!] : undefined;
  if (!m || dtype === undefined) return fail('descr', `dtype '${header.descr}' is not supported (expected one of <f4 <f8 <i4 <i8 |u1 |b1, or big-endian >…)`);
  const size = itemSize(dtype);
  if (m[1] === '|' && size > 1) fail('descr', `'${header.descr}' has no byte order ('|' is only valid for 1-byte types)`);
  const { shape } = header;
  if (header.fortranOrder && shape.filter((d) => d > 1).length > 1) {
    fail('fortran_order', 'Fortran-order arrays are not supported (save a C-order array, e.g. np.ascontiguousarray(a))');
  }

  const dataStart = h + headerLen;
  const available = bytes.length - dataStart;
  const n = sizeWithin(shape, Math.floor(available / size));
  if (n < 0 || n * size !== available) {
    const needed = shape.reduce((a, d) => a * BigInt(d), 1n) * BigInt(size);
    fail('data length', `data is ${available} bytes but shape (${shape.join(', ')}) × ${dtype} needs ${needed} (${available > needed ? 'trailing bytes' : 'truncated file'})`);
  }
  const arr = { dtype, shape, data: readElements(bytes, dataStart, dtype, n, m[1] === '>') } as NdArray;
  checkDecodedValues(arr, file, '', opts.allowNonFinite ?? false);
  return arr;
}

interface Header {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

/**
 * Parses the header dict, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`:
 * exactly these three keys, Python string / bool / tuple-of-int literals, whitespace anywhere.
 */
function parseHeader(text: string, fail: (field: string, detail: string) => never): Header {
  let pos = 0;
  const bad = (what: string): never => fail('header', `${what} at offset ${pos} of ${JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text)}`);
  const ws = (): void => {
    while (pos < text.length && (text[pos] === ' ' || text[pos] === '\t' || text[pos] === '\n' || text[pos] === '\r')) pos++;
  };
  const expect = (c: string): void => {
    ws();
    if (text[pos] !== c) bad(`expected '${c}'`);
    pos++;
  };
  const string = (): string => {
    ws();
    const q = text[pos];
    if (q !== "'" && q !== '"') return bad('expected a string');
    const end = text.indexOf(q, pos + 1);
    const s = end < 0 ? '' : text.slice(pos + 1, end);
    if (end < 0 || /[\\\n]/.test(s)) bad('unterminated or escaped string');
    pos = end + 1;
    return s;
  };
  const int = (): number => {
    const digits = /^\d*/.exec(text.slice(pos, pos + 32))![0];
    if (digits === '' || (digits.length > 1 && digits[0] === '0')) return bad('expected a non-negative integer without leading zeros');
    const v = Number(digits);
    if (!Number.isSafeInteger(v)) fail('shape', `dim ${digits.length < 32 ? digits : `${digits}…`} is too large`);
    pos += digits.length;
    if (text[pos] === 'L') pos++; // Python 2 long
    return v;
  };
  const tuple = (): number[] => {
    expect('(');
    const dims: number[] = [];
    ws();
    let trailingComma = false;
    while (text[pos] !== ')') {
      dims.push(int());
      ws();
      trailingComma = text[pos] === ',';
      if (trailingComma) {
        pos++;
        ws();
      } else if (text[pos] !== ')') bad("expected ',' or ')' in shape");
    }
    pos++;
    if (dims.length === 1 && !trailingComma) fail('shape', `(${dims[0]}) is an int, not a tuple`);
    return dims;
  };
  const bool = (): boolean => {
    ws();
    for (const [word, v] of [['True', true], ['False', false]] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return v;
      }
    }
    return bad('expected True or False');
  };

  const seen: Partial<Header> = {};
  expect('{');
  ws();
  while (text[pos] !== '}') {
    const key = string();
    expect(':');
    if (key === 'descr' && seen.descr === undefined) seen.descr = string();
    else if (key === 'fortran_order' && seen.fortranOrder === undefined) seen.fortranOrder = bool();
    else if (key === 'shape' && seen.shape === undefined) seen.shape = tuple();
    else bad(`unexpected or repeated key '${key}'`);
    ws();
    if (text[pos] === ',') {
      pos++;
      ws();
    } else if (text[pos] !== '}') bad("expected ',' or '}'");
  }
  pos++;
  ws();
  if (pos !== text.length) bad('unexpected text after the dict');
  if (seen.descr === undefined || seen.fortranOrder === undefined || seen.shape === undefined) {
    fail('header', `missing key ${seen.descr === undefined ? "'descr'" : seen.fortranOrder === undefined ? "'fortran_order'" : "'shape'"}`);
  }
  return seen as Header;
}
