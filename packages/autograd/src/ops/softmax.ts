import type { Tensor } from '@normkit/tensor';
import * as T from '@normkit/tensor';
import { defineOp } from '../define-op.js';
import type { TensorOperand, Variable } from '../variable.js';

/** softmax / logSoftmax along one axis; both save only their output y. */
export const softmaxRules = {
  // y = softmax(x): dx = y * (g - sum(g * y))  (the sum over the axis, kept for broadcasting)
  softmax: defineOp({
    name: 'softmax',
    inputNames: ['x'],
    forward: (_c, [x]: [Tensor], axis: number) => {
      const y = T.softmax(x, axis);
      return { output: y, saved: y };
    },
    backward: (c, g, axis) => {
      const y = c.saved;
      const gy = T.mul(g, y);
      const s = T.sum(gy, axis, { keepdims: true });
      return [T.subInPlace(gy, T.mul(y, s))];
    },
  }),
  // y = logSoftmax(x): dx = g - exp(y) * sum(g)
  logSoftmax: defineOp({
    name: 'logSoftmax',
    inputNames: ['x'],
    forward: (_c, [x]: [Tensor], axis: number) => {
      const y = T.logSoftmax(x, axis);
      return { output: y, saved: y };
    },
    backward: (c, g, axis) => {
      const p = T.exp(c.saved);
      return [T.sub(g, T.mulInPlace(p, T.sum(g, axis, { keepdims: true })))];
    },
  }),
};

export function softmax(x: TensorOperand, axis = -1): Variable {
  return softmaxRules.softmax([x], axis);
}
export function logSoftmax(x: TensorOperand, axis = -1): Variable {
  return softmaxRules.logSoftmax([x], axis);
}
