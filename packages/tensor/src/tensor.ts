import { type DType, dtypeOf, type TypedArray } from './dtype.js';
import { formatShape, ShapeError } from './errors.js';
import { coalesce, copyStrided } from './internal/strided.js';
import { checkShape, contiguousStrides, normalizeAxis, sameShape, sizeOf } from './shape.js';
import { allocateUninit } from './storage.js';

/** Nested number arrays as returned by `toArray()`; a 0-d tensor gives a plain number. */
export type NestedArray = number | NestedArray[];

/**
 * An n-dimensional view over a Float32Array or Float64Array.
 *
 * Layout (as PyTorch and candle): element [i0, i1, ...] lives at
 *   data[offset + i0 * strides[0] + i1 * strides[1] + ...]
 * with strides in elements, one per axis. A fresh tensor is row-major contiguous; views made by
 * permute, transpose, slice, expand (stride 0) and most reshapes share `data` without copying.
 * Tensors are immutable in shape; only the in-place ops of the elementwise module write to `data`.
 */
export class Tensor {
  readonly data: TypedArray;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;

  constructor(data: TypedArray, shape: readonly number[], strides?: readonly number[], offset = 0) {
    checkShape('Tensor', 'shape', shape);
    const size = sizeOf(shape);
    const st = strides ?? contiguousStrides(shape);
    if (st.length !== shape.length) {
      throw new ShapeError('Tensor', 'strides', `${shape.length} strides`, `${st.length}`);
    }
    if (size > 0) {
      // every addressed element must lie inside data
      let lo = offset;
      let hi = offset;
      for (let i = 0; i < shape.length; i++) {
        const span = (shape[i]! - 1) * st[i]!;
        if (span < 0) lo += span;
        else hi += span;
      }
      if (lo < 0 || hi >= data.length) {
        throw new RangeError(
          `Tensor: view of shape ${formatShape(shape)} with strides ${formatShape(st)} and offset ${offset} ` +
            `reaches elements [${lo}, ${hi}] outside a buffer of ${data.length}`,
        );
      }
    }
    this.data = data;
    this.shape = Object.freeze(shape.slice());
    this.strides = Object.freeze(st.slice());
    this.offset = offset;
    this.dtype = dtypeOf(data);
    this.size = size;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** True when the elements are row-major contiguous (data[offset .. offset+size)). */
  isContiguous(): boolean {
    let expected = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      const d = this.shape[i]!;
      if (d !== 1 && this.strides[i] !== expected) return false;
      expected *= d;
    }
    return true;
  }

  /** This tensor if already contiguous, otherwise a contiguous copy. */
  contiguous(): Tensor {
    return this.isContiguous() ? this : this.clone();
  }

  /** A contiguous copy that shares nothing with this tensor. */
  clone(): Tensor {
    const out = allocateUninit(this.dtype, this.size);
    copyStrided(this.data, this.offset, this.shape, this.strides, out, 0);
    return new Tensor(out, this.shape);
  }

  /** The elements in row-major order as a new typed array of this dtype. */
  toTypedArray(): TypedArray {
    const out = this.dtype === 'float64' ? new Float64Array(this.size) : new Float32Array(this.size);
    copyStrided(this.data, this.offset, this.shape, this.strides, out, 0);
    return out;
  }

  /** The elements in row-major order as a plain number array. */
  toFlatArray(): number[] {
    return Array.from(this.toTypedArray());
  }

  /** Nested arrays (a number for a 0-d tensor), as numpy's tolist(). */
  toArray(): NestedArray {
    const flat = this.toTypedArray();
    if (this.shape.length === 0) return flat[0]!;
    let pos = 0;
    const build = (axis: number): NestedArray[] => {
      const n = this.shape[axis]!;
      const out: NestedArray[] = new Array(n);
      if (axis === this.shape.length - 1) {
        for (let i = 0; i < n; i++) out[i] = flat[pos++]!;
      } else {
        for (let i = 0; i < n; i++) out[i] = build(axis + 1);
      }
      return out;
    };
    return build(0);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new ShapeError('item', 'tensor', 'exactly one element', `shape ${formatShape(this.shape)}`);
    }
    return this.data[this.offset]!;
  }

  /** The element at a full index (negative indices count from the end). */
  get(...index: number[]): number {
    if (index.length !== this.shape.length) {
      throw new ShapeError('get', 'index', `${this.shape.length} indices`, `${index.length}`);
    }
    let p = this.offset;
    for (let i = 0; i < index.length; i++) {
      const d = this.shape[i]!;
      let k = index[i]!;
      if (!Number.isInteger(k) || k < -d || k >= d) {
        throw new RangeError(`get: index ${k} is out of range for axis ${i} of size ${d}`);
      }
      if (k < 0) k += d;
      p += k * this.strides[i]!;
    }
    return this.data[p]!;
  }

  /** Same values in another dtype (a copy; returns this when the dtype already matches). */
  astype(dtype: DType): Tensor {
    if (dtype === this.dtype) return this;
    const out = allocateUninit(dtype, this.size);
    copyStrided(this.data, this.offset, this.shape, this.strides, out, 0);
    return new Tensor(out, this.shape);
  }

  /**
   * A tensor of the given shape with the same elements in row-major order. One size may be -1
   * (inferred). Returns a view when the strides allow it (always for contiguous tensors), a copy
   * otherwise, as torch.reshape.
   */
  reshape(shape: readonly number[]): Tensor {
    const target = inferShape('reshape', shape, this.size, this.shape);
    const strides = viewStrides(this.shape, this.strides, target);
    if (strides) return new Tensor(this.data, target, strides, this.offset);
    return this.clone().reshape(target);
  }

  /** As reshape, but throws instead of copying when no view is possible (torch.view). */
  view(shape: readonly number[]): Tensor {
    const target = inferShape('view', shape, this.size, this.shape);
    const strides = viewStrides(this.shape, this.strides, target);
    if (!strides) {
      throw new ShapeError(
        'view',
        'shape',
        'a shape compatible with the strides (call .reshape() to copy)',
        `${formatShape(target)} for a view of shape ${formatShape(this.shape)} with strides ${formatShape(this.strides)}`,
      );
    }
    return new Tensor(this.data, target, strides, this.offset);
  }

  /** Collapse axes start..end (inclusive) into one. */
  flatten(start = 0, end = -1): Tensor {
    if (this.ndim === 0) return this.reshape([1]);
    const s = normalizeAxis('flatten', start, this.ndim);
    const e = normalizeAxis('flatten', end, this.ndim);
    if (s > e) throw new RangeError(`flatten: start axis ${start} comes after end axis ${end}`);
    const merged = this.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
    return this.reshape([...this.shape.slice(0, s), merged, ...this.shape.slice(e + 1)]);
  }

  /** Reorder axes (a view): out.shape[i] = shape[axes[i]]. */
  permute(axes: readonly number[]): Tensor {
    if (axes.length !== this.ndim) {
      throw new ShapeError('permute', 'axes', `${this.ndim} axes`, `[${axes.join(',')}]`);
    }
    const seen = new Array<boolean>(this.ndim).fill(false);
    const norm = axes.map((a) => normalizeAxis('permute', a, this.ndim));
    for (const a of norm) {
      if (seen[a]) throw new RangeError(`permute: axis ${a} appears more than once in [${axes.join(',')}]`);
      seen[a] = true;
    }
    return new Tensor(
      this.data,
      norm.map((a) => this.shape[a]!),
      norm.map((a) => this.strides[a]!),
      this.offset,
    );
  }

  /** Swap two axes (a view); by default the last two, i.e. the matrix transpose of each batch. */
  transpose(axis0 = -2, axis1 = -1): Tensor {
    const a = normalizeAxis('transpose', axis0, this.ndim);
    const b = normalizeAxis('transpose', axis1, this.ndim);
    const axes = Array.from({ length: this.ndim }, (_, i) => i);
    axes[a] = b;
    axes[b] = a;
    return this.permute(axes);
  }

  /**
   * Elements start, start+step, ... before end along one axis (a view). start/end follow Python
   * slicing: negative values count from the end and are clamped to the axis; step must be positive.
   */
  slice(axis: number, start = 0, end?: number, step = 1): Tensor {
    const ax = normalizeAxis('slice', axis, this.ndim);
    const d = this.shape[ax]!;
    if (!Number.isInteger(step) || step <= 0)
      throw new RangeError(`slice: step must be a positive integer, got ${step}`);
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
    const s = clamp(start);
    const e = clamp(end ?? d);
    const n = e > s ? Math.ceil((e - s) / step) : 0;
    const shape = this.shape.slice();
    const strides = this.strides.slice();
    shape[ax] = n;
    strides[ax] = this.strides[ax]! * step;
    return new Tensor(this.data, shape, strides, n > 0 ? this.offset + s * this.strides[ax]! : this.offset);
  }

  /** `length` elements from `start` along one axis (a view); out-of-range is an error, as torch.narrow. */
  narrow(axis: number, start: number, length: number): Tensor {
    const ax = normalizeAxis('narrow', axis, this.ndim);
    const d = this.shape[ax]!;
    if (
      !Number.isInteger(start) ||
      !Number.isInteger(length) ||
      start < 0 ||
      length < 0 ||
      start + length > d
    ) {
      throw new RangeError(`narrow: start ${start} and length ${length} do not fit axis ${ax} of size ${d}`);
    }
    return this.slice(ax, start, start + length);
  }

  /** The sub-tensor at `index` along `axis`, with that axis removed (a view). */
  select(axis: number, index: number): Tensor {
    const ax = normalizeAxis('select', axis, this.ndim);
    const d = this.shape[ax]!;
    if (!Number.isInteger(index) || index < -d || index >= d) {
      throw new RangeError(`select: index ${index} is out of range for axis ${ax} of size ${d}`);
    }
    const k = index < 0 ? index + d : index;
    const shape = this.shape.filter((_, i) => i !== ax);
    const strides = this.strides.filter((_, i) => i !== ax);
    return new Tensor(this.data, shape, strides, this.offset + k * this.strides[ax]!);
  }

  /**
   * Broadcast to a larger shape without copying: size-1 axes (and new leading axes) get stride 0.
   * -1 keeps an axis's size, as torch.expand.
   */
  expand(shape: readonly number[]): Tensor {
    const nd = shape.length;
    if (nd < this.ndim) {
      throw new ShapeError('expand', 'shape', `at least ${this.ndim} axes`, formatShape(shape));
    }
    const lead = nd - this.ndim;
    const outShape = new Array<number>(nd);
    const outStrides = new Array<number>(nd);
    for (let i = 0; i < nd; i++) {
      const want = shape[i]!;
      if (i < lead) {
        if (want < 0) throw new RangeError(`expand: size -1 is not allowed for new leading axis ${i}`);
        outShape[i] = want;
        outStrides[i] = 0;
        continue;
      }
      const have = this.shape[i - lead]!;
      const target = want === -1 ? have : want;
      if (target === have) {
        outShape[i] = have;
        outStrides[i] = this.strides[i - lead]!;
      } else if (have === 1) {
        outShape[i] = target;
        outStrides[i] = 0;
      } else {
        throw new ShapeError(
          'expand',
          'shape',
          `size ${have} or 1 at axis ${i}`,
          formatShape(shape),
          `expand: cannot expand ${formatShape(this.shape)} to ${formatShape(shape)}`,
        );
      }
    }
    checkShape('expand', 'shape', outShape);
    return new Tensor(this.data, outShape, outStrides, this.offset);
  }

  /** Remove size-1 axes (all of them, or the given ones, which must have size 1). */
  squeeze(axes?: number | readonly number[]): Tensor {
    let drop: Set<number>;
    if (axes === undefined) {
      drop = new Set(this.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
    } else {
      drop = new Set(
        (typeof axes === 'number' ? [axes] : axes).map((a) => normalizeAxis('squeeze', a, this.ndim)),
      );
      for (const a of drop) {
        if (this.shape[a] !== 1) {
          throw new ShapeError('squeeze', 'axes', `size 1 at axis ${a}`, `size ${this.shape[a]}`);
        }
      }
    }
    return new Tensor(
      this.data,
      this.shape.filter((_, i) => !drop.has(i)),
      this.strides.filter((_, i) => !drop.has(i)),
      this.offset,
    );
  }

  /** Insert a size-1 axis at `axis` (in the output's numbering, so -1 appends). */
  unsqueeze(axis: number): Tensor {
    const ax = normalizeAxis('unsqueeze', axis, this.ndim + 1);
    const shape = this.shape.slice();
    const strides = this.strides.slice();
    const stride = ax < this.ndim ? this.strides[ax]! * this.shape[ax]! : 1;
    shape.splice(ax, 0, 1);
    strides.splice(ax, 0, stride);
    return new Tensor(this.data, shape, strides, this.offset);
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype})`;
  }
}

function inferShape(op: string, shape: readonly number[], size: number, from: readonly number[]): number[] {
  const out = shape.slice();
  let infer = -1;
  let known = 1;
  for (let i = 0; i < out.length; i++) {
    const d = out[i]!;
    if (d === -1) {
      if (infer >= 0) throw new RangeError(`${op}: only one size may be -1, got ${formatShape(shape)}`);
      infer = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${op}: sizes must be non-negative integers or -1, got ${formatShape(shape)}`);
    } else known *= d;
  }
  if (infer >= 0) {
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(
        op,
        'shape',
        `a shape with ${size} elements`,
        `${formatShape(shape)} (from ${formatShape(from)})`,
      );
    }
    out[infer] = size / known;
  } else if (known !== size) {
    throw new ShapeError(
      op,
      'shape',
      `a shape with ${size} elements`,
      `${formatShape(shape)} with ${known}`,
      `${op}: cannot reshape ${formatShape(from)} (${size} elements) to ${formatShape(shape)} (${known} elements)`,
    );
  }
  return out;
}

/**
 * Strides for viewing (shape, strides) as `target` without copying, or null when impossible.
 * Works chunk by chunk: each run of input axes that is contiguous within itself can be re-split
 * into any target axes with the same product (the algorithm of torch's computeStride).
 */
function viewStrides(
  shape: readonly number[],
  strides: readonly number[],
  target: readonly number[],
): number[] | null {
  if (sameShape(shape, target)) return strides.slice();
  const size = sizeOf(shape);
  if (size === 0 || size === 1) return contiguousStrides(target);
  const merged = coalesce(shape, strides);
  const out = new Array<number>(target.length);
  let t = target.length - 1;
  for (let c = merged.shape.length - 1; c >= 0; c--) {
    let chunk = merged.shape[c]!;
    let stride = merged.strides[c]!;
    while (chunk > 1 || (t >= 0 && target[t] === 1 && chunk === 1)) {
      if (t < 0) return null;
      const d = target[t]!;
      if (d === 1) {
        out[t] = stride * 1;
        t--;
        continue;
      }
      if (chunk % d !== 0) return null;
      out[t] = stride;
      stride *= d;
      chunk /= d;
      t--;
    }
  }
  while (t >= 0) {
    if (target[t] !== 1) return null;
    out[t] = 1;
    t--;
  }
  return out;
}
