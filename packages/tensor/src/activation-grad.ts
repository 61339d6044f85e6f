import type { TypedArray } from './dtype.js';
import { formatShape, ShapeError } from './errors.js';
import { readable } from './internal/broadcast.js';
import { checkOut, expectDtype, expectTensor } from './internal/check.js';
import { activationGradWasm, GradOp } from './internal/wasm/activation-wasm.js';
import { erfcScalar } from './math.js';
import { sameShape } from './shape.js';
import { allocateUninit } from './storage.js';
import { Tensor } from './tensor.js';
import type { GeluOptions } from './unary.js';
import { dispose } from './wasm/storage.js';

/**
 * Fused activation backward passes: dx = dy * f'(.) in one pass over dy and the saved tensor
 * (the input x for GELU, the output y for tanh and sigmoid), float64 per element, rounded once to
 * the dtype. dy and the saved tensor must have the same shape and dtype (no broadcasting: a
 * gradient always has its input's shape). The result is a fresh contiguous tensor, or `out`
 * (contiguous, that shape and dtype; it may be dy or the saved tensor itself).
 */

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
// torch's approximate='tanh': u = BETA (x + KAPPA x^3)
const BETA = Math.sqrt(2 / Math.PI);
const KAPPA = 0.044715;

/**
 * d/dx [x Phi(x)] = Phi(x) + x phi(x), Phi(x) = erfc(-x / sqrt 2) / 2 (erfc: no cancellation in the
 * left tail, where torch's (1 + erf) / 2 returns 0 below x = -8), phi(x) = exp(-x^2 / 2) / sqrt(2 pi).
 * NaN at x = +-Infinity (Infinity * 0, as torch); the limits 1 and 0 for every finite x.
 */
function geluSlope(x: number): number {
  return 0.5 * erfcScalar(-x * SQRT1_2) + x * (INV_SQRT_2PI * Math.exp(-0.5 * x * x));
}

/**
 * torch's tanh-form slope, d/dx [x (1 + t) / 2] = (1 + t) / 2 + (x / 2) (1 - t^2) BETA (1 + 3 KAPPA x^2),
 * t = tanh(u), rewritten with e = exp(-2|u|) so that neither 1 + t (x < 0) nor 1 - t^2 (|x| large)
 * cancels: with s = 1 / (1 + e),
 *   (1 + t) / 2 = s (u >= 0) or e s (u < 0),   1 - t^2 = 4 e s^2.
 * When e underflows to 0 the second term is 0 (0 * x keeps NaN at x = +-Infinity, as torch); without
 * that, x^2 overflows first for |x| > 1e154 and 0 * Infinity would give NaN.
 */
function geluTanhSlope(x: number): number {
  const u = BETA * x * (1 + KAPPA * x * x);
  const e = Math.exp(-2 * Math.abs(u));
  const s = 1 / (1 + e);
  const half = u >= 0 ? s : e * s;
  if (e === 0) return half + 0 * x;
  return half + 2 * BETA * x * e * s * s * (1 + 3 * KAPPA * x * x);
}

// biome-ignore format: one line per op reads as a table
function gradRow(op: GradOp, n: number, g: TypedArray, ig: number, v: TypedArray, iv: number, o: TypedArray, io: number): void {
  if (activationGradWasm(op, n, g, ig, v, iv, o, io)) return;
  switch (op) {
    case GradOp.Gelu: for (let j = 0; j < n; j++) o[io + j] = g[ig + j]! * geluSlope(v[iv + j]!); return;
    case GradOp.GeluTanh: for (let j = 0; j < n; j++) o[io + j] = g[ig + j]! * geluTanhSlope(v[iv + j]!); return;
    // 1 - y^2 = (1 - y)(1 + y): exact factors where y is near +-1 (Sterbenz), where 1 - y^2 cancels
    case GradOp.Tanh: for (let j = 0; j < n; j++) o[io + j] = g[ig + j]! * ((1 - v[iv + j]!) * (1 + v[iv + j]!)); return;
    case GradOp.Sigmoid: for (let j = 0; j < n; j++) o[io + j] = g[ig + j]! * (v[iv + j]! * (1 - v[iv + j]!)); return;
  }
}

function grad(name: string, op: GradOp, dy: Tensor, saved: Tensor, savedName: string, out?: Tensor): Tensor {
  expectTensor(name, 'dy', dy);
  expectTensor(name, savedName, saved);
  expectDtype(name, savedName, saved, dy.dtype);
  if (!sameShape(dy.shape, saved.shape)) {
    throw new ShapeError(
      name,
      savedName,
      `dy's shape ${formatShape(dy.shape)}`,
      formatShape(saved.shape),
      `${name}: ${savedName} has shape ${formatShape(saved.shape)}, expected dy's shape ` +
        `${formatShape(dy.shape)} (the same shape: no broadcasting)`,
    );
  }
  const dst = out === undefined ? null : checkOut(name, out, dy.shape, dy.dtype);
  if (dst !== null) {
    dy = readable(dy, dst);
    saved = readable(saved, dst);
  }
  const o = dst ?? new Tensor(allocateUninit(dy.dtype, dy.size), dy.shape);
  if (dy.size === 0) return o;
  // strided operands are gathered once (contiguous() is the tensor itself when already contiguous)
  const g = dy.contiguous();
  const v = saved.contiguous();
  gradRow(op, dy.size, g.data, g.offset, v.data, v.offset, o.data, o.offset);
  // the gathered copies are freed now rather than left to the enclosing tidy or the GC
  if (g !== dy) dispose(g);
  if (v !== saved) dispose(v);
  return o;
}

/**
 * dx = dy * gelu'(x), the backward of `gelu(x, options)` in one pass (torch's gelu_backward), for
 * approximate 'none' (default: Phi(x) + x phi(x), exact erf) and 'tanh'.
 */
export function geluBackward(dy: Tensor, x: Tensor, options: GeluOptions = {}, out?: Tensor): Tensor {
  const approximate = options.approximate ?? 'none';
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new RangeError(
      `geluBackward: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`,
    );
  }
  return grad('geluBackward', approximate === 'tanh' ? GradOp.GeluTanh : GradOp.Gelu, dy, x, 'x', out);
}

/** dx = dy * (1 - y^2) with y = tanh(x) the forward's output. */
export function tanhBackward(dy: Tensor, y: Tensor, out?: Tensor): Tensor {
  return grad('tanhBackward', GradOp.Tanh, dy, y, 'y', out);
}

/** dx = dy * y (1 - y) with y = sigmoid(x) the forward's output. */
export function sigmoidBackward(dy: Tensor, y: Tensor, out?: Tensor): Tensor {
  return grad('sigmoidBackward', GradOp.Sigmoid, dy, y, 'y', out);
}
