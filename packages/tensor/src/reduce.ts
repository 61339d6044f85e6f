import { formatShape, ShapeError } from './errors.js';
import {
  ARGMAX,
  ARGMIN,
  type Axes,
  checkNonEmpty,
  MAX,
  MIN,
  planReduce,
  type ReducePlan,
  runReduce,
  SQDEV,
  SUM,
} from './internal/reduce-kernels.js';
import { sumWasm } from './internal/wasm/reduce-wasm.js';
import { checkShape } from './shape.js';
import { allocateUninit } from './storage.js';
import { Tensor } from './tensor.js';

export type { Axes } from './internal/reduce-kernels.js';
export { logSoftmax, logsumexp, softmax } from './softmax.js';

/**
 * Reductions over a set of axes (undefined = every axis, negative axes count from the end).
 * Every reduction accumulates in float64 and rounds once into the input's dtype; the result is a
 * fresh contiguous tensor (with size-1 axes in place of the reduced ones when keepdims is true).
 */
export interface ReduceOptions {
  keepdims?: boolean;
}

export interface VarianceOptions extends ReduceOptions {
  /** Subtracted from the element count in the divisor: 1 = unbiased (torch default), 0 = population. */
  correction?: number;
}

/** Sum of the elements over `axes`; 0 over an empty axis. */
export function sum(x: Tensor, axes?: Axes, opts: ReduceOptions = {}): Tensor {
  const plan = planReduce('sum', x, axes, opts.keepdims ?? false);
  const fast = sumWasm(x, plan, 1);
  if (fast !== null) return fast;
  const acc = new Float64Array(plan.outSize);
  runReduce(SUM, x, plan, acc, null);
  return store(x, plan, acc, 1, false);
}

/** Arithmetic mean over `axes`; NaN over an empty axis (0 / 0, as torch and numpy). */
export function mean(x: Tensor, axes?: Axes, opts: ReduceOptions = {}): Tensor {
  const plan = planReduce('mean', x, axes, opts.keepdims ?? false);
  const fast = sumWasm(x, plan, plan.count);
  if (fast !== null) return fast;
  const acc = new Float64Array(plan.outSize);
  runReduce(SUM, x, plan, acc, null);
  return store(x, plan, acc, plan.count, false);
}

/**
 * sum((x - mean)^2) / max(0, n - correction), by two passes: the mean first, then the squared
 * deviations from it. (E[x^2] - E[x]^2 cancels catastrophically on rows like [40000 .. 40003].)
 * n <= correction gives NaN or Infinity, as torch.
 */
export function variance(x: Tensor, axes?: Axes, opts: VarianceOptions = {}): Tensor {
  return moments('variance', x, axes, opts, false);
}

/** sqrt(variance(x, axes, opts)). */
export function std(x: Tensor, axes?: Axes, opts: VarianceOptions = {}): Tensor {
  return moments('std', x, axes, opts, true);
}

function moments(op: string, x: Tensor, axes: Axes, opts: VarianceOptions, root: boolean): Tensor {
  const correction = opts.correction ?? 1;
  if (typeof correction !== 'number' || !Number.isFinite(correction) || correction < 0) {
    throw new RangeError(`${op}: correction must be a finite number >= 0, got ${correction}`);
  }
  const plan = planReduce(op, x, axes, opts.keepdims ?? false);
  const mu = new Float64Array(plan.outSize);
  runReduce(SUM, x, plan, mu, null);
  for (let i = 0; i < mu.length; i++) mu[i]! /= plan.count;
  const acc = new Float64Array(plan.outSize);
  if (plan.count > 0) runReduce(SQDEV, x, plan, acc, mu);
  return store(x, plan, acc, Math.max(0, plan.count - correction), root);
}

/** Largest element over `axes`; NaN if any element is NaN (as torch.amax). RangeError over an empty axis. */
export function max(x: Tensor, axes?: Axes, opts: ReduceOptions = {}): Tensor {
  return extreme('max', MAX, x, axes, opts);
}

/** Smallest element over `axes`; NaN if any element is NaN (as torch.amin). RangeError over an empty axis. */
export function min(x: Tensor, axes?: Axes, opts: ReduceOptions = {}): Tensor {
  return extreme('min', MIN, x, axes, opts);
}

function extreme(op: string, kind: typeof MAX | typeof MIN, x: Tensor, axes: Axes, opts: ReduceOptions) {
  const plan = planReduce(op, x, axes, opts.keepdims ?? false);
  checkNonEmpty(op, x, plan);
  const acc = new Float64Array(plan.outSize).fill(kind === MAX ? -Infinity : Infinity);
  runReduce(kind, x, plan, acc, null);
  return store(x, plan, acc, 1, false);
}

/**
 * Index of the largest element along `axis`, or into the flattened tensor when axis is undefined
 * (keepdims then gives a shape of all ones). First occurrence on ties; the first NaN if any (as
 * torch and numpy). Indices are returned as a tensor of x's dtype.
 */
export function argmax(x: Tensor, axis?: number, opts: ReduceOptions = {}): Tensor {
  return argExtreme('argmax', ARGMAX, x, axis, opts);
}

/** Index of the smallest element; see argmax. */
export function argmin(x: Tensor, axis?: number, opts: ReduceOptions = {}): Tensor {
  return argExtreme('argmin', ARGMIN, x, axis, opts);
}

/** Largest integer n such that every integer in [0, n] is exact in float32. */
const FLOAT32_EXACT_INT = 2 ** 24;

function argExtreme(
  op: string,
  kind: typeof ARGMAX | typeof ARGMIN,
  x: Tensor,
  axis: number | undefined,
  opts: ReduceOptions,
): Tensor {
  if (axis !== undefined && typeof axis !== 'number') {
    throw new RangeError(`${op}: axis must be a single integer or undefined, got ${JSON.stringify(axis)}`);
  }
  const plan = planReduce(op, x, axis, opts.keepdims ?? false);
  checkNonEmpty(op, x, plan);
  if (x.dtype === 'float32' && plan.count > FLOAT32_EXACT_INT) {
    throw new RangeError(
      `${op}: ${plan.count} candidates per result cannot all be indexed exactly in float32 ` +
        `(at most ${FLOAT32_EXACT_INT}); convert with .astype('float64')`,
    );
  }
  const best = new Float64Array(plan.outSize).fill(kind === ARGMAX ? -Infinity : Infinity);
  const index = new Float64Array(plan.outSize).fill(-1);
  runReduce(kind, x, plan, best, index);
  return store(x, plan, index, 1, false);
}

/**
 * Sum x down to `shape`, a shape that broadcasts to x.shape: the leading axes x has in addition are
 * summed away, and so are the axes where `shape` has 1 but x does not. This undoes broadcasting
 * (autograd's un-broadcast of a gradient): sumTo(expand(t, s), t.shape) = t * (size(s) / size(t)).
 * Always returns a fresh tensor of exactly `shape`.
 */
export function sumTo(x: Tensor, shape: readonly number[]): Tensor {
  checkShape('sumTo', 'shape', shape);
  const lead = x.ndim - shape.length;
  const fits = lead >= 0 && shape.every((d, i) => d === x.shape[lead + i] || d === 1);
  if (!fits) {
    throw new ShapeError(
      'sumTo',
      'shape',
      `a shape that broadcasts to ${formatShape(x.shape)}`,
      formatShape(shape),
      `sumTo: cannot sum ${formatShape(x.shape)} down to ${formatShape(shape)}, which does not broadcast to it`,
    );
  }
  const axes: number[] = [];
  for (let i = 0; i < x.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && x.shape[i] !== 1)) axes.push(i);
  }
  return sum(x, axes, { keepdims: true }).reshape(shape);
}

/** Round acc / divisor (or its square root) into a fresh tensor of x's dtype and the planned shape. */
function store(x: Tensor, plan: ReducePlan, acc: Float64Array, divisor: number, root: boolean): Tensor {
  const out = allocateUninit(x.dtype, plan.outSize); // every element is written below
  if (root) for (let i = 0; i < acc.length; i++) out[i] = Math.sqrt(acc[i]! / divisor);
  else if (divisor === 1) out.set(acc);
  else for (let i = 0; i < acc.length; i++) out[i] = acc[i]! / divisor;
  return new Tensor(out, plan.outShape);
}
