import type { Tensor } from '@normkit/tensor';
import * as T from '@normkit/tensor';
import { defineOp } from '../define-op.js';
import type { TensorOperand, Variable } from '../variable.js';

/**
 * Elementwise math functions. `unary(name, forward, vjp)` builds a one-input op whose forward
 * returns the output (and what to save) and whose vjp maps the output gradient to the input's.
 * Rules that can be written with the output y save y instead of x (exp, sqrt, tanh, ...).
 */
export function unary<S>(
  name: string,
  forward: (x: Tensor) => { output: Tensor; saved: S },
  vjp: (g: Tensor, saved: S) => Tensor,
) {
  return defineOp({
    name,
    inputNames: ['x'],
    forward: (_c, [x]: [Tensor]) => forward(x),
    backward: (c, g) => [vjp(g, c.saved)],
  });
}

const saveX = (f: (x: Tensor) => Tensor) => (x: Tensor) => ({ output: f(x), saved: x });
const saveY = (f: (x: Tensor) => Tensor) => (x: Tensor) => {
  const y = f(x);
  return { output: y, saved: y };
};
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

export const unaryRules = {
  neg: unary(
    'neg',
    (x) => ({ output: T.neg(x), saved: null }),
    (g) => T.neg(g),
  ),
  // d|x| = sign(x) dx (0 at 0, as torch)
  abs: unary('abs', saveX(T.abs), (g, x) => T.mul(g, T.sign(x))),
  square: unary('square', saveX(T.square), (g, x) => T.mulInPlace(T.mul(g, x), 2)),
  // d(1/x) = -y^2 dx
  reciprocal: unary('reciprocal', saveY(T.reciprocal), (g, y) => T.mul(g, T.neg(T.square(y)))),
  exp: unary('exp', saveY(T.exp), (g, y) => T.mul(g, y)),
  expm1: unary('expm1', saveY(T.expm1), (g, y) => T.mul(g, T.add(y, 1))),
  log: unary('log', saveX(T.log), (g, x) => T.div(g, x)),
  log1p: unary('log1p', saveX(T.log1p), (g, x) => T.div(g, T.add(x, 1))),
  // d sqrt(x) = dx / (2 y)
  sqrt: unary('sqrt', saveY(T.sqrt), (g, y) => T.div(T.mul(g, 0.5), y)),
  // d x^(-1/2) = -1/2 x^(-3/2) dx = -y^3 / 2 dx
  rsqrt: unary('rsqrt', saveY(T.rsqrt), (g, y) => T.mul(g, T.mulInPlace(T.mul(T.square(y), y), -0.5))),
  sin: unary('sin', saveX(T.sin), (g, x) => T.mul(g, T.cos(x))),
  cos: unary('cos', saveX(T.cos), (g, x) => T.neg(T.mul(g, T.sin(x)))),
  // d erf(x) = 2/sqrt(pi) exp(-x^2) dx
  erf: unary('erf', saveX(T.erf), (g, x) =>
    T.mul(g, T.mulInPlace(T.exp(T.neg(T.square(x))), TWO_OVER_SQRT_PI)),
  ),
};

export function neg(x: TensorOperand): Variable {
  return unaryRules.neg([x]);
}
export function abs(x: TensorOperand): Variable {
  return unaryRules.abs([x]);
}
export function square(x: TensorOperand): Variable {
  return unaryRules.square([x]);
}
export function reciprocal(x: TensorOperand): Variable {
  return unaryRules.reciprocal([x]);
}
export function exp(x: TensorOperand): Variable {
  return unaryRules.exp([x]);
}
export function expm1(x: TensorOperand): Variable {
  return unaryRules.expm1([x]);
}
export function log(x: TensorOperand): Variable {
  return unaryRules.log([x]);
}
export function log1p(x: TensorOperand): Variable {
  return unaryRules.log1p([x]);
}
export function sqrt(x: TensorOperand): Variable {
  return unaryRules.sqrt([x]);
}
export function rsqrt(x: TensorOperand): Variable {
  return unaryRules.rsqrt([x]);
}
export function sin(x: TensorOperand): Variable {
  return unaryRules.sin([x]);
}
export function cos(x: TensorOperand): Variable {
  return unaryRules.cos([x]);
}
export function erf(x: TensorOperand): Variable {
  return unaryRules.erf([x]);
}
