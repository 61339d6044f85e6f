import { itemSize } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { sameWasmMemory } from '../wasm/memory.js';

/**
 * Strides of a view (shape, strides) read as if broadcast to `outShape`: axes it lacks (on the
 * left) and size-1 axes that outShape stretches get stride 0. The caller has checked that the
 * shapes broadcast.
 */
export function alignStrides(
  shape: readonly number[],
  strides: readonly number[],
  outShape: readonly number[],
): number[] {
  const n = outShape.length;
  const lead = n - shape.length;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    if (i < lead) out[i] = 0;
    else out[i] = shape[i - lead] === outShape[i] ? strides[i - lead]! : 0;
  }
  return out;
}

/** True when `shape` broadcasts to exactly `target` (NumPy rules, one direction only). */
export function broadcastsTo(shape: readonly number[], target: readonly number[]): boolean {
  const lead = target.length - shape.length;
  if (lead < 0) return false;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d !== 1 && d !== target[i + lead]) return false;
  }
  return true;
}

/**
 * Row-by-row iteration of k operands over one logical shape, for elementwise kernels.
 *
 * The axes are coalesced jointly: size-1 axes are dropped and axis j folds into the axis before it
 * when stride_k[prev] = stride_k[j] * shape[j] for every operand k (so [B,T,C] + [C] becomes
 * [B*T, C] with strides (C, 1), (0, 1)). The last axis left is the inner row the kernel runs as a
 * tight loop with per-operand strides `innerStrides`; the outer axes advance `pos` (the start of
 * the current row in each operand; the offsets array passed in is taken over) like an odometer: no recursion and no allocation per row.
 * Elementwise results do not depend on the visiting order, so the axes may be reordered first:
 * `orderBy` sorts them by that operand's |stride|, largest outside, which makes a transposed
 * in-place target walk its memory in order.
 */
export class RowLoop {
  /** Number of rows (0 when any axis has size 0). */
  readonly rows: number;
  /** Length of each row. */
  readonly inner: number;
  readonly innerStrides: number[];
  /** Offset of the current row's first element in each operand's data. */
  readonly pos: number[];
  private readonly outerShape: number[];
  /** outerStrides[ax * k + q]: stride of operand q on outer axis ax. */
  private readonly outerStrides: number[];
  private readonly counter: number[];

  constructor(
    shape: readonly number[],
    strides: readonly (readonly number[])[],
    offsets: number[],
    orderBy = -1,
  ) {
    const k = strides.length;
    let axes: number[] = [];
    let empty = false;
    for (let i = 0; i < shape.length; i++) {
      if (shape[i] === 0) empty = true;
      else if (shape[i]! > 1) axes.push(i);
    }
    if (orderBy >= 0 && axes.length > 1) {
      const s = strides[orderBy]!;
      // stable: equal |strides| keep their logical order
      axes = axes
        .map((ax, i) => ({ ax, i }))
        .sort((p, q) => Math.abs(s[q.ax]!) - Math.abs(s[p.ax]!) || p.i - q.i)
        .map((p) => p.ax);
    }
    // dims[d] and st[d * k + q] of the coalesced axes
    const dims: number[] = [];
    const st: number[] = [];
    for (const ax of axes) {
      const d = shape[ax]!;
      const last = dims.length - 1;
      let merge = last >= 0;
      for (let q = 0; q < k && merge; q++) merge = st[last * k + q] === strides[q]![ax]! * d;
      if (merge) {
        dims[last]! *= d;
        for (let q = 0; q < k; q++) st[last * k + q] = strides[q]![ax]!;
      } else {
        dims.push(d);
        for (let q = 0; q < k; q++) st.push(strides[q]![ax]!);
      }
    }
    const nOuter = Math.max(dims.length - 1, 0);
    this.inner = dims.length > 0 ? dims[nOuter]! : 1;
    this.innerStrides = dims.length > 0 ? st.slice(nOuter * k) : new Array<number>(k).fill(0);
    this.outerShape = dims.slice(0, nOuter);
    this.outerStrides = st.slice(0, nOuter * k);
    this.counter = new Array<number>(nOuter).fill(0);
    this.pos = offsets;
    let rows = 1;
    for (let i = 0; i < nOuter; i++) rows *= dims[i]!;
    this.rows = empty ? 0 : rows;
  }

  /** Move `pos` to the start of the next row. */
  next(): void {
    const k = this.pos.length;
    const pos = this.pos;
    const st = this.outerStrides;
    for (let ax = this.outerShape.length - 1; ax >= 0; ax--) {
      const base = ax * k;
      for (let q = 0; q < k; q++) pos[q]! += st[base + q]!;
      const d = this.outerShape[ax]!;
      if (++this.counter[ax]! < d) return;
      for (let q = 0; q < k; q++) pos[q]! -= st[base + q]! * d;
      this.counter[ax] = 0;
    }
  }
}

/** [first, last] byte addresses (within the buffer) of the elements a view can touch. */
function byteSpan(t: Tensor): [number, number] {
  let lo = t.offset;
  let hi = t.offset;
  for (let i = 0; i < t.shape.length; i++) {
    const span = (t.shape[i]! - 1) * t.strides[i]!;
    if (span < 0) lo += span;
    else hi += span;
  }
  const size = itemSize(t.dtype);
  return [t.data.byteOffset + lo * size, t.data.byteOffset + hi * size + size - 1];
}

/**
 * True when two non-empty views may share memory (same buffer, or two generations of the grown
 * wasm memory, whose byte offsets are all addresses in it; and intersecting byte spans).
 */
export function mayOverlap(a: Tensor, b: Tensor): boolean {
  if (!sameWasmMemory(a.data.buffer, b.data.buffer) || a.size === 0 || b.size === 0) return false;
  const [alo, ahi] = byteSpan(a);
  const [blo, bhi] = byteSpan(b);
  return alo <= bhi && blo <= ahi;
}

/**
 * True when `input`, broadcast to `dst`'s shape, reads every element from the very address `dst`
 * writes it to (x op= x, or out = x with x of the output's shape and layout). Then reading and
 * writing element by element is safe; any other overlap needs a copy of the input first.
 */
export function sameElements(input: Tensor, dst: Tensor): boolean {
  if (!sameWasmMemory(input.data.buffer, dst.data.buffer)) return false;
  const size = itemSize(input.dtype);
  if (input.data.byteOffset + input.offset * size !== dst.data.byteOffset + dst.offset * size) return false;
  const aligned = alignStrides(input.shape, input.strides, dst.shape);
  for (let i = 0; i < dst.shape.length; i++) {
    if (dst.shape[i]! > 1 && aligned[i] !== dst.strides[i]) return false;
  }
  return true;
}

/**
 * The input to read when writing into `dst`: the input itself, unless it overlaps `dst` in some
 * other way than element-for-element, in which case a contiguous copy (so the result is as if the
 * inputs were read before anything was written, as NumPy guarantees).
 */
export function readable(input: Tensor, dst: Tensor): Tensor {
  return mayOverlap(input, dst) && !sameElements(input, dst) ? input.clone() : input;
}
