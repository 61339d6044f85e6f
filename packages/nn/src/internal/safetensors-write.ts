import { itemSize, Tensor } from '@normkit/tensor';
import { METADATA_KEY } from './safetensors-header.js';

/**
 * Planning a safetensors file, as the reference Rust `prepare`: tensors sorted by descending
 * element size, then by name (so F64 data precedes F32 data and every tensor starts at a multiple
 * of its element size: readers can view the bytes in place), offsets assigned back to back, and
 * the compact JSON header padded with spaces to a multiple of 8 bytes. The plan reads only names,
 * shapes and dtypes, never `data`; `tensorBytes` then produces the bytes one tensor at a time, so
 * a file can be streamed to disk without a second copy of the whole model in memory.
 */

export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface PlannedTensor {
  name: string;
  tensor: Tensor;
}

export interface SafetensorsPlan {
  /** The 8-byte length prefix followed by the padded JSON header. */
  header: Uint8Array;
  /** Tensors in the order their bytes follow the header. */
  tensors: PlannedTensor[];
  /** Total bytes of the data section. */
  dataBytes: number;
}

/** Compare by Unicode code points (= UTF-8 byte order, Rust's String order). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

export function planSafetensors(
  op: string,
  dict: Record<string, Tensor>,
  metadata?: Record<string, string>,
): SafetensorsPlan {
  if (dict === null || typeof dict !== 'object') {
    throw new TypeError(`${op}: tensors expected an object of name -> Tensor, got ${dict}`);
  }
  const tensors: PlannedTensor[] = [];
  for (const name of Object.keys(dict)) {
    const tensor = dict[name];
    if (name === METADATA_KEY) {
      throw new RangeError(`${op}: tensor name "${METADATA_KEY}" is reserved for the metadata`);
    }
    if (!(tensor instanceof Tensor)) {
      throw new TypeError(`${op}: tensors[${JSON.stringify(name)}] expected a Tensor, got ${typeof tensor}`);
    }
    tensors.push({ name, tensor });
  }
  tensors.sort(
    (x, y) => itemSize(y.tensor.dtype) - itemSize(x.tensor.dtype) || compareCodePoints(x.name, y.name),
  );
  // The header JSON is assembled by hand so that its key order is the reference's whatever the
  // names (a JS object would list integer-like keys such as "0" first): __metadata__, then the
  // tensors in data order.
  const parts: string[] = [];
  if (metadata !== undefined) {
    const pairs: string[] = [];
    for (const key of Object.keys(metadata)) {
      const value = metadata[key];
      if (typeof value !== 'string') {
        throw new TypeError(`${op}: metadata[${JSON.stringify(key)}] expected a string, got ${typeof value}`);
      }
      pairs.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
    }
    parts.push(`"${METADATA_KEY}":{${pairs.join(',')}}`);
  }
  let offset = 0;
  for (const { name, tensor } of tensors) {
    const bytes = tensor.size * itemSize(tensor.dtype);
    const info = {
      dtype: tensor.dtype === 'float64' ? 'F64' : 'F32',
      shape: tensor.shape,
      data_offsets: [offset, offset + bytes],
    };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset += bytes;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded);
  const view = new DataView(out.buffer);
  // N < 2^53 always holds here; write it as two little-endian 32-bit halves
  view.setUint32(0, padded % 2 ** 32, true);
  view.setUint32(4, Math.floor(padded / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length);
  return { header: out, tensors, dataBytes: offset };
}

/**
 * The little-endian bytes of a tensor's elements in row-major order: a view of its storage when
 * it is contiguous on a little-endian host, a fresh copy otherwise.
 */
export function tensorBytes(t: Tensor): Uint8Array {
  const values = t.isContiguous() ? t.data.subarray(t.offset, t.offset + t.size) : t.toTypedArray();
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  if (values instanceof Float64Array)
    for (let i = 0; i < values.length; i++) view.setFloat64(8 * i, values[i]!, true);
  else for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i]!, true);
  return out;
}
