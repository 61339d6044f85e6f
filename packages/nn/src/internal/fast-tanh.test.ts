import { describe, expect, it } from 'vitest';
import { tanhFloat32 } from './fast-tanh.js';

describe('tanhFloat32', () => {
  it('is within 2.5e-10 relative of Math.tanh on a dense grid and at tiny arguments', () => {
    let worst = 0;
    for (let i = 0; i <= 200_000; i++) {
      const x = -12 + (24 * i) / 200_000;
      const e = Math.tanh(x);
      if (e !== 0) worst = Math.max(worst, Math.abs(tanhFloat32(x) - e) / Math.abs(e));
    }
    for (let k = -60; k < 0; k++)
      worst = Math.max(worst, Math.abs(tanhFloat32(2 ** k) / Math.tanh(2 ** k) - 1));
    expect(worst).toBeLessThan(2.5e-10);
  });

  it('rounds to float32 within 1 ulp of the correctly rounded tanh', () => {
    let mismatches = 0;
    for (let i = 0; i <= 100_000; i++) {
      const x = -10 + (20 * i) / 100_000;
      const a = Math.fround(tanhFloat32(x));
      const e = Math.fround(Math.tanh(x));
      if (a !== e) {
        mismatches++;
        const ulp = 2 ** (Math.floor(Math.log2(Math.abs(e))) - 23);
        expect(Math.abs(a - e)).toBeLessThanOrEqual(ulp);
      }
    }
    expect(mismatches).toBeLessThan(100); // values next to a float32 rounding midpoint (measured: 8 in 100001)
  });

  it('keeps odd symmetry, signed zero, infinities and NaN', () => {
    expect(tanhFloat32(0.3)).toBe(-tanhFloat32(-0.3));
    expect(Object.is(tanhFloat32(-0), -0)).toBe(true);
    expect(tanhFloat32(Number.POSITIVE_INFINITY)).toBe(1);
    expect(tanhFloat32(Number.NEGATIVE_INFINITY)).toBe(-1);
    expect(tanhFloat32(Number.NaN)).toBeNaN();
    expect(tanhFloat32(20)).toBe(1);
  });
});
