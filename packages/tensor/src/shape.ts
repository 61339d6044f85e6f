import { formatShape, ShapeError } from './errors.js';

/** Number of elements of a shape (1 for a scalar shape []). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides in elements: the last axis has stride 1. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function checkShape(op: string, arg: string, shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${op}: ${arg} must hold non-negative integers, got ${formatShape(shape)}`);
    }
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * NumPy broadcasting: align shapes on the right; each pair of sizes must be equal or one of them 1.
 */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)]!;
    const db = i < n - b.length ? 1 : b[i - (n - b.length)]!;
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else {
      throw new ShapeError(
        op,
        'shapes',
        'broadcastable shapes',
        `${formatShape(a)} and ${formatShape(b)}`,
        `${op}: cannot broadcast ${formatShape(a)} with ${formatShape(b)}`,
      );
    }
  }
  return out;
}

/** Resolve a possibly negative axis against `ndim`; RangeError naming the op when out of range. */
export function normalizeAxis(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    const range = ndim === 0 ? 'no axes (0-d tensor)' : `an integer in [${-ndim}, ${ndim - 1}]`;
    throw new RangeError(
      `${op}: axis ${axis} is out of range for a tensor of rank ${ndim}, expected ${range}`,
    );
  }
  return axis < 0 ? axis + ndim : axis;
}

/**
 * Resolve an axis argument for reductions: undefined/null means every axis; a number or a list is
 * normalized, sorted and checked for repeats.
 */
export function normalizeAxes(
  op: string,
  axes: number | readonly number[] | undefined | null,
  ndim: number,
): number[] {
  if (axes === undefined || axes === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = list.map((a) => normalizeAxis(op, a, ndim)).sort((x, y) => x - y);
  for (let i = 1; i < out.length; i++) {
    if (out[i] === out[i - 1])
      throw new RangeError(`${op}: axis ${out[i]} appears more than once in [${list.join(',')}]`);
  }
  return out;
}
