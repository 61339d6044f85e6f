import type { Tensor } from '@normkit/tensor';
import * as T from '@normkit/tensor';
import { defineOp } from '../define-op.js';
import type { BackwardContext } from '../node.js';
import type { Operand, Variable } from '../variable.js';
import { gradFor } from './util.js';

/**
 * Binary elementwise ops with NumPy broadcasting. Each rule computes the gradient at the output
 * shape and `gradFor` sums it back to the input's shape (sumTo), skipping inputs that need none.
 */
type Bin = [Tensor | number, Tensor | number];
const AB = ['a', 'b'];

export const binaryRules = {
  add: defineOp({
    name: 'add',
    inputNames: AB,
    forward: (_c, [a, b]: Bin) => T.add(a, b),
    backward: (c, g) => [gradFor(c, 0, () => g), gradFor(c, 1, () => g)],
  }),
  sub: defineOp({
    name: 'sub',
    inputNames: AB,
    forward: (_c, [a, b]: Bin) => T.sub(a, b),
    backward: (c, g) => [gradFor(c, 0, () => g), gradFor(c, 1, () => T.neg(g))],
  }),
  // d(ab) = b da + a db
  mul: defineOp({
    name: 'mul',
    inputNames: AB,
    forward: (_c, [a, b]: Bin) => ({ output: T.mul(a, b), saved: [a, b] as Bin }),
    backward: (c, g) => {
      const [a, b] = c.saved;
      return [gradFor(c, 0, () => T.mul(g, b)), gradFor(c, 1, () => T.mul(g, a))];
    },
  }),
  // d(a/b) = da / b - (a/b) db / b
  div: defineOp({
    name: 'div',
    inputNames: AB,
    forward: (_c, [a, b]: Bin) => {
      const y = T.div(a, b);
      return { output: y, saved: { b, y } };
    },
    backward: (c, g) => {
      const { b, y } = c.saved;
      const gOverB = T.div(g, b);
      return [gradFor(c, 0, () => gOverB), gradFor(c, 1, () => T.neg(T.mul(gOverB, y)))];
    },
  }),
  // d(a^b) = b a^(b-1) da + a^b ln(a) db, with torch's conventions: the da term is 0 where b == 0
  // (so 0^0 has gradient 0, not NaN), the db term is 0 where a == 0 and b >= 0.
  pow: defineOp({
    name: 'pow',
    inputNames: AB,
    forward: (_c, [a, b]: Bin) => {
      const y = T.pow(a, b);
      return { output: y, saved: { a, b, y } };
    },
    backward: (c, g) => {
      const { a, b, y } = c.saved;
      return [
        gradFor(c, 0, () => T.mul(g, powBaseFactor(a as Tensor, b))),
        gradFor(c, 1, () => T.mul(g, powExpFactor(a, b, y))),
      ];
    },
  }),
  // ties split the gradient in half between a and b, as torch.maximum / torch.minimum:
  // weight of a = (1 + sign(a - b)) / 2 for maximum, (1 - sign(a - b)) / 2 for minimum
  maximum: defineOp({
    name: 'maximum',
    inputNames: AB,
    forward: (_c, [a, b]: Bin) => ({ output: T.maximum(a, b), saved: [a, b] as Bin }),
    backward: (c, g) => tieSplit(c, g, 1),
  }),
  minimum: defineOp({
    name: 'minimum',
    inputNames: AB,
    forward: (_c, [a, b]: Bin) => ({ output: T.minimum(a, b), saved: [a, b] as Bin }),
    backward: (c, g) => tieSplit(c, g, -1),
  }),
};

function powBaseFactor(a: Tensor, b: Tensor | number): Tensor {
  if (typeof b === 'number') {
    if (b === 0) return T.zerosLike(a);
    return T.mul(T.pow(a, b - 1), b);
  }
  const f = T.mul(T.pow(a, T.sub(b, 1)), b);
  return T.where(T.eq(b, 0), 0, f);
}

function powExpFactor(a: Tensor | number, b: Tensor | number, y: Tensor): Tensor {
  const f = T.mul(y, typeof a === 'number' ? Math.log(a) : T.log(a));
  const aZero = typeof a === 'number' ? (a === 0 ? 1 : 0) : T.eq(a, 0);
  const bNonNeg = typeof b === 'number' ? (b >= 0 ? 1 : 0) : T.ge(b, 0);
  if (aZero === 0 || bNonNeg === 0) return f;
  const mask =
    typeof aZero === 'number' ? bNonNeg : typeof bNonNeg === 'number' ? aZero : T.mul(aZero, bNonNeg);
  return T.where(mask as Tensor, 0, f);
}

function tieSplit(ctx: BackwardContext<Bin>, g: Tensor, direction: 1 | -1): (Tensor | null)[] {
  const [a, b] = ctx.saved;
  const s = T.sign(direction === 1 ? T.sub(a, b) : T.sub(b, a));
  const wa = T.mul(T.add(s, 1), 0.5);
  return [gradFor(ctx, 0, () => T.mul(g, wa)), gradFor(ctx, 1, () => T.mul(g, T.sub(1, wa)))];
}

export function add(a: Operand, b: Operand): Variable {
  return binaryRules.add([a, b]);
}
export function sub(a: Operand, b: Operand): Variable {
  return binaryRules.sub([a, b]);
}
export function mul(a: Operand, b: Operand): Variable {
  return binaryRules.mul([a, b]);
}
export function div(a: Operand, b: Operand): Variable {
  return binaryRules.div([a, b]);
}
export function pow(a: Operand, b: Operand): Variable {
  return binaryRules.pow([a, b]);
}
export function maximum(a: Operand, b: Operand): Variable {
  return binaryRules.maximum([a, b]);
}
export function minimum(a: Operand, b: Operand): Variable {
  return binaryRules.minimum([a, b]);
}
