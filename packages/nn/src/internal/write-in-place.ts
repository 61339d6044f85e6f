import { allocate, formatShape, type Tensor, type TypedArray } from '@normkit/tensor';

/**
 * In-place writes into a tensor that may be a view. `fill(out, start, n)` writes n values into
 * out[start, start + n) in the order they should appear in `t`'s row-major element order. For a
 * contiguous tensor that is the storage itself; otherwise values go to a scratch buffer of t's
 * dtype and are scattered through the strides, so a view receives exactly the values (same
 * rounding, same random stream) a contiguous tensor of its shape would.
 */
export function writeInPlace(
  op: string,
  t: Tensor,
  fill: (out: TypedArray, start: number, n: number) => void,
): Tensor {
  if (t.size === 0) return t;
  for (let i = 0; i < t.ndim; i++) {
    if (t.strides[i] === 0 && t.shape[i]! > 1) {
      throw new RangeError(
        `${op}: tensor expected distinct memory for every element, got shape ${formatShape(t.shape)} with ` +
          `strides ${formatShape(t.strides)} (axis ${i} repeats one element, e.g. from expand); clone it first`,
      );
    }
  }
  if (t.isContiguous()) {
    fill(t.data, t.offset, t.size);
    return t;
  }
  const scratch = allocate(t.dtype, t.size);
  fill(scratch, 0, t.size);
  scatter(scratch, t);
  return t;
}

/** data[offset + sum_i idx_i * strides_i] = src[k] for the k-th index in row-major order. */
function scatter(src: TypedArray, t: Tensor): void {
  const nd = t.ndim;
  const shape = t.shape;
  const strides = t.strides;
  const data = t.data;
  const inner = shape[nd - 1]!;
  const innerStride = strides[nd - 1]!;
  const counter = new Array<number>(nd).fill(0);
  let base = t.offset;
  for (let k = 0; k < src.length; k += inner) {
    for (let j = 0, p = base; j < inner; j++, p += innerStride) data[p] = src[k + j]!;
    // advance the odometer over the outer axes
    for (let ax = nd - 2; ax >= 0; ax--) {
      base += strides[ax]!;
      if (++counter[ax]! < shape[ax]!) break;
      base -= strides[ax]! * shape[ax]!;
      counter[ax] = 0;
    }
  }
}
