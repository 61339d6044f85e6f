import { assertClose, type CloseOptions } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { decode, expectedData, fixture, fromFixture } from '../test/elementwise-helpers.js';
import { arange, randn, tensor, zeros } from './create.js';
import type { DType } from './dtype.js';
import { ShapeError } from './errors.js';
import type { Tensor } from './tensor.js';
import {
  abs,
  clamp,
  cos,
  erf,
  exp,
  expm1,
  gelu,
  log,
  log1p,
  neg,
  reciprocal,
  relu,
  rsqrt,
  sigmoid,
  sign,
  silu,
  sin,
  sqrt,
  square,
  tanh,
} from './unary.js';

type UnaryFn = (x: Tensor, out?: Tensor) => Tensor;
const UNARY: Record<string, UnaryFn> = {
  neg,
  abs,
  sign,
  square,
  reciprocal,
  exp,
  log,
  log1p,
  expm1,
  sqrt,
  rsqrt,
  sin,
  cos,
  tanh,
  sigmoid,
  relu,
  silu,
  erf,
  gelu: (x, out) => gelu(x, {}, out),
  gelu_tanh: (x, out) => gelu(x, { approximate: 'tanh' }, out),
  'clamp(-0.5,2)': (x, out) => clamp(x, -0.5, 2, out),
  'clamp(min=0.1)': (x, out) => clamp(x, 0.1, undefined, out),
  'clamp(max=-1)': (x, out) => clamp(x, undefined, -1, out),
  'clamp(3,1)': (x, out) => clamp(x, 3, 1, out),
};

const EXACT = new Set(['neg', 'abs', 'sign', 'square', 'reciprocal', 'sqrt', 'relu']);

/**
 * The oracle is torch in float64 (rounded to float32 for float32). Correctly rounded ops must
 * match exactly; transcendental ones are a few float64 ulps apart (two libms), or one float32
 * ulp when the float64 values straddle a float32 rounding boundary. gelu: torch's 1 + erf(..)
 * and 1 + tanh(..) cancel for x << 0, so its absolute error there is ~1e-16 * |x| (see the
 * tail-accurate test below).
 */
function tolerance(op: string, dtype: DType): CloseOptions {
  if (EXACT.has(op) || op.startsWith('clamp')) return { atol: 0, rtol: 0 };
  const atol = op.startsWith('gelu') ? 2e-15 : 0;
  return dtype === 'float32' ? { atol: Math.max(atol, 1e-45), rtol: 2 ** -23 } : { atol, rtol: 1e-15 };
}

describe('unary ops against torch', () => {
  for (const c of fixture().unary) {
    it(`every op on special and large values (${c.dtype})`, () => {
      const x = fromFixture(c.x);
      expect(Object.keys(c.expected).sort()).toEqual(Object.keys(UNARY).sort());
      for (const [op, fn] of Object.entries(UNARY)) {
        const got = fn(x);
        expect(got.dtype).toBe(c.dtype);
        expect(got.shape).toEqual(x.shape);
        assertClose(got.toTypedArray(), expectedData(c.expected[op]!), {
          ...tolerance(op, c.dtype),
          label: op,
        });
      }
    });
  }

  it('sigmoid, tanh and exp saturate cleanly for huge |x| (no NaN)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tensor([-3e38, -1e4, -800, 800, 1e4, 3e38, -Infinity, Infinity], undefined, { dtype });
      expect(sigmoid(x).toFlatArray()).toEqual([0, 0, 0, 1, 1, 1, 0, 1]);
      expect(tanh(x).toFlatArray()).toEqual([-1, -1, -1, 1, 1, 1, -1, 1]);
      // silu(-inf) = -inf * 0 is NaN, as torch; every finite input stays finite
      expect(
        silu(x.slice(0, 0, 6))
          .toFlatArray()
          .some(Number.isNaN),
      ).toBe(false);
      expect(exp(x).toFlatArray()).toEqual([0, 0, 0, Infinity, Infinity, Infinity, 0, Infinity]);
    }
  });
});

describe('gelu', () => {
  const g = fixture().gelu;
  const x = tensor(g.x, undefined, { dtype: 'float64' });

  it('matches torch.nn.functional.gelu (both forms) in float64', () => {
    assertClose(gelu(x).toTypedArray(), decode(g.torch_none), { atol: 2e-15, rtol: 1e-15, label: 'none' });
    assertClose(gelu(x, { approximate: 'tanh' }).toTypedArray(), decode(g.torch_tanh), {
      atol: 2e-15,
      rtol: 1e-15,
      label: 'tanh',
    });
  });

  it('keeps relative accuracy in the left tail where torch cancels to 0', () => {
    // exact_none: 0.5 x erfc(-x/sqrt 2) from the C library; exact_tanh: 60-digit decimals.
    // tanh form: rounding in u = c (x + 0.044715 x^3) moves exp(2u) by ~|2u| * 3 ulp
    assertClose(gelu(x).toTypedArray(), decode(g.exact_none), { atol: 0, rtol: 1e-14, label: 'none' });
    assertClose(gelu(x, { approximate: 'tanh' }).toTypedArray(), decode(g.exact_tanh), {
      atol: 0,
      rtol: 1e-12,
      label: 'tanh',
    });
    expect(gelu(tensor([-10], undefined, { dtype: 'float64' })).item()).toBeLessThan(0);
  });

  it('rejects an unknown approximation', () => {
    expect(() => gelu(x, { approximate: 'fast' as 'tanh' })).toThrow(
      new RangeError(`gelu: approximate must be 'none' or 'tanh', got "fast"`),
    );
  });
});

describe('layouts and out', () => {
  it('a non-contiguous input gives the same values as its contiguous copy', () => {
    const base = randn([4, 6], { seed: 7, dtype: 'float64' });
    const views = [base.transpose(), base.slice(1, 1, 6, 2), base.expand([2, 4, 6]).permute([2, 0, 1])];
    for (const v of views) {
      for (const [op, fn] of Object.entries(UNARY)) {
        const got = fn(v);
        expect(got.isContiguous()).toBe(true);
        assertClose(got.toTypedArray(), fn(v.contiguous()).toTypedArray(), { atol: 0, rtol: 0, label: op });
      }
    }
  });

  it('writes into out, in place when out is x, and copies an overlapping input first', () => {
    const x = tensor([1, 4, 9], undefined, { dtype: 'float64' });
    const out = zeros([3], { dtype: 'float64' });
    expect(sqrt(x, out)).toBe(out);
    expect(out.toFlatArray()).toEqual([1, 2, 3]);
    expect(neg(x, x)).toBe(x);
    expect(x.toFlatArray()).toEqual([-1, -4, -9]);
    const m = arange(4).reshape([2, 2]);
    square(m.transpose(), m);
    expect(m.toArray()).toEqual([
      [0, 4],
      [1, 9],
    ]);
  });

  it('0-d and size-0 tensors', () => {
    expect(exp(tensor(0)).item()).toBe(1);
    expect(exp(tensor(0)).shape).toEqual([]);
    expect(relu(zeros([3, 0])).shape).toEqual([3, 0]);
  });
});

describe('unary errors', () => {
  it('x must be a tensor (every op names itself)', () => {
    for (const op of Object.keys(UNARY).filter((k) => !k.includes('_') && !k.startsWith('clamp'))) {
      expect(() => UNARY[op]!(2 as unknown as Tensor)).toThrow(
        new TypeError(`${op}: x must be a Tensor, got number 2`),
      );
    }
  });

  it('out is checked for shape, dtype and layout', () => {
    const x = zeros([2, 3]);
    expect(() => exp(x, zeros([3, 2]))).toThrow(ShapeError);
    expect(() => exp(x, zeros([3, 2]))).toThrow(
      "exp: out has shape [3,2], expected the result's shape [2,3]",
    );
    expect(() => log(x, zeros([2, 3], { dtype: 'float64' }))).toThrow(
      new TypeError(
        'log: out has dtype float64, expected float32 (normkit does not mix dtypes; convert with .astype())',
      ),
    );
    expect(() => tanh(x, zeros([3, 2]).transpose())).toThrow('tanh: out must be contiguous');
  });

  it('clamp needs a bound, and numbers as bounds', () => {
    const x = zeros([2]);
    expect(() => clamp(x)).toThrow(
      new RangeError('clamp: expected at least one of min and max, got neither'),
    );
    expect(() => clamp(x, '0' as unknown as number)).toThrow(
      new TypeError('clamp: min must be a number, got string 0'),
    );
    expect(() => clamp(x, 0, null as unknown as number)).toThrow(
      new TypeError('clamp: max must be a number, got null'),
    );
    expect(() => clamp(1 as unknown as Tensor, 0)).toThrow(
      new TypeError('clamp: x must be a Tensor, got number 1'),
    );
  });
});
