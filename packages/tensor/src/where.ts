import type { TypedArray } from './dtype.js';
import type { Operand } from './elementwise.js';
import { scalarTensor } from './internal/binary-kernels.js';
import { alignStrides, RowLoop, readable } from './internal/broadcast.js';
import { checkOperand, checkOut, expectDtype, expectTensor, toDtype } from './internal/check.js';
import { whereRowWasm, whereWasmReady } from './internal/wasm/where-wasm.js';
import { broadcastShapes, sizeOf } from './shape.js';
import { allocateUninit } from './storage.js';
import { Tensor } from './tensor.js';

/**
 * One row of o = c != 0 ? a : b. The common layouts get their own loop: all contiguous, and one
 * branch a fixed value (masked_fill: where(mask, scores, -Infinity)).
 */
function whereRow(
  n: number,
  c: TypedArray,
  ic: number,
  sc: number,
  a: TypedArray,
  ia: number,
  sa: number,
  b: TypedArray,
  ib: number,
  sb: number,
  o: TypedArray,
  io: number,
  so: number,
): void {
  if (sc === 1 && so === 1) {
    if (sa === 1 && sb === 1) {
      for (let j = 0; j < n; j++) o[io + j] = c[ic + j] !== 0 ? a[ia + j]! : b[ib + j]!;
      return;
    }
    if (sa === 1 && sb === 0) {
      const bv = b[ib]!;
      for (let j = 0; j < n; j++) o[io + j] = c[ic + j] !== 0 ? a[ia + j]! : bv;
      return;
    }
    if (sa === 0 && sb === 1) {
      const av = a[ia]!;
      for (let j = 0; j < n; j++) o[io + j] = c[ic + j] !== 0 ? av : b[ib + j]!;
      return;
    }
  }
  for (let j = 0; j < n; j++, ic += sc, ia += sa, ib += sb, io += so) o[io] = c[ic] !== 0 ? a[ia]! : b[ib]!;
}

/**
 * cond != 0 ? a : b elementwise, with three-way NumPy broadcasting (torch.where). cond is a tensor
 * of the same dtype as the tensor operands (comparisons such as gt() produce one); a NaN in cond
 * counts as true (nonzero), as NumPy. a and b may be numbers, which take cond's dtype. `out`
 * follows the rules of the binary ops (contiguous, exact shape and dtype, may be an input of that
 * shape and layout).
 */
export function where(cond: Tensor, a: Operand, b: Operand, out?: Tensor): Tensor {
  expectTensor('where', 'cond', cond);
  checkOperand('where', 'a', a);
  checkOperand('where', 'b', b);
  const dtype = cond.dtype;
  let shape: readonly number[] = cond.shape;
  if (a instanceof Tensor) {
    expectDtype('where', 'a', a, dtype);
    shape = broadcastShapes('where', shape, a.shape);
  }
  if (b instanceof Tensor) {
    expectDtype('where', 'b', b, dtype);
    shape = broadcastShapes('where', shape, b.shape);
  }
  const dst = out === undefined ? null : checkOut('where', out, shape, dtype);
  let c = cond;
  let ta = a instanceof Tensor ? a : scalarTensor(toDtype(a, dtype), dtype);
  let tb = b instanceof Tensor ? b : scalarTensor(toDtype(b, dtype), dtype);
  if (dst !== null) {
    c = readable(c, dst);
    ta = readable(ta, dst);
    tb = readable(tb, dst);
  }
  // a fresh output is written whole by the loop below
  const o = dst ?? new Tensor(allocateUninit(dtype, sizeOf(shape)), shape);
  const loop = new RowLoop(
    shape,
    [
      alignStrides(c.shape, c.strides, shape),
      alignStrides(ta.shape, ta.strides, shape),
      alignStrides(tb.shape, tb.strides, shape),
      o.strides,
    ],
    [c.offset, ta.offset, tb.offset, o.offset],
  );
  const [sc, sa, sb, so] = loop.innerStrides as [number, number, number, number];
  const pos = loop.pos;
  // float32 rows contiguous in cond and out, a and b contiguous or one value: the wasm kernel
  // (an operand broadcast along the row is passed by value, so it may live anywhere)
  let wasm = null;
  if (sc === 1 && so === 1 && (sa === 0 || sa === 1) && (sb === 0 || sb === 1)) {
    const read = [c.data];
    if (sa === 1) read.push(ta.data);
    if (sb === 1) read.push(tb.data);
    wasm = whereWasmReady(loop.inner, o.data, read);
  }
  if (wasm !== null) {
    for (let r = 0; r < loop.rows; r++) {
      whereRowWasm(
        wasm,
        loop.inner,
        c.data,
        pos[0]!,
        ta.data,
        pos[1]!,
        sa,
        tb.data,
        pos[2]!,
        sb,
        o.data,
        pos[3]!,
      );
      loop.next();
    }
    return o;
  }
  for (let r = 0; r < loop.rows; r++) {
    whereRow(
      loop.inner,
      c.data,
      pos[0]!,
      sc,
      ta.data,
      pos[1]!,
      sa,
      tb.data,
      pos[2]!,
      sb,
      o.data,
      pos[3]!,
      so,
    );
    loop.next();
  }
  return o;
}
