import { assertClose } from '@normkit/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, fixture } from '../test/elementwise-helpers.js';
import { erfcScalar, erfScalar, geluScalar, geluTanhScalar, sigmoidScalar } from './math.js';

describe('erf / erfc (fdlibm port) against the C library', () => {
  const t = fixture().erf;
  const xs = decode(t.x);

  it('erf within 1e-15 relative over [-7, 7] and at every interval boundary', () => {
    const got = xs.map(erfScalar);
    // relative: |got - want| <= 1e-15 |want|; subnormal erf(5e-324) is exact in both
    assertClose(got, decode(t.erf), { atol: 0, rtol: 1e-15, label: 'erf' });
  });

  it('erfc within 1e-15 relative, including the far right tail (no 1 - erf cancellation)', () => {
    const got = xs.map(erfcScalar);
    // erfc(27.99) ~ 1e-342 underflows to a subnormal where relative error is meaningless
    assertClose(got, decode(t.erfc), { atol: 1e-320, rtol: 1e-15, label: 'erfc' });
  });

  it('special values', () => {
    expect(erfScalar(0)).toBe(0);
    expect(Object.is(erfScalar(-0), -0)).toBe(true);
    expect(erfScalar(Infinity)).toBe(1);
    expect(erfScalar(-Infinity)).toBe(-1);
    expect(erfScalar(Number.NaN)).toBeNaN();
    expect(erfcScalar(-Infinity)).toBe(2);
    expect(erfcScalar(Infinity)).toBe(0);
    expect(erfcScalar(Number.NaN)).toBeNaN();
  });

  it('identities: erf is odd, erf + erfc = 1, erfc(-x) = 2 - erfc(x)', () => {
    fc.assert(
      fc.property(fc.double({ min: -8, max: 8, noNaN: true }), (x) => {
        expect(erfScalar(-x)).toBe(-erfScalar(x));
        expect(Math.abs(erfScalar(x) + erfcScalar(x) - 1)).toBeLessThanOrEqual(2 ** -52);
        expect(Math.abs(erfcScalar(-x) - (2 - erfcScalar(x)))).toBeLessThanOrEqual(2 ** -51);
      }),
      { numRuns: 300 },
    );
  });
});

describe('sigmoid and gelu scalars', () => {
  it('sigmoid(-x) = 1 - sigmoid(x) and never NaN for finite or infinite x', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (x) => {
        const s = sigmoidScalar(x);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
        expect(Math.abs(sigmoidScalar(-x) - (1 - s))).toBeLessThanOrEqual(2 ** -53);
      }),
      { numRuns: 300 },
    );
  });

  it('gelu(x) - gelu(-x) = x for both forms (Phi(x) + Phi(-x) = 1, sigmoid likewise)', () => {
    fc.assert(
      fc.property(fc.double({ min: -20, max: 20, noNaN: true }), (x) => {
        expect(Math.abs(geluScalar(x) - geluScalar(-x) - x)).toBeLessThanOrEqual(
          4e-16 * Math.max(1, Math.abs(x)),
        );
        expect(Math.abs(geluTanhScalar(x) - geluTanhScalar(-x) - x)).toBeLessThanOrEqual(
          4e-16 * Math.max(1, Math.abs(x)),
        );
      }),
      { numRuns: 300 },
    );
  });
});
