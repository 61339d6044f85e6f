import type { TypedArray } from '../dtype.js';

/**
 * sum_j x[px + j*xs] in float64, in a fixed order that SIMD can follow: eight running sums s_k
 * over j = k (mod 8) for the whole blocks of eight, combined ((s0 + s2) + (s4 + s6)) +
 * ((s1 + s3) + (s5 + s7)), then the remaining n mod 8 elements one by one. The wasm kernel
 * (wasm/reduce.ts, four float64x2 accumulators) does exactly these operations, so both give the
 * same bits; eight independent chains also run faster here than one. Error bound as for any
 * float64 summation of n terms: |s - exact| <= (n - 1) * 2^-53 * sum |x_j| (to first order).
 */
export function rowSum(xd: TypedArray, px: number, xs: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let s5 = 0;
  let s6 = 0;
  let s7 = 0;
  const n8 = n - (n % 8);
  let p = px;
  if (xs === 1) {
    for (let j = 0; j < n8; j += 8, p += 8) {
      s0 += xd[p]!;
      s1 += xd[p + 1]!;
      s2 += xd[p + 2]!;
      s3 += xd[p + 3]!;
      s4 += xd[p + 4]!;
      s5 += xd[p + 5]!;
      s6 += xd[p + 6]!;
      s7 += xd[p + 7]!;
    }
  } else {
    for (let j = 0; j < n8; j += 8, p += 8 * xs) {
      s0 += xd[p]!;
      s1 += xd[p + xs]!;
      s2 += xd[p + 2 * xs]!;
      s3 += xd[p + 3 * xs]!;
      s4 += xd[p + 4 * xs]!;
      s5 += xd[p + 5 * xs]!;
      s6 += xd[p + 6 * xs]!;
      s7 += xd[p + 7 * xs]!;
    }
  }
  // left to right: ((s0 + s2) + (s4 + s6)) + ((s1 + s3) + (s5 + s7))
  let s = s0 + s2 + (s4 + s6) + (s1 + s3 + (s5 + s7));
  for (let j = n8; j < n; j++, p += xs) s += xd[p]!;
  return s;
}
