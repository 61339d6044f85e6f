import type { TypedArray } from '@normkit/tensor';

/**
 * IEEE 754 binary16 (F16) and bfloat16 (BF16) to float32/float64, both exact: every half and
 * bfloat16 value is a float32 value.
 *
 * F16 bits: sign (1) | exponent e (5, bias 15) | mantissa m (10)
 *   e = 0        subnormal  (-1)^s * m * 2^-24          (includes +-0)
 *   e = 31       m = 0 -> +-Infinity, otherwise NaN
 *   otherwise    normal     (-1)^s * (1024 + m) * 2^(e - 25)
 * BF16 is the top half of a float32, so its bits shifted left by 16 are the float32's bits.
 * Input bytes are little-endian (safetensors), read byte by byte so any alignment and host works.
 */

// POW[e] = 2^(e - 25) for the normal F16 exponents e = 1..30
const POW = new Float64Array(31);
for (let e = 1; e < 31; e++) POW[e] = 2 ** (e - 25);
const SUBNORMAL = 2 ** -24;

/** Decode `out.length` little-endian F16 values from `src` (2 bytes each) into `out`. */
export function decodeFloat16(src: Uint8Array, out: TypedArray): void {
  const n = out.length;
  for (let i = 0; i < n; i++) {
    const h = src[2 * i]! | (src[2 * i + 1]! << 8);
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    let v: number;
    if (e === 0) v = m * SUBNORMAL;
    else if (e === 31) v = m === 0 ? Number.POSITIVE_INFINITY : Number.NaN;
    else v = (1024 + m) * POW[e]!;
    out[i] = h & 0x8000 ? -v : v;
  }
}

/** Decode `out.length` little-endian BF16 values from `src` (2 bytes each) into `out`. */
export function decodeBFloat16(src: Uint8Array, out: TypedArray): void {
  const n = out.length;
  if (out instanceof Float32Array) {
    // write the float32 bit patterns through an integer view of the same memory (host order on
    // both sides, so this is endian-neutral)
    const bits = new Uint32Array(out.buffer, out.byteOffset, n);
    for (let i = 0; i < n; i++) bits[i] = (src[2 * i]! << 16) | (src[2 * i + 1]! << 24);
    return;
  }
  const scratchBits = new Uint32Array(1);
  const scratch = new Float32Array(scratchBits.buffer);
  for (let i = 0; i < n; i++) {
    scratchBits[0] = (src[2 * i]! << 16) | (src[2 * i + 1]! << 24);
    out[i] = scratch[0]!;
  }
}
