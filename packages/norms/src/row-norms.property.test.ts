import { type DType, randn, type Tensor } from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { flatValues, strided } from '../test/row-helpers.js';
import {
  layerNormBackward,
  layerNormBackwardReference,
  layerNormForward,
  layerNormReference,
} from './layer-norm.js';
import { rmsNormBackward, rmsNormBackwardReference, rmsNormForward, rmsNormReference } from './rms-norm.js';

/**
 * The fast LayerNorm/RMSNorm kernels against their slow float64 references on random shapes
 * (leading dims up to 5x5x5, so block edges at 64 rows and odd row counts are crossed; 1 to 3
 * normalized dims), both dtypes, random weight/bias presence, random eps (0 included), strided
 * (non-contiguous, offset) x and dy, and rows with an offset (|mean| up to 100 std).
 *
 * Tolerances: both sides compute in float64, in a different order (corrected two-pass vs textbook,
 * rows in pairs vs one at a time), so float64 results agree within 1e-13 * (1 + |offset| / std)
 * relative to the row's scale (the conditioning of xhat = (x - mean) * rstd); float32 results are
 * both rounded from nearly equal float64 values: within 1 ulp (rtol 2^-23) plus that amount.
 */
const params = fc.record({
  lead: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
  norm: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 }),
  dtype: fc.constantFrom<DType>('float32', 'float64'),
  weight: fc.boolean(),
  bias: fc.boolean(),
  stridedX: fc.boolean(),
  stridedDy: fc.boolean(),
  eps: fc.constantFrom(1e-5, 0, 1e-3, 0.5),
  offset: fc.constantFrom(0, 3, -100),
  scale: fc.constantFrom(1, 0.5, 20),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

type Params = typeof params extends fc.Arbitrary<infer T> ? T : never;

function inputs(p: Params) {
  const shape = [...p.lead, ...p.norm];
  const opts = { dtype: p.dtype };
  const x = randn(shape, { ...opts, seed: p.seed, mean: p.offset, std: p.scale });
  const dy = randn(shape, { ...opts, seed: p.seed + 1 });
  const weight = p.weight ? randn(p.norm, { ...opts, seed: p.seed + 2 }) : undefined;
  const bias = p.bias ? randn(p.norm, { ...opts, seed: p.seed + 3 }) : undefined;
  const tol = 1e-13 * (1 + Math.abs(p.offset) / p.scale);
  const close = (label: string, a: Tensor | null, e: Tensor | null, magnitude: number) =>
    assertClose(flatValues(a), flatValues(e), {
      label,
      atol: tol * magnitude,
      rtol: p.dtype === 'float32' ? 2 ** -23 : tol,
    });
  return {
    x: p.stridedX ? strided(x) : x,
    dy: p.stridedDy ? strided(dy) : dy,
    xPlain: x,
    weight,
    bias,
    close,
    // |y| and |dx| scale with the weight and rstd; |dWeight| with the number of rows
    rows: p.lead.reduce((a, b) => a * b, 1),
  };
}

describe('fast kernels = float64 references on random inputs', () => {
  it('layerNorm forward and backward', () => {
    fc.assert(
      fc.property(params, (p) => {
        const { x, dy, weight, bias, close, rows } = inputs(p);
        const fast = layerNormForward(x, p.norm, { weight, bias, eps: p.eps });
        const ref = layerNormReference(x, p.norm, { weight, bias, eps: p.eps });
        close('y', fast.y, ref.y, 10);
        close('mean', fast.mean, ref.mean, Math.abs(p.offset) + p.scale);
        close('rstd', fast.rstd, ref.rstd, 1 / p.scale);
        const needs = { dWeight: true };
        const g = layerNormBackward(dy, x, p.norm, fast, { weight, needs });
        const gr = layerNormBackwardReference(dy, x, p.norm, fast, { weight, needs });
        close('dx', g.dx, gr.dx, 100 / p.scale);
        close('dWeight', g.dWeight, gr.dWeight, 10 * rows);
        close('dBias', g.dBias, gr.dBias, 10 * rows);
      }),
      { seed: 201, numRuns: 200 },
    );
  });

  it('rmsNorm forward and backward', () => {
    fc.assert(
      fc.property(params, (p) => {
        const { x, dy, weight, close, rows } = inputs(p);
        const eps = p.eps === 0.5 ? undefined : p.eps;
        const fast = rmsNormForward(x, p.norm, { weight, eps });
        const ref = rmsNormReference(x, p.norm, { weight, eps });
        close('y', fast.y, ref.y, 10);
        close('rstd', fast.rstd, ref.rstd, 1 / p.scale);
        const needs = { dWeight: true };
        const g = rmsNormBackward(dy, x, p.norm, fast, { weight, needs });
        const gr = rmsNormBackwardReference(dy, x, p.norm, fast, { weight, needs });
        close('dx', g.dx, gr.dx, 100 / p.scale);
        close('dWeight', g.dWeight, gr.dWeight, 10 * rows);
      }),
      { seed: 202, numRuns: 200 },
    );
  });
});
