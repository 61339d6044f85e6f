import { allocate, type DType, Tensor, type TypedArray } from '@normkit/tensor';
import { decodeBFloat16, decodeFloat16 } from './internal/half.js';
import { type HeaderEntry, parseHeader, SafetensorsError, setOwn } from './internal/safetensors-header.js';
import { LITTLE_ENDIAN_HOST, planSafetensors, tensorBytes } from './internal/safetensors-write.js';

/**
 * safetensors (https://github.com/huggingface/safetensors), the checkpoint format of Hugging Face
 * and candle: an 8-byte little-endian header length N, N bytes of JSON describing each tensor
 * ({ dtype, shape, data_offsets }) plus an optional "__metadata__" map of strings, then the raw
 * little-endian data. No code runs on load, unlike pickle.
 *
 * Browser-safe (bytes in, bytes out); `@normkit/nn/node` adds atomic file save/load.
 */

export { SafetensorsError };

export interface DecodeSafetensorsOptions {
  /**
   * Store every tensor in this dtype. Default: F64 -> float64; F32, F16 and BF16 -> float32
   * (F16/BF16 are widened exactly). 'float32' rounds F64 data to nearest.
   */
  dtype?: DType;
  /** Names the input in error messages (a file path, a URL); default 'decodeSafetensors'. */
  source?: string;
}

export interface DecodedSafetensors {
  tensors: Record<string, Tensor>;
  /** The header's "__metadata__" map ({} when absent). */
  metadata: Record<string, string>;
}

/**
 * Serialize named tensors (float32 -> F32, float64 -> F64; views are written in row-major order)
 * with optional string metadata. Byte-for-byte the layout of the reference Rust implementation:
 * F64 tensors before F32 ones, each group sorted by name, no gaps, header padded to 8 bytes.
 */
export function encodeSafetensors(
  dict: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const plan = planSafetensors('encodeSafetensors', dict, metadata);
  const out = new Uint8Array(plan.header.length + plan.dataBytes);
  out.set(plan.header, 0);
  let pos = plan.header.length;
  for (const { tensor } of plan.tensors) {
    const bytes = tensorBytes(tensor);
    out.set(bytes, pos);
    pos += bytes.length;
  }
  return out;
}

/**
 * Parse a safetensors file. Reads F32, F64, F16 and BF16 tensors; every malformed input (short
 * file, bad header length, header that is not a JSON object, unknown dtype, bad shape, offsets that
 * do not match the shape or that leave gaps, overlap or run past the end) throws a SafetensorsError
 * naming the field, the expected and the actual value. Tensors are copied out of `bytes`.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  options: DecodeSafetensorsOptions = {},
): DecodedSafetensors {
  const source = options.source ?? 'decodeSafetensors';
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`${source}: bytes expected a Uint8Array, got ${typeof bytes}`);
  }
  if (options.dtype !== undefined && options.dtype !== 'float32' && options.dtype !== 'float64') {
    throw new TypeError(
      `${source}: options.dtype expected 'float32' or 'float64', got ${String(options.dtype)}`,
    );
  }
  const { entries, metadata, dataStart } = parseHeader(bytes, source);
  const tensors: Record<string, Tensor> = {};
  for (const entry of entries) {
    const src = bytes.subarray(dataStart + entry.begin, dataStart + entry.end);
    const dtype = options.dtype ?? (entry.dtype === 'F64' ? 'float64' : 'float32');
    const data = allocate(dtype, entry.size);
    readElements(entry, src, data);
    setOwn(tensors, entry.name, new Tensor(data, entry.shape));
  }
  return { tensors, metadata };
}

function readElements(entry: HeaderEntry, src: Uint8Array, out: TypedArray): void {
  const n = entry.size;
  if (n === 0) return;
  switch (entry.dtype) {
    case 'F16':
      decodeFloat16(src, out);
      return;
    case 'BF16':
      decodeBFloat16(src, out);
      return;
    case 'F32':
    case 'F64': {
      const same = (entry.dtype === 'F32') === out instanceof Float32Array;
      if (same && LITTLE_ENDIAN_HOST) {
        // the bytes are the values: copy them into the (aligned) output buffer
        new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(src);
        return;
      }
      const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
      if (entry.dtype === 'F32') for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      else for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
    }
  }
}
