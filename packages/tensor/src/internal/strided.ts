import type { TypedArray } from '../dtype.js';

/**
 * Merge adjacent axes that are laid out contiguously with each other (stride[i] = stride[i+1] *
 * shape[i+1]) and drop size-1 axes, so strided loops run over as few, as long, axes as possible.
 * A contiguous tensor collapses to one axis. Returns the merged shape and strides.
 */
export function coalesce(
  shape: readonly number[],
  strides: readonly number[],
): { shape: number[]; strides: number[] } {
  const outShape: number[] = [];
  const outStrides: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === 1) continue;
    const s = strides[i]!;
    const last = outShape.length - 1;
    if (last >= 0 && outStrides[last] === s * d) {
      outShape[last]! *= d;
      outStrides[last] = s;
    } else {
      outShape.push(d);
      outStrides.push(s);
    }
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Copy the strided view (srcShape/srcStrides at srcOffset) into `dst` in row-major order starting at
 * dstOffset. The innermost axis is a tight loop; outer axes advance with an odometer (no recursion,
 * no per-element allocation).
 */
export function copyStrided(
  src: TypedArray,
  srcOffset: number,
  srcShape: readonly number[],
  srcStrides: readonly number[],
  dst: TypedArray,
  dstOffset: number,
): void {
  const { shape, strides } = coalesce(srcShape, srcStrides);
  let total = 1;
  for (const d of srcShape) total *= d;
  if (total === 0) return;
  const nd = shape.length;
  if (nd === 0) {
    dst[dstOffset] = src[srcOffset]!;
    return;
  }
  const inner = shape[nd - 1]!;
  const innerStride = strides[nd - 1]!;
  if (nd === 1 && innerStride === 1) {
    dst.set(src.subarray(srcOffset, srcOffset + inner), dstOffset);
    return;
  }
  const counter = new Array<number>(nd - 1).fill(0);
  let base = srcOffset;
  let o = dstOffset;
  const outer = total / inner;
  for (let r = 0; r < outer; r++) {
    if (innerStride === 1) {
      for (let j = 0; j < inner; j++) dst[o + j] = src[base + j]!;
    } else {
      for (let j = 0, p = base; j < inner; j++, p += innerStride) dst[o + j] = src[p]!;
    }
    o += inner;
    // advance the odometer over the outer axes
    for (let ax = nd - 2; ax >= 0; ax--) {
      base += strides[ax]!;
      if (++counter[ax]! < shape[ax]!) break;
      base -= strides[ax]! * shape[ax]!;
      counter[ax] = 0;
    }
  }
}
