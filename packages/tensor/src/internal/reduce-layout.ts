import type { TypedArray } from '../dtype.js';
import type { Tensor } from '../tensor.js';

/**
 * Strided iteration shared by the reductions, softmax and the indexing ops.
 *
 * Several operands (x, an output, an accumulator ...) are walked together over one logical shape,
 * each with its own strides and offset. Axes where every operand is laid out contiguously with the
 * next are merged first, so a contiguous problem becomes one long row. The caller then loops
 *
 *   for (let r = 0; r < w.rows; r++) { tight loop of w.inner elements from w.pos[k], w.step[k]; w.next(); }
 *
 * The odometer advances once per row, never per element, and nothing is allocated inside the loop.
 */
export class RowWalker {
  /** Number of rows (product of all axes but the innermost; 0 when the shape has a size-0 axis). */
  readonly rows: number;
  /** Length of the innermost (coalesced) axis; 1 for a 0-d or all-size-1 shape. */
  readonly inner: number;
  /** Stride of the innermost axis, per operand. */
  readonly step: number[];
  /** Position of the current row's first element, per operand. */
  readonly pos: number[];
  private readonly shape: number[];
  private readonly strides: number[][];
  private readonly counter: Int32Array;

  constructor(shape: readonly number[], strides: readonly (readonly number[])[], offsets: readonly number[]) {
    const merged = coalesceMany(shape, strides);
    const nd = merged.shape.length;
    let total = 1;
    for (const d of shape) total *= d;
    this.inner = nd === 0 ? 1 : merged.shape[nd - 1]!;
    this.rows = total === 0 ? 0 : total / this.inner;
    this.step = merged.strides.map((s) => (nd === 0 ? 0 : s[nd - 1]!));
    this.pos = offsets.slice();
    this.shape = merged.shape.slice(0, Math.max(nd - 1, 0));
    this.strides = merged.strides.map((s) => s.slice(0, Math.max(nd - 1, 0)));
    this.counter = new Int32Array(this.shape.length);
  }

  /** Move every operand's position to the start of the next row (row-major over the outer axes). */
  next(): void {
    const { shape, strides, counter, pos } = this;
    const k = pos.length;
    for (let ax = shape.length - 1; ax >= 0; ax--) {
      const d = shape[ax]!;
      if (++counter[ax]! < d) {
        for (let o = 0; o < k; o++) pos[o]! += strides[o]![ax]!;
        return;
      }
      counter[ax] = 0;
      for (let o = 0; o < k; o++) pos[o]! -= strides[o]![ax]! * (d - 1);
    }
  }
}

/**
 * Drop size-1 axes and merge axis i into axis i-1 when, for every operand,
 * strides[i-1] = strides[i] * shape[i] (the pair is one contiguous run for all of them).
 */
export function coalesceMany(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === 1) continue;
    const last = outShape.length - 1;
    let merge = last >= 0;
    for (let o = 0; merge && o < strides.length; o++) {
      if (outStrides[o]![last] !== strides[o]![i]! * d) merge = false;
    }
    if (merge) {
      outShape[last]! *= d;
      for (let o = 0; o < strides.length; o++) outStrides[o]![last] = strides[o]![i]!;
    } else {
      outShape.push(d);
      for (let o = 0; o < strides.length; o++) outStrides[o]!.push(strides[o]![i]!);
    }
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * The memory offset of every element of a strided block, in row-major order. Gather-like ops
 * precompute this once for the block they copy many times (one allocation of the block's size).
 */
export function offsetTable(shape: readonly number[], strides: readonly number[], base = 0): Float64Array {
  let total = 1;
  for (const d of shape) total *= d;
  const table = new Float64Array(total);
  const w = new RowWalker(shape, [strides], [base]);
  const s = w.step[0]!;
  let q = 0;
  for (let r = 0; r < w.rows; r++) {
    const p = w.pos[0]!;
    for (let j = 0; j < w.inner; j++) table[q++] = p + j * s;
    w.next();
  }
  return table;
}

/** True when the block is one run of consecutive elements (so it can be copied with set/subarray). */
export function isDenseBlock(shape: readonly number[], strides: readonly number[]): boolean {
  const m = coalesceMany(shape, [strides]);
  return m.shape.length === 0 || (m.shape.length === 1 && m.strides[0]![0] === 1);
}

/**
 * Copy the view `src` into `dst`, laid out with `dstStrides` from `dstOffset` (a block of a larger
 * contiguous output, as concat writes). Both sides strided; long dense runs go through set().
 */
export function copyView(
  src: Tensor,
  dst: TypedArray,
  dstStrides: readonly number[],
  dstOffset: number,
): void {
  const w = new RowWalker(src.shape, [src.strides, dstStrides], [src.offset, dstOffset]);
  const [ss, ds] = w.step as [number, number];
  const sd = src.data;
  const n = w.inner;
  for (let r = 0; r < w.rows; r++) {
    const ps = w.pos[0]!;
    const pd = w.pos[1]!;
    if (ss === 1 && ds === 1 && n >= 64) dst.set(sd.subarray(ps, ps + n), pd);
    else for (let j = 0; j < n; j++) dst[pd + j * ds] = sd[ps + j * ss]!;
    w.next();
  }
}
