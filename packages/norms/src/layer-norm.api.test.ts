import { randn, ShapeError, zeros } from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { flatValues, strided } from '../test/row-helpers.js';
import {
  layerNormBackward,
  layerNormBackwardReference,
  layerNormForward,
  layerNormReference,
} from './layer-norm.js';

/** LayerNorm's API surface: needs, preallocated outputs, and every error message. */
const x = randn([2, 3, 4], { seed: 1 });
const w = randn([4], { seed: 2 });
const b = randn([4], { seed: 3 });
const dy = randn([2, 3, 4], { seed: 4 });

describe('layerNorm needs', () => {
  const saved = layerNormForward(x, [4], { weight: w, bias: b });
  const full = layerNormBackwardReference(dy, x, [4], saved, { weight: w });

  it('defaults to dx, dWeight when there is a weight, and dBias', () => {
    const g = layerNormBackward(dy, x, [4], saved, { weight: w });
    expect([g.dx, g.dWeight, g.dBias].every((t) => t !== null)).toBe(true);
    const noWeight = layerNormBackward(dy, x, [4], saved);
    expect(noWeight.dWeight).toBeNull();
    expect(noWeight.dBias).not.toBeNull();
  });

  it('computes only what is asked for, each with the full computation value', () => {
    const combos = [
      { dx: false, dWeight: true, dBias: false },
      { dx: false, dWeight: false, dBias: true },
      { dx: true, dWeight: false, dBias: false },
      { dx: false, dWeight: false, dBias: false },
    ];
    for (const needs of combos) {
      const g = layerNormBackward(dy, x, [4], saved, { weight: w, needs });
      for (const k of ['dx', 'dWeight', 'dBias'] as const) {
        if (!needs[k]) expect(g[k]).toBeNull();
        else assertClose(flatValues(g[k]), flatValues(full[k]), { atol: 1e-6, label: k });
      }
    }
  });

  it('computes dWeight without a weight when asked (the gradient at weight = 1)', () => {
    const plain = layerNormForward(x, [4]);
    const g = layerNormBackward(dy, x, [4], plain, { needs: { dWeight: true } });
    const ref = layerNormBackwardReference(dy, x, [4], plain, { needs: { dWeight: true } });
    assertClose(flatValues(g.dWeight), flatValues(ref.dWeight), { atol: 1e-6 });
  });
});

describe('layerNorm out buffers', () => {
  it('writes into the given buffers, returns them, and overwrites on reuse', () => {
    const out = {
      y: zeros([2, 3, 4]),
      mean: zeros([2, 3], { dtype: 'float64' }),
      rstd: zeros([2, 3], { dtype: 'float64' }),
    };
    const expected = layerNormReference(x, [4], { weight: w, bias: b });
    for (let step = 0; step < 2; step++) {
      const r = layerNormForward(x, [4], { weight: w, bias: b, out });
      expect(r.y).toBe(out.y);
      expect(r.mean).toBe(out.mean);
      expect(r.rstd).toBe(out.rstd);
      assertClose(flatValues(out.y), flatValues(expected.y), { atol: 1e-6 });
      assertClose(flatValues(out.rstd), flatValues(expected.rstd), { atol: 0, rtol: 1e-14 });
    }
    const gout = { dx: zeros([2, 3, 4]), dWeight: zeros([4]), dBias: zeros([4]) };
    const ref = layerNormBackwardReference(dy, x, [4], out, { weight: w });
    for (let step = 0; step < 2; step++) {
      const g = layerNormBackward(dy, x, [4], out, { weight: w, out: gout });
      expect(g.dx).toBe(gout.dx);
      expect(g.dWeight).toBe(gout.dWeight);
      expect(g.dBias).toBe(gout.dBias);
      // written, not accumulated: the second step gives the same values
      assertClose(flatValues(gout.dWeight), flatValues(ref.dWeight), { atol: 1e-6 });
      assertClose(flatValues(gout.dBias), flatValues(ref.dBias), { atol: 1e-6 });
      assertClose(flatValues(gout.dx), flatValues(ref.dx), { atol: 1e-6 });
    }
  });

  it('honours buffers that are contiguous views at an offset, and strided inputs', () => {
    const big = zeros([3, 3, 4]);
    const y = big.narrow(0, 1, 2);
    const stats = zeros([8], { dtype: 'float64' });
    const mean = stats.narrow(0, 1, 6).reshape([2, 3]);
    const rstd = stats.narrow(0, 2, 6).reshape([2, 3]);
    layerNormForward(strided(x), [4], {
      weight: strided(w),
      out: { y, mean: zeros([2, 3], { dtype: 'float64' }), rstd },
    });
    const expected = layerNormReference(x, [4], { weight: w });
    assertClose(flatValues(y), flatValues(expected.y), { atol: 1e-6 });
    assertClose(flatValues(rstd), flatValues(expected.rstd), { atol: 0, rtol: 1e-14 });
    expect(Array.from(big.data.subarray(0, 12))).toEqual(new Array(12).fill(0));
    layerNormForward(x, [4], { out: { mean } });
    assertClose(flatValues(mean), flatValues(expected.mean), { atol: 0, rtol: 1e-14 });
  });
});

describe('layerNorm errors (thrown before any work)', () => {
  const f64 = x.astype('float64');
  const stats = layerNormForward(x, [4]);
  const cases: [string, () => unknown, RegExp, ErrorConstructor | typeof ShapeError][] = [
    [
      'empty normalizedShape',
      () => layerNormForward(x, []),
      /^layerNormForward: normalizedShape must list at least one dimension, got \[\]$/,
      RangeError,
    ],
    [
      'bad normalizedShape entry',
      () => layerNormForward(x, [-4]),
      /^layerNormForward: normalizedShape must hold non-negative integers, got \[-4\]$/,
      RangeError,
    ],
    [
      'trailing dims',
      () => layerNormForward(x, [3]),
      /^layerNormForward: given normalizedShape=\[3\], expected input with shape \[\*, 3\], but got input of size \[2,3,4\]$/,
      ShapeError,
    ],
    [
      'too many dims',
      () => layerNormForward(x, [1, 2, 3, 4]),
      /given normalizedShape=\[1,2,3,4\], expected input with shape \[\*, 1, 2, 3, 4\]/,
      ShapeError,
    ],
    [
      'negative eps',
      () => layerNormForward(x, [4], { eps: -1e-5 }),
      /^layerNormForward: eps must be a finite number >= 0, got -0.00001$/,
      RangeError,
    ],
    [
      'NaN eps',
      () => layerNormForward(x, [4], { eps: Number.NaN }),
      /eps must be a finite number >= 0, got NaN/,
      RangeError,
    ],
    [
      'weight shape',
      () => layerNormForward(x, [4], { weight: zeros([3]) }),
      /^layerNormForward: weight expected shape \[4\], got \[3\]$/,
      ShapeError,
    ],
    [
      'bias shape',
      () => layerNormForward(x, [3, 4], { bias: zeros([4]) }),
      /^layerNormForward: bias expected shape \[3,4\], got \[4\]$/,
      ShapeError,
    ],
    [
      'weight dtype',
      () => layerNormForward(x, [4], { weight: zeros([4], { dtype: 'float64' }) }),
      /^layerNormForward: weight has dtype float64, expected float32 \(the dtype of x\); normkit does not mix dtypes$/,
      TypeError,
    ],
    [
      'out.y shape',
      () => layerNormForward(x, [4], { out: { y: zeros([2, 4, 3]) } }),
      /^layerNormForward: out.y expected shape \[2,3,4\], got \[2,4,3\]$/,
      ShapeError,
    ],
    [
      'out.y dtype',
      () => layerNormForward(x, [4], { out: { y: zeros([2, 3, 4], { dtype: 'float64' }) } }),
      /^layerNormForward: out.y has dtype float64, expected float32$/,
      TypeError,
    ],
    [
      'out.y strided',
      () => layerNormForward(x, [4], { out: { y: zeros([2, 4, 3]).transpose(1, 2) } }),
      /^layerNormForward: out.y expected a contiguous tensor, got strides \[12,1,3\]$/,
      ShapeError,
    ],
    [
      'out.mean dtype',
      () => layerNormForward(x, [4], { out: { mean: zeros([2, 3]) } }),
      /^layerNormForward: out.mean has dtype float32, expected float64$/,
      TypeError,
    ],
    [
      'out.rstd shape',
      () => layerNormForward(x, [4], { out: { rstd: zeros([6], { dtype: 'float64' }) } }),
      /^layerNormForward: out.rstd expected shape \[2,3\], got \[6\]$/,
      ShapeError,
    ],
    [
      'reference trailing dims',
      () => layerNormReference(x, [5]),
      /^layerNormReference: given normalizedShape=\[5\]/,
      ShapeError,
    ],
    [
      'reference eps',
      () => layerNormReference(x, [4], { eps: Number.POSITIVE_INFINITY }),
      /^layerNormReference: eps must be a finite number >= 0, got Infinity$/,
      RangeError,
    ],
    [
      'dy dtype',
      () => layerNormBackward(dy.astype('float64'), x, [4], stats),
      /^layerNormBackward: dy has dtype float64, expected float32 \(the dtype of x\); normkit does not mix dtypes$/,
      TypeError,
    ],
    [
      'dy shape',
      () => layerNormBackward(dy.reshape([6, 4]), x, [4], stats),
      /^layerNormBackward: dy expected shape \[2,3,4\] \(the shape of x\), got \[6,4\]$/,
      ShapeError,
    ],
    [
      'backward trailing dims',
      () => layerNormBackward(dy, x, [2, 4], stats),
      /^layerNormBackward: given normalizedShape=\[2,4\]/,
      ShapeError,
    ],
    [
      'missing mean',
      () => layerNormBackward(dy, x, [4], { rstd: stats.rstd } as never),
      /^layerNormBackward: saved statistic mean is missing \(pass the mean returned by layerNormForward\)$/,
      TypeError,
    ],
    [
      'mean shape',
      () => layerNormBackward(dy, x, [4], { ...stats, mean: zeros([6], { dtype: 'float64' }) }),
      /^layerNormBackward: mean expected shape \[2,3\] \(the leading dims of x\), got \[6\]$/,
      ShapeError,
    ],
    [
      'rstd dtype',
      () => layerNormBackward(dy, x, [4], { ...stats, rstd: zeros([2, 3]) }),
      /^layerNormBackward: rstd has dtype float32, expected float64 \(saved statistics are float64 whatever the dtype of x\)$/,
      TypeError,
    ],
    [
      'backward weight',
      () => layerNormBackward(dy, x, [4], stats, { weight: zeros([5]) }),
      /^layerNormBackward: weight expected shape \[4\], got \[5\]$/,
      ShapeError,
    ],
    [
      'out.dx shape',
      () => layerNormBackward(dy, x, [4], stats, { out: { dx: zeros([24]) } }),
      /^layerNormBackward: out.dx expected shape \[2,3,4\], got \[24\]$/,
      ShapeError,
    ],
    [
      'out.dWeight dtype',
      () =>
        layerNormBackward(dy, x, [4], stats, {
          weight: w,
          out: { dWeight: zeros([4], { dtype: 'float64' }) },
        }),
      /^layerNormBackward: out.dWeight has dtype float64, expected float32$/,
      TypeError,
    ],
    [
      'out.dBias shape',
      () => layerNormBackward(dy, x, [4], stats, { out: { dBias: zeros([1, 4]) } }),
      /^layerNormBackward: out.dBias expected shape \[4\], got \[1,4\]$/,
      ShapeError,
    ],
    [
      'reference dy',
      () => layerNormBackwardReference(dy.reshape([6, 4]), x, [4], stats),
      /^layerNormBackwardReference: dy expected shape \[2,3,4\]/,
      ShapeError,
    ],
    [
      'reference dy dtype',
      () => layerNormBackwardReference(dy, f64, [4], stats),
      /^layerNormBackwardReference: dy has dtype float32, expected float64/,
      TypeError,
    ],
  ];
  it.each(cases)('%s', (_name, fn, message, kind) => {
    expect(fn).toThrow(kind);
    expect(fn).toThrow(message);
  });

  it('names op, argument, expected and actual on the ShapeError', () => {
    try {
      layerNormForward(x, [4], { weight: zeros([3]) });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({
        op: 'layerNormForward',
        arg: 'weight',
        expected: 'shape [4]',
        actual: '[3]',
      });
    }
  });

  it('leaves the outputs untouched when an argument is bad', () => {
    const y = zeros([2, 3, 4]);
    y.data.fill(7);
    expect(() => layerNormForward(x, [4], { bias: zeros([5]), out: { y } })).toThrow(ShapeError);
    expect(Array.from(y.data).every((v) => v === 7)).toBe(true);
    const dx = zeros([2, 3, 4]);
    dx.data.fill(7);
    expect(() => layerNormBackward(dy, x, [4], stats, { out: { dx, dBias: zeros([3]) } })).toThrow(
      ShapeError,
    );
    expect(Array.from(dx.data).every((v) => v === 7)).toBe(true);
  });
});
