import { type DType, randn, tensor } from '@normkit/tensor';
import { assertClose, maxAbsDiff } from '@normkit/test-utils';
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
import {
  layerNormBackward,
  layerNormBackwardReference,
  layerNormForward,
  layerNormReference,
} from './layer-norm.js';

/**
 * LayerNorm against golden values from test/gen_ln_rms_fixtures.py. Two oracles per case:
 * "exact" (60-digit decimal arithmetic, rounded once to float64; no PyTorch) and PyTorch 1.13
 * autograd ("torch64": float64; "torch": the case's dtype). Tolerances:
 * - statistics (float64 in every dtype) within 1e-15 relative of exact;
 * - float64 y and gradients within 1e-14 (y) and 1e-12 (gradients; column sums 1e-11) of exact and
 *   of torch64. On the hard rows PyTorch's own float64 statistics are off by ~4e-11 relative, so
 *   only exact is used there, within 1e-9 (y) and 1e-8 relative + 1e-7 absolute (gradients, whose
 *   row reaches |dx| = 85): the saved mean 1e4 of a row with std 0.01 is a float64 (off by up to
 *   2^-53 * 1e4), which moves xhat by ~1e-10 relative, the conditioning of the problem;
 * - float32: normkit computes in float64 and rounds once, so y and gradients equal the exact (and the
 *   torch64) result rounded to float32 within 1 ulp (rtol 2^-23, atol 1e-12 for values near 0);
 * - float32 against PyTorch's own float32 (statistics kept in float32), ordinary cases only: 1e-5.
 */
const cases = rowCases('layer_norm.json');
const ULP32 = 2 ** -23;

interface Tol {
  y: number;
  grad: number;
  atol?: number;
}

function run(c: RowCase) {
  const x = fx(c.x)!;
  const weight = fx(c.weight);
  const bias = fx(c.bias);
  const fwd = layerNormForward(x, c.normalized_shape, { weight, bias, eps: c.eps! });
  const bwd = layerNormBackward(fx(c.dy)!, x, c.normalized_shape, fwd, { weight, needs: { dWeight: true } });
  return { fwd, bwd };
}

/** y and gradients against one oracle; float32 oracles in float64 are rounded first. */
function expectOracle(c: RowCase, oracle: TorchResult, who: string, tol: Tol, round: boolean) {
  const { fwd, bwd } = run(c);
  const r = (a: Float64Array) => (round ? f32(a) : a);
  const check = (k: string, actual: Float64Array, expected: Float64Array, rtol: number) =>
    assertClose(actual, r(expected), { atol: tol.atol ?? 1e-12, rtol, label: `${c.name} ${k} vs ${who}` });
  check('y', flatValues(fwd.y), values(oracle.y), tol.y);
  check('dx', flatValues(bwd.dx), values(oracle.dx), tol.grad);
  const sums = round ? tol.grad : Math.max(tol.grad, 1e-11);
  if (c.weight) check('dWeight', flatValues(bwd.dWeight), values(oracle.dweight), sums);
  if (c.bias) check('dBias', flatValues(bwd.dBias), values(oracle.dbias), sums);
}

describe('layerNorm against exact and PyTorch 1.13 goldens', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { fwd } = run(c);
    const exact = c.exact!;
    expect(fwd.mean.dtype).toBe('float64');
    expect(fwd.mean.shape).toEqual(exact.mean!.shape);
    assertClose(flatValues(fwd.mean), values(exact.mean), { atol: 0, rtol: 1e-15, label: `${c.name} mean` });
    assertClose(flatValues(fwd.rstd), values(exact.rstd), { atol: 0, rtol: 1e-15, label: `${c.name} rstd` });
    if (c.dtype === 'float64') {
      const tol = c.hard ? { y: 1e-9, grad: 1e-8, atol: 1e-7 } : { y: 1e-14, grad: 1e-12 };
      expectOracle(c, exact, 'exact', tol, false);
      if (!c.hard) expectOracle(c, c.torch!, 'torch', { y: 1e-14, grad: 1e-12 }, false);
    } else {
      const ulp = { y: ULP32, grad: ULP32 };
      expectOracle(c, exact, 'exact', ulp, true);
      if (!c.hard) {
        expectOracle(c, c.torch64, 'torch64', ulp, true);
        expectOracle(c, c.torch!, 'torch float32', { y: 1e-5, grad: 1e-5, atol: 1e-5 }, false);
      }
    }
  });

  it('is closer to the exact result than PyTorch float32 on the hard rows', () => {
    const c = cases.find((k) => k.name === 'hard_rows_wb_f32')!;
    const { fwd } = run(c);
    const truth = f32(values(c.exact!.y));
    const ours = maxAbsDiff(flatValues(fwd.y), truth).maxdiff;
    // PyTorch float32: NaN for the 1e30 row (x^2 overflows float32) and a shifted mean elsewhere
    const theirs = maxAbsDiff(values(c.torch!.y), truth).maxdiff;
    expect(ours).toBeLessThan(1e-6);
    expect(theirs).toBeGreaterThan(1e-2);
  });
});

describe('layerNorm edge cases (the contract)', () => {
  it('gives y = bias, rstd = 0 and finite gradients for a constant row with eps = 0', () => {
    for (const dtype of ['float32', 'float64'] as DType[]) {
      // 0.1 is not exact: sum(x) / 3 rounds in float64, the corrected mean must still be x exactly
      const x = tensor(
        [
          [0.1, 0.1, 0.1],
          [1, 2, 4],
        ],
        [2, 3],
        { dtype },
      );
      const weight = tensor([2, 3, 4], [3], { dtype });
      const bias = tensor([0.5, -1, 7], [3], { dtype });
      const { y, mean, rstd } = layerNormForward(x, [3], { weight, bias, eps: 0 });
      expect(Array.from(y.toTypedArray().subarray(0, 3))).toEqual([0.5, -1, 7]);
      expect(mean.toArray()).toEqual([x.get(0, 0), 7 / 3]);
      expect(rstd.get(0)).toBe(0);
      const dy = tensor(
        [
          [1, -2, 3],
          [0.5, 0.25, 1],
        ],
        [2, 3],
        { dtype },
      );
      const g = layerNormBackward(dy, x, [3], { mean, rstd }, { weight });
      assertClose(flatValues(g.dx).subarray(0, 3), [0, 0, 0], { atol: 0 });
      expect(g.dWeight!.toFlatArray().every(Number.isFinite)).toBe(true);
      assertClose(flatValues(g.dBias), [1.5, -1.75, 4], { atol: 0 });
    }
  });

  it('keeps [40000, 40001, 40002, 40003] and mean 1e4 std 0.01 exact in float32 with eps = 0', () => {
    const x = tensor([40000, 40001, 40002, 40003], [4], { dtype: 'float32' });
    const { y, mean, rstd } = layerNormForward(x, [4], { eps: 0 });
    // var = 1.25 exactly: xhat = (x - 40001.5) / sqrt(1.25)
    assertClose(flatValues(y), f32([-1.5, -0.5, 0.5, 1.5].map((d) => d / Math.sqrt(1.25))), { atol: 0 });
    expect(mean.item()).toBe(40001.5);
    expect(rstd.item()).toBe(1 / Math.sqrt(1.25));
    // float32 values near 1e4 (ulp 2^-10): the float64 statistics of exactly those values
    const v = randn([64], { seed: 7, mean: 1e4, std: 0.01, dtype: 'float32' });
    const xs = flatValues(v);
    const mu = xs.reduce((s, a) => s + (a - 1e4), 0) / 64 + 1e4;
    const sd = Math.sqrt(xs.reduce((s, a) => s + (a - mu) ** 2, 0) / 64);
    const out = layerNormForward(v, [64], { eps: 0 });
    assertClose(flatValues(out.y), f32(Array.from(xs, (a) => (a - mu) / sd)), { atol: 1e-12, rtol: ULP32 });
  });

  it('handles zero rows, a normalized dim of size 0, d = 1 and the whole shape', () => {
    const empty = layerNormForward(tensor([], [0, 3]), [3]);
    expect(empty.y.shape).toEqual([0, 3]);
    expect(empty.mean.shape).toEqual([0]);
    const g0 = layerNormBackward(tensor([], [0, 3]), tensor([], [0, 3]), [3], empty, {
      needs: { dWeight: true },
    });
    expect(g0.dWeight!.toArray()).toEqual([0, 0, 0]);
    // N = 0: one (empty) row per leading index with mean 0, var 0
    const none = layerNormForward(tensor([], [2, 0]), [0], { eps: 0.25 });
    expect(none.mean.toArray()).toEqual([0, 0]);
    expect(none.rstd.toArray()).toEqual([2, 2]);
    const d1 = layerNormForward(tensor([[3], [-5]], [2, 1]), [1], { bias: tensor([0.75], [1]), eps: 0 });
    expect(d1.y.toArray()).toEqual([[0.75], [0.75]]);
    const whole = layerNormForward(randn([2, 3], { seed: 3, dtype: 'float64' }), [2, 3]);
    expect(whole.mean.shape).toEqual([]);
    expect(whole.rstd.shape).toEqual([]);
  });

  it('propagates NaN and Infinity to their own row only', () => {
    const x = tensor([1, 2, 3, Number.NaN, 5, 6, 7, Number.POSITIVE_INFINITY, 9, 10, 11, 13], [4, 3], {
      dtype: 'float64',
    });
    const { y, mean, rstd } = layerNormForward(x, [3]);
    const ref = layerNormReference(tensor([1, 2, 3, 10, 11, 13], [2, 3], { dtype: 'float64' }), [3]);
    const out = flatValues(y);
    assertClose(out.subarray(0, 3), flatValues(ref.y).subarray(0, 3), { atol: 1e-15 });
    assertClose(out.subarray(9, 12), flatValues(ref.y).subarray(3, 6), { atol: 1e-15 });
    expect(Array.from(out.subarray(3, 9)).every(Number.isNaN)).toBe(true);
    expect([mean.get(1), rstd.get(1), mean.get(2), rstd.get(2)].every(Number.isNaN)).toBe(true);
  });

  it('normalizes float64 rows of magnitude 1e200 and 1e-200 (squares overflow / underflow)', () => {
    const base = [1, -2, 3, 0.5, 4];
    // mean 1.3, var 4.36: the same xhat at every scale
    const expected = flatValues(
      layerNormReference(tensor(base, [5], { dtype: 'float64' }), [5], { eps: 0 }).y,
    );
    for (const scale of [1e200, 1e-200, 1e300, 2 ** -1000]) {
      const x = tensor(
        base.map((v) => v * scale),
        [5],
        { dtype: 'float64' },
      );
      const { y, rstd } = layerNormForward(x, [5], { eps: 0 });
      assertClose(flatValues(y), expected, { atol: 1e-14, label: `scale ${scale}` });
      assertClose([rstd.item() * scale], [1 / Math.sqrt(4.36)], {
        atol: 0,
        rtol: 1e-14,
        label: `rstd ${scale}`,
      });
    }
    // float32 storage of rows around 1e30 (1e60 is a float64 square, not a float32 one)
    const big = tensor([1e30, -2e30, 3e30, 0.5e30, 4e30], [5], { dtype: 'float32' });
    const yb = layerNormForward(big, [5], { eps: 0 }).y;
    const truth = layerNormReference(big.astype('float64'), [5], { eps: 0 }).y;
    assertClose(flatValues(yb), f32(flatValues(truth)), { atol: 0, rtol: ULP32 });
  });
});

describe('layerNorm reference twins', () => {
  it('layerNormBackwardReference agrees with a Jacobian written element by element', () => {
    // dxhat_i/dx_j = rstd * (delta_ij - 1/N - xhat_i * xhat_j / N), so dx_j = sum_i g_i * dxhat_i/dx_j
    const x = randn([2, 5], { seed: 11, dtype: 'float64' });
    const w = randn([5], { seed: 12, dtype: 'float64' });
    const dy = randn([2, 5], { seed: 13, dtype: 'float64' });
    const fwd = layerNormReference(x, [5], { weight: w, eps: 1e-3 });
    const { dx } = layerNormBackwardReference(dy, x, [5], fwd, { weight: w });
    const xs = flatValues(x);
    const expected = new Float64Array(10);
    for (let r = 0; r < 2; r++) {
      const mu = fwd.mean.get(r);
      const rs = fwd.rstd.get(r);
      const xhat = (i: number) => (xs[r * 5 + i]! - mu) * rs;
      for (let j = 0; j < 5; j++) {
        for (let i = 0; i < 5; i++) {
          const jac = rs * ((i === j ? 1 : 0) - 1 / 5 - (xhat(i) * xhat(j)) / 5);
          expected[r * 5 + j] += dy.get(r, i) * w.get(i) * jac;
        }
      }
    }
    assertClose(flatValues(dx), expected, { atol: 1e-14 });
  });
});
