import { type DType, randn, type Tensor } from '@normkit/tensor';
import {
  assertClose,
  type FixtureTensor,
  fixtureTensorData,
  numericGrad,
  toFloat64Array,
} from '@normkit/test-utils';

/**
 * Test helpers shared by the BatchNorm, GroupNorm and InstanceNorm tests: tolerances, oracles
 * (PyTorch fixtures, a plain LayerNorm, finite differences) and the comparisons the three repeat.
 * Fixture reading is in fixture-cases.ts and the generic numeric helpers in @normkit/test-utils;
 * both are re-exported here under the names these tests use.
 */
export { dot, numericGrad, toFloat64Array as vals } from '@normkit/test-utils';
export {
  type FixtureFile,
  fixtureCases,
  fixtureTensor as fx,
  packageDir,
  requireFixtureTensor as fxT,
} from './fixture-cases.js';

/**
 * LayerNorm of each of `rows` contiguous rows of length d, no affine, written as plainly as
 * possible in float64: y = (x - mean) / sqrt(var + eps), var biased.
 */
export function plainLayerNorm(x: ArrayLike<number>, rows: number, d: number, eps: number): Float64Array {
  const y = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += x[r * d + j]!;
    const mean = sum / d;
    let sq = 0;
    for (let j = 0; j < d; j++) sq += (x[r * d + j]! - mean) ** 2;
    const rstd = 1 / Math.sqrt(sq / d + eps);
    for (let j = 0; j < d; j++) y[r * d + j] = (x[r * d + j]! - mean) * rstd;
  }
  return y;
}

/**
 * Tolerances (assertClose: |actual - expected| <= atol + rtol * |expected|).
 *   f64       normkit float64 vs torch float64 and vs the float64 reference: a few ulps.
 *   one32     normkit float32 vs a float64 answer on the same float32 inputs (torch float64, the
 *             exact rational result, or the reference): normkit's float64 statistics leave one
 *             rounding to float32, at most one ulp (2^-23 relative); atol absorbs float64 noise
 *             where y or dx is near 0 through cancellation.
 *   torch32   normkit float32 vs torch float32 (ordinary inputs only): torch keeps float32
 *             statistics and sums, a few hundred ulps on 2-element groups.
 *   hard64    float64, mean 1e4 with std 0.01 (mean/std = 1e6): rounding the float64 mean to
 *             its ulp (1.8e-12) moves xhat by 1e-10 relative (the problem's conditioning, not
 *             the algorithm's), so every output is exact to about 1e-10 of its largest element;
 *             the tolerance is 1e-9 * max|expected| (scaleAtol). torch float64 is up to 7e-11
 *             of the largest element off there (dx: 1.9e-8 on values up to 260).
 *   ref64/ref32  fast kernel vs the float64 reference on random data: dx adds terms as large as
 *             rstd * |g| (rstd <= 1/sqrt(eps) = 316), so a result near 0 keeps ~1e-12 absolute.
 *   exactStats saved mean/rstd vs the exact rational statistics (one rounding of 1/sqrt).
 *   grad      analytic float64 gradients vs central differences with h = 1e-6: the rounding
 *             floor eps * |L| / h is about 1e-9 (observed maxdiff 1e-9 to 2.5e-9).
 */
export const TOL = {
  f64: { atol: 1e-13, rtol: 1e-12 },
  one32: { atol: 1e-12, rtol: 2 ** -23 },
  torch32: { atol: 1e-5, rtol: 1e-5 },
  hard64: { scaleAtol: 1e-9 },
  ref64: { atol: 1e-11, rtol: 1e-12 },
  ref32: { atol: 1e-11, rtol: 2 ** -23 },
  exactStats: { atol: 0, rtol: 1e-15 },
  grad: { atol: 1e-8, rtol: 1e-8 },
} as const;

type Expected = Record<string, FixtureTensor | number | null | undefined>;

export interface TorchCase {
  name: string;
  dtype: DType;
  hard: boolean;
  eps: number;
  x: FixtureTensor;
  weight: FixtureTensor | null;
  bias: FixtureTensor | null;
  dy: FixtureTensor;
  expected: Expected;
  expected64?: Expected;
  exact?: Expected;
}

function expectedData(e: Expected | undefined, key: string): Float64Array | null {
  const t = e?.[key];
  return t === null || t === undefined || typeof t === 'number' ? null : fixtureTensorData(t);
}

function hard64(expected: Float64Array): { atol: number; rtol: number } {
  let scale = 0;
  for (const v of expected) if (Math.abs(v) > scale) scale = Math.abs(v);
  return { atol: TOL.hard64.scaleAtol * scale, rtol: 0 };
}

/**
 * Compare what normkit computed for a fixture case with every oracle the case holds:
 * torch in the case's dtype (ordinary cases), torch float64 on the same inputs (float32 cases),
 * the exact rational result (hard cases). got: y, dx, dweight, dbias, running_mean, running_var,
 * mean, rstd (keys absent from the fixture are skipped; a key in the fixture must be in got).
 */
export function compareWithTorch(c: TorchCase, got: Record<string, Tensor | null>): void {
  const f32 = c.dtype === 'float32';
  for (const key of ['y', 'dx', 'dweight', 'dbias', 'running_mean', 'running_var', 'mean', 'rstd']) {
    const label = `${c.name} ${c.dtype} ${key}`;
    const torch = expectedData(c.expected, key);
    if (torch === null) continue;
    const actual = toFloat64Array(got[key]);
    const stat = key === 'mean' || key === 'rstd';
    if (stat) {
      // torch float64 statistics on the same inputs; for hard rows torch's float64 rstd is 5e-11 off
      if (!c.hard) assertClose(actual, torch, { ...TOL.f64, label });
    } else if (!c.hard) assertClose(actual, torch, { ...(f32 ? TOL.torch32 : TOL.f64), label });
    else if (!f32) assertClose(actual, torch, { ...hard64(torch), label: `${label} (torch float64)` });
    const t64 = expectedData(c.expected64, key);
    if (t64 !== null) assertClose(actual, t64, { ...TOL.one32, label: `${label} (torch float64)` });
    const exact = expectedData(c.exact, key);
    if (exact !== null) {
      const tol = stat ? TOL.exactStats : f32 ? TOL.one32 : hard64(exact);
      assertClose(actual, exact, { ...tol, label: `${label} (exact)` });
    }
  }
}

/** Fast kernel vs the float64 reference on random data, in the data's dtype. */
export function tolFor(dtype: DType): { atol: number; rtol: number } {
  return dtype === 'float32' ? TOL.ref32 : TOL.ref64;
}

/** A random per-channel weight and bias [C] (seeds seed + 1, seed + 2), or nulls without an affine. */
export function randomAffine(C: number, seed: number, dtype: DType): { weight: Tensor; bias: Tensor };
export function randomAffine(
  C: number,
  seed: number,
  dtype: DType,
  affine: boolean,
): { weight: Tensor | null; bias: Tensor | null };
export function randomAffine(
  C: number,
  seed: number,
  dtype: DType,
  affine = true,
): { weight: Tensor | null; bias: Tensor | null } {
  if (!affine) return { weight: null, bias: null };
  return { weight: randn([C], { seed: seed + 1, dtype }), bias: randn([C], { seed: seed + 2, dtype }) };
}

interface Normalized {
  y: Tensor;
  mean: Tensor;
  rstd: Tensor;
}

/** Two forwards that must agree (fast vs reference, or two equivalent norms): y at tol, statistics at TOL.f64. */
export function expectSameForward(
  actual: Normalized,
  expected: Normalized,
  tol: { atol: number; rtol: number },
): void {
  assertClose(toFloat64Array(actual.y), toFloat64Array(expected.y), { ...tol, label: 'y' });
  assertClose(toFloat64Array(actual.mean), toFloat64Array(expected.mean), { ...TOL.f64, label: 'mean' });
  assertClose(toFloat64Array(actual.rstd), toFloat64Array(expected.rstd), { ...TOL.f64, label: 'rstd' });
}

type Grads = Record<'dx' | 'dWeight' | 'dBias', Tensor | null>;

/** Two backwards that must agree: dx, dWeight and dBias (all three computed) at tol. */
export function expectSameGrads(actual: Grads, expected: Grads, tol: { atol: number; rtol: number }): void {
  for (const key of ['dx', 'dWeight', 'dBias'] as const) {
    assertClose(toFloat64Array(actual[key]), toFloat64Array(expected[key]), { ...tol, label: key });
  }
}

/**
 * A backward's dx, dWeight and dBias against central differences (h = 1e-6) of the scalar loss L
 * with respect to the float64 tensors x, weight and bias (perturbed in place), at TOL.grad.
 */
export function expectFiniteDifferenceGrads(
  grads: Grads,
  L: () => number,
  inputs: { x: Tensor; weight: Tensor; bias: Tensor },
): void {
  const pairs = [
    ['dx', inputs.x],
    ['dWeight', inputs.weight],
    ['dBias', inputs.bias],
  ] as const;
  for (const [key, t] of pairs) {
    assertClose(toFloat64Array(grads[key]), numericGrad(L, t), { ...TOL.grad, label: key });
  }
}
