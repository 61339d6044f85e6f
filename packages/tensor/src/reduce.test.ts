import { assertClose, type FixtureTensor, fixtureTensorData } from '@normkit/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyView, type FixtureView, fromFixture, load, tolerance } from '../test/reduce-fixture-helpers.js';
import { randint, randn, tensor, zeros } from './create.js';
import { ShapeError } from './errors.js';
import { argmax, argmin, max, mean, min, std, sum, sumTo, variance } from './reduce.js';
import type { Tensor } from './tensor.js';

interface ReduceCase {
  op: 'sum' | 'mean' | 'variance' | 'std' | 'max' | 'min' | 'logsumexp' | 'argmax' | 'argmin';
  base: FixtureTensor;
  view: FixtureView;
  axes: number | number[] | null;
  keepdims: boolean;
  correction?: number;
  expected: FixtureTensor;
}
interface SumToCase {
  base: FixtureTensor;
  view: FixtureView;
  shape: number[];
  expected: FixtureTensor;
}
const fixture = load<{ reduce: ReduceCase[]; sumTo: SumToCase[] }>('reduce.json');

function run(c: ReduceCase, x: Tensor): Tensor {
  const axes = c.axes ?? undefined;
  const opts = { keepdims: c.keepdims, correction: c.correction };
  switch (c.op) {
    case 'sum':
      return sum(x, axes, opts);
    case 'mean':
      return mean(x, axes, opts);
    case 'variance':
      return variance(x, axes, opts);
    case 'std':
      return std(x, axes, opts);
    case 'max':
      return max(x, axes, opts);
    case 'min':
      return min(x, axes, opts);
    case 'argmax':
      return argmax(x, axes as number | undefined, opts);
    case 'argmin':
      return argmin(x, axes as number | undefined, opts);
    default:
      throw new Error(`not a reduce.ts op: ${c.op}`);
  }
}

describe('reductions against numpy/torch fixtures', () => {
  const ops = ['sum', 'mean', 'variance', 'std', 'max', 'min', 'argmax', 'argmin'] as const;
  it.each(ops)('%s: every fixture case (contiguous, permuted, expanded, sliced; 0-d and size-0)', (op) => {
    const cases = fixture.reduce.filter((c) => c.op === op);
    expect(cases.length).toBeGreaterThan(10);
    for (const [i, c] of cases.entries()) {
      const x = applyView(fromFixture(c.base), c.view);
      const out = run(c, x);
      const label = `${op} case ${i}: ${x.toString()} axes ${JSON.stringify(c.axes)} keepdims ${c.keepdims}`;
      expect(out.shape, label).toEqual(c.expected.shape);
      expect(out.dtype, label).toBe(c.base.dtype);
      // indices are exact; values are within the final rounding of the float64 oracle
      const tol = op.startsWith('arg') ? { atol: 0 } : tolerance(out.dtype);
      assertClose(out.toTypedArray(), fixtureTensorData(c.expected), { ...tol, label });
    }
  });

  it('sumTo matches torch sum_to_size, including size-0 and no-op shapes', () => {
    for (const [i, c] of fixture.sumTo.entries()) {
      const x = applyView(fromFixture(c.base), c.view);
      const out = sumTo(x, c.shape);
      const label = `sumTo case ${i}: ${x.toString()} -> [${c.shape}]`;
      expect(out.shape, label).toEqual(c.shape);
      assertClose(out.toTypedArray(), fixtureTensorData(c.expected), { ...tolerance(out.dtype), label });
    }
  });
});

describe('numerics', () => {
  it('two-pass variance is exact on [40000, 40001, 40002, 40003] in float32', () => {
    // deviations -1.5, -0.5, 0.5, 1.5: sum of squares 5, so var = 5/3 (unbiased), 5/4 (population)
    const x = tensor([40000, 40001, 40002, 40003]);
    expect(variance(x).item()).toBe(Math.fround(5 / 3));
    expect(variance(x, 0, { correction: 0 }).item()).toBe(1.25);
    expect(std(x, -1, { correction: 0 }).item()).toBe(Math.fround(Math.sqrt(1.25)));
  });

  it('variance of a constant row is exactly 0 and of one element with correction 1 is NaN (as torch)', () => {
    expect(variance(tensor([[7, 7, 7]]), 1).toFlatArray()).toEqual([0]);
    expect(variance(tensor([3]), 0).item()).toBeNaN();
    expect(variance(tensor([1, 2]), 0, { correction: 3 }).item()).toBe(Number.POSITIVE_INFINITY);
  });

  it('float32 sums accumulate in float64 and round once', () => {
    // 1 + 2^-24 * 2^20 ones: a float32 running sum would stay at 1 (each 2^-24 is lost)
    const n = 2 ** 20;
    const data = new Float32Array(n + 1).fill(2 ** -24);
    data[0] = 1;
    expect(sum(tensor(data)).item()).toBe(1 + 2 ** -4);
  });

  it('reductions over zero elements: sum 0, mean NaN, variance NaN', () => {
    const x = zeros([3, 0]);
    expect(sum(x, 1).toFlatArray()).toEqual([0, 0, 0]);
    expect(sum(x).item()).toBe(0);
    expect(mean(x, 1).toFlatArray().every(Number.isNaN)).toBe(true);
    expect(variance(x).item()).toBeNaN();
    expect(max(x, 0).shape).toEqual([0]); // the reduced axis has 3 elements; there are no outputs
  });

  it('0-d tensors reduce to themselves; axis 0 / -1 are accepted (as torch)', () => {
    const x = tensor(4.5);
    expect(sum(x).shape).toEqual([]);
    expect(sum(x, 0).item()).toBe(4.5);
    expect(max(x, -1, { keepdims: true }).shape).toEqual([]);
    expect(argmax(x).item()).toBe(0);
  });

  it('argmax with axis undefined and keepdims gives an all-ones shape (numpy)', () => {
    const x = tensor([
      [1, 9, 3],
      [9, 2, 0],
    ]);
    const a = argmax(x, undefined, { keepdims: true });
    expect(a.shape).toEqual([1, 1]);
    expect(a.item()).toBe(1);
  });
});

/** The slow, obviously correct float64 reference: list each output's inputs in row-major order. */
function groups(x: Tensor, axes: readonly number[]): number[][] {
  const ax = axes.map((a) => (a < 0 ? a + x.ndim : a));
  const keptShape = x.shape.filter((_, i) => !ax.includes(i));
  const outSize = keptShape.reduce((a, b) => a * b, 1);
  const out: number[][] = Array.from({ length: outSize }, () => []);
  const idx = new Array<number>(x.ndim).fill(0);
  for (let flat = 0; flat < x.size; flat++) {
    let rem = flat;
    for (let i = x.ndim - 1; i >= 0; i--) {
      idx[i] = rem % x.shape[i]!;
      rem = Math.floor(rem / x.shape[i]!);
    }
    let o = 0;
    for (let i = 0; i < x.ndim; i++) if (!ax.includes(i)) o = o * x.shape[i]! + idx[i]!;
    out[o]!.push(x.get(...idx));
  }
  return out;
}

/** A random float64 tensor of rank 0..4 (sizes 0..4), as a permuted, expanded or sliced view. */
const viewArb = fc
  .record({
    shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }),
    seed: fc.nat(),
    kind: fc.constantFrom('contiguous', 'permute', 'expand', 'slice'),
  })
  .chain(({ shape, seed, kind }) =>
    fc.record({
      x: fc.constant(makeView(shape, seed, kind)),
      axes: fc.subarray(
        shape.map((_, i) => i),
        { minLength: 0 },
      ),
      negate: fc.boolean(),
      keepdims: fc.boolean(),
    }),
  );

function makeView(shape: number[], seed: number, kind: string): Tensor {
  const nd = shape.length;
  if (kind === 'permute' && nd > 1) {
    return randn(shape, { seed, dtype: 'float64' }).permute(shape.map((_, i) => nd - 1 - i));
  }
  if (kind === 'expand' && nd > 0) {
    return randn([1, ...shape.slice(1)], { seed, dtype: 'float64' }).expand(shape);
  }
  if (kind === 'slice' && nd > 0) {
    return randn([shape[0]! * 2, ...shape.slice(1)], { seed, dtype: 'float64' }).slice(0, 1, undefined, 2);
  }
  return randn(shape, { seed, dtype: 'float64' });
}

describe('properties against the plain float64 reference', () => {
  it('sum / mean / max / min / variance over any axis set of any view', () => {
    fc.assert(
      fc.property(viewArb, ({ x, axes, negate, keepdims }) => {
        const ax = negate ? axes.map((a) => a - x.ndim) : axes;
        const g = groups(x, ax);
        const refSum = g.map((v) => v.reduce((a, b) => a + b, 0));
        assertClose(sum(x, ax).toTypedArray(), refSum, { atol: 1e-12, label: 'sum' });
        assertClose(
          mean(x, ax, { keepdims }).toTypedArray(),
          refSum.map((s, i) => s / g[i]!.length),
          {
            atol: 1e-12,
            label: 'mean',
          },
        );
        const refVar = g.map((v, i) => {
          const m = refSum[i]! / v.length;
          return v.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(0, v.length - 1); // torch: n <= 1 gives NaN
        });
        assertClose(variance(x, ax).toTypedArray(), refVar, { atol: 1e-12, rtol: 1e-12, label: 'variance' });
        if (ax.every((a) => x.shape.at(a)! > 0)) {
          expect(Array.from(max(x, ax).toTypedArray())).toEqual(g.map((v) => Math.max(...v)));
          expect(Array.from(min(x, ax).toTypedArray())).toEqual(g.map((v) => Math.min(...v)));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('sum over all axes equals the float64 sum of the data, for float32 and float64', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }), fc.nat(), (shape, seed) => {
        for (const dtype of ['float32', 'float64'] as const) {
          const x = randn(shape, { seed, dtype });
          let s = 0;
          for (const v of x.data) s += v;
          assertClose([sum(x).item()], [dtype === 'float32' ? Math.fround(s) : s], { atol: 1e-12 });
        }
      }),
      { numRuns: 100 },
    );
  });

  it('argmax / argmin: first occurrence of the extreme along an axis, on views with ties', () => {
    fc.assert(
      fc.property(viewArb, fc.integer({ min: -4, max: 3 }), ({ x }, axis) => {
        if (x.ndim === 0 || axis >= x.ndim || axis < -x.ndim) return;
        const tied = randint(0, 3, x.shape, { seed: 7, dtype: 'float64' });
        const xs = x.ndim > 1 ? tied.transpose(0, -1).contiguous().transpose(0, -1) : tied;
        if (x.shape.at(axis) === 0) return;
        const g = groups(xs, [axis]);
        expect(Array.from(argmax(xs, axis).toTypedArray())).toEqual(g.map((v) => v.indexOf(Math.max(...v))));
        expect(Array.from(argmin(xs, axis).toTypedArray())).toEqual(g.map((v) => v.indexOf(Math.min(...v))));
      }),
      { numRuns: 100 },
    );
  });

  it('sumTo inverts broadcasting: sumTo(expand(x, s), x.shape) = x * size(s) / size(x)', () => {
    const arb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }).chain((big) =>
      fc.record({
        big: fc.constant(big),
        small: fc.tuple(fc.integer({ min: 0, max: big.length }), fc.array(fc.boolean(), { minLength: 4 })),
        seed: fc.nat(),
      }),
    );
    fc.assert(
      fc.property(arb, ({ big, small: [drop, ones], seed }) => {
        const shape = big.slice(drop).map((d, i) => (ones[i] ? 1 : d));
        const x = randn(shape, { seed, dtype: 'float64' });
        const factor = big.reduce((a, b) => a * b, 1) / x.size;
        const back = sumTo(x.expand(big), shape);
        expect(back.shape).toEqual(shape);
        assertClose(
          back.toTypedArray(),
          Array.from(x.toTypedArray(), (v) => v * factor),
          { atol: 1e-12, rtol: 1e-14 },
        );
      }),
      { numRuns: 100 },
    );
  });
});

describe('errors name the op, the argument and the values', () => {
  const x = zeros([2, 3]);
  it('bad axes', () => {
    expect(() => sum(x, 2)).toThrow(RangeError);
    expect(() => sum(x, 2)).toThrow(
      'sum: axis 2 is out of range for a tensor of rank 2, expected an integer in [-2, 1]',
    );
    expect(() => mean(x, [-3])).toThrow('mean: axis -3 is out of range');
    expect(() => max(x, [1, -1])).toThrow('max: axis 1 appears more than once in [1,-1]');
    expect(() => variance(x, 0.5)).toThrow('variance: axis 0.5 is out of range');
    expect(() => argmax(x, 5)).toThrow('argmax: axis 5 is out of range');
    expect(() => argmin(x, [0] as never)).toThrow(
      'argmin: axis must be a single integer or undefined, got [0]',
    );
    expect(() => sum(tensor(1), 1)).toThrow(
      'sum: axis 1 is out of range for a 0-d tensor, expected 0 or -1 (or no axis)',
    );
  });

  it('empty max / min / argmax / argmin', () => {
    const e = zeros([3, 0]);
    expect(() => max(e, 1)).toThrow(RangeError);
    expect(() => max(e, 1)).toThrow(
      'max: cannot reduce over an empty axis (axis 1 of shape [3,0] has size 0)',
    );
    expect(() => min(e)).toThrow('min: cannot reduce over an empty axis (axis 1 of shape [3,0] has size 0)');
    expect(() => argmax(e, -1)).toThrow('argmax: cannot reduce over an empty axis');
    expect(() => argmin(zeros([0]))).toThrow('argmin: cannot reduce over an empty axis (axis 0 of shape [0]');
  });

  it('bad correction', () => {
    expect(() => variance(x, 0, { correction: -1 })).toThrow(
      'variance: correction must be a finite number >= 0, got -1',
    );
    expect(() => std(x, 0, { correction: Number.NaN })).toThrow(
      'std: correction must be a finite number >= 0, got NaN',
    );
  });

  it('argmax over more float32 candidates than float32 indexes exactly', () => {
    const big = zeros([1]).expand([2 ** 24 + 1]); // a stride-0 view: no memory
    expect(() => argmax(big)).toThrow(
      'argmax: 16777217 candidates per result cannot all be indexed exactly in float32 (at most 16777216)',
    );
  });

  it('sumTo to a shape that does not broadcast', () => {
    const t = zeros([2, 3, 4]);
    const err = (() => {
      try {
        sumTo(t, [3, 3]);
      } catch (e) {
        return e as ShapeError;
      }
    })();
    expect(err).toBeInstanceOf(ShapeError);
    expect(err?.message).toBe('sumTo: cannot sum [2,3,4] down to [3,3], which does not broadcast to it');
    expect(err?.expected).toBe('a shape that broadcasts to [2,3,4]');
    expect(() => sumTo(t, [1, 2, 3, 4])).toThrow('sumTo: cannot sum [2,3,4] down to [1,2,3,4]');
    expect(() => sumTo(t, [-1, 4])).toThrow('sumTo: shape must hold non-negative integers, got [-1,4]');
  });
});
