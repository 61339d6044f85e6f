/**
 * The safetensors header: reading and validating it (the checks of the reference Rust
 * implementation, huggingface/safetensors `read_metadata` + `Metadata::validate`).
 *
 * File layout:
 *   bytes [0, 8)          N, the header length, unsigned 64-bit little-endian
 *   bytes [8, 8 + N)      UTF-8 JSON object { name: { dtype, shape, data_offsets: [begin, end] },
 *                         "__metadata__"?: { key: string value } }, possibly padded with spaces
 *   bytes [8 + N, EOF)    the data section; offsets are relative to its start
 * Sorted by (begin, end), the tensors must tile the data section exactly: each begins where the
 * previous one ends ("invalid offsets" otherwise, i.e. a gap or an overlap), end - begin equals
 * numel * dtype size, and the last end is the end of the file.
 */

/** Element sizes of every dtype the format defines (the reference's `Dtype::size`). */
export const DTYPE_SIZES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

/** The dtypes normkit reads (F16 and BF16 are widened exactly). */
export type ReadableDType = 'F32' | 'F64' | 'F16' | 'BF16';
const READABLE: readonly string[] = ['F32', 'F64', 'F16', 'BF16'];

/** The reference refuses headers above 100 MB (a guard against hostile files). */
export const MAX_HEADER_BYTES = 100_000_000;
export const METADATA_KEY = '__metadata__';

/**
 * A malformed safetensors file. `field` names the part of the file (`header length`,
 * `tensor "w".data_offsets`, ...); `expected` and `actual` say what was wanted and what was found.
 */
export class SafetensorsError extends Error {
  readonly field: string;
  readonly expected: string;
  readonly actual: string;

  constructor(source: string, field: string, expected: string, actual: string, note?: string) {
    super(`${source}: ${field} expected ${expected}, got ${actual}${note ? ` (${note})` : ''}`);
    this.name = 'SafetensorsError';
    this.field = field;
    this.expected = expected;
    this.actual = actual;
  }
}

export interface HeaderEntry {
  name: string;
  dtype: ReadableDType;
  shape: number[];
  size: number;
  begin: number;
  end: number;
}

export interface ParsedHeader {
  /** Tensors in data order (sorted by offsets). */
  entries: HeaderEntry[];
  metadata: Record<string, string>;
  /** Byte position of the data section in the file (8 + N). */
  dataStart: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Define an own enumerable property: safe for any key, including "__proto__". */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `array ${JSON.stringify(v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

export function parseHeader(bytes: Uint8Array, source: string): ParsedHeader {
  const fail = (field: string, expected: string, actual: string, note?: string): never => {
    throw new SafetensorsError(source, field, expected, actual, note);
  };
  if (bytes.length < 8) {
    fail('file', 'at least the 8-byte header length', `${bytes.length} bytes`, 'truncated file');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (n > MAX_HEADER_BYTES) {
    fail('header length', `at most ${MAX_HEADER_BYTES} bytes`, `${n}`);
  }
  if (8 + n > bytes.length) {
    fail(
      'header length',
      `at most ${bytes.length - 8} bytes (the file has ${bytes.length} bytes)`,
      `${n}`,
      'truncated file, or not a safetensors file',
    );
  }
  let text: string;
  try {
    text = decoder.decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('header', 'UTF-8 text', 'invalid UTF-8 bytes');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail('header', 'JSON', `text that does not parse: ${(error as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    fail('header', 'a JSON object', describe(json));
  }
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, info] of Object.entries(json as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (info === null || typeof info !== 'object' || Array.isArray(info)) {
        fail(METADATA_KEY, 'an object of strings', describe(info));
      }
      for (const [key, value] of Object.entries(info as Record<string, unknown>)) {
        if (typeof value !== 'string') fail(`${METADATA_KEY}.${key}`, 'a string', describe(value));
        setOwn(metadata, key, value as string);
      }
      continue;
    }
    entries.push(parseEntry(name, info, fail));
  }
  // Data order, then the tiling checks (as the reference: sort by (begin, end), walk).
  entries.sort((x, y) => x.begin - y.begin || x.end - y.end);
  let covered = 0;
  let previous = '';
  for (const e of entries) {
    if (e.begin !== covered) {
      const where = previous ? `where tensor ${JSON.stringify(previous)} ends` : 'the data section start';
      const defect = e.begin > covered ? 'gaps' : 'overlaps';
      fail(
        `tensor ${JSON.stringify(e.name)}.data_offsets`,
        `to begin at byte ${covered} (${where})`,
        `[${e.begin}, ${e.end}]`,
        `invalid offsets: the tensors must cover the data section without ${defect}`,
      );
    }
    if (e.end > dataLength) {
      fail(
        `tensor ${JSON.stringify(e.name)}.data_offsets`,
        `to end within the data section of ${dataLength} bytes`,
        `[${e.begin}, ${e.end}]`,
        `truncated file: a complete one would have at least ${dataStart + e.end} bytes, ` +
          `this one has ${bytes.length}`,
      );
    }
    covered = e.end;
    previous = e.name;
  }
  if (covered !== dataLength) {
    fail(
      'data section',
      `${covered} bytes (the end of the last tensor)`,
      `${dataLength} bytes`,
      'metadata incomplete buffer: trailing bytes that no tensor covers',
    );
  }
  return { entries, metadata, dataStart };
}

function parseEntry(
  name: string,
  info: unknown,
  fail: (field: string, expected: string, actual: string, note?: string) => never,
): HeaderEntry {
  const field = `tensor ${JSON.stringify(name)}`;
  if (info === null || typeof info !== 'object' || Array.isArray(info)) {
    fail(field, 'an object { dtype, shape, data_offsets }', describe(info));
  }
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_SIZES)) {
    fail(`${field}.dtype`, `one of ${Object.keys(DTYPE_SIZES).join(', ')}`, describe(dtype), 'unknown dtype');
  }
  if (!READABLE.includes(dtype as string)) {
    fail(`${field}.dtype`, `one of ${READABLE.join(', ')} (the dtypes normkit reads)`, `${dtype}`);
  }
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    fail(`${field}.shape`, 'an array of non-negative integers', describe(shape));
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
    fail(`${field}.data_offsets`, 'two non-negative integers [begin, end]', describe(offsets));
  }
  const [begin, end] = offsets as [number, number];
  const dims = shape as number[];
  const size = dims.reduce((a, b) => a * b, 1);
  const itemBytes = DTYPE_SIZES[dtype as string]!;
  if (!Number.isSafeInteger(size * itemBytes)) {
    fail(`${field}.shape`, 'a size that fits in memory', JSON.stringify(dims));
  }
  if (end < begin || end - begin !== size * itemBytes) {
    fail(
      `${field}.data_offsets`,
      `end - begin = ${size * itemBytes} bytes (${dtype} x ${size} elements of shape [${dims.join(',')}])`,
      `[${begin}, ${end}] (${end - begin} bytes)`,
    );
  }
  return { name, dtype: dtype as ReadableDType, shape: dims, size, begin, end };
}
