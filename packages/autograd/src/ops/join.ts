import type { Tensor } from '@normkit/tensor';
import * as T from '@normkit/tensor';
import { defineMultiOp, defineOp } from '../define-op.js';
import type { TensorOperand, Variable } from '../variable.js';
import { shapeOf } from './util.js';

/** concat / stack / split: each one's backward is (a view of) another's forward. */
export const joinRules = {
  // the gradient of each input is its band of g along the axis (views, no copy)
  concat: defineOp({
    name: 'concat',
    forward: (_c, xs: Tensor[], axis: number) => T.concat(xs, axis),
    backward: (c, g, axis) => {
      const ax = T.normalizeAxis('concat', axis, g.ndim);
      return T.split(
        g,
        c.inputShapes.map((s) => s![ax]!),
        ax,
      );
    },
  }),
  stack: defineOp({
    name: 'stack',
    forward: (_c, xs: Tensor[], axis: number) => T.stack(xs, axis),
    backward: (c, g, axis) => {
      const ax = T.normalizeAxis('stack', axis, g.ndim);
      return c.inputShapes.map((_, i) => g.select(ax, i));
    },
  }),
  // several outputs; an output no loss used has a null gradient and contributes zeros
  split: defineMultiOp({
    name: 'split',
    inputNames: ['x'],
    forward: (_c, [x]: [Tensor], o: { sizes: number | readonly number[]; axis: number }) => {
      const outputs = T.split(x, o.sizes as number | number[], o.axis);
      const ax = T.normalizeAxis('split', o.axis, x.ndim);
      return { outputs, saved: { ax, lengths: outputs.map((t) => t.shape[ax]!) } };
    },
    backward: (c, grads) => {
      const { ax, lengths } = c.saved;
      const dtype = grads.find((g) => g !== null)!.dtype;
      const gx = T.zeros(shapeOf(c), { dtype });
      let start = 0;
      for (let k = 0; k < lengths.length; k++) {
        const g = grads[k];
        if (g) T.copyInto(gx.slice(ax, start, start + lengths[k]!), g);
        start += lengths[k]!;
      }
      return [gx];
    },
  }),
};

/** Join along an existing axis. */
export function concat(xs: readonly TensorOperand[], axis = 0): Variable {
  return joinRules.concat(xs as TensorOperand[], axis);
}
/** Join along a new axis. */
export function stack(xs: readonly TensorOperand[], axis = 0): Variable {
  return joinRules.stack(xs as TensorOperand[], axis);
}
/** Pieces of `sizes` elements (a number: equal chunks, the last may be smaller) along `axis`. */
export function split(x: TensorOperand, sizes: number | readonly number[], axis = 0): Variable[] {
  return joinRules.split([x], { sizes, axis });
}
