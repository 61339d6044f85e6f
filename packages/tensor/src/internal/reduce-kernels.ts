import type { TypedArray } from '../dtype.js';
import { formatShape } from '../errors.js';
import { normalizeAxes } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { RowWalker } from './reduce-layout.js';
import { rowSum } from './row-sum.js';

/**
 * The one reduction engine behind sum/mean/variance/max/argmax/logsumexp.
 *
 * Every element x[i] is folded into a float64 accumulator acc[o(i)], where o(i) is the output
 * position (the kept axes in row-major order). Each axis of x therefore has three strides: its stride
 * in x, its stride in acc (0 for a reduced axis) and, for the arg-reductions, its stride in the
 * flattened reduced index (0 for a kept axis). RowWalker walks them together, innermost axis in a
 * tight loop, so:
 *   - reducing the last axis of a contiguous tensor is one tight register loop per row (acc step 0);
 *   - reducing a leading axis (sum over rows, the bias gradient) walks x in memory order and adds
 *     each row into acc with stride 1: no cache-hostile column walks;
 *   - any other view is iterated in the order of decreasing stride of x (memory order).
 */
export const SUM = 0;
export const MAX = 1;
export const MIN = 2;
/** acc += (x - aux)^2 with aux the per-output mean: the second pass of the two-pass variance. */
export const SQDEV = 3;
/** acc += exp(x - aux) with aux the per-output shift: the second pass of logsumexp. */
export const SUMEXP = 4;
/** acc = best value so far, aux = its flat reduced index. */
export const ARGMAX = 5;
export const ARGMIN = 6;
export type ReduceKind = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export interface ReducePlan {
  /** The reduced axes, normalized and sorted. */
  readonly reduced: readonly number[];
  readonly outShape: readonly number[];
  readonly outSize: number;
  /** Elements folded into each output (product of the reduced sizes; 1 when none). */
  readonly count: number;
}

export type Axes = number | readonly number[] | undefined;

/**
 * Validate `axes` and work out the output. A 0-d tensor accepts axis 0 / -1 (as torch) and reduces
 * nothing, so reductions of scalars are the scalar.
 */
export function planReduce(op: string, x: Tensor, axes: Axes, keepdims: boolean): ReducePlan {
  const nd = x.ndim;
  let reduced: number[];
  if (nd === 0) {
    checkScalarAxes(op, axes);
    reduced = [];
  } else reduced = normalizeAxes(op, axes, nd);
  const isReduced = new Array<boolean>(nd).fill(false);
  for (const a of reduced) isReduced[a] = true;
  const outShape: number[] = [];
  let outSize = 1;
  let count = 1;
  for (let i = 0; i < nd; i++) {
    const d = x.shape[i]!;
    if (isReduced[i]) {
      count *= d;
      if (keepdims) outShape.push(1);
    } else {
      outShape.push(d);
      outSize *= d;
    }
  }
  return { reduced, outShape, outSize, count };
}

/** A 0-d tensor is treated as one element along axis 0 (as torch): only 0 and -1 name it. */
export function checkScalarAxes(op: string, axes: Axes): void {
  if (axes === undefined) return;
  for (const a of typeof axes === 'number' ? [axes] : axes) {
    if (a !== 0 && a !== -1) {
      throw new RangeError(
        `${op}: axis ${a} is out of range for a 0-d tensor, expected 0 or -1 (or no axis)`,
      );
    }
  }
}

/** RangeError for max/min/argmax/argmin over zero elements (they have no identity, as torch/numpy). */
export function checkNonEmpty(op: string, x: Tensor, plan: ReducePlan): void {
  if (plan.count !== 0) return;
  const axis = plan.reduced.find((a) => x.shape[a] === 0)!;
  throw new RangeError(
    `${op}: cannot reduce over an empty axis (axis ${axis} of shape ${formatShape(x.shape)} has size 0)`,
  );
}

/**
 * Fold x into acc (length plan.outSize, already holding the identity). `aux` is the per-output
 * mean (SQDEV), shift (SUMEXP) or best index (ARG*). Arg-reductions over several axes keep the
 * logical axis order so ties resolve to the first element in row-major order.
 */
export function runReduce(
  kind: ReduceKind,
  x: Tensor,
  plan: ReducePlan,
  acc: Float64Array,
  aux: Float64Array | null,
): void {
  const nd = x.ndim;
  const isReduced = new Array<boolean>(nd).fill(false);
  for (const a of plan.reduced) isReduced[a] = true;
  // acc strides: row-major over the kept axes; idx strides: row-major over the reduced axes
  const accStride = new Array<number>(nd).fill(0);
  const idxStride = new Array<number>(nd).fill(0);
  let sa = 1;
  let si = 1;
  for (let i = nd - 1; i >= 0; i--) {
    if (isReduced[i]) {
      idxStride[i] = si;
      si *= x.shape[i]!;
    } else {
      accStride[i] = sa;
      sa *= x.shape[i]!;
    }
  }
  let order = Array.from({ length: nd }, (_, i) => i);
  const isArg = kind === ARGMAX || kind === ARGMIN;
  if (!x.isContiguous() && (!isArg || plan.reduced.length <= 1)) {
    // memory order: largest |stride| outermost; broadcast (stride 0) axes outermost of all
    const key = (i: number) => (x.strides[i] === 0 ? Number.MAX_SAFE_INTEGER : Math.abs(x.strides[i]!));
    order = order.sort((a, b) => key(b) - key(a));
  }
  const w = new RowWalker(
    order.map((i) => x.shape[i]!),
    [order.map((i) => x.strides[i]!), order.map((i) => accStride[i]!), order.map((i) => idxStride[i]!)],
    [x.offset, 0, 0],
  );
  const xd = x.data;
  const [xs, as, is] = w.step as [number, number, number];
  const n = w.inner;
  const auxArr = aux ?? acc;
  for (let r = 0; r < w.rows; r++) {
    reduceRow(kind, xd, w.pos[0]!, xs, acc, auxArr, w.pos[1]!, as, w.pos[2]!, is, n);
    w.next();
  }
  if (isArg && plan.count > 0) {
    // every element equal to the initial -inf (argmax) / +inf (argmin): the first one wins
    for (let o = 0; o < auxArr.length; o++) if (auxArr[o] === -1) auxArr[o] = 0;
  }
}

/** Fold one row of n elements (x from px by xs) into acc (from pa by as; as = 0: one output). */
function reduceRow(
  kind: ReduceKind,
  xd: TypedArray,
  px: number,
  xs: number,
  acc: Float64Array,
  aux: Float64Array,
  pa: number,
  as: number,
  pi: number,
  is: number,
  n: number,
): void {
  if (as === 0) {
    // the whole row folds into acc[pa]: keep the running value in a register
    let s = acc[pa]!;
    switch (kind) {
      case SUM:
        s += rowSum(xd, px, xs, n);
        break;
      // NaN propagates: !(v <= s) also catches a NaN v, and once s is NaN nothing can replace it
      case MAX:
        if (Number.isNaN(s)) break;
        for (let j = 0, p = px; j < n; j++, p += xs) {
          const v = xd[p]!;
          if (!(v <= s)) {
            s = v;
            if (Number.isNaN(v)) break;
          }
        }
        break;
      case MIN:
        if (Number.isNaN(s)) break;
        for (let j = 0, p = px; j < n; j++, p += xs) {
          const v = xd[p]!;
          if (!(v >= s)) {
            s = v;
            if (Number.isNaN(v)) break;
          }
        }
        break;
      case SQDEV: {
        const m = aux[pa]!;
        for (let j = 0, p = px; j < n; j++, p += xs) {
          const d = xd[p]! - m;
          s += d * d;
        }
        break;
      }
      case SUMEXP: {
        const m = aux[pa]!;
        for (let j = 0, p = px; j < n; j++, p += xs) s += Math.exp(xd[p]! - m);
        break;
      }
      case ARGMAX: {
        // as MAX, remembering where: the first NaN wins (as torch and numpy), else the first maximum
        if (Number.isNaN(s)) break;
        let bi = aux[pa]!;
        for (let j = 0, p = px; j < n; j++, p += xs) {
          const v = xd[p]!;
          if (!(v <= s)) {
            s = v;
            bi = pi + j * is;
            if (Number.isNaN(v)) break;
          }
        }
        aux[pa] = bi;
        break;
      }
      default: {
        if (Number.isNaN(s)) break;
        let bi = aux[pa]!;
        for (let j = 0, p = px; j < n; j++, p += xs) {
          const v = xd[p]!;
          if (!(v >= s)) {
            s = v;
            bi = pi + j * is;
            if (Number.isNaN(v)) break;
          }
        }
        aux[pa] = bi;
      }
    }
    acc[pa] = s;
    return;
  }
  // every element goes to its own output (a kept axis is innermost): add the row into acc
  switch (kind) {
    case SUM:
      for (let j = 0, p = px, q = pa; j < n; j++, p += xs, q += as) acc[q]! += xd[p]!;
      break;
    case MAX:
      for (let j = 0, p = px, q = pa; j < n; j++, p += xs, q += as) {
        const v = xd[p]!;
        if (v > acc[q]! || Number.isNaN(v)) acc[q] = v;
      }
      break;
    case MIN:
      for (let j = 0, p = px, q = pa; j < n; j++, p += xs, q += as) {
        const v = xd[p]!;
        if (v < acc[q]! || Number.isNaN(v)) acc[q] = v;
      }
      break;
    case SQDEV:
      for (let j = 0, p = px, q = pa; j < n; j++, p += xs, q += as) {
        const d = xd[p]! - aux[q]!;
        acc[q]! += d * d;
      }
      break;
    case SUMEXP:
      for (let j = 0, p = px, q = pa; j < n; j++, p += xs, q += as) acc[q]! += Math.exp(xd[p]! - aux[q]!);
      break;
    default: {
      const hi = kind === ARGMAX;
      for (let j = 0, p = px, q = pa; j < n; j++, p += xs, q += as) {
        const v = xd[p]!;
        const b = acc[q]!;
        if ((hi ? v > b : v < b) || (Number.isNaN(v) && !Number.isNaN(b))) {
          acc[q] = v;
          aux[q] = pi + j * is;
        }
      }
    }
  }
}
