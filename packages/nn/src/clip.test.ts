import { type Variable, variable } from '@normkit/autograd';
import { tensor, zeros } from '@normkit/tensor';
import { assertClose, fixtureTensorData } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { fixture, toTensor } from '../test/optim-fixture.js';
import { clipGradNorm } from './clip.js';

const decode = (v: number | string) => fixtureTensorData({ dtype: 'float64', shape: [], data: [v] })[0]!;

describe('clipGradNorm vs torch.nn.utils.clip_grad_norm_ (test/gen_optim_fixtures.py)', () => {
  for (const c of fixture.clip) {
    it(`${c.name}: max_norm ${c.maxNorm}, norm_type ${c.normType}`, () => {
      const params = c.grads.map((g) => {
        const p = variable(zeros(g.shape, { dtype: 'float64' }));
        p.grad = toTensor(g);
        return p;
      });
      const total = clipGradNorm(params, c.maxNorm, { normType: decode(c.normType) });
      const want = decode(c.total);
      // torch sums each gradient's norm first, then the norms: a few ulps apart from one float64 sum
      if (Number.isFinite(want)) expect(Math.abs(total - want)).toBeLessThanOrEqual(1e-14 * want);
      else expect(total).toBe(want);
      c.clipped.forEach((g, i) => {
        assertClose(params[i]!.grad!.toTypedArray(), fixtureTensorData(g), {
          atol: 1e-15,
          rtol: 1e-13,
          label: c.name,
        });
      });
    });
  }
});

describe('clipGradNorm semantics', () => {
  const withGrad = (values: number[], dtype: 'float32' | 'float64' = 'float64'): Variable => {
    const p = variable(zeros([values.length], { dtype }));
    p.grad = tensor(values, undefined, { dtype });
    return p;
  };

  it('after clipping, the norm is maxNorm * total / (total + 1e-6), just under maxNorm', () => {
    const ps = [withGrad([3, 4]), withGrad([12])];
    expect(clipGradNorm(ps, 1)).toBe(13);
    const after = Math.hypot(...ps.flatMap((p) => p.grad!.toFlatArray()));
    expect(after).toBeCloseTo(13 / (13 + 1e-6), 15);
  });

  it('skips parameters without a gradient, takes a single Variable, and returns 0 for none', () => {
    const none = variable(zeros([2]));
    const p = withGrad([0, -2]);
    expect(clipGradNorm([none, p], 10)).toBe(2);
    expect(clipGradNorm(p, 10, { normType: 1 })).toBe(2);
    expect(clipGradNorm([none], 1)).toBe(0);
    expect(p.grad!.toFlatArray()).toEqual([0, -2]);
  });

  it('accumulates float32 gradients in float64 and scales them in place', () => {
    const big = withGrad(new Array(1000).fill(0.1), 'float32');
    const g = big.grad!;
    // exact: sqrt(1000) * float32(0.1); a float32 running sum of 1000 squares is off by ~1e-6 relative
    const x = Math.fround(0.1);
    const total = clipGradNorm(big, 1);
    expect(Math.abs(total - Math.sqrt(1000) * x)).toBeLessThan(1e-14);
    expect(big.grad).toBe(g);
    expect(g.get(0)).toBe(Math.fround(x * (1 / (total + 1e-6))));
  });

  it('reads non-contiguous gradients', () => {
    const p = variable(zeros([2, 3], { dtype: 'float64' }));
    p.grad = tensor([1, 2, 3, 4, 5, 6], [3, 2], { dtype: 'float64' }).transpose();
    expect(clipGradNorm(p, 100)).toBeCloseTo(Math.sqrt(91), 14);
    expect(clipGradNorm(p, 100, { normType: Number.POSITIVE_INFINITY })).toBe(6);
    expect(clipGradNorm(p, 100, { normType: 3 })).toBeCloseTo(441 ** (1 / 3), 13);
  });

  it('errorIfNonfinite throws for an Inf or NaN total', () => {
    expect(() =>
      clipGradNorm([withGrad([1, Number.POSITIVE_INFINITY])], 1, { errorIfNonfinite: true }),
    ).toThrow(
      /clipGradNorm: the total norm of order 2 of the gradients is Infinity, so it cannot be clipped/,
    );
    expect(() => clipGradNorm([withGrad([Number.NaN])], 1, { errorIfNonfinite: true, normType: 1 })).toThrow(
      /the total norm of order 1 of the gradients is NaN/,
    );
  });

  it('argument errors', () => {
    const p = withGrad([1]);
    expect(() => clipGradNorm(p, -1)).toThrow(RangeError);
    expect(() => clipGradNorm(p, -1)).toThrow(/clipGradNorm: maxNorm expected a number >= 0, got -1/);
    expect(() => clipGradNorm(p, Number.NaN)).toThrow(/maxNorm expected a number >= 0, got NaN/);
    expect(() => clipGradNorm(p, 1, { normType: 0 })).toThrow(
      /clipGradNorm: normType expected a number > 0 or Infinity, got 0/,
    );
    expect(() => clipGradNorm([p, tensor([1]) as unknown as Variable], 1)).toThrow(
      /clipGradNorm: params\[1\] expected a Variable, got object/,
    );
  });
});
