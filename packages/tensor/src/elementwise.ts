import type { DType } from './dtype.js';
import {
  BinOp,
  binaryLoop,
  broadcastFast,
  contigRow,
  reversedOp,
  scalarRow,
  scalarTensor,
} from './internal/binary-kernels.js';
import { readable } from './internal/broadcast.js';
import { checkOperand, checkOut, expectDtype, toDtype } from './internal/check.js';
import { broadcastShapes, sameShape, sizeOf } from './shape.js';
import { allocateUninit } from './storage.js';
import { Tensor } from './tensor.js';

export * from './inplace.js';
export * from './unary.js';
export * from './where.js';

/**
 * Binary elementwise ops with NumPy broadcasting.
 *
 * An operand is a Tensor or a JS number (at least one a Tensor); a number takes the tensor's
 * dtype (rounded to float32 for float32 tensors, as torch and NumPy do). Tensor operands must share
 * a dtype (TypeError otherwise: normkit never promotes). The result is a fresh contiguous tensor of
 * the broadcast shape, or `out`: a contiguous tensor of exactly that shape and dtype. `out` may be
 * one of the inputs when that input already has the result's shape and is contiguous
 * (`add(x, y, x)` is x += y); an input that overlaps `out` in any other way is copied first, so the
 * result is always as if every input was read before anything was written.
 *
 * Fast paths: both operands contiguous with one shape (one loop over the data), tensor op number
 * (one loop with the scalar in a register); everything else runs the general strided path, which
 * coalesces axes and loops row by row (see internal/broadcast.ts).
 */
export type Operand = Tensor | number;

function binary(name: string, op: BinOp, a: Operand, b: Operand, out: Tensor | undefined): Tensor {
  checkOperand(name, 'a', a);
  checkOperand(name, 'b', b);
  let ta = a instanceof Tensor ? a : null;
  let tb = b instanceof Tensor ? b : null;
  let dtype: DType;
  let shape: readonly number[];
  if (ta !== null && tb !== null) {
    expectDtype(name, 'b', tb, ta.dtype);
    dtype = ta.dtype;
    shape = sameShape(ta.shape, tb.shape) ? ta.shape : broadcastShapes(name, ta.shape, tb.shape);
  } else if (ta !== null || tb !== null) {
    const t = (ta ?? tb)!;
    dtype = t.dtype;
    shape = t.shape;
  } else {
    throw new TypeError(`${name}: at least one of a and b must be a Tensor, got two numbers (${a}, ${b})`);
  }
  const dst = out === undefined ? null : checkOut(name, out, shape, dtype);
  if (dst !== null) {
    if (ta !== null) ta = readable(ta, dst);
    if (tb !== null) tb = readable(tb, dst);
  }
  // a fresh output: every path below writes all of it (n = 0: nothing to write)
  const o = dst ?? new Tensor(allocateUninit(dtype, sizeOf(shape)), shape);
  const n = o.size;
  if (n === 0) return o;
  if (tb === null) {
    const s = toDtype(b as number, dtype);
    const t = ta!;
    if (t.isContiguous()) scalarRow(op, n, t.data, t.offset, s, o.data, o.offset, 0);
    else binaryLoop(op, t, scalarTensor(s, dtype), o, 0);
  } else if (ta === null) {
    // number op tensor runs the swapped op (s - x is RSub of x and s); every public op has one
    const s = toDtype(a as number, dtype);
    if (tb.isContiguous()) scalarRow(reversedOp(op), n, tb.data, tb.offset, s, o.data, o.offset, 0);
    else binaryLoop(op, scalarTensor(s, dtype), tb, o, 0);
  } else if (sameShape(ta.shape, tb.shape) && ta.isContiguous() && tb.isContiguous()) {
    contigRow(op, n, ta.data, ta.offset, tb.data, tb.offset, o.data, o.offset, 0);
  } else if (!broadcastFast(op, ta, tb, o)) {
    binaryLoop(op, ta, tb, o, 0);
  }
  return o;
}

/** a + b */
export function add(a: Operand, b: Operand, out?: Tensor): Tensor {
  return binary('add', BinOp.Add, a, b, out);
}
/** a - b */
export function sub(a: Operand, b: Operand, out?: Tensor): Tensor {
  return binary('sub', BinOp.Sub, a, b, out);
}
/** a * b */
export function mul(a: Operand, b: Operand, out?: Tensor): Tensor {
  return binary('mul', BinOp.Mul, a, b, out);
}
/** a / b (IEEE: x/0 is ±Infinity, 0/0 is NaN) */
export function div(a: Operand, b: Operand, out?: Tensor): Tensor {
  return binary('div', BinOp.Div, a, b, out);
}
/**
 * a ** b with C's pow semantics (as NumPy and torch): a negative base with a non-integer exponent
 * is NaN, pow(1, NaN) = 1 and pow(-1, ±Infinity) = 1 (JS's `**` gives NaN for the last two).
 */
export function pow(a: Operand, b: Operand, out?: Tensor): Tensor {
  return binary('pow', BinOp.Pow, a, b, out);
}
/** Elementwise maximum; NaN in either operand gives NaN (numpy.maximum, torch.maximum). */
export function maximum(a: Operand, b: Operand, out?: Tensor): Tensor {
  return binary('maximum', BinOp.Max, a, b, out);
}
/** Elementwise minimum; NaN in either operand gives NaN. */
export function minimum(a: Operand, b: Operand, out?: Tensor): Tensor {
  return binary('minimum', BinOp.Min, a, b, out);
}

// Comparisons give 1 where true and 0 where false, in the operands' dtype. Any comparison with NaN
// is false except ne, which is true (IEEE, as NumPy).

/** a == b as 1/0 */
export function eq(a: Operand, b: Operand, out?: Tensor): Tensor {
  return binary('eq', BinOp.Eq, a, b, out);
}
/** a != b as 1/0 */
export function ne(a: Operand, b: Operand, out?: Tensor): Tensor {
  return binary('ne', BinOp.Ne, a, b, out);
}
/** a < b as 1/0 */
export function lt(a: Operand, b: Operand, out?: Tensor): Tensor {
  return binary('lt', BinOp.Lt, a, b, out);
}
/** a <= b as 1/0 */
export function le(a: Operand, b: Operand, out?: Tensor): Tensor {
  return binary('le', BinOp.Le, a, b, out);
}
/** a > b as 1/0 */
export function gt(a: Operand, b: Operand, out?: Tensor): Tensor {
  return binary('gt', BinOp.Gt, a, b, out);
}
/** a >= b as 1/0 */
export function ge(a: Operand, b: Operand, out?: Tensor): Tensor {
  return binary('ge', BinOp.Ge, a, b, out);
}
