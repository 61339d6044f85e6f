import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arange, tensor, zeros } from './create.js';
import { ShapeError } from './errors.js';
import { Tensor } from './tensor.js';

describe('Tensor views', () => {
  it('reshape of a contiguous tensor is a view with row-major strides', () => {
    const t = arange(24).reshape([2, 3, 4]);
    expect(t.strides).toEqual([12, 4, 1]);
    const r = t.reshape([4, -1]);
    expect(r.shape).toEqual([4, 6]);
    expect(r.data).toBe(t.data);
    expect(r.get(3, 5)).toBe(23);
  });

  it('transpose is a view; reshape of it copies, view throws', () => {
    const t = arange(6).reshape([2, 3]);
    const tt = t.transpose();
    expect(tt.shape).toEqual([3, 2]);
    expect(tt.strides).toEqual([1, 3]);
    expect(tt.data).toBe(t.data);
    expect(tt.toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(tt.isContiguous()).toBe(false);
    const flat = tt.reshape([6]);
    expect(flat.toFlatArray()).toEqual([0, 3, 1, 4, 2, 5]);
    expect(flat.data).not.toBe(t.data);
    expect(() => tt.view([6])).toThrow(ShapeError);
  });

  it('slice, narrow, select, expand, squeeze, unsqueeze', () => {
    const t = arange(12).reshape([3, 4]);
    expect(t.slice(1, 1, undefined, 2).toArray()).toEqual([
      [1, 3],
      [5, 7],
      [9, 11],
    ]);
    expect(t.slice(0, -2).toArray()).toEqual([
      [4, 5, 6, 7],
      [8, 9, 10, 11],
    ]);
    expect(t.narrow(1, 2, 2).toArray()).toEqual([
      [2, 3],
      [6, 7],
      [10, 11],
    ]);
    expect(t.select(0, -1).toArray()).toEqual([8, 9, 10, 11]);
    const e = tensor([1, 2, 3]).unsqueeze(0).expand([2, 3]);
    expect(e.strides).toEqual([0, 1]);
    expect(e.toArray()).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(tensor([[[5]]]).squeeze().shape).toEqual([]);
    expect(
      tensor([[[5]]])
        .squeeze()
        .item(),
    ).toBe(5);
    expect(() => t.expand([3, 5])).toThrow('expand: cannot expand [3,4] to [3,5]');
    expect(() => t.narrow(1, 3, 2)).toThrow(/narrow: start 3 and length 2 do not fit axis 1 of size 4/);
  });

  it('errors name the op, argument, expected and actual', () => {
    expect(() => arange(6).reshape([4, 2])).toThrow(
      'reshape: cannot reshape [6] (6 elements) to [4,2] (8 elements)',
    );
    expect(() => tensor([1, 2]).item()).toThrow('item: tensor expected exactly one element, got shape [2]');
    expect(() => tensor([[1, 2], [3]])).toThrow(/tensor: values\[1\] expected an array of length 2/);
    expect(() => zeros([2]).permute([0, 0] as never)).toThrow(ShapeError);
    expect(() => zeros([2, 3]).transpose(0, 2)).toThrow(
      'transpose: axis 2 is out of range for a tensor of rank 2, expected an integer in [-2, 1]',
    );
    expect(() => new Tensor(new Float32Array(5), [2, 3])).toThrow(RangeError);
  });

  it('size-0 dims and 0-d tensors', () => {
    const z = zeros([2, 0, 3]);
    expect(z.size).toBe(0);
    expect(z.toArray()).toEqual([[], []]);
    expect(z.reshape([0, 5]).shape).toEqual([0, 5]);
    expect(tensor(3.5).toArray()).toBe(3.5);
  });

  it('property: permute then inverse permute round-trips; reshape keeps row-major order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }), (shape) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const t = arange(n, undefined, 1, { dtype: 'float64' }).reshape(shape);
        const perm = shape.map((_, i) => i).reverse();
        const back = t.permute(perm).permute(perm);
        expect(back.toFlatArray()).toEqual(t.toFlatArray());
        const moved = t.permute(perm).contiguous().reshape([n]);
        // element k of the permuted copy is t at the reversed multi-index
        expect(moved.size).toBe(n);
        expect(t.reshape([n]).toFlatArray()).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
    );
  });
});
