import type { Tensor } from '@normkit/tensor';
import * as T from '@normkit/tensor';
import { defineOp } from '../define-op.js';
import { type TensorOperand, tensorOf, type Variable } from '../variable.js';
import { inversePermutation, shapeOf } from './util.js';

/**
 * Shape ops: forward is a view (or a copy when reshape needs one); backward undoes the layout
 * change. Ops that drop elements (slice, select) scatter g into zeros of the input's shape.
 */
export interface SliceConfig {
  axis: number;
  start: number;
  end: number | undefined;
  step: number;
}
export interface SelectConfig {
  axis: number;
  index: number;
}

const X = ['x'];
/** The input's gradient is g with the input's shape (same elements, same row-major order). */
const reshapeBack = (c: { inputShapes: readonly (readonly number[] | null)[] }, g: Tensor) => [
  g.reshape(c.inputShapes[0]!),
];

export const shapeRules = {
  reshape: defineOp({
    name: 'reshape',
    inputNames: X,
    forward: (_c, [x]: [Tensor], shape: readonly number[]) => x.reshape(shape),
    backward: reshapeBack,
  }),
  flatten: defineOp({
    name: 'flatten',
    inputNames: X,
    forward: (_c, [x]: [Tensor], o: { start: number; end: number }) => x.flatten(o.start, o.end),
    backward: reshapeBack,
  }),
  squeeze: defineOp({
    name: 'squeeze',
    inputNames: X,
    forward: (_c, [x]: [Tensor], axes: number | readonly number[] | undefined) => x.squeeze(axes),
    backward: reshapeBack,
  }),
  unsqueeze: defineOp({
    name: 'unsqueeze',
    inputNames: X,
    forward: (_c, [x]: [Tensor], axis: number) => x.unsqueeze(axis),
    backward: reshapeBack,
  }),
  permute: defineOp({
    name: 'permute',
    inputNames: X,
    forward: (_c, [x]: [Tensor], axes: readonly number[]) => x.permute(axes),
    backward: (c, g, axes) => {
      const nd = shapeOf(c).length;
      return [g.permute(inversePermutation(axes.map((a) => T.normalizeAxis('permute', a, nd))))];
    },
  }),
  transpose: defineOp({
    name: 'transpose',
    inputNames: X,
    forward: (_c, [x]: [Tensor], o: { axis0: number; axis1: number }) => x.transpose(o.axis0, o.axis1),
    backward: (_c, g, o) => [g.transpose(o.axis0, o.axis1)],
  }),
  // expand broadcasts x: the gradient sums over the broadcast axes
  expand: defineOp({
    name: 'expand',
    inputNames: X,
    forward: (_c, [x]: [Tensor], shape: readonly number[]) => x.expand(shape),
    backward: (c, g) => [T.sumTo(g, shapeOf(c))],
  }),
  slice: defineOp({
    name: 'slice',
    inputNames: X,
    forward: (_c, [x]: [Tensor], o: SliceConfig) => x.slice(o.axis, o.start, o.end, o.step),
    backward: (c, g, o) => {
      const gx = T.zeros(shapeOf(c), { dtype: g.dtype });
      T.copyInto(gx.slice(o.axis, o.start, o.end, o.step), g);
      return [gx];
    },
  }),
  select: defineOp({
    name: 'select',
    inputNames: X,
    forward: (_c, [x]: [Tensor], o: SelectConfig) => x.select(o.axis, o.index),
    backward: (c, g, o) => {
      const gx = T.zeros(shapeOf(c), { dtype: g.dtype });
      T.copyInto(gx.select(o.axis, o.index), g);
      return [gx];
    },
  }),
};

/** Same elements in a new shape (one size may be -1). */
export function reshape(x: TensorOperand, shape: readonly number[]): Variable {
  return shapeRules.reshape([x], shape);
}
export function flatten(x: TensorOperand, start = 0, end = -1): Variable {
  return shapeRules.flatten([x], { start, end });
}
export function squeeze(x: TensorOperand, axes?: number | readonly number[]): Variable {
  return shapeRules.squeeze([x], axes);
}
export function unsqueeze(x: TensorOperand, axis: number): Variable {
  return shapeRules.unsqueeze([x], axis);
}
export function permute(x: TensorOperand, axes: readonly number[]): Variable {
  return shapeRules.permute([x], axes);
}
/** Swap two axes, by default the last two. */
export function transpose(x: TensorOperand, axis0 = -2, axis1 = -1): Variable {
  return shapeRules.transpose([x], { axis0, axis1 });
}
export function expand(x: TensorOperand, shape: readonly number[]): Variable {
  return shapeRules.expand([x], shape);
}
/** Python-style slice along one axis (negative start/end count from the end, step > 0). */
export function slice(x: TensorOperand, axis: number, start = 0, end?: number, step = 1): Variable {
  return shapeRules.slice([x], { axis, start, end, step });
}
/** `length` elements from `start` along `axis`; out of range is a RangeError (torch.narrow). */
export function narrow(x: TensorOperand, axis: number, start: number, length: number): Variable {
  tensorOf(x).narrow(axis, start, length); // validates the bounds, naming narrow
  return shapeRules.slice([x], { axis, start, end: start + length, step: 1 });
}
/** The slice at `index` along `axis`, with that axis removed. */
export function select(x: TensorOperand, axis: number, index: number): Variable {
  return shapeRules.select([x], { axis, index });
}
