import type { TypedArray } from './dtype.js';
import { readable } from './internal/broadcast.js';
import { checkOut, expectNumber, expectTensor } from './internal/check.js';
import { copyStrided } from './internal/strided.js';
import { ActOp, activationWasm } from './internal/wasm/activation-wasm.js';
import { unaryWasm } from './internal/wasm/elementwise-wasm.js';
import { erfScalar, geluScalar, geluTanhScalar, sigmoidScalar } from './math.js';
import { allocateUninit } from './storage.js';
import { Tensor } from './tensor.js';

/**
 * Unary elementwise ops: y = f(x), y a fresh contiguous tensor of x's shape and dtype, or `out`.
 * `out` may be x itself when x is contiguous (in-place use); any other overlap with x is read
 * from a copy. Computed in float64, stored in the dtype.
 */

enum UnOp {
  Neg,
  Abs,
  Sign,
  Square,
  Reciprocal,
  Exp,
  Log,
  Log1p,
  Expm1,
  Sqrt,
  Rsqrt,
  Sin,
  Cos,
  Tanh,
  Sigmoid,
  Relu,
  Silu,
  Erf,
  Gelu,
  GeluTanh,
  Clamp,
}

/**
 * o[io + j] = f(x[ix + j]) for j < n. One loop per op behind one switch, so each loop is
 * monomorphic. p0, p1 are the op's parameters (clamp's bounds). o may be x at the same offset.
 */
// biome-ignore format: one line per op reads as a table
function unaryRow(op: UnOp, n: number, x: TypedArray, ix: number, o: TypedArray, io: number, p0: number, p1: number): void {
  if (unaryWasm(op, n, x, ix, o, io, p0, p1)) return;
  switch (op) {
    case UnOp.Neg: for (let j = 0; j < n; j++) o[io + j] = -x[ix + j]!; return;
    case UnOp.Abs: for (let j = 0; j < n; j++) o[io + j] = Math.abs(x[ix + j]!); return;
    case UnOp.Sign: for (let j = 0; j < n; j++) o[io + j] = Math.sign(x[ix + j]!); return;
    case UnOp.Square: for (let j = 0; j < n; j++) o[io + j] = x[ix + j]! * x[ix + j]!; return;
    case UnOp.Reciprocal: for (let j = 0; j < n; j++) o[io + j] = 1 / x[ix + j]!; return;
    case UnOp.Exp: for (let j = 0; j < n; j++) o[io + j] = Math.exp(x[ix + j]!); return;
    case UnOp.Log: for (let j = 0; j < n; j++) o[io + j] = Math.log(x[ix + j]!); return;
    case UnOp.Log1p: for (let j = 0; j < n; j++) o[io + j] = Math.log1p(x[ix + j]!); return;
    case UnOp.Expm1: for (let j = 0; j < n; j++) o[io + j] = Math.expm1(x[ix + j]!); return;
    case UnOp.Sqrt: for (let j = 0; j < n; j++) o[io + j] = Math.sqrt(x[ix + j]!); return;
    case UnOp.Rsqrt: for (let j = 0; j < n; j++) o[io + j] = 1 / Math.sqrt(x[ix + j]!); return;
    case UnOp.Sin: for (let j = 0; j < n; j++) o[io + j] = Math.sin(x[ix + j]!); return;
    case UnOp.Cos: for (let j = 0; j < n; j++) o[io + j] = Math.cos(x[ix + j]!); return;
    case UnOp.Tanh: if (activationWasm(ActOp.Tanh, n, x, ix, o, io)) return; for (let j = 0; j < n; j++) o[io + j] = Math.tanh(x[ix + j]!); return;
    case UnOp.Sigmoid: for (let j = 0; j < n; j++) o[io + j] = sigmoidScalar(x[ix + j]!); return;
    // Math.max keeps NaN (torch.relu(nan) is nan) and maps -0 to 0
    case UnOp.Relu: for (let j = 0; j < n; j++) o[io + j] = Math.max(x[ix + j]!, 0); return;
    case UnOp.Silu: for (let j = 0; j < n; j++) o[io + j] = x[ix + j]! * sigmoidScalar(x[ix + j]!); return;
    case UnOp.Erf: for (let j = 0; j < n; j++) o[io + j] = erfScalar(x[ix + j]!); return;
    case UnOp.Gelu: if (activationWasm(ActOp.Gelu, n, x, ix, o, io)) return; for (let j = 0; j < n; j++) o[io + j] = geluScalar(x[ix + j]!); return;
    case UnOp.GeluTanh: if (activationWasm(ActOp.GeluTanh, n, x, ix, o, io)) return; for (let j = 0; j < n; j++) o[io + j] = geluTanhScalar(x[ix + j]!); return;
    // min(max(x, lo), hi): NaN in x or in a bound gives NaN; lo > hi gives hi everywhere (as torch)
    case UnOp.Clamp: for (let j = 0; j < n; j++) o[io + j] = Math.min(Math.max(x[ix + j]!, p0), p1); return;
  }
}

function unary(name: string, op: UnOp, x: Tensor, out: Tensor | undefined, p0 = 0, p1 = 0): Tensor {
  expectTensor(name, 'x', x);
  const dst = out === undefined ? null : checkOut(name, out, x.shape, x.dtype);
  if (dst !== null) x = readable(x, dst);
  const o = dst ?? new Tensor(allocateUninit(x.dtype, x.size), x.shape);
  if (x.size === 0) return o;
  if (x.isContiguous()) {
    unaryRow(op, x.size, x.data, x.offset, o.data, o.offset, p0, p1);
  } else {
    // gather the strided input into the output first, then transform it in place: one extra
    // pass over memory but no temporary and a single contiguous kernel per op
    copyStrided(x.data, x.offset, x.shape, x.strides, o.data, o.offset);
    unaryRow(op, x.size, o.data, o.offset, o.data, o.offset, p0, p1);
  }
  return o;
}

/** -x */
export function neg(x: Tensor, out?: Tensor): Tensor {
  return unary('neg', UnOp.Neg, x, out);
}
/** |x| */
export function abs(x: Tensor, out?: Tensor): Tensor {
  return unary('abs', UnOp.Abs, x, out);
}
/** -1, 0 or 1; NaN for NaN (as NumPy; torch.sign returns 0 there) */
export function sign(x: Tensor, out?: Tensor): Tensor {
  return unary('sign', UnOp.Sign, x, out);
}
/** x * x */
export function square(x: Tensor, out?: Tensor): Tensor {
  return unary('square', UnOp.Square, x, out);
}
/** 1 / x (±Infinity at ±0) */
export function reciprocal(x: Tensor, out?: Tensor): Tensor {
  return unary('reciprocal', UnOp.Reciprocal, x, out);
}
export function exp(x: Tensor, out?: Tensor): Tensor {
  return unary('exp', UnOp.Exp, x, out);
}
/** Natural log (NaN below 0, -Infinity at 0). */
export function log(x: Tensor, out?: Tensor): Tensor {
  return unary('log', UnOp.Log, x, out);
}
/** log(1 + x), accurate for small |x|. */
export function log1p(x: Tensor, out?: Tensor): Tensor {
  return unary('log1p', UnOp.Log1p, x, out);
}
/** exp(x) - 1, accurate for small |x|. */
export function expm1(x: Tensor, out?: Tensor): Tensor {
  return unary('expm1', UnOp.Expm1, x, out);
}
export function sqrt(x: Tensor, out?: Tensor): Tensor {
  return unary('sqrt', UnOp.Sqrt, x, out);
}
/** 1 / sqrt(x) */
export function rsqrt(x: Tensor, out?: Tensor): Tensor {
  return unary('rsqrt', UnOp.Rsqrt, x, out);
}
export function sin(x: Tensor, out?: Tensor): Tensor {
  return unary('sin', UnOp.Sin, x, out);
}
export function cos(x: Tensor, out?: Tensor): Tensor {
  return unary('cos', UnOp.Cos, x, out);
}
export function tanh(x: Tensor, out?: Tensor): Tensor {
  return unary('tanh', UnOp.Tanh, x, out);
}
/** 1 / (1 + exp(-x)), evaluated so that no |x| overflows (0 and 1 in the limits, never NaN). */
export function sigmoid(x: Tensor, out?: Tensor): Tensor {
  return unary('sigmoid', UnOp.Sigmoid, x, out);
}
/** max(x, 0); NaN stays NaN. */
export function relu(x: Tensor, out?: Tensor): Tensor {
  return unary('relu', UnOp.Relu, x, out);
}
/** x * sigmoid(x) (swish). */
export function silu(x: Tensor, out?: Tensor): Tensor {
  return unary('silu', UnOp.Silu, x, out);
}
/** The error function, below 1 ulp in float64 (fdlibm's algorithm). */
export function erf(x: Tensor, out?: Tensor): Tensor {
  return unary('erf', UnOp.Erf, x, out);
}

export interface GeluOptions {
  /** 'none' (default): x * Phi(x) with the exact normal CDF; 'tanh': torch's tanh approximation. */
  approximate?: 'none' | 'tanh';
}

/**
 * GELU as torch.nn.functional.gelu: 'none' = 0.5 x (1 + erf(x / sqrt 2)),
 * 'tanh' = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
 */
export function gelu(x: Tensor, options: GeluOptions = {}, out?: Tensor): Tensor {
  const approximate = options.approximate ?? 'none';
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new RangeError(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
  }
  return unary('gelu', approximate === 'tanh' ? UnOp.GeluTanh : UnOp.Gelu, x, out);
}

/**
 * min(max(x, min), max), either bound optional (not both). As torch.clamp: NaN in x or in a bound
 * gives NaN, and min > max sets every element to max. Bounds take x's dtype.
 */
export function clamp(x: Tensor, min?: number, max?: number, out?: Tensor): Tensor {
  if (min === undefined && max === undefined) {
    throw new RangeError('clamp: expected at least one of min and max, got neither');
  }
  if (min !== undefined) expectNumber('clamp', 'min', min);
  if (max !== undefined) expectNumber('clamp', 'max', max);
  expectTensor('clamp', 'x', x);
  const round = x.dtype === 'float32' ? Math.fround : Number;
  const lo = min === undefined ? -Infinity : round(min);
  const hi = max === undefined ? Infinity : round(max);
  return unary('clamp', UnOp.Clamp, x, out, lo, hi);
}
