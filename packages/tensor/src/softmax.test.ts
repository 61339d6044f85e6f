import { assertClose, type FixtureTensor, fixtureTensorData } from '@normkit/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyView, type FixtureView, fromFixture, load, tolerance } from '../test/reduce-fixture-helpers.js';
import { randn, tensor, zeros } from './create.js';
import { logSoftmax, logsumexp, softmax } from './reduce.js';

interface SoftmaxCase {
  op: 'softmax' | 'logSoftmax';
  base: FixtureTensor;
  view: FixtureView;
  axis: number;
  expected: FixtureTensor;
  label?: string;
}
interface LseCase {
  op: string;
  base: FixtureTensor;
  view: FixtureView;
  axes: number | number[] | null;
  keepdims: boolean;
  expected: FixtureTensor;
}
const fixture = load<{ softmax: SoftmaxCase[]; reduce: LseCase[] }>('reduce.json');
const NEG_INF = Number.NEGATIVE_INFINITY;

describe('softmax / logSoftmax / logsumexp against torch fixtures', () => {
  it('softmax and logSoftmax: every case (views, 0-d, size-0, logits of 1000, -inf entries)', () => {
    expect(fixture.softmax.length).toBeGreaterThan(30);
    for (const [i, c] of fixture.softmax.entries()) {
      const x = applyView(fromFixture(c.base), c.view);
      const out = c.op === 'softmax' ? softmax(x, c.axis) : logSoftmax(x, c.axis);
      const label = `${c.op} case ${i}${c.label ? ` (${c.label})` : ''}: ${x.toString()} axis ${c.axis}`;
      expect(out.shape, label).toEqual(c.expected.shape);
      assertClose(out.toTypedArray(), fixtureTensorData(c.expected), { ...tolerance(out.dtype), label });
    }
  });

  it('logsumexp: every case (views, several axis sets, -inf / +inf / NaN rows)', () => {
    const cases = fixture.reduce.filter((c) => c.op === 'logsumexp');
    expect(cases.length).toBeGreaterThan(20);
    for (const [i, c] of cases.entries()) {
      const x = applyView(fromFixture(c.base), c.view);
      const out = logsumexp(x, c.axes ?? undefined, { keepdims: c.keepdims });
      const label = `logsumexp case ${i}: ${x.toString()} axes ${JSON.stringify(c.axes)}`;
      expect(out.shape, label).toEqual(c.expected.shape);
      assertClose(out.toTypedArray(), fixtureTensorData(c.expected), { ...tolerance(out.dtype), label });
    }
  });
});

describe('stability edge cases', () => {
  it('logsumexp of an all -inf row is -inf, not NaN; of an empty axis -inf', () => {
    const x = tensor([
      [NEG_INF, NEG_INF],
      [0, Math.log(3)],
    ]);
    expect(logsumexp(x, 1).toFlatArray()).toEqual([NEG_INF, Math.fround(Math.log(4))]);
    expect(logsumexp(zeros([2, 0]), -1).toFlatArray()).toEqual([NEG_INF, NEG_INF]);
  });

  it('softmax of logits near 1000 is finite; -inf entries get probability exactly 0', () => {
    const p = softmax(tensor([[1000, 1000, NEG_INF]], undefined, { dtype: 'float64' }));
    expect(p.toFlatArray()).toEqual([0.5, 0.5, 0]);
    const lp = logSoftmax(tensor([[1000, 1000, NEG_INF]], undefined, { dtype: 'float64' }));
    expect(lp.toFlatArray()).toEqual([-Math.LN2, -Math.LN2, NEG_INF]);
  });

  it('a 0-d tensor is a row of one: softmax 1, logSoftmax 0', () => {
    expect(softmax(tensor(3.5)).item()).toBe(1);
    expect(logSoftmax(tensor(-2), 0).item()).toBe(0);
    expect(softmax(tensor(3.5)).shape).toEqual([]);
  });
});

describe('properties', () => {
  const arb = fc.record({
    shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
    seed: fc.nat(),
    scale: fc.constantFrom(1, 30, 1000),
    transpose: fc.boolean(),
  });

  it('softmax rows are positive and sum to 1; logSoftmax = log(softmax); shift-invariant', () => {
    fc.assert(
      fc.property(arb, fc.integer({ min: -3, max: 2 }), ({ shape, seed, scale, transpose }, axisSeed) => {
        const base = randn(shape, { seed, std: scale, dtype: 'float64' });
        const x = transpose && shape.length > 1 ? base.transpose(0, -1) : base;
        const axis = ((axisSeed % x.ndim) - x.ndim) % x.ndim; // some axis, negative spelling
        const p = softmax(x, axis);
        const rowSums = Array.from(sumAlong(p.toTypedArray(), p.shape, axis));
        assertClose(rowSums, new Array(rowSums.length).fill(1), { atol: 1e-14 * x.shape.at(axis)! });
        expect(p.toFlatArray().every((v) => v >= 0 && v <= 1)).toBe(true);
        const lp = logSoftmax(x, axis).toTypedArray();
        const probs = Array.from(p.toTypedArray());
        const logP = probs.map(Math.log);
        // log(p) is only exact where p is a normal float64 (subnormals and 0 lose digits)
        const keep = probs.map((v) => v >= 2 ** -1022);
        assertClose(
          Array.from(lp).filter((_, i) => keep[i]),
          logP.filter((_, i) => keep[i]),
          { atol: 1e-12, rtol: 1e-12 },
        );
        const shifted = tensor(
          Array.from(x.toTypedArray(), (v) => v + 500),
          x.shape,
          { dtype: 'float64' },
        );
        assertClose(softmax(shifted, axis).toTypedArray(), p.toTypedArray(), { atol: 1e-12 });
      }),
      { numRuns: 100 },
    );
  });
});

/** Row sums along `axis` of a contiguous array of `shape`, in float64 (test helper). */
function sumAlong(data: ArrayLike<number>, shape: readonly number[], axis: number): Float64Array {
  const ax = axis < 0 ? axis + shape.length : axis;
  const n = shape[ax]!;
  const inner = shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, ax).reduce((a, b) => a * b, 1);
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < n; j++)
      for (let i = 0; i < inner; i++) out[o * inner + i]! += data[(o * n + j) * inner + i]!;
  return out;
}

describe('errors', () => {
  it('bad axes name the op', () => {
    const x = zeros([2, 3]);
    expect(() => softmax(x, 2)).toThrow(RangeError);
    expect(() => softmax(x, 2)).toThrow(
      'softmax: axis 2 is out of range for a tensor of rank 2, expected an integer in [-2, 1]',
    );
    expect(() => logSoftmax(x, -3)).toThrow('logSoftmax: axis -3 is out of range');
    expect(() => logsumexp(x, [0, 0])).toThrow('logsumexp: axis 0 appears more than once in [0,0]');
    expect(() => softmax(tensor(1), 1)).toThrow(
      'softmax: axis 1 is out of range for a 0-d tensor, expected 0 or -1',
    );
    expect(() => logsumexp(tensor(1), [2])).toThrow('logsumexp: axis 2 is out of range for a 0-d tensor');
  });
});
