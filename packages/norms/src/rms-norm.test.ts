import { type DType, randn, tensor } from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import {
  f32,
  flatValues,
  fx,
  type RowCase,
  rowCases,
  type TorchResult,
  values,
} from '../test/row-helpers.js';
import { rmsNormBackward, rmsNormDefaultEps, rmsNormForward, rmsNormReference } from './rms-norm.js';

/**
 * RMSNorm against golden values from test/gen_ln_rms_fixtures.py: "exact" (60-digit decimal) and
 * PyTorch 1.13 autograd of the composed y = x * rsqrt(mean(x^2) + eps) * weight in float64
 * ("torch64"). Tolerances: rstd within 1e-15 relative of exact; float64 y within 1e-14 and
 * gradients within 1e-12 (dWeight, a column sum: 1e-11) of both oracles; float32 results equal the
 * float64 oracles rounded to float32 within 1 ulp (rtol 2^-23, atol 1e-12 near 0), because normkit
 * computes in float64 and rounds once.
 */
const cases = rowCases('rms_norm.json');
const ULP32 = 2 ** -23;

function run(c: RowCase) {
  const x = fx(c.x)!;
  const weight = fx(c.weight);
  const fwd = rmsNormForward(x, c.normalized_shape, c.eps === null ? { weight } : { weight, eps: c.eps });
  const bwd = rmsNormBackward(fx(c.dy)!, x, c.normalized_shape, fwd, { weight });
  return { fwd, bwd };
}

function expectOracle(c: RowCase, oracle: TorchResult, who: string) {
  const { fwd, bwd } = run(c);
  const round = c.dtype === 'float32';
  const r = (a: Float64Array) => (round ? f32(a) : a);
  const check = (k: string, actual: Float64Array, expected: Float64Array, rtol: number) =>
    assertClose(actual, r(expected), {
      atol: 1e-12,
      rtol: round ? ULP32 : rtol,
      label: `${c.name} ${k} vs ${who}`,
    });
  check('y', flatValues(fwd.y), values(oracle.y), 1e-14);
  check('dx', flatValues(bwd.dx), values(oracle.dx), 1e-12);
  if (c.weight) check('dWeight', flatValues(bwd.dWeight), values(oracle.dweight), 1e-11);
  else expect(bwd.dWeight).toBeNull();
  expect(bwd.dBias).toBeNull();
}

describe('rmsNorm against exact and PyTorch 1.13 goldens', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { fwd } = run(c);
    expect(fwd.rstd.dtype).toBe('float64');
    expect(fwd.rstd.shape).toEqual(c.exact!.rstd.shape);
    assertClose(flatValues(fwd.rstd), values(c.exact!.rstd), {
      atol: 0,
      rtol: 1e-15,
      label: `${c.name} rstd`,
    });
    expectOracle(c, c.exact!, 'exact');
    expectOracle(c, c.torch64, 'torch64');
  });

  it('defaults eps to the machine epsilon of the dtype (torch.finfo(dtype).eps)', () => {
    expect(rmsNormDefaultEps('float32')).toBe(2 ** -23);
    expect(rmsNormDefaultEps('float64')).toBe(2 ** -52);
    for (const c of cases.filter((k) => k.eps === null)) {
      expect((c as RowCase & { eps_used: number }).eps_used).toBe(rmsNormDefaultEps(c.dtype));
    }
    const zero = rmsNormForward(tensor([0, 0, 0], [3], { dtype: 'float32' }), [3]);
    expect(zero.rstd.item()).toBe(1 / Math.sqrt(2 ** -23));
  });
});

describe('rmsNorm edge cases (the contract)', () => {
  it('gives y = 0, rstd = 0 and dx = 0 for a zero row with eps = 0, other rows exact', () => {
    for (const dtype of ['float32', 'float64'] as DType[]) {
      const x = tensor(
        [
          [0, 0, 0],
          [1, 2, 2],
        ],
        [2, 3],
        { dtype },
      );
      const weight = tensor([2, 3, 4], [3], { dtype });
      const { y, rstd } = rmsNormForward(x, [3], { weight, eps: 0 });
      // row 1: mean(x^2) = 3, rstd = 1/sqrt(3)
      assertClose(flatValues(y), [0, 0, 0, 2 / Math.sqrt(3), 6 / Math.sqrt(3), 8 / Math.sqrt(3)], {
        atol: 0,
        rtol: dtype === 'float32' ? ULP32 : 1e-15,
      });
      expect(rstd.get(0)).toBe(0);
      const g = rmsNormBackward(
        tensor(
          [
            [1, -2, 3],
            [1, 1, 1],
          ],
          [2, 3],
          { dtype },
        ),
        x,
        [3],
        { rstd },
        { weight },
      );
      assertClose(flatValues(g.dx).subarray(0, 3), [0, 0, 0], { atol: 0 });
      expect(g.dWeight!.toFlatArray().every(Number.isFinite)).toBe(true);
    }
  });

  it('normalizes float64 rows whose squares overflow or underflow (scale invariance with eps = 0)', () => {
    const base = [1, -2, 3, 0.5, 4];
    const expected = flatValues(rmsNormReference(tensor(base, [5], { dtype: 'float64' }), [5], { eps: 0 }).y);
    for (const scale of [1e200, 1e-200, 1e300, 2 ** -1000]) {
      const x = tensor(
        base.map((v) => v * scale),
        [5],
        { dtype: 'float64' },
      );
      assertClose(flatValues(rmsNormForward(x, [5], { eps: 0 }).y), expected, {
        atol: 1e-15,
        label: `${scale}`,
      });
    }
  });

  it('propagates NaN to its own row only, and handles zero rows, empty rows and d = 1', () => {
    const x = tensor([1, 2, Number.NaN, 4, 5, 6], [3, 2], { dtype: 'float64' });
    const y = flatValues(rmsNormForward(x, [2]).y);
    expect(Number.isNaN(y[2]!) && Number.isNaN(y[3]!)).toBe(true);
    const ref = flatValues(rmsNormReference(tensor([1, 2, 5, 6], [2, 2], { dtype: 'float64' }), [2]).y);
    assertClose([y[0]!, y[1]!, y[4]!, y[5]!], ref, { atol: 1e-15 });
    expect(rmsNormForward(tensor([], [0, 4]), [4]).rstd.shape).toEqual([0]);
    // a normalized dim of size 0: empty rows with mean(x^2) = 0, so rstd = 1/sqrt(eps)
    expect(rmsNormForward(tensor([], [2, 0]), [0], { eps: 0.25 }).rstd.toArray()).toEqual([2, 2]);
    const d1 = rmsNormForward(tensor([[3], [-5]], [2, 1], { dtype: 'float64' }), [1], { eps: 0 });
    expect(d1.y.toArray()).toEqual([[1], [-1]]);
    const whole = rmsNormForward(randn([2, 3], { seed: 3 }), [2, 3]);
    expect(whole.rstd.shape).toEqual([]);
  });
});
