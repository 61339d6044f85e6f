import * as T from '@normkit/tensor';
import { type Tensor, tensor } from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import * as A from '../src/index.js';
import { input } from './helpers.js';

const f64 = (values: number[], shape = [values.length]) => tensor(values, shape, { dtype: 'float64' });

describe('grad and valueAndGrad', () => {
  it('grad(f)(x, w) returns one gradient per argument', () => {
    // f = sum(w * x^2): df/dx = 2 w x, df/dw = x^2
    const f = (x: A.Variable, w: A.Variable) => A.sum(A.mul(w, A.square(x)));
    const x = f64([1, -2, 3]);
    const w = f64([0.5, 2, -1]);
    const [dx, dw] = A.grad(f)(x, w);
    expect(dx.toFlatArray()).toEqual([1, -8, -6]);
    expect(dw.toFlatArray()).toEqual([1, 4, 9]);
  });

  it('valueAndGrad returns the value too; Variables passed in keep their own grad', () => {
    const p = A.variable(f64([2, 3]));
    const { value, grads } = A.valueAndGrad((v: A.Variable) => A.mean(A.exp(v)))(p);
    assertClose([value.item()], [(Math.exp(2) + Math.exp(3)) / 2], { atol: 1e-14 });
    assertClose(grads[0].toFlatArray(), [Math.exp(2) / 2, Math.exp(3) / 2], { atol: 1e-14 });
    expect(p.grad).toBeNull();
  });

  it('an argument f does not use gets zeros', () => {
    const [, dy] = A.grad((x: A.Variable, _y: A.Variable) => A.sum(x))(f64([1]), f64([5, 6]));
    expect(dy.toFlatArray()).toEqual([0, 0]);
  });

  it('f must return a one-element Variable', () => {
    expect(() => A.grad((x: A.Variable) => A.mul(x, 2))(f64([1, 2]))).toThrow(
      'grad: f must return a one-element Variable (a scalar loss), got shape [2]; for a non-scalar output call backward(y, seed)',
    );
    expect(() => A.valueAndGrad((() => 3) as never)(f64([1]))).toThrow(
      'valueAndGrad: f must return a Variable, got number',
    );
  });
});

/** y = x^2 with a deliberately wrong VJP (3x instead of 2x). */
const wrongSquare = A.defineOp({
  name: 'wrongSquare',
  forward: (_c, [x]: [Tensor]) => ({ output: T.square(x), saved: x }),
  backward: (c, g) => [T.mul(g, T.mul(c.saved, 3))],
});

describe('gradcheck', () => {
  it('catches a wrong VJP and names the worst element with both values', () => {
    const x = f64([0.5, -1, 2], [3]);
    const report = A.gradcheckReport((v) => A.sum(wrongSquare([v])), [x]);
    expect(report.ok).toBe(false);
    expect(report.checked).toBe(3);
    // worst element: x = 2, analytic 3x = 6, numeric 2x = 4
    expect(report.worst!.input).toBe(0);
    expect(report.worst!.index).toEqual([2]);
    expect(report.worst!.analytic).toBe(6);
    assertClose([report.worst!.numeric], [4], { atol: 1e-8 });
    expect(() => A.gradcheck((v) => A.sum(wrongSquare([v])), [x])).toThrow(
      /^gradcheck: the gradient of inputs\[0\] \(shape \[3\]\) at \[2\] is wrong: analytic 6, numeric 4\.0000\d+ \(\|diff\| 2\.000e\+0 > atol 0\.00001 \+ rtol 0\.001 \* \|numeric\|\); 3 elements checked, max \|diff\| 2\.000e\+0$/,
    );
  });

  it('checks a non-scalar output through a random projection, and restores the inputs', () => {
    const x = input([2, 3], 1, 'transposed');
    const before = x.toFlatArray();
    expect(A.gradcheckReport((v) => wrongSquare([v]), [x]).ok).toBe(false);
    expect(A.gradcheck((v) => A.square(v), [x]).ok).toBe(true);
    expect(x.toFlatArray()).toEqual(before);
  });

  it('is ok with the right VJP and reports the largest difference', () => {
    const report = A.gradcheckReport((v) => A.sum(A.square(v)), [f64([0.5, -1, 2])]);
    expect(report.ok).toBe(true);
    expect(report.maxAbsDiff).toBeLessThan(1e-8);
  });

  it('rejects float32 inputs or outputs and expanded views', () => {
    expect(() => A.gradcheck((v) => A.sum(v), [tensor([1, 2])])).toThrow(
      "gradcheck: inputs[0] has dtype float32, expected float64 (finite differences need float64; use .astype('float64'))",
    );
    expect(() => A.gradcheck((v) => A.sum(v), [f64([1]).expand([3])])).toThrow(RangeError);
    expect(() => A.gradcheck((v) => A.sum(v), [f64([1]).expand([3])])).toThrow(
      /gradcheck: inputs\[0\] is an expanded view \(stride 0 on axis 0\)/,
    );
    const toF32 = A.defineOp({
      name: 'toF32',
      forward: (_c, [x]: [Tensor]) => x.astype('float32'),
      backward: (_c, g) => [g.astype('float64')],
    });
    expect(() => A.gradcheck((v) => toF32([v]), [f64([1])])).toThrow(
      'gradcheck: f returned a float32 output, expected float64',
    );
  });
});

describe('dropout', () => {
  const x = T.ones([200, 50], { dtype: 'float64' });

  it('keeps about 1 - p of the elements, scaled by 1 / (1 - p); the same seed gives the same mask', () => {
    const y = A.dropout(x, 0.3, { seed: 3 }).data.toFlatArray();
    const kept = y.filter((v) => v !== 0);
    expect(new Set(kept)).toEqual(new Set([1 / 0.7]));
    // 10,000 Bernoulli(0.7) draws: the kept fraction is within 4 standard deviations (0.0046 each)
    expect(Math.abs(kept.length / y.length - 0.7)).toBeLessThan(4 * Math.sqrt((0.7 * 0.3) / 1e4));
    expect(A.dropout(x, 0.3, { seed: 3 }).data.toFlatArray()).toEqual(y);
    const gen = new T.Generator(3);
    expect(A.dropout(x, 0.3, { generator: gen }).data.toFlatArray()).toEqual(y);
    expect(A.dropout(x, 0.3, { generator: gen }).data.toFlatArray()).not.toEqual(y);
  });

  it('is the identity outside training or for p = 0, zero for p = 1, and checks p', () => {
    const v = A.variable(x);
    expect(A.dropout(v, 0.5, { training: false })).toBe(v);
    expect(A.dropout(v, 0)).toBe(v);
    const z = A.dropout(v, 1, { seed: 1 });
    expect(z.data.toFlatArray().every((e) => e === 0)).toBe(true);
    expect(() => A.dropout(v, 1.5)).toThrow('dropout: p must be a probability in [0, 1], got 1.5');
  });
});
