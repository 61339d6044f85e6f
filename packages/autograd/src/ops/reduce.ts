import type { Tensor } from '@normkit/tensor';
import * as T from '@normkit/tensor';
import { defineOp } from '../define-op.js';
import type { TensorOperand, Variable } from '../variable.js';
import { type Axes, inversePermutation, keepdimsGrad, reducedCount, shapeOf } from './util.js';

/**
 * Reductions. Every rule first puts the output gradient in keepdims form (size 1 on reduced axes),
 * which then broadcasts against the input: sum -> g, mean -> g / n, variance -> 2 (x - mean) g / (n - c).
 */
export interface ReduceConfig {
  axes: Axes;
  keepdims: boolean;
}
export interface VarianceConfig extends ReduceConfig {
  correction: number;
}
export interface KeepdimsOptions {
  keepdims?: boolean;
}
export interface VarianceOptions extends KeepdimsOptions {
  /** Divide by n - correction: 1 (default, unbiased, as torch.var) or 0 (population). */
  correction?: number;
}

const X = ['x'];

export const reduceRules = {
  sum: defineOp({
    name: 'sum',
    inputNames: X,
    forward: (_c, [x]: [Tensor], o: ReduceConfig) => T.sum(x, o.axes, o),
    backward: (c, g, o) => [keepdimsGrad(g, shapeOf(c), o.axes, o.keepdims).expand(shapeOf(c))],
  }),
  mean: defineOp({
    name: 'mean',
    inputNames: X,
    forward: (_c, [x]: [Tensor], o: ReduceConfig) => T.mean(x, o.axes, o),
    backward: (c, g, o) => {
      const gk = keepdimsGrad(g, shapeOf(c), o.axes, o.keepdims);
      return [T.mul(gk.expand(shapeOf(c)), 1 / reducedCount(shapeOf(c), o.axes))];
    },
  }),
  // var = sum (x - mean)^2 / (n - c);  dvar/dx = 2 (x - mean) / (n - c)  (the mean's own term sums to 0)
  variance: defineOp({
    name: 'variance',
    inputNames: X,
    forward: (_c, [x]: [Tensor], o: VarianceConfig) => ({ output: T.variance(x, o.axes, o), saved: x }),
    backward: (c, g, o) => {
      const x = c.saved;
      const gk = keepdimsGrad(g, x.shape, o.axes, o.keepdims);
      const scale = 2 / (reducedCount(x.shape, o.axes) - o.correction);
      return [T.mul(centered(x, o.axes), T.mul(gk, scale))];
    },
  }),
  // std = sqrt(var): dstd/dx = (x - mean) / ((n - c) std), taken as 0 where std == 0 (as torch)
  std: defineOp({
    name: 'std',
    inputNames: X,
    forward: (_c, [x]: [Tensor], o: VarianceConfig) => {
      const y = T.std(x, o.axes, o);
      return { output: y, saved: { x, y } };
    },
    backward: (c, g, o) => {
      const { x, y } = c.saved;
      const gk = keepdimsGrad(g, x.shape, o.axes, o.keepdims);
      const yk = keepdimsGrad(y, x.shape, o.axes, o.keepdims);
      const n = reducedCount(x.shape, o.axes) - o.correction;
      const q = T.where(T.eq(yk, 0), 0, T.mulInPlace(T.div(gk, yk), 1 / n));
      return [T.mul(centered(x, o.axes), q)];
    },
  }),
  max: defineOp({
    name: 'max',
    inputNames: X,
    forward: (_c, [x]: [Tensor], o: ReduceConfig) => ({ output: T.max(x, o.axes, o), saved: x }),
    backward: (c, g, o) => [argGrad(c.saved, g, o, 'max')],
  }),
  min: defineOp({
    name: 'min',
    inputNames: X,
    forward: (_c, [x]: [Tensor], o: ReduceConfig) => ({ output: T.min(x, o.axes, o), saved: x }),
    backward: (c, g, o) => [argGrad(c.saved, g, o, 'min')],
  }),
  // d logsumexp = softmax(x) dx = exp(x - y) dx
  logsumexp: defineOp({
    name: 'logsumexp',
    inputNames: X,
    forward: (_c, [x]: [Tensor], o: ReduceConfig) => {
      const y = T.logsumexp(x, o.axes, o);
      return { output: y, saved: { x, y } };
    },
    backward: (c, g, o) => {
      const { x, y } = c.saved;
      const yk = keepdimsGrad(y, x.shape, o.axes, o.keepdims);
      return [T.mul(T.exp(T.sub(x, yk)), keepdimsGrad(g, x.shape, o.axes, o.keepdims))];
    },
  }),
};

function centered(x: Tensor, axes: Axes): Tensor {
  return T.sub(x, T.mean(x, axes, { keepdims: true }));
}

/**
 * Gradient of max/min: all of g goes to one argmax (the first, as argmax picks) of each reduced
 * group. The reduced axes are moved last and flattened to one, so argmax runs over a single axis:
 * x [kept..., R] -> index [kept..., 1] -> scatterAdd g into zeros [kept..., R] -> back to x's layout.
 */
function argGrad(x: Tensor, g: Tensor, o: ReduceConfig, which: 'max' | 'min'): Tensor {
  const reduced = T.normalizeAxes(which, o.axes, x.ndim);
  const kept = x.shape.map((_, i) => i).filter((i) => !reduced.includes(i));
  const perm = [...kept, ...reduced];
  const keptShape = kept.map((i) => x.shape[i]!);
  const r = reduced.reduce((n, i) => n * x.shape[i]!, 1);
  const flat = x.permute(perm).reshape([...keptShape, r]);
  const index =
    which === 'max' ? T.argmax(flat, -1, { keepdims: true }) : T.argmin(flat, -1, { keepdims: true });
  const gx = T.zeros([...keptShape, r], { dtype: g.dtype });
  T.scatterAdd(gx, -1, index, g.reshape([...keptShape, 1]));
  return gx.reshape(perm.map((i) => x.shape[i]!)).permute(inversePermutation(perm));
}

export function sum(x: TensorOperand, axes?: Axes, options: KeepdimsOptions = {}): Variable {
  return reduceRules.sum([x], { axes, keepdims: options.keepdims ?? false });
}
export function mean(x: TensorOperand, axes?: Axes, options: KeepdimsOptions = {}): Variable {
  return reduceRules.mean([x], { axes, keepdims: options.keepdims ?? false });
}
/** Variance over axes, dividing by n - correction (default 1, as torch.var). */
export function variance(x: TensorOperand, axes?: Axes, options: VarianceOptions = {}): Variable {
  const { keepdims = false, correction = 1 } = options;
  return reduceRules.variance([x], { axes, keepdims, correction });
}
export function std(x: TensorOperand, axes?: Axes, options: VarianceOptions = {}): Variable {
  const { keepdims = false, correction = 1 } = options;
  return reduceRules.std([x], { axes, keepdims, correction });
}
/** Maximum over axes; the gradient goes to one argmax (the first) per reduced group. */
export function max(x: TensorOperand, axes?: Axes, options: KeepdimsOptions = {}): Variable {
  return reduceRules.max([x], { axes, keepdims: options.keepdims ?? false });
}
export function min(x: TensorOperand, axes?: Axes, options: KeepdimsOptions = {}): Variable {
  return reduceRules.min([x], { axes, keepdims: options.keepdims ?? false });
}
export function logsumexp(x: TensorOperand, axes?: Axes, options: KeepdimsOptions = {}): Variable {
  return reduceRules.logsumexp([x], { axes, keepdims: options.keepdims ?? false });
}
