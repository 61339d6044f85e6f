import type { DType } from '../dtype.js';
import { dtypeMismatch, formatShape, ShapeError } from '../errors.js';
import { sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';

/** How an unexpected argument is named in a TypeError: `number 3`, `an array`, `undefined`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'Object'})`;
  return `${typeof value} ${String(value)}`;
}

export function expectTensor(op: string, arg: string, value: unknown): asserts value is Tensor {
  if (!(value instanceof Tensor)) {
    throw new TypeError(`${op}: ${arg} must be a Tensor, got ${describeValue(value)}`);
  }
}

export function expectNumber(op: string, arg: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') {
    throw new TypeError(`${op}: ${arg} must be a number, got ${describeValue(value)}`);
  }
}

/** A tensor operand must share the op's dtype: normkit never promotes. */
export function expectDtype(op: string, arg: string, t: Tensor, dtype: DType): void {
  if (t.dtype !== dtype) throw dtypeMismatch(op, arg, dtype, t.dtype);
}

/** An `out` argument: a contiguous Tensor of exactly the result's shape and dtype. */
export function checkOut(op: string, out: unknown, shape: readonly number[], dtype: DType): Tensor {
  expectTensor(op, 'out', out);
  expectDtype(op, 'out', out, dtype);
  if (!sameShape(out.shape, shape)) {
    throw new ShapeError(
      op,
      'out',
      formatShape(shape),
      formatShape(out.shape),
      `${op}: out has shape ${formatShape(out.shape)}, expected the result's shape ${formatShape(shape)}`,
    );
  }
  if (!out.isContiguous()) {
    throw new ShapeError(
      op,
      'out',
      'a contiguous tensor',
      `strides ${formatShape(out.strides)}`,
      `${op}: out must be contiguous, got strides ${formatShape(out.strides)} for shape ${formatShape(out.shape)}`,
    );
  }
  return out;
}

/**
 * In-place targets are written through their strides, so any view works except one that maps
 * several elements to one address: an axis of size > 1 with stride 0 (from expand or broadcasting).
 */
export function checkWritable(op: string, arg: string, target: Tensor): void {
  // an empty view writes nothing (and fresh empty tensors have 0 strides: [2,0,3] -> [0,3,1])
  if (target.size === 0) return;
  for (let i = 0; i < target.ndim; i++) {
    if (target.strides[i] === 0 && target.shape[i]! > 1) {
      throw new ShapeError(
        op,
        arg,
        'a view with no stride-0 axis of size > 1',
        `strides ${formatShape(target.strides)}`,
        `${op}: ${arg} is an expanded view (axis ${i} of size ${target.shape[i]} has stride 0, ` +
          `shape ${formatShape(target.shape)}, strides ${formatShape(target.strides)}), so one element ` +
          'would be written several times; write into a contiguous copy (.clone()) instead',
      );
    }
  }
}

/** A binary operand: a Tensor or a JS number. */
export function checkOperand(op: string, arg: string, value: unknown): asserts value is Tensor | number {
  if (!(value instanceof Tensor) && typeof value !== 'number') {
    throw new TypeError(`${op}: ${arg} must be a Tensor or a number, got ${describeValue(value)}`);
  }
}

/** A number operand in the op's dtype (float32 ops see the float32-rounded value, as torch). */
export function toDtype(value: number, dtype: DType): number {
  return dtype === 'float32' ? Math.fround(value) : value;
}
