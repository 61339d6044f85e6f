import { assertClose, dot, type FixtureTensor, fixtureTensorData } from '@normkit/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyView, type FixtureView, fromFixture, load } from '../test/reduce-fixture-helpers.js';
import { arange, full, ones, randint, randn, tensor, zeros } from './create.js';
import { ShapeError } from './errors.js';
import {
  concat,
  gather,
  type Indices,
  indexAdd,
  indexSelect,
  scatterAdd,
  split,
  stack,
  tril,
  triu,
} from './indexing.js';
import type { Tensor } from './tensor.js';

interface Case {
  op: string;
  base: FixtureTensor;
  bases: FixtureTensor[];
  view: FixtureView;
  views: FixtureView[];
  target: FixtureTensor;
  src: FixtureTensor;
  index: FixtureTensor;
  axis: number;
  indices: number[] | number[][];
  diagonal: number;
  expected: FixtureTensor;
}
const { cases } = load<{ cases: Case[] }>('indexing.json');

/** Nested lists go in as a tensor, flat ones alternately as number[] and Int32Array. */
function asIndices(idx: number[] | number[][], i: number): Indices {
  if (idx.some(Array.isArray)) return tensor(idx as number[][]);
  return i % 2 ? Int32Array.from(idx as number[]) : (idx as number[]);
}

function runCase(c: Case, i: number): Tensor {
  switch (c.op) {
    case 'indexSelect':
      return indexSelect(applyView(fromFixture(c.base), c.view), c.axis, asIndices(c.indices, i));
    case 'indexAdd':
      return indexAdd(fromFixture(c.target), c.axis, asIndices(c.indices, i), fromFixture(c.src));
    case 'gather':
      return gather(applyView(fromFixture(c.base), c.view), c.axis, fromFixture(c.index));
    case 'scatterAdd':
      return scatterAdd(fromFixture(c.target), c.axis, fromFixture(c.index), fromFixture(c.src));
    case 'tril':
      return tril(applyView(fromFixture(c.base), c.view), c.diagonal);
    case 'triu':
      return triu(applyView(fromFixture(c.base), c.view), c.diagonal);
    case 'concat':
      return concat(
        c.bases.map((b, k) => applyView(fromFixture(b), c.views[k]!)),
        c.axis,
      );
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

describe('indexing against numpy/torch fixtures', () => {
  it.each(['indexSelect', 'indexAdd', 'gather', 'scatterAdd', 'tril', 'triu', 'concat'])(
    '%s: every fixture case',
    (op) => {
      const mine = cases.filter((c) => c.op === op);
      expect(mine.length).toBeGreaterThan(0);
      for (const [i, c] of mine.entries()) {
        const out = runCase(c, i);
        const label = `${op} case ${i}`;
        expect(out.shape, label).toEqual(c.expected.shape);
        // copies are exact; the adds are one float64 rounding away from torch's float64 result
        assertClose(out.toTypedArray(), fixtureTensorData(c.expected), { atol: 1e-14, label });
      }
    },
  );
});

describe('behaviour', () => {
  it('embedding lookup: weight [V, D] with ids [B, T] gives [B, T, D]; negatives count from the end', () => {
    const weight = arange(12, undefined, 1, { dtype: 'float64' }).reshape([4, 3]);
    const out = indexSelect(
      weight,
      0,
      tensor([
        [3, 0],
        [-1, 1],
      ]),
    );
    expect(out.shape).toEqual([2, 2, 3]);
    expect(out.toArray()).toEqual([
      [
        [9, 10, 11],
        [0, 1, 2],
      ],
      [
        [9, 10, 11],
        [3, 4, 5],
      ],
    ]);
    expect(indexSelect(weight, 1, tensor(2)).toFlatArray()).toEqual([2, 5, 8, 11]); // 0-d index drops the axis
    const rows = indexSelect(arange(300).reshape([3, 100]), 0, [2, 0]); // long rows are block copies
    expect(rows.toFlatArray()).toEqual([...arange(200, 300).toFlatArray(), ...arange(100).toFlatArray()]);
  });

  it('indexAdd sums repeated indices in float64 and rounds once into float32', () => {
    const n = 10_000;
    const target = zeros([2, 1]);
    indexAdd(target, 0, new Array(n).fill(1), full([n, 1], 0.1));
    // fround(0.1) * 10^4 is exact in float64; a running float32 sum drifts away from it
    const exact = Math.fround(n * Math.fround(0.1));
    let naive = 0;
    for (let i = 0; i < n; i++) naive = Math.fround(naive + Math.fround(0.1));
    expect(naive).not.toBe(exact);
    expect(target.toFlatArray()).toEqual([0, exact]);
  });

  it('split returns views; an empty axis gives one empty piece (as torch)', () => {
    const x = arange(10).reshape([5, 2]);
    const parts = split(x, 2);
    expect(parts.map((p) => p.shape[0])).toEqual([2, 2, 1]);
    expect(parts[1]!.data).toBe(x.data);
    expect(split(x, [1, 0, 4]).map((p) => p.shape)).toEqual([
      [1, 2],
      [0, 2],
      [4, 2],
    ]);
    expect(split(zeros([0, 3]), 2).map((p) => p.shape)).toEqual([[0, 3]]);
  });

  it('stack joins along a new axis; concat of size-0 pieces', () => {
    const a = tensor([1, 2]);
    const b = tensor([3, 4]);
    expect(stack([a, b]).toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(stack([a, b], -1).toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(concat([zeros([0, 2]), ones([1, 2])]).toArray()).toEqual([[1, 1]]);
    // long contiguous runs are block copies
    const long = concat([arange(100).reshape([1, 100]), arange(100, 200).reshape([1, 100])]);
    expect(long.toFlatArray()).toEqual(arange(200).toFlatArray());
  });

  it('tril(ones) is the causal mask on each matrix of a batch', () => {
    expect(tril(ones([2, 3, 3])).toFlatArray()).toEqual([
      1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1,
    ]);
    expect(triu(ones([2, 3]), 1).toArray()).toEqual([
      [0, 1, 1],
      [0, 0, 1],
    ]);
  });

  it('gather / scatterAdd on 0-d tensors (axis 0 as torch)', () => {
    expect(gather(tensor(5), 0, tensor(0)).item()).toBe(5);
    const t = tensor(1);
    scatterAdd(t, -1, tensor(0), tensor(2));
    expect(t.item()).toBe(3);
  });
});

/** For odd `flip`, the same values as a non-contiguous view (first and last axes transposed in memory). */
function strided(t: Tensor, flip: number): Tensor {
  return flip % 2 && t.ndim > 1 ? t.transpose(0, -1).contiguous().transpose(0, -1) : t;
}

describe('properties', () => {
  const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 });

  it('concat then split round-trips, on transposed pieces', () => {
    fc.assert(
      fc.property(
        shapeArb,
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (shape, sizes, seed) => {
          const ax = seed % shape.length;
          const pieces = sizes.map((s, k) => {
            const sh = shape.slice();
            sh[ax] = s;
            const t = randn(sh.slice().reverse(), { seed: seed + k, dtype: 'float64' });
            return t.permute(sh.map((_, i) => sh.length - 1 - i)); // a non-contiguous view of shape sh
          });
          const joined = concat(pieces, ax);
          expect(joined.shape[ax]).toBe(sizes.reduce((a, b) => a + b, 0));
          const back = split(joined, sizes, ax - shape.length);
          for (const [k, b] of back.entries()) expect(b.toFlatArray()).toEqual(pieces[k]!.toFlatArray());
        },
      ),
      { numRuns: 100 },
    );
  });

  it('indexAdd is the adjoint of indexSelect: <indexSelect(x, i), y> = <x, indexAdd(0, i, y)>', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
        fc.nat(),
        (shape, ishape, seed) => {
          const ax = seed % shape.length;
          const x = randn(shape, { seed, dtype: 'float64' });
          const idx = randint(-shape[ax]!, shape[ax]!, ishape, { seed: seed + 1, dtype: 'float64' });
          const sel = indexSelect(x, ax, idx);
          const y = strided(randn(sel.shape, { seed: seed + 2, dtype: 'float64' }), seed);
          const back = indexAdd(strided(zeros(shape, { dtype: 'float64' }), seed >> 1), ax, idx, y);
          assertClose([dot(sel, y)], [dot(x, back)], { atol: 1e-12, rtol: 1e-12 });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('scatterAdd is the adjoint of gather: <gather(x, i), y> = <x, scatterAdd(0, i, y)>', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
        fc.nat(),
        (shape, seed) => {
          const ax = seed % shape.length;
          const ishape = shape.map((d, i) => (i === ax ? 5 : Math.max(1, d - (seed % 2))));
          const x = randn(shape, { seed, dtype: 'float64' }).transpose(0, -1).contiguous().transpose(0, -1);
          const idx = randint(-shape[ax]!, shape[ax]!, ishape, { seed: seed + 1 });
          const g = gather(x, ax, idx); // x is a non-contiguous view
          const y = randn(ishape, { seed: seed + 2, dtype: 'float64' });
          const back = scatterAdd(zeros(shape, { dtype: 'float64' }), ax, idx, y);
          assertClose([dot(g, y)], [dot(x, back)], { atol: 1e-12, rtol: 1e-12 });
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('errors name the op, the argument and the values', () => {
  const x = zeros([5, 3]);
  it('index out of range or not an integer', () => {
    expect(() => indexSelect(x, 0, [1, 5])).toThrow(RangeError);
    expect(() => indexSelect(x, 0, [1, 5])).toThrow(
      'indexSelect: index 5 is out of range for axis 0 of size 5',
    );
    expect(() => indexSelect(x, 1, Int32Array.of(-4))).toThrow(
      'indexSelect: index -4 is out of range for axis 1 of size 3',
    );
    expect(() => indexSelect(x, 0, tensor([0.5]))).toThrow('indexSelect: indices must be integers, got 0.5');
    expect(() => indexSelect(x, 2, [0])).toThrow(
      'indexSelect: axis 2 is out of range for a tensor of rank 2',
    );
    expect(() => indexAdd(zeros([3]), 0, [3], ones([1]))).toThrow(
      'indexAdd: index 3 is out of range for axis 0 of size 3',
    );
    expect(() => gather(x, 1, tensor([[3]]))).toThrow('gather: index 3 is out of range for axis 1 of size 3');
    expect(() => gather(x, 0, tensor([[Number.NaN]]))).toThrow('gather: indices must be integers, got NaN');
    expect(() => scatterAdd(zeros([2, 2]), 0, tensor([[-3]]), ones([1, 1]))).toThrow(
      'scatterAdd: index -3 is out of range for axis 0 of size 2',
    );
  });

  it('mismatched shapes', () => {
    expect(() => concat([zeros([2, 3]), zeros([3, 3]), zeros([2, 4])], 0)).toThrow(ShapeError);
    expect(() => concat([zeros([2, 3]), zeros([2, 4])], 0)).toThrow(
      'concat: tensors[1] has shape [2,4] but tensors[0] has shape [2,3]; all sizes must match except on axis 0',
    );
    expect(() => concat([zeros([2, 3]), zeros([2])], 1)).toThrow(
      'concat: tensors[1] has shape [2] but tensors[0]',
    );
    expect(() => stack([zeros([2]), zeros([3])])).toThrow(
      'stack: tensors[1] expected shape [2] (as tensors[0]), got [3]',
    );
    expect(() => split(x, [2, 2])).toThrow(
      'split: sizes [2,2] sum to 4, but axis 0 of shape [5,3] has size 5',
    );
    expect(() => indexAdd(zeros([4, 2]), 0, [1, 2], zeros([2, 3]))).toThrow(
      'indexAdd: src has shape [2,3], expected [2,2] (target [4,2] with indices of shape [2] on axis 0)',
    );
    expect(() => gather(x, 0, zeros([5]))).toThrow(
      'gather: index expected 2 axes (as x of shape [5,3]), got shape [5]',
    );
    expect(() => gather(x, 0, zeros([1, 4]))).toThrow(
      'gather: index expected size <= 3 on axis 1 (as x of shape [5,3]), got shape [1,4]',
    );
    expect(() => scatterAdd(zeros([4, 2]), 0, zeros([1, 2]), zeros([1, 1]))).toThrow(
      'scatterAdd: index expected size <= 1 on axis 1 (as src of shape [1,1]), got shape [1,2]',
    );
    expect(() => tril(zeros([3]))).toThrow(
      'tril: x expected at least 2 axes (a matrix or a batch of matrices), got [3]',
    );
  });

  it('mixed dtypes', () => {
    const f64 = zeros([2, 3], { dtype: 'float64' });
    expect(() => concat([zeros([2, 3]), f64])).toThrow(TypeError);
    expect(() => concat([zeros([2, 3]), f64])).toThrow(
      'concat: tensors[1] has dtype float64, expected float32 (as tensors[0])',
    );
    expect(() => stack([f64, zeros([2, 3])])).toThrow(
      'stack: tensors[1] has dtype float32, expected float64',
    );
    expect(() => indexAdd(zeros([2, 3]), 0, [0, 1], f64)).toThrow(
      'indexAdd: src has dtype float64, expected float32 (as target)',
    );
    expect(() => scatterAdd(f64, 0, zeros([1, 1]), zeros([1, 1]))).toThrow(
      'scatterAdd: src has dtype float32, expected float64',
    );
  });

  it('bad sizes, diagonals, empty lists and broadcast targets', () => {
    expect(() => concat([])).toThrow('concat: expected at least one tensor, got an empty list');
    expect(() => stack([])).toThrow(RangeError);
    expect(() => split(x, 0)).toThrow('split: size must be a positive integer, got 0');
    expect(() => split(x, [6, -1])).toThrow('split: sizes must be non-negative integers, got [6,-1]');
    expect(() => triu(x, 0.5)).toThrow('triu: diagonal must be an integer, got 0.5');
    expect(() => indexAdd(zeros([1, 3]).expand([4, 3]), 0, [0], ones([1, 3]))).toThrow(
      'indexAdd: target is a broadcast view (stride 0 on axis 0 of size 4) and cannot be written in place',
    );
    expect(() => scatterAdd(zeros([3]).expand([2, 3]), 1, zeros([1, 1]), ones([1, 1]))).toThrow(ShapeError);
    expect(() => gather(tensor(1), 1, tensor(0))).toThrow('gather: axis 1 is out of range for a 0-d tensor');
  });
});
