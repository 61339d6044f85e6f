import type { DType, TypedArray } from '../dtype.js';
import { allocate } from '../storage.js';
import { Tensor } from '../tensor.js';
import { alignStrides, RowLoop } from './broadcast.js';
import { binaryWasm, broadcastWasm, scalarWasm } from './wasm/elementwise-wasm.js';

/**
 * Row kernels of the binary elementwise ops: o = f(a, b) over one row of n elements.
 *
 * The op is chosen by a `switch` once per row and every op has its own loop, so each loop is
 * monomorphic and V8 compiles it to straight arithmetic (a per-element callback would go
 * megamorphic across ops). Values are computed in float64 and rounded to the output's dtype on
 * store; for + - * / on float32 that is the correctly rounded float32 result, as NumPy's.
 */
export enum BinOp {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Max,
  Min,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  /** o = a + p * b (addInPlace with alpha, axpy) */
  Axpy,
  /** o = b (copyInto, fill) */
  Copy,
  /** reversed forms for a scalar on the left: o = s - a, s / a, s ** a */
  RSub,
  RDiv,
  RPow,
}

/** The op with its operands swapped (f(a, b) = g(b, a)), or -1 when there is none. */
const REVERSED: readonly number[] = [
  BinOp.Add,
  BinOp.RSub,
  BinOp.Mul,
  BinOp.RDiv,
  BinOp.RPow,
  BinOp.Max,
  BinOp.Min,
  BinOp.Eq,
  BinOp.Ne,
  BinOp.Gt,
  BinOp.Ge,
  BinOp.Lt,
  BinOp.Le,
  -1,
  -1,
  BinOp.Sub,
  BinOp.Div,
  BinOp.Pow,
];

export function reversedOp(op: BinOp): number {
  return REVERSED[op]!;
}

/**
 * C's pow (as NumPy and torch): JS gives NaN for 1 ** NaN and (-1) ** ±Infinity, C gives 1.
 * Only a NaN result takes the slow check.
 */
function cpow(x: number, y: number): number {
  const r = x ** y;
  if (!Number.isNaN(r)) return r;
  return x === 1 || (x === -1 && (y === Infinity || y === -Infinity)) ? 1 : r;
}

/** All three operands contiguous over the row. */
// biome-ignore format: one line per op reads as a table
export function contigRow(op: BinOp, n: number, a: TypedArray, ia: number, b: TypedArray, ib: number, o: TypedArray, io: number, p: number): void {
  if (binaryWasm(op, n, a, ia, b, ib, o, io, p)) return;
  switch (op) {
    case BinOp.Add: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! + b[ib + j]!; return;
    case BinOp.Sub: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! - b[ib + j]!; return;
    case BinOp.Mul: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! * b[ib + j]!; return;
    case BinOp.Div: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! / b[ib + j]!; return;
    case BinOp.Pow: for (let j = 0; j < n; j++) o[io + j] = cpow(a[ia + j]!, b[ib + j]!); return;
    case BinOp.Max: for (let j = 0; j < n; j++) o[io + j] = Math.max(a[ia + j]!, b[ib + j]!); return;
    case BinOp.Min: for (let j = 0; j < n; j++) o[io + j] = Math.min(a[ia + j]!, b[ib + j]!); return;
    case BinOp.Eq: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! === b[ib + j]! ? 1 : 0; return;
    case BinOp.Ne: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! !== b[ib + j]! ? 1 : 0; return;
    case BinOp.Lt: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! < b[ib + j]! ? 1 : 0; return;
    case BinOp.Le: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! <= b[ib + j]! ? 1 : 0; return;
    case BinOp.Gt: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! > b[ib + j]! ? 1 : 0; return;
    case BinOp.Ge: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! >= b[ib + j]! ? 1 : 0; return;
    case BinOp.Axpy: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! + p * b[ib + j]!; return;
    case BinOp.Copy: for (let j = 0; j < n; j++) o[io + j] = b[ib + j]!; return;
    default: throw new Error(`contigRow: op ${BinOp[op]} has no contiguous kernel`);
  }
}

/** a and o contiguous over the row, the other operand one value s: o = a op s. */
// biome-ignore format: one line per op reads as a table
export function scalarRow(op: BinOp, n: number, a: TypedArray, ia: number, s: number, o: TypedArray, io: number, p: number): void {
  if (scalarWasm(op, n, a, ia, s, o, io, p)) return;
  switch (op) {
    case BinOp.Add: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! + s; return;
    case BinOp.Sub: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! - s; return;
    case BinOp.Mul: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! * s; return;
    case BinOp.Div: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! / s; return;
    case BinOp.Pow: if (s === 2) { for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! * a[ia + j]!; } else { for (let j = 0; j < n; j++) o[io + j] = cpow(a[ia + j]!, s); } return;
    case BinOp.Max: for (let j = 0; j < n; j++) o[io + j] = Math.max(a[ia + j]!, s); return;
    case BinOp.Min: for (let j = 0; j < n; j++) o[io + j] = Math.min(a[ia + j]!, s); return;
    case BinOp.Eq: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! === s ? 1 : 0; return;
    case BinOp.Ne: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! !== s ? 1 : 0; return;
    case BinOp.Lt: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! < s ? 1 : 0; return;
    case BinOp.Le: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! <= s ? 1 : 0; return;
    case BinOp.Gt: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! > s ? 1 : 0; return;
    case BinOp.Ge: for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! >= s ? 1 : 0; return;
    case BinOp.Axpy: { const ps = p * s; for (let j = 0; j < n; j++) o[io + j] = a[ia + j]! + ps; return; }
    case BinOp.Copy: for (let j = 0; j < n; j++) o[io + j] = s; return;
    case BinOp.RSub: for (let j = 0; j < n; j++) o[io + j] = s - a[ia + j]!; return;
    case BinOp.RDiv: for (let j = 0; j < n; j++) o[io + j] = s / a[ia + j]!; return;
    case BinOp.RPow: for (let j = 0; j < n; j++) o[io + j] = cpow(s, a[ia + j]!); return;
  }
}

/** Any strides (0 for a broadcast operand, negative for a flipped view): the general fallback. */
// biome-ignore format: one line per op reads as a table
export function stridedRow(op: BinOp, n: number, a: TypedArray, ia: number, sa: number, b: TypedArray, ib: number, sb: number, o: TypedArray, io: number, so: number, p: number): void {
  switch (op) {
    case BinOp.Add: for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) o[io] = a[ia]! + b[ib]!; return;
    case BinOp.Sub: for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) o[io] = a[ia]! - b[ib]!; return;
    case BinOp.Mul: for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) o[io] = a[ia]! * b[ib]!; return;
    case BinOp.Div: for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) o[io] = a[ia]! / b[ib]!; return;
    case BinOp.Pow: for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) o[io] = cpow(a[ia]!, b[ib]!); return;
    case BinOp.Max: for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) o[io] = Math.max(a[ia]!, b[ib]!); return;
    case BinOp.Min: for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) o[io] = Math.min(a[ia]!, b[ib]!); return;
    case BinOp.Eq: for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) o[io] = a[ia]! === b[ib]! ? 1 : 0; return;
    case BinOp.Ne: for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) o[io] = a[ia]! !== b[ib]! ? 1 : 0; return;
    case BinOp.Lt: for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) o[io] = a[ia]! < b[ib]! ? 1 : 0; return;
    case BinOp.Le: for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) o[io] = a[ia]! <= b[ib]! ? 1 : 0; return;
    case BinOp.Gt: for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) o[io] = a[ia]! > b[ib]! ? 1 : 0; return;
    case BinOp.Ge: for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) o[io] = a[ia]! >= b[ib]! ? 1 : 0; return;
    case BinOp.Axpy: for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) o[io] = a[ia]! + p * b[ib]!; return;
    case BinOp.Copy: for (let j = 0; j < n; j++, ia += sa, ib += sb, io += so) o[io] = b[ib]!; return;
    default: throw new Error(`stridedRow: op ${BinOp[op]} has no strided kernel`);
  }
}

/**
 * One row with the best kernel for its strides: all unit strides -> contigRow; one operand fixed
 * (stride 0, e.g. [N,C] * [N,1]) -> scalarRow; anything else -> stridedRow.
 */
export function binaryRow(
  op: BinOp,
  n: number,
  a: TypedArray,
  ia: number,
  sa: number,
  b: TypedArray,
  ib: number,
  sb: number,
  o: TypedArray,
  io: number,
  so: number,
  p: number,
): void {
  if (so === 1 && sa === 1 && sb === 1) contigRow(op, n, a, ia, b, ib, o, io, p);
  else if (so === 1 && sa === 1 && sb === 0) scalarRow(op, n, a, ia, b[ib]!, o, io, p);
  else if (so === 1 && sa === 0 && sb === 1 && REVERSED[op]! >= 0)
    scalarRow(REVERSED[op]!, n, b, ib, a[ia]!, o, io, p);
  else stridedRow(op, n, a, ia, sa, b, ib, sb, o, io, so, p);
}

/**
 * o = f(a, b) for tensors already broadcast-compatible with o's shape (the general path): the
 * operands' strides are aligned to o's shape (0 on broadcast axes), coalesced jointly, and each
 * row goes to binaryRow. orderBy picks the operand (0 a, 1 b, 2 o) whose memory order is followed.
 */
export function binaryLoop(op: BinOp, a: Tensor, b: Tensor, o: Tensor, p: number, orderBy = -1): void {
  const loop = new RowLoop(
    o.shape,
    [alignStrides(a.shape, a.strides, o.shape), alignStrides(b.shape, b.strides, o.shape), o.strides],
    [a.offset, b.offset, o.offset],
    orderBy,
  );
  const n = loop.inner;
  const [sa, sb, so] = loop.innerStrides as [number, number, number];
  const pos = loop.pos;
  const ad = a.data;
  const bd = b.data;
  const od = o.data;
  for (let r = 0; r < loop.rows; r++) {
    binaryRow(op, n, ad, pos[0]!, sa, bd, pos[1]!, sb, od, pos[2]!, so, p);
    loop.next();
  }
}

/**
 * The two broadcasts of a training step as one wasm call (wasm backend, float32, contiguous
 * operands, o of a's shape): a bias row, [.., N] op [N] (any leading 1s on b), and a column,
 * [.., T, N] op [.., T, 1]. Returns false when the pattern or the backend does not match; the
 * general strided loop (binaryLoop) then runs. A larger b with the small operand a runs the
 * swapped op (reversedOp).
 */
export function broadcastFast(op: BinOp, a: Tensor, b: Tensor, o: Tensor): boolean {
  if (!o.isContiguous()) return false;
  if (sameDims(a.shape, o.shape)) return broadcastInto(op, a, b, o);
  const r = REVERSED[op]!;
  return r >= 0 && sameDims(b.shape, o.shape) && broadcastInto(r, b, a, o);
}

function broadcastInto(op: number, big: Tensor, small: Tensor, o: Tensor): boolean {
  const nd = o.ndim;
  const n = o.shape[nd - 1]!;
  if (nd === 0 || n === 0 || !big.isContiguous() || !small.isContiguous()) return false;
  const sd = small.ndim;
  // a row: small's shape is o's trailing axes, after leading 1s
  let row = sd <= nd;
  let lead = 0;
  while (lead < sd && small.shape[lead] === 1) lead++;
  for (let i = lead; row && i < sd; i++) row = small.shape[i] === o.shape[nd - sd + i];
  if (row && small.size >= 8) {
    const len = small.size;
    return broadcastWasm(
      op,
      o.size / len,
      len,
      false,
      big.data,
      big.offset,
      small.data,
      small.offset,
      o.data,
      o.offset,
    );
  }
  // a column: o's shape with the last axis 1 (leading 1s allowed when small has fewer axes)
  let col = sd <= nd && sd >= 2 && small.shape[sd - 1] === 1 && n > 1;
  for (let i = 0; col && i < sd - 1; i++) col = small.shape[i] === o.shape[nd - sd + i];
  for (let i = 0; col && i < nd - sd; i++) col = o.shape[i] === 1;
  if (!col) return false;
  return broadcastWasm(
    op,
    o.size / n,
    n,
    true,
    big.data,
    big.offset,
    small.data,
    small.offset,
    o.data,
    o.offset,
  );
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A JS number as a 0-d tensor of the given dtype (so float32 ops see the float32-rounded value). */
export function scalarTensor(value: number, dtype: DType): Tensor {
  const data = allocate(dtype, 1);
  data[0] = value;
  return new Tensor(data, []);
}
