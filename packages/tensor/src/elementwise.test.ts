import { assertClose, type CloseOptions } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { buildOperand, expectedData, fixture, fromFixture } from '../test/elementwise-helpers.js';
import { arange, randn, tensor, zeros } from './create.js';
import type { DType } from './dtype.js';
import {
  add,
  div,
  eq,
  ge,
  gt,
  le,
  lt,
  maximum,
  minimum,
  mul,
  ne,
  type Operand,
  pow,
  sub,
  where,
} from './elementwise.js';
import { ShapeError } from './errors.js';
import { Tensor } from './tensor.js';

type BinaryFn = (a: Operand, b: Operand, out?: Tensor) => Tensor;
const BINARY: Record<string, BinaryFn> = {
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
};

/**
 * + - * / max min and comparisons are exact in both dtypes (NumPy's float32 ops are correctly
 * rounded, and so is a float64 result rounded to float32). pow goes through two different libm
 * pows: a couple of float64 ulps, or one float32 ulp.
 */
function tolerance(op: string, dtype: DType): CloseOptions {
  if (op !== 'pow') return { atol: 0, rtol: 0 };
  return dtype === 'float32' ? { atol: 0, rtol: 2 ** -23 } : { atol: 0, rtol: 1e-15 };
}

describe('binary ops against NumPy', () => {
  const cases = fixture().binary;
  it.each(cases.map((c) => [`${c.name} (${c.dtype})`, c] as const))('%s', (_, c) => {
    const a = buildOperand(c.a);
    const b = buildOperand(c.b);
    for (const [op, fn] of Object.entries(BINARY)) {
      const want = c.expected[op]!;
      const got = fn(a, b);
      expect(got.shape, op).toEqual(want.shape);
      expect(got.dtype, op).toBe(c.dtype);
      expect(got.isContiguous()).toBe(true);
      assertClose(got.toTypedArray(), expectedData(want), {
        ...tolerance(op, c.dtype),
        label: `${c.name} ${op}`,
      });
      // the same through a preallocated out
      const out = zeros(want.shape, { dtype: c.dtype });
      expect(fn(a, b, out)).toBe(out);
      assertClose(out.toTypedArray(), expectedData(want), { ...tolerance(op, c.dtype), label: `${op} out` });
    }
  });

  it('covers every op, both dtypes, views, scalars, 0-d and size-0 operands', () => {
    expect(cases.length).toBeGreaterThan(40);
    expect(new Set(cases.map((c) => c.dtype))).toEqual(new Set(['float32', 'float64']));
    for (const c of cases) expect(Object.keys(c.expected).sort()).toEqual(Object.keys(BINARY).sort());
  });
});

describe('where against NumPy', () => {
  it.each(fixture().where.map((c) => [`${c.name} (${c.dtype})`, c] as const))('%s', (_, c) => {
    const cond = buildOperand(c.cond) as Tensor;
    const got = where(cond, buildOperand(c.a), buildOperand(c.b));
    expect(got.shape).toEqual(c.expected.shape);
    expect(got.dtype).toBe(c.dtype);
    assertClose(got.toTypedArray(), expectedData(c.expected), { atol: 0, rtol: 0, label: c.name });
    const out = zeros(c.expected.shape, { dtype: c.dtype });
    expect(where(cond, buildOperand(c.a), buildOperand(c.b), out)).toBe(out);
    assertClose(out.toTypedArray(), expectedData(c.expected), { atol: 0, rtol: 0 });
  });

  it('treats NaN in cond as true, as NumPy', () => {
    const cond = tensor([Number.NaN, 0, 1]);
    expect(where(cond, 1, 2).toFlatArray()).toEqual([1, 2, 1]);
  });
});

describe('scalars take the tensor dtype', () => {
  it('rounds a number to float32 for float32 tensors, keeps it for float64', () => {
    expect(add(zeros([1]), 0.1).item()).toBe(Math.fround(0.1));
    expect(add(zeros([1], { dtype: 'float64' }), 0.1).item()).toBe(0.1);
    // 0.1 - x with x = fround(0.1) is exactly 0 only when the scalar is rounded first
    expect(sub(0.1, tensor([0.1])).item()).toBe(0);
  });
});

describe('pow special cases', () => {
  it('x ** 2 is the correctly rounded square (x * x), as NumPy', () => {
    const x = randn([50], { seed: 11, dtype: 'float64' });
    const xs = x.toFlatArray();
    expect(pow(x, 2).toFlatArray()).toEqual(xs.map((v) => v * v));
    expect(
      pow(x.expand([2, 50]).transpose(), 2)
        .transpose()
        .select(0, 1)
        .toFlatArray(),
    ).toEqual(xs.map((v) => v * v));
  });

  it("C's pow where JS's ** differs: 1 ** NaN = 1, (-1) ** ±Infinity = 1", () => {
    expect(pow(tensor([1, -1, -1]), tensor([Number.NaN, Infinity, -Infinity])).toFlatArray()).toEqual([
      1, 1, 1,
    ]);
    expect(pow(1, tensor([Number.NaN])).item()).toBe(1);
    expect(pow(tensor([Number.NaN]), 0).item()).toBe(1);
  });
});

describe('out aliasing', () => {
  it('out may be an input of the result shape (in-place use)', () => {
    const x = tensor([1, 2, 3], undefined, { dtype: 'float64' });
    const y = tensor([10, 20, 30], undefined, { dtype: 'float64' });
    expect(add(x, y, x)).toBe(x);
    expect(x.toFlatArray()).toEqual([11, 22, 33]);
    mul(x, x, x);
    expect(x.toFlatArray()).toEqual([121, 484, 1089]);
    sub(100, y, y);
    expect(y.toFlatArray()).toEqual([90, 80, 70]);
  });

  it('an input that overlaps out in another layout is read before anything is written', () => {
    // out is the input shifted by one element: a naive loop would smear a[0] along the buffer
    const buf = arange(7, undefined, 1, { dtype: 'float64' });
    const a = buf.slice(0, 0, 6);
    const out = buf.slice(0, 1, 7);
    add(a, 100, out);
    expect(buf.toFlatArray()).toEqual([0, 100, 101, 102, 103, 104, 105]);
    // out = x.T written over x itself
    const x = arange(9).reshape([3, 3]);
    add(x.transpose(), 0, x);
    expect(x.toArray()).toEqual([
      [0, 3, 6],
      [1, 4, 7],
      [2, 5, 8],
    ]);
    // a broadcast input living inside out
    const m = arange(6).reshape([2, 3]);
    mul(m, m.select(0, 1), m);
    expect(m.toArray()).toEqual([
      [0, 4, 10],
      [9, 16, 25],
    ]);
  });
});

describe('binary errors', () => {
  const f32 = zeros([2, 3]);
  const f64 = zeros([2, 3], { dtype: 'float64' });

  it('mixed dtypes: TypeError naming the op, the argument and both dtypes', () => {
    for (const [op, fn] of Object.entries(BINARY)) {
      expect(() => fn(f32, f64)).toThrow(TypeError);
      expect(() => fn(f32, f64)).toThrow(`${op}: b has dtype float64, expected float32`);
    }
  });

  it('operands that are not a Tensor or a number, and two numbers', () => {
    expect(() => add('x' as unknown as number, f32)).toThrow(
      new TypeError('add: a must be a Tensor or a number, got string x'),
    );
    expect(() => mul(f32, [1, 2] as unknown as number)).toThrow(
      'mul: b must be a Tensor or a number, got an array',
    );
    expect(() => sub(f32, null as unknown as number)).toThrow(
      'sub: b must be a Tensor or a number, got null',
    );
    expect(() => div(1, 2)).toThrow(
      new TypeError('div: at least one of a and b must be a Tensor, got two numbers (1, 2)'),
    );
  });

  it('shapes that do not broadcast: ShapeError', () => {
    const err = (() => {
      try {
        gt(zeros([2, 3]), zeros([4]));
      } catch (e) {
        return e;
      }
    })() as ShapeError;
    expect(err).toBeInstanceOf(ShapeError);
    expect(err.message).toBe('gt: cannot broadcast [2,3] with [4]');
    expect(err.op).toBe('gt');
  });

  it('out of the wrong shape, dtype or layout, or not a tensor', () => {
    expect(() => add(f32, 1, zeros([3, 2]))).toThrow(
      new ShapeError(
        'add',
        'out',
        '[2,3]',
        '[3,2]',
        "add: out has shape [3,2], expected the result's shape [2,3]",
      ),
    );
    expect(() => add(f32, 1, zeros([3, 2]))).toThrow(ShapeError);
    expect(() => pow(f32, 2, f64)).toThrow(TypeError);
    expect(() => pow(f32, 2, f64)).toThrow('pow: out has dtype float64, expected float32');
    const strided = zeros([3, 2]).transpose();
    expect(() => maximum(f32, 0, strided)).toThrow(ShapeError);
    expect(() => maximum(f32, 0, strided)).toThrow(
      'maximum: out must be contiguous, got strides [1,2] for shape [2,3]',
    );
    expect(() => minimum(f32, 0, [0] as unknown as Tensor)).toThrow(
      new TypeError('minimum: out must be a Tensor, got an array'),
    );
  });

  it('where: cond must be a tensor of the operands dtype; shapes must broadcast three ways', () => {
    const cond = zeros([2, 3]);
    expect(() => where(1 as unknown as Tensor, f32, 0)).toThrow(
      new TypeError('where: cond must be a Tensor, got number 1'),
    );
    expect(() => where(cond, f64, 0)).toThrow('where: a has dtype float64, expected float32');
    expect(() => where(cond, 0, f64)).toThrow('where: b has dtype float64, expected float32');
    expect(() => where(cond, 'a' as unknown as number, 0)).toThrow(
      'where: a must be a Tensor or a number, got string a',
    );
    expect(() => where(cond, zeros([3]), zeros([2]))).toThrow(ShapeError);
    expect(() => where(cond, zeros([3]), zeros([2]))).toThrow('where: cannot broadcast [2,3] with [2]');
    expect(() => where(cond, 0, 1, zeros([3]))).toThrow(
      "where: out has shape [3], expected the result's shape [2,3]",
    );
  });
});

describe('edge shapes', () => {
  it('0-d op 0-d is 0-d; size-0 results allocate nothing and touch no data', () => {
    const r = add(tensor(2), tensor(3));
    expect(r.shape).toEqual([]);
    expect(r.item()).toBe(5);
    const e = mul(zeros([0, 3]), tensor([1, 2, 3]));
    expect(e.shape).toEqual([0, 3]);
    expect(e.size).toBe(0);
    expect(where(zeros([0]), 1, 2).shape).toEqual([0]);
  });

  it('fixture tensors rebuild with the recorded shapes', () => {
    const c = fixture().binary.find((x) => x.name === 'transposed with strided slice')!;
    const a = buildOperand(c.a) as Tensor;
    expect(a.isContiguous()).toBe(false);
    expect(fromFixture(c.expected.add!).shape).toEqual([3, 4]);
    expect(a).toBeInstanceOf(Tensor);
  });
});
