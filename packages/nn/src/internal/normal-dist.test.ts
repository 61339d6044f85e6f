import { fileURLToPath } from 'node:url';
import { assertClose, loadFixture } from '@normkit/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { erfc, normalCdf, normalQuantile } from './normal-dist.js';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));
const { normal } = loadFixture<{
  normal: { erfc: [number, number][]; cdf: [number, number][]; quantile: [number, number][] };
}>(packageDir, 'init.json');

const split = (pairs: [number, number][]) => [pairs.map((p) => p[0]), pairs.map((p) => p[1])] as const;

describe('normal distribution helpers against Python (math.erfc, NormalDist.inv_cdf)', () => {
  it('erfc to 5e-15 relative over [-9, 26.5]', () => {
    const [xs, want] = split(normal.erfc);
    assertClose(xs.map(erfc), want, { atol: 0, rtol: 5e-15, label: 'erfc' });
  });

  it('normalCdf to its conditioning, including the far lower tail (Phi(-37) ~ 6e-300)', () => {
    // d log Phi / d log x = x phi(x) / Phi(x) ~ x^2 in the tail: rounding x / sqrt(2) (here and in
    // the oracle) alone moves Phi by ~x^2 ulps, so the tolerance scales with x^2
    for (const [x, want] of normal.cdf) {
      assertClose([normalCdf(x)], [want], { atol: 0, rtol: 5e-15 + 4e-16 * x * x, label: `Phi(${x})` });
    }
  });

  it('normalQuantile to 5e-15 relative (1e-16 absolute near p = 0.5) from p = 1e-300 to 0.999', () => {
    const [ps, want] = split(normal.quantile);
    assertClose(ps.map(normalQuantile), want, { atol: 1e-16, rtol: 5e-15, label: 'Phi^-1' });
  });

  it('Phi(Phi^-1(p)) = p and Phi^-1(1 - p) = -Phi^-1(p)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-300, max: 0.5, noNaN: true }), (p) => {
        const x = normalQuantile(p);
        // same conditioning as above: Phi(x (1 + e)) = p (1 + x^2 e); allow e up to ~40 ulp, which
        // deep tails (x ~ -14, p ~ 1e-46) reach
        expect(Math.abs(normalCdf(x) - p)).toBeLessThanOrEqual(1e-14 * (4 + x * x) * p);
        // 1 - p is rounded to 2^-53 absolute, which moves the quantile by ~1e-16 / phi(x): only
        // check the symmetry where that is far below the 1e-8 tolerance
        if (p > 1e-6) expect(normalQuantile(1 - p)).toBeCloseTo(-x, 8);
      }),
    );
  });

  it('edges: 0, 1, out of range, NaN', () => {
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(normalQuantile(1.5)).toBeNaN();
    expect(normalQuantile(Number.NaN)).toBeNaN();
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(erfc(Number.NaN)).toBeNaN();
  });
});
