import { describe, expect, it } from 'vitest';
import { decodeSafetensors, SafetensorsError } from './safetensors.js';

/** A file from a header (object or raw text) and a data section, built by hand (not by the encoder). */
function file(header: unknown, data: Uint8Array | number = 0, declaredLength?: number): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + text.length + body.length);
  const view = new DataView(out.buffer);
  const n = declaredLength ?? text.length;
  view.setUint32(0, n % 2 ** 32, true);
  view.setUint32(4, Math.floor(n / 2 ** 32), true);
  out.set(text, 8);
  out.set(body, 8 + text.length);
  return out;
}

const f32 = (shape: number[], begin: number, end: number) => ({
  dtype: 'F32',
  shape,
  data_offsets: [begin, end],
});

function errorOf(bytes: Uint8Array): SafetensorsError {
  try {
    decodeSafetensors(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(SafetensorsError);
    return error as SafetensorsError;
  }
  throw new Error('expected decodeSafetensors to throw');
}

describe('decodeSafetensors rejects malformed files, naming field, expected and actual', () => {
  it('accepts the well-formed baseline these cases perturb', () => {
    const ok = decodeSafetensors(file({ a: f32([2], 0, 8), b: f32([1], 8, 12) }, 12));
    expect(ok.tensors.a!.shape).toEqual([2]);
  });

  it('file shorter than the 8-byte length prefix', () => {
    const e = errorOf(new Uint8Array(5));
    expect(e.message).toBe(
      'decodeSafetensors: file expected at least the 8-byte header length, got 5 bytes (truncated file)',
    );
    expect([e.field, e.expected, e.actual]).toEqual(['file', 'at least the 8-byte header length', '5 bytes']);
  });

  it('header length larger than the file (truncated header), or above the 100 MB limit', () => {
    const bytes = file({ a: f32([1], 0, 4) }, 4);
    expect(errorOf(bytes.subarray(0, 20)).message).toMatch(
      /decodeSafetensors: header length expected at most 12 bytes \(the file has 20 bytes\), got 54 \(truncated file, or not a safetensors file\)/,
    );
    expect(errorOf(file('{}', 0, 2 ** 40)).message).toMatch(
      /header length expected at most 100000000 bytes, got 1099511627776/,
    );
  });

  it('header that is not UTF-8, not JSON, or not a JSON object', () => {
    const bad = file('{}');
    bad[8] = 0xff;
    expect(errorOf(bad).message).toMatch(
      /decodeSafetensors: header expected UTF-8 text, got invalid UTF-8 bytes/,
    );
    expect(errorOf(file('{"a": ')).message).toMatch(
      /decodeSafetensors: header expected JSON, got text that does not parse/,
    );
    expect(errorOf(file('[1, 2]')).message).toMatch(/header expected a JSON object, got array \[1,2\]/);
    expect(errorOf(file('null')).message).toMatch(/header expected a JSON object, got null/);
    expect(errorOf(file('7')).message).toMatch(/header expected a JSON object, got number 7/);
  });

  it('__metadata__ that is not a map of strings', () => {
    expect(errorOf(file({ __metadata__: [1] })).message).toMatch(
      /__metadata__ expected an object of strings, got array \[1\]/,
    );
    expect(errorOf(file({ __metadata__: { epoch: 3 } })).message).toMatch(
      /__metadata__\.epoch expected a string, got number 3/,
    );
  });

  it('unknown dtype (named), and a valid dtype normkit does not read', () => {
    const e = errorOf(file({ w: { dtype: 'F99', shape: [1], data_offsets: [0, 4] } }, 4));
    expect(e.message).toMatch(
      /tensor "w"\.dtype expected one of BOOL, U8, .*, U64, got string "F99" \(unknown dtype\)/,
    );
    expect(e.field).toBe('tensor "w".dtype');
    expect(errorOf(file({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, 8)).message).toMatch(
      /tensor "w"\.dtype expected one of F32, F64, F16, BF16 \(the dtypes normkit reads\), got I64/,
    );
    expect(errorOf(file({ w: { shape: [1], data_offsets: [0, 4] } }, 4)).message).toMatch(
      /tensor "w"\.dtype expected one of .*, got undefined/,
    );
  });

  it('entry that is not an object; shape entries that are not non-negative integers', () => {
    expect(errorOf(file({ w: 5 })).message).toMatch(
      /tensor "w" expected an object \{ dtype, shape, data_offsets \}, got number 5/,
    );
    for (const shape of [[-1], [1.5], ['2'], 3, [2 ** 53]]) {
      expect(errorOf(file({ w: f32(shape as number[], 0, 4) }, 4)).message).toMatch(
        /tensor "w"\.shape expected an array of non-negative integers, got/,
      );
    }
    expect(errorOf(file({ w: f32([2 ** 30, 2 ** 30, 2 ** 30], 0, 4) }, 4)).message).toMatch(
      /tensor "w"\.shape expected a size that fits in memory, got \[1073741824,1073741824,1073741824\]/,
    );
  });

  it('data_offsets that are malformed or do not match dtype size x numel', () => {
    for (const offsets of [[0], [0, 4, 8], [-4, 0], [0, '4'], null]) {
      expect(errorOf(file({ w: { dtype: 'F32', shape: [1], data_offsets: offsets } }, 4)).message).toMatch(
        /tensor "w"\.data_offsets expected two non-negative integers \[begin, end\], got/,
      );
    }
    expect(errorOf(file({ w: f32([2, 3], 0, 20) }, 20)).message).toBe(
      'decodeSafetensors: tensor "w".data_offsets expected end - begin = 24 bytes (F32 x 6 elements of shape [2,3]), ' +
        'got [0, 20] (20 bytes)',
    );
    expect(errorOf(file({ w: f32([0], 8, 4) }, 8)).message).toMatch(/got \[8, 4\] \(-4 bytes\)/);
  });

  it('gaps and overlaps between tensors: invalid offsets', () => {
    const gap = errorOf(file({ a: f32([1], 0, 4), b: f32([1], 8, 12) }, 12));
    expect(gap.message).toBe(
      'decodeSafetensors: tensor "b".data_offsets expected to begin at byte 4 (where tensor "a" ends), got [8, 12] ' +
        '(invalid offsets: the tensors must cover the data section without gaps)',
    );
    const overlap = errorOf(file({ a: f32([2], 0, 8), b: f32([1], 4, 8) }, 8));
    expect(overlap.message).toMatch(
      /tensor "b"\.data_offsets expected to begin at byte 8 \(where tensor "a" ends\), got \[4, 8\] \(invalid offsets: .* without overlaps\)/,
    );
    expect(errorOf(file({ a: f32([1], 4, 8) }, 8)).message).toMatch(
      /tensor "a"\.data_offsets expected to begin at byte 0 \(the data section start\), got \[4, 8\] \(invalid offsets/,
    );
  });

  it('offsets past the end of the file (truncated data or oversized offsets)', () => {
    const whole = file({ a: f32([2], 0, 8), b: f32([3], 8, 20) }, 20);
    expect(errorOf(whole.subarray(0, whole.length - 3)).message).toMatch(
      /tensor "b"\.data_offsets expected to end within the data section of 17 bytes, got \[8, 20\] \(truncated file: a complete one would have at least \d+ bytes, this one has \d+\)/,
    );
    expect(errorOf(file({ w: f32([1000], 0, 4000) }, 24)).message).toMatch(
      /tensor "w"\.data_offsets expected to end within the data section of 24 bytes, got \[0, 4000\]/,
    );
  });

  it('trailing bytes that no tensor covers', () => {
    expect(errorOf(file({ a: f32([1], 0, 4) }, 12)).message).toBe(
      'decodeSafetensors: data section expected 4 bytes (the end of the last tensor), got 12 bytes ' +
        '(metadata incomplete buffer: trailing bytes that no tensor covers)',
    );
  });

  it('names the source given in options, and checks its arguments', () => {
    expect(() => decodeSafetensors(new Uint8Array(2), { source: 'model.safetensors' })).toThrow(
      /^model\.safetensors: file expected/,
    );
    expect(() => decodeSafetensors([1, 2, 3] as unknown as Uint8Array)).toThrow(
      /decodeSafetensors: bytes expected a Uint8Array, got object/,
    );
    expect(() => decodeSafetensors(file('{}'), { dtype: 'int8' as 'float32' })).toThrow(
      /decodeSafetensors: options\.dtype expected 'float32' or 'float64', got int8/,
    );
  });

  it('tolerates what the format allows: padding spaces, zero-size tensors sharing an offset, __proto__ names', () => {
    const out = decodeSafetensors(
      file(`{"__proto__":${JSON.stringify(f32([1], 0, 4))},"e":${JSON.stringify(f32([0, 2], 4, 4))}}    `, 4),
    );
    expect(Object.keys(out.tensors).sort()).toEqual(['__proto__', 'e']);
    expect(Object.getPrototypeOf(out.tensors)).toBe(Object.prototype);
    expect(out.tensors.e!.shape).toEqual([0, 2]);
  });
});
