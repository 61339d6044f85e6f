import { assertClose } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { arange, randn, tensor, zeros } from './create.js';
import { ShapeError } from './errors.js';
import { addInPlace, axpy, copyInto, divInPlace, fill, mulInPlace, subInPlace } from './inplace.js';
import { Tensor } from './tensor.js';

/** Every multi-index of a shape, row-major. */
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

/**
 * Plain reference for target = f(target, src): walk the target's indices, find the buffer slot
 * through its strides, read src at the broadcast index (size-1 axes read index 0). Returns the
 * whole expected buffer, so elements outside the view are checked to be untouched.
 */
function reference(target: Tensor, src: Tensor | number, f: (t: number, s: number) => number): Float64Array {
  const buf = Float64Array.from(target.data);
  for (const idx of indices(target.shape)) {
    let p = target.offset;
    idx.forEach((k, i) => {
      p += k * target.strides[i]!;
    });
    let s: number;
    if (typeof src === 'number') s = src;
    else {
      const lead = target.ndim - src.ndim;
      s = src.get(...src.shape.map((d, i) => (d === 1 ? 0 : idx[i + lead]!)));
    }
    buf[p] = f(buf[p]!, s);
  }
  return target.dtype === 'float32' ? Float64Array.from(Float32Array.from(buf)) : buf;
}

describe('in-place ops write through any view', () => {
  const views: [string, (base: Tensor) => Tensor][] = [
    ['contiguous', (b) => b],
    ['transpose', (b) => b.transpose()],
    ['strided slice', (b) => b.slice(1, 1, 6, 2)],
    ['row select', (b) => b.select(0, 2)],
    ['permuted 3-d', (b) => b.reshape([2, 2, 6]).permute([2, 0, 1])],
  ];
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [name, make] of views) {
      it(`${name} (${dtype}): add/sub/mul/div with broadcast tensors and numbers, axpy, copyInto, fill`, () => {
        const base = randn([4, 6], { seed: 3, dtype });
        const target = make(base);
        const row = randn([target.shape[target.ndim - 1]!], { seed: 4, dtype });
        const same = randn(target.shape, { seed: 5, dtype }).transpose(0, -1).contiguous().transpose(0, -1);
        const steps: [string, () => Tensor, Tensor | number, (t: number, s: number) => number][] = [
          ['add row', () => addInPlace(target, row), row, (t, s) => t + s],
          ['add alpha', () => addInPlace(target, row, -0.5), row, (t, s) => t + -0.5 * s],
          ['sub number', () => subInPlace(target, 0.25), Math.fround(0.25), (t, s) => t - s],
          ['mul same-shape view', () => mulInPlace(target, same), same, (t, s) => t * s],
          ['div number', () => divInPlace(target, 3), 3, (t, s) => t / s],
          ['axpy', () => axpy(2, same, target), same, (t, s) => t + 2 * s],
          ['copyInto row', () => copyInto(target, row), row, (_, s) => s],
          ['fill', () => fill(target, 0.1), dtype === 'float32' ? Math.fround(0.1) : 0.1, (_, s) => s],
        ];
        for (const [label, run, src, f] of steps) {
          const want = reference(target, src, f);
          expect(run()).toBe(target);
          assertClose(base.data, want, { atol: 0, rtol: dtype === 'float32' ? 2 ** -23 : 1e-15, label });
        }
      });
    }
  }

  it('x op= x is elementwise; an overlapping src in another layout is read from a copy', () => {
    const x = tensor([1, 2, 3], undefined, { dtype: 'float64' });
    addInPlace(x, x);
    expect(x.toFlatArray()).toEqual([2, 4, 6]);
    const m = arange(9, undefined, 1, { dtype: 'float64' }).reshape([3, 3]);
    addInPlace(m, m.transpose());
    expect(m.toArray()).toEqual([
      [0, 4, 8],
      [4, 8, 12],
      [8, 12, 16],
    ]);
    const buf = arange(6, undefined, 1, { dtype: 'float64' });
    copyInto(buf.slice(0, 1, 6), buf.slice(0, 0, 5));
    expect(buf.toFlatArray()).toEqual([0, 0, 1, 2, 3, 4]);
  });

  it('0-d, size-0 and size-1 stride-0 targets', () => {
    const s = tensor(2);
    expect(mulInPlace(s, tensor(3)).item()).toBe(6);
    const e = zeros([0, 3]);
    expect(addInPlace(e, tensor([1, 2, 3]))).toBe(e);
    // empty tensors get stride 0 on axes left of the empty one ([2,0,0] -> [0,0,1]); nothing is written
    const empty = zeros([2, 0, 0]).transpose(0, 1);
    expect(fill(empty, 1)).toBe(empty);
    // a stride-0 axis of size 1 addresses each element once: allowed
    const one = new Tensor(new Float32Array([1, 2]), [1, 2], [0, 1]);
    addInPlace(one, 1);
    expect(one.toFlatArray()).toEqual([2, 3]);
  });
});

describe('in-place errors', () => {
  const t = zeros([2, 3]);

  it('an expanded target (stride 0 on an axis of size > 1) is refused', () => {
    const expanded = zeros([1, 3]).expand([2, 3]);
    for (const [op, run] of [
      ['addInPlace', () => addInPlace(expanded, 1)],
      ['fill', () => fill(expanded, 0)],
      ['copyInto', () => copyInto(expanded, t)],
    ] as const) {
      expect(run).toThrow(ShapeError);
      expect(run).toThrow(
        `${op}: target is an expanded view (axis 0 of size 2 has stride 0, shape [2,3], strides [0,1]), ` +
          'so one element would be written several times; write into a contiguous copy (.clone()) instead',
      );
    }
    expect(() => axpy(1, t, expanded)).toThrow('axpy: y is an expanded view (axis 0 of size 2 has stride 0');
  });

  it('src must broadcast to the target shape, never the other way', () => {
    expect(() => addInPlace(zeros([3]), t)).toThrow(ShapeError);
    expect(() => addInPlace(zeros([3]), t)).toThrow(
      'addInPlace: src of shape [2,3] does not broadcast to target shape [3]',
    );
    expect(() => subInPlace(t, zeros([2]))).toThrow(
      'subInPlace: src of shape [2] does not broadcast to target shape [2,3]',
    );
  });

  it('dtypes must match; arguments must be tensors and numbers', () => {
    const f64 = zeros([3], { dtype: 'float64' });
    expect(() => mulInPlace(t, f64)).toThrow(
      new TypeError(
        'mulInPlace: src has dtype float64, expected float32 (normkit does not mix dtypes; convert with .astype())',
      ),
    );
    expect(() => divInPlace(3 as unknown as Tensor, 1)).toThrow(
      new TypeError('divInPlace: target must be a Tensor, got number 3'),
    );
    expect(() => copyInto(t, 'x' as unknown as number)).toThrow(
      new TypeError('copyInto: src must be a Tensor or a number, got string x'),
    );
    expect(() => addInPlace(t, 1, '2' as unknown as number)).toThrow(
      new TypeError('addInPlace: alpha must be a number, got string 2'),
    );
    expect(() => fill(t, undefined as unknown as number)).toThrow(
      new TypeError('fill: value must be a number, got undefined'),
    );
  });

  it('axpy needs one shape and dtype for x and y', () => {
    expect(() => axpy(1, zeros([3]), t)).toThrow(ShapeError);
    expect(() => axpy(1, zeros([3]), t)).toThrow(
      'axpy: x has shape [3] but y has shape [2,3] (axpy does not broadcast)',
    );
    expect(() => axpy(1, zeros([2, 3], { dtype: 'float64' }), t)).toThrow(
      'axpy: x has dtype float64, expected float32',
    );
    expect(() => axpy('1' as unknown as number, t, t)).toThrow(
      new TypeError('axpy: alpha must be a number, got string 1'),
    );
    expect(() => axpy(1, {} as Tensor, t)).toThrow(
      new TypeError('axpy: x must be a Tensor, got an object (Object)'),
    );
  });
});
