import { type DType, randn, type Tensor, tensor } from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flatValues } from '../test/row-helpers.js';
import { layerNormBackward, layerNormForward } from './layer-norm.js';
import { rmsNormBackward, rmsNormForward } from './rms-norm.js';

/**
 * Mathematical identities of LayerNorm and RMSNorm (no oracle needed), on random rows:
 *   sum(LN(x)) = 0 per row (no affine);  with eps = 0, ||LN(x)||_2 = sqrt(d);
 *   LN(x) = RMSNorm(x - mean(x)) with the same eps;  RMSNorm(z) = LN(z) for a zero-mean row z;
 *   sum(dx) = 0 per row for LayerNorm (y is invariant to shifting x);
 *   scale invariance with eps = 0: LN(c x) = LN(x), dx(c x) = dx(x) / c, also where (c x)^2
 *   overflows or underflows float64 (c = 1e200, 1e-200).
 * Tolerances, per row of d elements: float64 within 1e-13 * d * (1 + |mean| / std): one rounding of
 * the float64 mean moves every xhat by 2^-53 * |mean| / std, the conditioning of the problem;
 * float32 within 5e-7 * d (y stored in float32: d values each rounded by up to 2^-24 * |y|).
 */
const row = fc.record({
  rows: fc.integer({ min: 1, max: 6 }),
  d: fc.integer({ min: 2, max: 40 }),
  dtype: fc.constantFrom<DType>('float32', 'float64'),
  mean: fc.constantFrom(0, 5, -300),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

function rowsOf(t: Tensor, d: number): Float64Array[] {
  const v = flatValues(t);
  return Array.from({ length: v.length / d }, (_, r) => v.subarray(r * d, (r + 1) * d));
}

/** The tolerance for a sum over each row of x (see above). */
function rowTolerances(x: Tensor, d: number): number[] {
  return rowsOf(x, d).map((r) => {
    const mu = r.reduce((a, b) => a + b, 0) / d;
    const sd = Math.sqrt(r.reduce((a, b) => a + (b - mu) ** 2, 0) / d);
    return x.dtype === 'float32' ? 5e-7 * d : 1e-13 * d * (1 + Math.abs(mu) / sd);
  });
}

describe('LayerNorm / RMSNorm identities', () => {
  it('LayerNorm output sums to 0 per row, and has norm sqrt(d) with eps = 0', () => {
    fc.assert(
      fc.property(row, (p) => {
        const x = randn([p.rows, p.d], { seed: p.seed, dtype: p.dtype, mean: p.mean });
        const tol = rowTolerances(x, p.d);
        rowsOf(layerNormForward(x, [p.d]).y, p.d).forEach((r, i) => {
          expect(Math.abs(r.reduce((a, b) => a + b, 0))).toBeLessThan(tol[i]!);
        });
        rowsOf(layerNormForward(x, [p.d], { eps: 0 }).y, p.d).forEach((r, i) => {
          const norm = Math.sqrt(r.reduce((a, b) => a + b * b, 0));
          expect(Math.abs(norm - Math.sqrt(p.d))).toBeLessThan(tol[i]!);
        });
      }),
      { seed: 101, numRuns: 200 },
    );
  });

  it('LN(x) = RMSNorm(x - mean(x)), same eps', () => {
    fc.assert(
      fc.property(row, fc.constantFrom(0, 1e-5, 0.1), (p, eps) => {
        const x = randn([p.rows, p.d], { seed: p.seed, dtype: 'float64', mean: p.mean });
        const centred = new Float64Array(p.rows * p.d);
        rowsOf(x, p.d).forEach((r, i) => {
          const mu = r.reduce((a, b) => a + b, 0) / p.d;
          r.forEach((v, j) => {
            centred[i * p.d + j] = v - mu;
          });
        });
        const rms = rowsOf(
          rmsNormForward(tensor(centred, [p.rows, p.d], { dtype: 'float64' }), [p.d], { eps }).y,
          p.d,
        );
        const tol = rowTolerances(x, p.d);
        rowsOf(layerNormForward(x, [p.d], { eps }).y, p.d).forEach((r, i) => {
          assertClose(r, rms[i]!, { atol: tol[i]!, label: 'LN(x) vs RMS(x - mean)' });
        });
      }),
      { seed: 102, numRuns: 200 },
    );
  });

  it('RMSNorm(z) = LN(z) for zero-mean rows, same eps', () => {
    fc.assert(
      fc.property(row, fc.constantFrom(0, 1e-5, 0.1), (p, eps) => {
        // rows of values and their negatives (and a 0 for odd d): zero mean exactly, in either dtype
        const v = flatValues(randn([p.rows, p.d], { seed: p.seed, dtype: p.dtype }));
        const z = new Float64Array(p.rows * p.d);
        for (let r = 0; r < p.rows; r++) {
          for (let j = 0; j + 1 < p.d; j += 2) {
            z[r * p.d + j] = v[r * p.d + j]!;
            z[r * p.d + j + 1] = -v[r * p.d + j]!;
          }
        }
        const zt = tensor(z, [p.rows, p.d], { dtype: p.dtype });
        assertClose(
          flatValues(rmsNormForward(zt, [p.d], { eps }).y),
          flatValues(layerNormForward(zt, [p.d], { eps }).y),
          {
            atol: p.dtype === 'float32' ? 5e-7 : 1e-14,
            label: 'RMS(z) vs LN(z)',
          },
        );
      }),
      { seed: 103, numRuns: 200 },
    );
  });

  it('LayerNorm dx sums to 0 per row', () => {
    fc.assert(
      fc.property(row, fc.boolean(), (p, affine) => {
        const x = randn([p.rows, p.d], { seed: p.seed, dtype: p.dtype, mean: p.mean });
        const dy = randn([p.rows, p.d], { seed: p.seed + 1, dtype: p.dtype });
        const weight = affine ? randn([p.d], { seed: p.seed + 2, dtype: p.dtype }) : undefined;
        const saved = layerNormForward(x, [p.d], { weight });
        const { dx } = layerNormBackward(dy, x, [p.d], saved, { weight });
        const tol = rowTolerances(x, p.d);
        rowsOf(dx!, p.d).forEach((r, i) => {
          const scale = Math.max(1, ...Array.from(r, Math.abs));
          expect(Math.abs(r.reduce((a, b) => a + b, 0))).toBeLessThan(tol[i]! * scale);
        });
      }),
      { seed: 104, numRuns: 200 },
    );
  });

  it('is scale invariant with eps = 0, also beyond the float64 range of x^2', () => {
    const x = randn([3, 7], { seed: 5, dtype: 'float64' });
    const dy = randn([3, 7], { seed: 6, dtype: 'float64' });
    const ln = layerNormForward(x, [7], { eps: 0 });
    const lnDx = flatValues(layerNormBackward(dy, x, [7], ln).dx);
    const rms = rmsNormForward(x, [7], { eps: 0 });
    const rmsDx = flatValues(rmsNormBackward(dy, x, [7], rms).dx);
    for (const c of [1e200, 1e-200, 1e-300, 3.5]) {
      const xc = tensor(
        flatValues(x).map((v) => v * c),
        [3, 7],
        { dtype: 'float64' },
      );
      const lc = layerNormForward(xc, [7], { eps: 0 });
      assertClose(flatValues(lc.y), flatValues(ln.y), { atol: 1e-14, label: `LN y, c = ${c}` });
      const dxc = flatValues(layerNormBackward(dy, xc, [7], lc).dx).map((v) => v * c);
      assertClose(dxc, lnDx, { atol: 1e-13, rtol: 1e-13, label: `LN dx * c, c = ${c}` });
      const rc = rmsNormForward(xc, [7], { eps: 0 });
      assertClose(flatValues(rc.y), flatValues(rms.y), { atol: 1e-14, label: `RMS y, c = ${c}` });
      const rdxc = flatValues(rmsNormBackward(dy, xc, [7], rc).dx).map((v) => v * c);
      assertClose(rdxc, rmsDx, { atol: 1e-13, rtol: 1e-13, label: `RMS dx * c, c = ${c}` });
    }
  });

  it('is shift invariant: LN(x + 1e4) = LN(x) on float32 rows with std 0.01', () => {
    // x' = fl32(1e4 + 0.01 z); x' - 1e4 is exact (Sterbenz), so both rows hold the same deviations
    const shifted = randn([4, 32], { seed: 8, dtype: 'float32', mean: 1e4, std: 0.01 });
    const centred = tensor(
      flatValues(shifted).map((v) => v - 1e4),
      [4, 32],
      { dtype: 'float32' },
    );
    for (const eps of [0, 1e-5]) {
      assertClose(
        flatValues(layerNormForward(shifted, [32], { eps }).y),
        flatValues(layerNormForward(centred, [32], { eps }).y),
        {
          atol: 0,
          label: `eps ${eps}`,
        },
      );
    }
  });
});
