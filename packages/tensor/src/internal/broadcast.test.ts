import { describe, expect, it } from 'vitest';
import { arange, zeros } from '../create.js';
import { alignStrides, broadcastsTo, mayOverlap, RowLoop, sameElements } from './broadcast.js';

/** Every row start the loop visits, per operand. */
function rowStarts(loop: RowLoop): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < loop.rows; r++) {
    out.push(loop.pos.slice());
    loop.next();
  }
  return out;
}

describe('RowLoop', () => {
  it('coalesces [B,T,C] + [C] into B*T rows of C', () => {
    const shape = [2, 3, 4];
    const loop = new RowLoop(shape, [[12, 4, 1], alignStrides([4], [1], shape), [12, 4, 1]], [0, 5, 0]);
    expect(loop.rows).toBe(6);
    expect(loop.inner).toBe(4);
    expect(loop.innerStrides).toEqual([1, 1, 1]);
    expect(rowStarts(loop)).toEqual([0, 4, 8, 12, 16, 20].map((p) => [p, 5, p]));
  });

  it('a contiguous operand set becomes one row; 0-d is one row of one; size-0 is no rows', () => {
    const one = new RowLoop([2, 3, 4], [[12, 4, 1]], [0]);
    expect([one.rows, one.inner]).toEqual([1, 24]);
    const scalar = new RowLoop([], [[], []], [3, 0]);
    expect([scalar.rows, scalar.inner, scalar.innerStrides]).toEqual([1, 1, [0, 0]]);
    const empty = new RowLoop([3, 0, 2], [[0, 2, 1]], [0]);
    expect(empty.rows).toBe(0);
  });

  it('[N,1] * [N,C]: the column operand has stride 0 along the row', () => {
    const shape = [3, 5];
    const loop = new RowLoop(shape, [alignStrides([3, 1], [1, 1], shape), [5, 1]], [0, 0]);
    expect(loop.innerStrides).toEqual([0, 1]);
    expect(rowStarts(loop)).toEqual([
      [0, 0],
      [1, 5],
      [2, 10],
    ]);
  });

  it('orderBy walks a transposed operand in memory order (odometer with carries)', () => {
    // logical [4,3] view with strides [1,5]: the transpose of a [3,5] buffer's first 4 columns
    const loop = new RowLoop([4, 3], [[1, 5]], [0], 0);
    expect([loop.rows, loop.inner, loop.innerStrides]).toEqual([3, 4, [1]]);
    expect(rowStarts(loop)).toEqual([[0], [5], [10]]);
    const noOrder = new RowLoop([4, 3], [[1, 5]], [0]);
    expect([noOrder.rows, noOrder.inner, noOrder.innerStrides]).toEqual([4, 3, [5]]);
    // a full transpose coalesces to one contiguous row once reordered
    const full = new RowLoop([4, 3], [[1, 4]], [0], 0);
    expect([full.rows, full.inner]).toEqual([1, 12]);
    // two outer axes: the odometer carries from the inner to the outer one
    const deep = new RowLoop([2, 2, 2], [[1, 4, 16]], [0], 0);
    expect(rowStarts(deep)).toEqual([[0], [4], [16], [20]]);
  });
});

describe('broadcast helpers', () => {
  it('alignStrides puts 0 on stretched and missing axes', () => {
    expect(alignStrides([3, 1], [1, 1], [2, 3, 4])).toEqual([0, 1, 0]);
    expect(alignStrides([], [], [2])).toEqual([0]);
  });

  it('broadcastsTo is one-directional', () => {
    expect(broadcastsTo([3], [2, 3])).toBe(true);
    expect(broadcastsTo([1, 3], [2, 3])).toBe(true);
    expect(broadcastsTo([2, 3], [3])).toBe(false);
    expect(broadcastsTo([2], [2, 3])).toBe(false);
  });

  it('mayOverlap and sameElements', () => {
    const buf = arange(8);
    const lo = buf.slice(0, 0, 4);
    const hi = buf.slice(0, 4, 8);
    expect(mayOverlap(lo, hi)).toBe(false);
    expect(mayOverlap(lo, buf.slice(0, 3, 5))).toBe(true);
    expect(mayOverlap(lo, zeros([4]))).toBe(false);
    const m = buf.reshape([2, 4]);
    expect(sameElements(m, buf.reshape([2, 4]))).toBe(true);
    expect(sameElements(buf.slice(0, 0, 4), m)).toBe(false); // broadcast row read into both rows
    expect(sameElements(m.transpose(), m.reshape([4, 2]))).toBe(false);
  });
});
