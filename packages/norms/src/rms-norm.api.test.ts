import { randn, ShapeError, zeros } from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { flatValues, strided } from '../test/row-helpers.js';
import { rmsNormBackward, rmsNormBackwardReference, rmsNormForward, rmsNormReference } from './rms-norm.js';

/** RMSNorm's API surface: needs, preallocated outputs, and every error message. */
const x = randn([3, 2, 5], { seed: 21 });
const w = randn([2, 5], { seed: 22 });
const dy = randn([3, 2, 5], { seed: 23 });

describe('rmsNorm needs', () => {
  const saved = rmsNormForward(x, [2, 5], { weight: w });
  const full = rmsNormBackwardReference(dy, x, [2, 5], saved, { weight: w });

  it('defaults to dx and dWeight when there is a weight; dBias is always null', () => {
    const g = rmsNormBackward(dy, x, [2, 5], saved, { weight: w });
    assertClose(flatValues(g.dx), flatValues(full.dx), { atol: 1e-6 });
    assertClose(flatValues(g.dWeight), flatValues(full.dWeight), { atol: 1e-6 });
    expect(g.dBias).toBeNull();
    const noWeight = rmsNormBackward(dy, x, [2, 5], rmsNormForward(x, [2, 5]));
    expect(noWeight.dWeight).toBeNull();
    expect(noWeight.dx).not.toBeNull();
  });

  it('computes only what is asked for', () => {
    const onlyW = rmsNormBackward(dy, x, [2, 5], saved, { weight: w, needs: { dx: false } });
    expect(onlyW.dx).toBeNull();
    assertClose(flatValues(onlyW.dWeight), flatValues(full.dWeight), { atol: 1e-6 });
    const onlyX = rmsNormBackward(dy, x, [2, 5], saved, { weight: w, needs: { dWeight: false } });
    expect(onlyX.dWeight).toBeNull();
    assertClose(flatValues(onlyX.dx), flatValues(full.dx), { atol: 1e-6 });
    const nothing = rmsNormBackward(dy, x, [2, 5], saved, {
      weight: w,
      needs: { dx: false, dWeight: false },
    });
    expect([nothing.dx, nothing.dWeight, nothing.dBias]).toEqual([null, null, null]);
  });
});

describe('rmsNorm out buffers', () => {
  it('writes into the given buffers, returns them, and overwrites on reuse', () => {
    const out = { y: zeros([3, 2, 5]), rstd: zeros([3], { dtype: 'float64' }) };
    const expected = rmsNormReference(strided(x), [2, 5], { weight: w });
    const gout = { dx: zeros([3, 2, 5]), dWeight: zeros([2, 5]) };
    for (let step = 0; step < 2; step++) {
      const r = rmsNormForward(strided(x), [2, 5], { weight: strided(w), out });
      expect(r.y).toBe(out.y);
      expect(r.rstd).toBe(out.rstd);
      assertClose(flatValues(out.y), flatValues(expected.y), { atol: 1e-6 });
      const g = rmsNormBackward(strided(dy), x, [2, 5], out, { weight: w, out: gout });
      expect(g.dx).toBe(gout.dx);
      expect(g.dWeight).toBe(gout.dWeight);
      const ref = rmsNormBackwardReference(dy, x, [2, 5], out, { weight: w });
      assertClose(flatValues(gout.dWeight), flatValues(ref.dWeight), { atol: 1e-6 });
      assertClose(flatValues(gout.dx), flatValues(ref.dx), { atol: 1e-6 });
    }
  });
});

describe('rmsNorm errors (thrown before any work)', () => {
  const saved = rmsNormForward(x, [5]);
  const cases: [string, () => unknown, RegExp, ErrorConstructor | typeof ShapeError][] = [
    [
      'empty normalizedShape',
      () => rmsNormForward(x, []),
      /^rmsNormForward: normalizedShape must list at least one dimension, got \[\]$/,
      RangeError,
    ],
    [
      'fractional normalizedShape',
      () => rmsNormForward(x, [2.5]),
      /^rmsNormForward: normalizedShape must hold non-negative integers, got \[2.5\]$/,
      RangeError,
    ],
    [
      'trailing dims',
      () => rmsNormForward(x, [2, 4]),
      /^rmsNormForward: given normalizedShape=\[2,4\], expected input with shape \[\*, 2, 4\], but got input of size \[3,2,5\]$/,
      ShapeError,
    ],
    [
      'negative eps',
      () => rmsNormForward(x, [5], { eps: -1 }),
      /^rmsNormForward: eps must be a finite number >= 0, got -1$/,
      RangeError,
    ],
    [
      'weight shape',
      () => rmsNormForward(x, [2, 5], { weight: zeros([5]) }),
      /^rmsNormForward: weight expected shape \[2,5\], got \[5\]$/,
      ShapeError,
    ],
    [
      'weight dtype',
      () => rmsNormForward(x, [5], { weight: zeros([5], { dtype: 'float64' }) }),
      /^rmsNormForward: weight has dtype float64, expected float32 \(the dtype of x\); normkit does not mix dtypes$/,
      TypeError,
    ],
    [
      'out.y shape',
      () => rmsNormForward(x, [5], { out: { y: zeros([30]) } }),
      /^rmsNormForward: out.y expected shape \[3,2,5\], got \[30\]$/,
      ShapeError,
    ],
    [
      'out.rstd dtype',
      () => rmsNormForward(x, [5], { out: { rstd: zeros([3, 2]) } }),
      /^rmsNormForward: out.rstd has dtype float32, expected float64$/,
      TypeError,
    ],
    [
      'reference eps',
      () => rmsNormReference(x, [5], { eps: -2 }),
      /^rmsNormReference: eps must be a finite number >= 0, got -2$/,
      RangeError,
    ],
    [
      'dy dtype',
      () => rmsNormBackward(dy.astype('float64'), x, [5], saved),
      /^rmsNormBackward: dy has dtype float64, expected float32 \(the dtype of x\)/,
      TypeError,
    ],
    [
      'dy shape',
      () => rmsNormBackward(dy.reshape([6, 5]), x, [5], saved),
      /^rmsNormBackward: dy expected shape \[3,2,5\] \(the shape of x\), got \[6,5\]$/,
      ShapeError,
    ],
    [
      'missing rstd',
      () => rmsNormBackward(dy, x, [5], {} as never),
      /^rmsNormBackward: saved statistic rstd is missing \(pass the rstd returned by rmsNormForward\)$/,
      TypeError,
    ],
    [
      'rstd shape',
      () => rmsNormBackward(dy, x, [5], { rstd: zeros([3], { dtype: 'float64' }) }),
      /^rmsNormBackward: rstd expected shape \[3,2\] \(the leading dims of x\), got \[3\]$/,
      ShapeError,
    ],
    [
      'rstd dtype',
      () => rmsNormBackward(dy, x, [5], { rstd: zeros([3, 2]) }),
      /^rmsNormBackward: rstd has dtype float32, expected float64 \(saved statistics are float64 whatever the dtype of x\)$/,
      TypeError,
    ],
    [
      'backward weight',
      () => rmsNormBackward(dy, x, [5], saved, { weight: zeros([2, 5]) }),
      /^rmsNormBackward: weight expected shape \[5\], got \[2,5\]$/,
      ShapeError,
    ],
    [
      'out.dx dtype',
      () => rmsNormBackward(dy, x, [5], saved, { out: { dx: zeros([3, 2, 5], { dtype: 'float64' }) } }),
      /^rmsNormBackward: out.dx has dtype float64, expected float32$/,
      TypeError,
    ],
    [
      'out.dWeight shape',
      () => rmsNormBackward(dy, x, [5], saved, { weight: zeros([5]), out: { dWeight: zeros([4]) } }),
      /^rmsNormBackward: out.dWeight expected shape \[5\], got \[4\]$/,
      ShapeError,
    ],
    [
      'reference backward rstd',
      () => rmsNormBackwardReference(dy, x, [5], { rstd: zeros([2, 3], { dtype: 'float64' }) }),
      /^rmsNormBackwardReference: rstd expected shape \[3,2\]/,
      ShapeError,
    ],
  ];
  it.each(cases)('%s', (_name, fn, message, kind) => {
    expect(fn).toThrow(kind);
    expect(fn).toThrow(message);
  });

  it('leaves the outputs untouched when an argument is bad', () => {
    const y = zeros([3, 2, 5]);
    y.data.fill(7);
    expect(() => rmsNormForward(x, [5], { weight: zeros([4]), out: { y } })).toThrow(ShapeError);
    expect(Array.from(y.data).every((v) => v === 7)).toBe(true);
  });
});
