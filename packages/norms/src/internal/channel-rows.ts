import type { TypedArray } from '@normkit/tensor';

/**
 * Kernels for S = 1 ([N, C] BatchNorm: one element per (n, c) plane), where every element has
 * its own channel's accumulator or coefficients. Rows are walked four at a time, so each
 * per-channel value is loaded and stored once per four elements; within a row, memory order.
 * Element (n, c) is at n * C + c; rows [n0, n1), channels [c0, c1); arrays of length C.
 */

/** sum[c] += x[n, c] over the rows. */
export function rowSums(
  x: TypedArray,
  C: number,
  n0: number,
  n1: number,
  c0: number,
  c1: number,
  sum: Float64Array,
): void {
  let n = n0;
  for (; n + 4 <= n1; n += 4) {
    for (let c = c0, p = n * C + c0; c < c1; c++, p++)
      sum[c] += x[p]! + x[p + C]! + (x[p + 2 * C]! + x[p + 3 * C]!);
  }
  for (; n < n1; n++) for (let c = c0, p = n * C + c0; c < c1; c++, p++) sum[c] += x[p]!;
}

/** sd[c] += sum of d, sq[c] += sum of d^2, d = x[n, c] - m[c]. */
export function rowDeviations(
  x: TypedArray,
  C: number,
  n0: number,
  n1: number,
  c0: number,
  c1: number,
  m: Float64Array,
  sd: Float64Array,
  sq: Float64Array,
): void {
  let n = n0;
  for (; n + 4 <= n1; n += 4) {
    for (let c = c0, p = n * C + c0; c < c1; c++, p++) {
      const mc = m[c]!;
      const d0 = x[p]! - mc;
      const d1 = x[p + C]! - mc;
      const d2 = x[p + 2 * C]! - mc;
      const d3 = x[p + 3 * C]! - mc;
      sd[c] += d0 + d1 + (d2 + d3);
      sq[c] += d0 * d0 + d1 * d1 + (d2 * d2 + d3 * d3);
    }
  }
  for (; n < n1; n++) {
    for (let c = c0, p = n * C + c0; c < c1; c++, p++) {
      const d = x[p]! - m[c]!;
      sd[c] += d;
      sq[c] += d * d;
    }
  }
}

/** y[n, c] = (x[n, c] - m[c]) * sc[c] + sh[c]. */
export function rowNormalize(
  x: TypedArray,
  y: TypedArray,
  C: number,
  n0: number,
  n1: number,
  c0: number,
  c1: number,
  m: Float64Array,
  sc: Float64Array,
  sh: Float64Array,
): void {
  let n = n0;
  for (; n + 4 <= n1; n += 4) {
    for (let c = c0, p = n * C + c0; c < c1; c++, p++) {
      const mc = m[c]!;
      const s = sc[c]!;
      const h = sh[c]!;
      y[p] = (x[p]! - mc) * s + h;
      y[p + C] = (x[p + C]! - mc) * s + h;
      y[p + 2 * C] = (x[p + 2 * C]! - mc) * s + h;
      y[p + 3 * C] = (x[p + 3 * C]! - mc) * s + h;
    }
  }
  for (; n < n1; n++)
    for (let c = c0, p = n * C + c0; c < c1; c++, p++) y[p] = (x[p]! - m[c]!) * sc[c]! + sh[c]!;
}

/** sdy[c] += sum of dy, sdx[c] += sum of dy * (x - m[c]). */
export function rowGradSums(
  dy: TypedArray,
  x: TypedArray,
  C: number,
  n0: number,
  n1: number,
  c0: number,
  c1: number,
  m: Float64Array,
  sdy: Float64Array,
  sdx: Float64Array,
): void {
  let n = n0;
  for (; n + 4 <= n1; n += 4) {
    for (let c = c0, p = n * C + c0; c < c1; c++, p++) {
      const mc = m[c]!;
      const g0 = dy[p]!;
      const g1 = dy[p + C]!;
      const g2 = dy[p + 2 * C]!;
      const g3 = dy[p + 3 * C]!;
      sdy[c] += g0 + g1 + (g2 + g3);
      sdx[c] +=
        g0 * (x[p]! - mc) + g1 * (x[p + C]! - mc) + (g2 * (x[p + 2 * C]! - mc) + g3 * (x[p + 3 * C]! - mc));
    }
  }
  for (; n < n1; n++) {
    for (let c = c0, p = n * C + c0; c < c1; c++, p++) {
      const g = dy[p]!;
      sdy[c] += g;
      sdx[c] += g * (x[p]! - m[c]!);
    }
  }
}

/** dx[n, c] = a[c] * dy + ((x - m[c]) * r[c]) * k[c] + b[c]. */
export function rowDx(
  dy: TypedArray,
  x: TypedArray,
  dx: TypedArray,
  C: number,
  n0: number,
  n1: number,
  c0: number,
  c1: number,
  coef: { m: Float64Array; r: Float64Array; a: Float64Array; k: Float64Array; b: Float64Array },
): void {
  const { m, r, a, k, b } = coef;
  let n = n0;
  for (; n + 4 <= n1; n += 4) {
    for (let c = c0, p = n * C + c0; c < c1; c++, p++) {
      const mc = m[c]!;
      const rc = r[c]!;
      const ac = a[c]!;
      const kc = k[c]!;
      const bc = b[c]!;
      dx[p] = ac * dy[p]! + (x[p]! - mc) * rc * kc + bc;
      dx[p + C] = ac * dy[p + C]! + (x[p + C]! - mc) * rc * kc + bc;
      dx[p + 2 * C] = ac * dy[p + 2 * C]! + (x[p + 2 * C]! - mc) * rc * kc + bc;
      dx[p + 3 * C] = ac * dy[p + 3 * C]! + (x[p + 3 * C]! - mc) * rc * kc + bc;
    }
  }
  for (; n < n1; n++) {
    for (let c = c0, p = n * C + c0; c < c1; c++, p++)
      dx[p] = a[c]! * dy[p]! + (x[p]! - m[c]!) * r[c]! * k[c]! + b[c]!;
  }
}
