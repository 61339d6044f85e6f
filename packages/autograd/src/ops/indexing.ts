import type { Tensor } from '@normkit/tensor';
import * as T from '@normkit/tensor';
import { defineOp } from '../define-op.js';
import { type Operand, type TensorOperand, tensorOf, type Variable } from '../variable.js';
import { gradFor, shapeOf } from './util.js';

/** Integer indices: a (float) Tensor of integers, an Int32Array or a number array. */
export type Indices = Tensor | Int32Array | readonly number[];

/**
 * Indexing and masking. Lookups scatter-add their gradient back (indexSelect -> indexAdd,
 * gather -> scatterAdd), so an index used twice accumulates twice; masks route g to the
 * elements that were selected.
 */
export const indexingRules = {
  indexSelect: defineOp({
    name: 'indexSelect',
    inputNames: ['x'],
    forward: (_c, [x]: [Tensor], o: { axis: number; indices: Indices }) =>
      T.indexSelect(x, o.axis, o.indices),
    backward: (c, g, o) => [T.indexAdd(T.zeros(shapeOf(c), { dtype: g.dtype }), o.axis, o.indices, g)],
  }),
  gather: defineOp({
    name: 'gather',
    inputNames: ['x'],
    forward: (_c, [x]: [Tensor], o: { axis: number; index: Tensor }) => T.gather(x, o.axis, o.index),
    backward: (c, g, o) => [T.scatterAdd(T.zeros(shapeOf(c), { dtype: g.dtype }), o.axis, o.index, g)],
  }),
  // out = cond ? a : b (3-way broadcast); g goes to a where cond holds, to b elsewhere
  where: defineOp({
    name: 'where',
    inputNames: ['a', 'b'],
    forward: (_c, [a, b]: [Tensor | number, Tensor | number], cond: Tensor) => T.where(cond, a, b),
    backward: (c, g, cond) => [
      gradFor(c, 0, () => T.where(cond, g, 0)),
      gradFor(c, 1, () => T.where(cond, 0, g)),
    ],
  }),
  // out = mask ? value : x; x gets g where the mask is 0
  maskedFill: defineOp({
    name: 'maskedFill',
    inputNames: ['x'],
    forward: (_c, [x]: [Tensor], o: { mask: Tensor; value: number }) => T.where(o.mask, o.value, x),
    backward: (c, g, o) => [gradFor(c, 0, () => T.where(o.mask, 0, g))],
  }),
  tril: defineOp({
    name: 'tril',
    inputNames: ['x'],
    forward: (_c, [x]: [Tensor], diagonal: number) => T.tril(x, diagonal),
    backward: (_c, g, diagonal) => [T.tril(g, diagonal)],
  }),
  triu: defineOp({
    name: 'triu',
    inputNames: ['x'],
    forward: (_c, [x]: [Tensor], diagonal: number) => T.triu(x, diagonal),
    backward: (_c, g, diagonal) => [T.triu(g, diagonal)],
  }),
};

/** Rows (slices along `axis`) picked by `indices`; N-d indices replace the axis by their shape. */
export function indexSelect(x: TensorOperand, axis: number, indices: Indices): Variable {
  return indexingRules.indexSelect([x], { axis, indices });
}
/** Embedding lookup: weight [V, D], ids [...] -> [..., D]; the backward scatter-adds into weight. */
export function embedding(weight: TensorOperand, ids: Indices): Variable {
  return indexingRules.indexSelect([weight], { axis: 0, indices: ids });
}
/** torch.gather: out[i][j] = x[index[i][j]][j] for axis 0, etc. (index has x's rank). */
export function gather(x: TensorOperand, axis: number, index: Tensor): Variable {
  return indexingRules.gather([x], { axis, index });
}
/** cond != 0 ? a : b, elementwise with broadcasting. cond is not differentiated. */
export function where(cond: TensorOperand, a: Operand, b: Operand): Variable {
  return indexingRules.where([a, b], tensorOf(cond));
}
/** x with `value` where mask != 0 (e.g. -Infinity above the diagonal for causal attention). */
export function maskedFill(x: TensorOperand, mask: TensorOperand, value: number): Variable {
  return indexingRules.maskedFill([x], { mask: tensorOf(mask), value });
}
/** Lower triangle of the last two axes (elements with column - row <= diagonal), zeros above. */
export function tril(x: TensorOperand, diagonal = 0): Variable {
  return indexingRules.tril([x], diagonal);
}
export function triu(x: TensorOperand, diagonal = 0): Variable {
  return indexingRules.triu([x], diagonal);
}
