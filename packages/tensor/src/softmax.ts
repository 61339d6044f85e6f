import type { TypedArray } from './dtype.js';
import { type Axes, checkScalarAxes, MAX, planReduce, runReduce, SUMEXP } from './internal/reduce-kernels.js';
import { RowWalker } from './internal/reduce-layout.js';
import { softmaxWasm } from './internal/wasm/rows-wasm.js';
import type { ReduceOptions } from './reduce.js';
import { contiguousStrides, normalizeAxis } from './shape.js';
import { allocateUninit } from './storage.js';
import { Tensor } from './tensor.js';

/**
 * softmax(x)_i = exp(x_i - m) / sum_j exp(x_j - m) along `axis`, with m the row maximum, so the
 * largest exponent is exp(0) = 1 and nothing overflows (logits of 1000 are fine). -inf entries get
 * probability 0. As torch, a row whose maximum is not finite (all -inf, or a +inf or NaN entry) is
 * all NaN. Three passes per row: max; exp(x - m) into a float64 row buffer while summing; scale and
 * write (one exp per element, one rounding). A 0-d tensor is a row of one.
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxLike('softmax', x, axis, false);
}

/** log softmax(x) = (x_i - m) - log sum_j exp(x_j - m), stable for large logits; see softmax. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return softmaxLike('logSoftmax', x, axis, true);
}

/**
 * log sum exp(x) over `axes` = s + log sum exp(x - s) with s the maximum when it is finite and 0
 * otherwise: an all -inf row gives -inf (not NaN), a +inf entry gives +inf, an empty axis -inf.
 */
export function logsumexp(x: Tensor, axes?: Axes, opts: ReduceOptions = {}): Tensor {
  const plan = planReduce('logsumexp', x, axes, opts.keepdims ?? false);
  const shift = new Float64Array(plan.outSize).fill(-Infinity);
  runReduce(MAX, x, plan, shift, null);
  for (let i = 0; i < shift.length; i++) if (!Number.isFinite(shift[i]!)) shift[i] = 0;
  const acc = new Float64Array(plan.outSize);
  runReduce(SUMEXP, x, plan, acc, shift);
  const out = allocateUninit(x.dtype, plan.outSize); // every element written below
  for (let i = 0; i < out.length; i++) out[i] = Math.log(acc[i]!) + shift[i]!;
  return new Tensor(out, plan.outShape);
}

function softmaxLike(op: string, x: Tensor, axis: number, log: boolean): Tensor {
  if (x.ndim === 0) {
    checkScalarAxes(op, axis);
    return softmaxLike(op, x.reshape([1]), 0, log).reshape([]);
  }
  const ax = normalizeAxis(op, axis, x.ndim);
  const out = allocateUninit(x.dtype, x.size); // every row is written whole, by wasm or JS
  const n = x.shape[ax]!;
  // the last axis of a contiguous float32 tensor: one wasm call for every row (wasm backend only)
  if (!log && ax === x.ndim - 1 && x.isContiguous() && softmaxWasm(x.data, x.offset, out, x.size / n, n)) {
    return new Tensor(out, x.shape);
  }
  const outStrides = contiguousStrides(x.shape);
  // the softmax axis is the row (n elements, strides xs / os); every other axis picks a row
  const xs = x.strides[ax]!;
  const os = outStrides[ax]!;
  const others = (s: readonly number[]) => s.filter((_, i) => i !== ax);
  const w = new RowWalker(others(x.shape), [others(x.strides), others(outStrides)], [x.offset, 0]);
  const [wx, wo] = w.step as [number, number];
  const xd = x.data;
  const scratch = new Float64Array(log ? 0 : n);
  for (let r = 0; r < w.rows; r++) {
    for (let j = 0, px = w.pos[0]!, po = w.pos[1]!; j < w.inner; j++, px += wx, po += wo) {
      softmaxRow(xd, px, xs, out, po, os, n, log, scratch);
    }
    w.next();
  }
  return new Tensor(out, x.shape);
}

/** One row: max, then e_j = exp(x_j - m) kept in float64 scratch while summing, then write. */
function softmaxRow(
  xd: TypedArray,
  px: number,
  xs: number,
  od: TypedArray,
  po: number,
  os: number,
  n: number,
  log: boolean,
  e: Float64Array,
): void {
  let m = -Infinity;
  for (let j = 0, p = px; j < n; j++, p += xs) {
    const v = xd[p]!;
    if (v > m || Number.isNaN(v)) m = v;
  }
  let s = 0;
  if (log) {
    for (let j = 0, p = px; j < n; j++, p += xs) s += Math.exp(xd[p]! - m);
    const logS = Math.log(s);
    for (let j = 0, p = px, q = po; j < n; j++, p += xs, q += os) od[q] = xd[p]! - m - logS;
  } else {
    for (let j = 0, p = px; j < n; j++, p += xs) s += e[j] = Math.exp(xd[p]! - m);
    const inv = 1 / s;
    for (let j = 0, q = po; j < n; j++, q += os) od[q] = e[j]! * inv;
  }
}
