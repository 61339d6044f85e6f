import { assertClose } from '@normkit/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randint } from './create.js';
import type { DType } from './dtype.js';
import { add, div, eq, lt, maximum, minimum, mul, sub, where } from './elementwise.js';
import { addInPlace } from './inplace.js';
import type { Tensor } from './tensor.js';

/**
 * Random shapes, broadcasting and layouts against plain references. Values are small integers
 * (exact in float32 and float64) so that results are comparable exactly, ties are common for the
 * comparisons, and division by zero appears.
 */

const OPS = {
  add: [add, (x: number, y: number) => x + y],
  sub: [sub, (x: number, y: number) => x - y],
  mul: [mul, (x: number, y: number) => x * y],
  div: [div, (x: number, y: number) => x / y],
  // inputs are integers (no NaN); the references avoid Math.max/min, which the kernels use
  // biome-ignore lint/complexity/useMathMinMax: an independent reference
  maximum: [maximum, (x: number, y: number) => (x > y ? x : y)],
  // biome-ignore lint/complexity/useMathMinMax: an independent reference
  minimum: [minimum, (x: number, y: number) => (x < y ? x : y)],
  eq: [eq, (x: number, y: number) => (x === y ? 1 : 0)],
  lt: [lt, (x: number, y: number) => (x < y ? 1 : 0)],
} as const;
type OpName = keyof typeof OPS;

/** A tensor of `shape` built as a possibly transposed or strided view of a larger buffer. */
function makeView(shape: number[], layout: number, seed: number, dtype: DType): Tensor {
  const n = shape.length;
  if (layout === 1 && n >= 2) {
    // a transpose of a contiguous tensor of the swapped shape
    const swapped = shape.slice();
    [swapped[n - 2], swapped[n - 1]] = [swapped[n - 1]!, swapped[n - 2]!];
    return randint(-3, 4, swapped, { seed, dtype }).transpose();
  }
  if (layout === 2 && n >= 1) {
    // every other element along the last axis, starting at offset 1
    const wide = shape.slice();
    wide[n - 1] = 2 * shape[n - 1]! + 1;
    return randint(-3, 4, wide, { seed, dtype }).slice(-1, 1, undefined, 2);
  }
  return randint(-3, 4, shape, { seed, dtype });
}

/** out shape plus, for each operand, which trailing axes it keeps and which it squeezes to 1. */
const broadcastCase = fc
  .record({
    shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 }),
    dropA: fc.nat(4),
    dropB: fc.nat(4),
    onesA: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    onesB: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    layoutA: fc.nat(2),
    layoutB: fc.nat(2),
    seed: fc.nat(1000),
    dtype: fc.constantFrom<DType>('float32', 'float64'),
    op: fc.constantFrom<OpName>(...(Object.keys(OPS) as OpName[])),
  })
  .map((r) => {
    const sub = (drop: number, ones: boolean[]) =>
      r.shape.slice(Math.min(drop, r.shape.length)).map((d, i) => (ones[i] ? 1 : d));
    return {
      ...r,
      a: makeView(sub(r.dropA, r.onesA), r.layoutA, r.seed, r.dtype),
      b: makeView(sub(r.dropB, r.onesB), r.layoutB, r.seed + 1, r.dtype),
    };
  });

function broadcastIndex(t: Tensor, idx: readonly number[]): number[] {
  const lead = idx.length - t.ndim;
  return t.shape.map((d, i) => (d === 1 ? 0 : idx[i + lead]!));
}

function* indices(shape: readonly number[]): Generator<number[]> {
  const size = shape.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < size; flat++) {
    const idx = new Array<number>(shape.length);
    let r = flat;
    for (let i = shape.length - 1; i >= 0; i--) {
      idx[i] = r % shape[i]!;
      r = Math.floor(r / shape[i]!);
    }
    yield idx;
  }
}

const exact = { atol: 0, rtol: 0 };

describe('broadcasting properties', () => {
  it('every op equals a plain float64 loop over broadcast indices (any shapes and layouts)', () => {
    fc.assert(
      fc.property(broadcastCase, ({ a, b, op, dtype }) => {
        const [fn, ref] = OPS[op];
        const got = fn(a, b);
        const want: number[] = [];
        for (const idx of indices(got.shape)) {
          want.push(ref(a.get(...broadcastIndex(a, idx)), b.get(...broadcastIndex(b, idx))));
        }
        const rounded = dtype === 'float32' ? Array.from(Float32Array.from(want)) : want;
        assertClose(got.toTypedArray(), rounded, { ...exact, label: op });
      }),
      { numRuns: 150 },
    );
  });

  it('add and mul commute; broadcasting equals an explicit expand; views equal their copies', () => {
    fc.assert(
      fc.property(broadcastCase, ({ a, b, op }) => {
        const [fn] = OPS[op];
        const ab = fn(a, b);
        if (op === 'add' || op === 'mul') assertClose(ab.toTypedArray(), fn(b, a).toTypedArray(), exact);
        const ea = a.expand(ab.shape).contiguous();
        const eb = b.expand(ab.shape).contiguous();
        assertClose(fn(ea, eb).toTypedArray(), ab.toTypedArray(), { ...exact, label: 'expand' });
        assertClose(fn(a.contiguous(), b.contiguous()).toTypedArray(), ab.toTypedArray(), exact);
        assertClose(fn(a, 2).toTypedArray(), fn(a.contiguous(), 2).toTypedArray(), exact);
        assertClose(fn(-1, b).toTypedArray(), fn(-1, b.contiguous()).toTypedArray(), exact);
      }),
      { numRuns: 150 },
    );
  });

  it('where broadcasts three ways like expand + select', () => {
    fc.assert(
      fc.property(broadcastCase, ({ a, b, dtype }) => {
        let cond = lt(a, b);
        if (cond.ndim >= 2) cond = cond.transpose().contiguous().transpose(); // a column-major mask
        const got = where(cond, a, b);
        // cond = a < b picks the smaller one (b on ties): minimum
        assertClose(got.toTypedArray(), minimum(a, b).toTypedArray(), exact);
        expect(got.dtype).toBe(dtype);
      }),
      { numRuns: 100 },
    );
  });

  it('in place on a transposed-layout view equals the out-of-place op; so does out = input', () => {
    fc.assert(
      fc.property(broadcastCase, ({ a, b }) => {
        const expected = add(a, b);
        if (expected.ndim !== a.ndim || expected.shape.some((d, i) => d !== a.shape[i])) return;
        // same values as a, stored column-major in the last two axes
        const view = a.ndim >= 2 ? a.transpose().clone().transpose() : a.clone();
        expect(addInPlace(view, b)).toBe(view);
        assertClose(view.toTypedArray(), expected.toTypedArray(), { ...exact, label: 'addInPlace' });
        const x = a.clone();
        expect(add(x, b, x)).toBe(x);
        assertClose(x.toTypedArray(), expected.toTypedArray(), { ...exact, label: 'out = a' });
        const y = b.contiguous().clone();
        if (y.ndim === expected.ndim && y.shape.every((d, i) => d === expected.shape[i])) {
          assertClose(add(a, y, y).toTypedArray(), expected.toTypedArray(), { ...exact, label: 'out = b' });
        }
      }),
      { numRuns: 100 },
    );
  });
});
