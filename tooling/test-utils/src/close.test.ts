import { describe, expect, it } from 'vitest';
import { assertClose, maxAbsDiff } from './close.js';

describe('assertClose', () => {
  it('passes within atol + rtol * |expected| and reports the maxdiff', () => {
    const r = assertClose([1, 2.0005], [1, 2], { atol: 1e-3 });
    expect(r.maxdiff).toBeCloseTo(5e-4, 12);
    expect(r.worstIndex).toBe(1);
    assertClose([100.1], [100], { atol: 0, rtol: 2e-3 });
  });

  it('fails naming the label, the worst element and the maxdiff', () => {
    expect(() => assertClose([1, 2.5, 3], [1, 2, 3], { atol: 1e-3, label: 'dx' })).toThrow(
      /dx: not close at index 1: actual 2.5, expected 2 \(maxdiff 5.000e-1 at index 1/,
    );
  });

  it('treats NaN as equal only to NaN, and checks lengths', () => {
    assertClose([Number.NaN, 1], [Number.NaN, 1]);
    expect(() => assertClose([Number.NaN], [0])).toThrow(/not close at index 0/);
    expect(() => assertClose([0], [Number.NaN])).toThrow(/not close at index 0/);
    expect(() => assertClose([1, 2], [1])).toThrow(/length 2 does not match expected length 1/);
    expect(maxAbsDiff([Number.POSITIVE_INFINITY], [Number.POSITIVE_INFINITY]).maxdiff).toBe(0);
  });
});
