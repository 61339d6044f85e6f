import type { Operand } from './elementwise.js';
import { formatShape, ShapeError } from './errors.js';
import {
  BinOp,
  binaryLoop,
  broadcastFast,
  contigRow,
  scalarRow,
  scalarTensor,
} from './internal/binary-kernels.js';
import { broadcastsTo, readable } from './internal/broadcast.js';
import {
  checkOperand,
  checkWritable,
  expectDtype,
  expectNumber,
  expectTensor,
  toDtype,
} from './internal/check.js';
import { copyData } from './internal/wasm/memops-wasm.js';
import { sameShape } from './shape.js';
import type { Tensor } from './tensor.js';

/**
 * In-place elementwise updates: target = f(target, src), written through target's strides, so the
 * target may be any view (a transpose, a slice, a select) except an expanded one (a stride-0 axis
 * of size > 1 would be written several times: ShapeError). src is a number or a tensor of the
 * target's dtype whose shape broadcasts TO the target's shape (never the other way). A src that
 * shares memory with the target other than element-for-element (x += x is fine) is read from a
 * copy. Strided targets are walked in their memory order. Every op returns target.
 */

function update(
  name: string,
  op: BinOp,
  target: Tensor,
  src: Operand,
  p: number,
  targetArg = 'target',
  srcArg = 'src',
): Tensor {
  expectTensor(name, targetArg, target);
  checkWritable(name, targetArg, target);
  checkOperand(name, srcArg, src);
  const n = target.size;
  if (typeof src === 'number') {
    const s = toDtype(src, target.dtype);
    if (n === 0) return target;
    if (target.isContiguous()) scalarRow(op, n, target.data, target.offset, s, target.data, target.offset, p);
    else binaryLoop(op, target, scalarTensor(s, target.dtype), target, p, 2);
    return target;
  }
  expectDtype(name, srcArg, src, target.dtype);
  if (!broadcastsTo(src.shape, target.shape)) {
    throw new ShapeError(
      name,
      srcArg,
      `a shape that broadcasts to ${formatShape(target.shape)}`,
      formatShape(src.shape),
      `${name}: ${srcArg} of shape ${formatShape(src.shape)} does not broadcast to ${targetArg} shape ${formatShape(target.shape)}`,
    );
  }
  if (n === 0) return target;
  src = readable(src, target);
  if (sameShape(src.shape, target.shape) && target.isContiguous() && src.isContiguous()) {
    if (op === BinOp.Copy)
      copyData(target.data, src.data.subarray(src.offset, src.offset + n), target.offset);
    else contigRow(op, n, target.data, target.offset, src.data, src.offset, target.data, target.offset, p);
  } else if (op === BinOp.Copy || !broadcastFast(op, target, src, target)) {
    binaryLoop(op, target, src, target, p, 2);
  }
  return target;
}

/** target += alpha * src (alpha = 1 by default; alpha * src is formed in float64). */
export function addInPlace(target: Tensor, src: Operand, alpha = 1): Tensor {
  expectNumber('addInPlace', 'alpha', alpha);
  if (alpha === 1) return update('addInPlace', BinOp.Add, target, src, 0);
  return update('addInPlace', BinOp.Axpy, target, src, alpha);
}

/** target -= src */
export function subInPlace(target: Tensor, src: Operand): Tensor {
  return update('subInPlace', BinOp.Sub, target, src, 0);
}

/** target *= src */
export function mulInPlace(target: Tensor, src: Operand): Tensor {
  return update('mulInPlace', BinOp.Mul, target, src, 0);
}

/** target /= src */
export function divInPlace(target: Tensor, src: Operand): Tensor {
  return update('divInPlace', BinOp.Div, target, src, 0);
}

/**
 * y += alpha * x for x and y of one shape and dtype (no broadcasting): the optimizer update.
 * Contiguous operands run one fused loop. Returns y.
 */
export function axpy(alpha: number, x: Tensor, y: Tensor): Tensor {
  expectNumber('axpy', 'alpha', alpha);
  expectTensor('axpy', 'x', x);
  expectTensor('axpy', 'y', y);
  expectDtype('axpy', 'x', x, y.dtype);
  if (!sameShape(x.shape, y.shape)) {
    throw new ShapeError(
      'axpy',
      'x',
      formatShape(y.shape),
      formatShape(x.shape),
      `axpy: x has shape ${formatShape(x.shape)} but y has shape ${formatShape(y.shape)} (axpy does not broadcast)`,
    );
  }
  return update('axpy', alpha === 1 ? BinOp.Add : BinOp.Axpy, y, x, alpha, 'y', 'x');
}

/** Every element of target = value (in target's dtype). */
export function fill(target: Tensor, value: number): Tensor {
  expectNumber('fill', 'value', value);
  return update('fill', BinOp.Copy, target, value, 0);
}

/** target = src, broadcasting src to target's shape. */
export function copyInto(target: Tensor, src: Operand): Tensor {
  return update('copyInto', BinOp.Copy, target, src, 0);
}
