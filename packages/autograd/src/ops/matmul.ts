import type { Tensor } from '@normkit/tensor';
import * as T from '@normkit/tensor';
import { defineOp } from '../define-op.js';
import type { TensorOperand, Variable } from '../variable.js';
import { unbroadcast } from './util.js';

/**
 * Batched, broadcasting matmul (torch.matmul semantics). With a' [..., M, K], b' [..., K, N] and
 * g' [..., M, N] (1-D operands promoted: a [K] -> [1, K], b [K] -> [K, 1], and g given the
 * dropped axis back):  da' = g' b'^T,  db' = a'^T g',  each summed over the batch axes its operand
 * was broadcast along, then reshaped to the operand's own shape.
 */
export const matmulRules = {
  matmul: defineOp({
    name: 'matmul',
    inputNames: ['a', 'b'],
    forward: (_c, [a, b]: [Tensor, Tensor]) => ({ output: T.matmul(a, b), saved: [a, b] as const }),
    backward: (c, g) => {
      const [a, b] = c.saved;
      const a2 = a.ndim === 1 ? a.reshape([1, a.shape[0]!]) : a;
      const b2 = b.ndim === 1 ? b.reshape([b.shape[0]!, 1]) : b;
      let g2 = g;
      if (a.ndim === 1 && b.ndim === 1) g2 = g.reshape([1, 1]);
      else if (a.ndim === 1) g2 = g.unsqueeze(-2);
      else if (b.ndim === 1) g2 = g.unsqueeze(-1);
      const da = c.needsInputGrad[0]
        ? unbroadcast(T.matmul(g2, b2.transpose()), a2.shape).reshape(a.shape)
        : null;
      const db = c.needsInputGrad[1]
        ? unbroadcast(T.matmul(a2.transpose(), g2), b2.shape).reshape(b.shape)
        : null;
      return [da, db];
    },
  }),
};

/** a @ b with numpy/torch.matmul semantics (1-D promotion, broadcast batch axes). */
export function matmul(a: TensorOperand, b: TensorOperand): Variable {
  return matmulRules.matmul([a, b]);
}
