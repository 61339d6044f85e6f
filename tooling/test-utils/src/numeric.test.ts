import { describe, expect, it } from 'vitest';
import { assertClose } from './close.js';
import { dot, numericGrad, toFloat64Array } from './numeric.js';

/** A stand-in for a Tensor: only toTypedArray is read. */
const tensorLike = (values: number[]) => ({ toTypedArray: () => Float32Array.from(values) });

describe('numericGrad', () => {
  // f(v) = 1/2 v^T A v + b^T v with A symmetric has gradient A v + b; central differences are exact
  // on a quadratic (no third derivative), so only rounding is left: ~eps64 * |f| / h ~ 1e-9 here
  const A = [
    [4, 1, -2],
    [1, 3, 0.5],
    [-2, 0.5, 5],
  ];
  const b = [0.3, -1.2, 2];
  const quadratic = (v: ArrayLike<number>, at: number) => {
    let s = 0;
    for (let i = 0; i < 3; i++) {
      s += b[i]! * v[at + i]!;
      for (let j = 0; j < 3; j++) s += 0.5 * A[i]![j]! * v[at + i]! * v[at + j]!;
    }
    return s;
  };
  const gradient = (v: ArrayLike<number>, at: number) =>
    A.map((row, i) => row.reduce((s, a, j) => s + a * v[at + j]!, b[i]!));

  it('matches the known gradient of a quadratic', () => {
    const data = Float64Array.from([0.7, -1.5, 2.25]);
    const g = numericGrad(() => quadratic(data, 0), { data, offset: 0, size: 3 });
    assertClose(g, gradient(data, 0), { atol: 1e-8, rtol: 1e-8, label: 'grad' });
  });

  it('perturbs only data[offset .. offset + size) and restores every element bit for bit', () => {
    const data = Float64Array.from([9, 8, 0.1, 1 / 3, -0.7, 7]);
    const before = Float64Array.from(data);
    const g = numericGrad(() => quadratic(data, 2), { data, offset: 2, size: 3 }, 1e-5);
    assertClose(g, gradient(data, 2), { atol: 1e-7, rtol: 1e-7, label: 'grad at offset 2' });
    expect(Array.from(data)).toEqual(Array.from(before));
  });
});

describe('dot', () => {
  it('sums products in float64 over arrays and tensor-like sources', () => {
    expect(dot([1, 2, 3], [4, -5, 6])).toBe(12);
    // 0.1 is not exact in float32: the float32 values are read, the sum is float64
    expect(dot(tensorLike([0.1, 3]), [10, 1])).toBe(Math.fround(0.1) * 10 + 3);
  });

  it('rejects sources of different lengths', () => {
    expect(() => dot([1, 2], Float64Array.from([1]))).toThrow(/^dot: lengths differ, 2 and 1$/);
  });
});

describe('toFloat64Array', () => {
  it('copies any source to float64 and throws on a missing one', () => {
    const src = [1.5, -2];
    const out = toFloat64Array(src);
    expect(out).toBeInstanceOf(Float64Array);
    expect(Array.from(out)).toEqual(src);
    expect(Array.from(toFloat64Array(tensorLike([0.1])))).toEqual([Math.fround(0.1)]);
    expect(() => toFloat64Array(null)).toThrow(/^tensor missing$/);
    expect(() => toFloat64Array(undefined)).toThrow(/^tensor missing$/);
  });
});
