import type { TypedArray } from '@normkit/tensor';

/**
 * Statistics of one contiguous row x[o .. o+n), accumulated in float64, shared by LayerNorm (a mean
 * array is given: mean and biased variance) and RMSNorm (mean === null: var = mean(x^2)).
 * Writes mean[mi] (LayerNorm) and rstd[ri] = 1 / sqrt(var + eps).
 *
 * Variance: corrected two-pass (Chan, Golub & LeVeque 1983). Pass 1: m = sum(x) / n. Pass 2 with
 * d = x - m: var = sum(d^2)/n - c^2 and mean = m + c, where c = sum(d)/n cancels the rounding error
 * of m. No E[x^2] - E[x]^2 cancellation, and a constant row gets var = 0 and mean = x exactly even
 * when sum(x) rounds (every d is the same short number, so sum(d) and sum(d^2) are exact).
 *
 * Conventions (docs/layernorm.md):
 * - var + eps == 0 (a constant row with eps = 0, or RMSNorm of a zero row with eps = 0) stores rstd = 0
 *   instead of +Infinity, so xhat = (x - mean) * rstd = 0, y = bias and every gradient stays finite.
 * - NaN or +-Infinity anywhere in a row gives NaN mean and rstd for that row only.
 * - float64 rows whose squares overflow (|x| ~ 1e200) or underflow (|x| ~ 1e-200) take the scaled
 *   path below: the row is multiplied by an exact power of two first. Exact for finite rows with
 *   max|x| < 2^1022 (so x - mean cannot overflow) and, when eps = 0, a standard deviation >= 2^-1022.
 */

/** sum(d^2) below this means squares may have underflowed (only float64 rows this small get here). */
const TINY = 2 ** -600;

/** pass results of lnRowSums: m, sum(x - m), sum((x - m)^2) */
const sums = new Float64Array(3);

export function rowStats(
  x: TypedArray,
  o: number,
  n: number,
  eps: number,
  mean: Float64Array | null,
  mi: number,
  rstd: Float64Array,
  ri: number,
): void {
  // The loops live in their own functions, the decisions here: measured in V8 (Node 20), a branch
  // after the loops inside the same function made them ~30% slower.
  if (mean === null) {
    const sq = rmsRowSum(x, o, n);
    if (sq >= TINY && sq < Number.POSITIVE_INFINITY) rstd[ri] = 1 / Math.sqrt(sq / n + eps);
    else scaledRowStats(x, o, n, eps, null, 0, rstd, ri);
    return;
  }
  lnRowSums(x, o, n);
  const sq = sums[2]!;
  // false for NaN: a row holding NaN or +-Infinity, or whose sum overflowed, has m or sq non-finite
  if (sq >= TINY && sq < Number.POSITIVE_INFINITY) {
    const c = sums[1]! / n;
    const v = sq / n - c * c;
    const t = Math.max(v, 0) + eps;
    mean[mi] = sums[0]! + c;
    rstd[ri] = t > 0 ? 1 / Math.sqrt(t) : 0;
  } else {
    scaledRowStats(x, o, n, eps, mean, mi, rstd, ri);
  }
}

/** sum(x^2) over a row, four accumulators so the adds do not wait on each other. */
function rmsRowSum(x: TypedArray, o: number, n: number): number {
  const end = o + n;
  const end4 = o + (n & ~3);
  let i = o;
  let q0 = 0;
  let q1 = 0;
  let q2 = 0;
  let q3 = 0;
  for (; i < end4; i += 4) {
    const a = x[i]!;
    const b = x[i + 1]!;
    const c = x[i + 2]!;
    const d = x[i + 3]!;
    q0 += a * a;
    q1 += b * b;
    q2 += c * c;
    q3 += d * d;
  }
  for (; i < end; i++) q0 += x[i]! * x[i]!;
  return q0 + q1 + (q2 + q3);
}

/** The two passes of LayerNorm's statistics over a row, results in `sums`. */
function lnRowSums(x: TypedArray, o: number, n: number): void {
  const end = o + n;
  const end4 = o + (n & ~3);
  let i = o;
  // pass 1: m = sum(x) / n
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (; i < end4; i += 4) {
    s0 += x[i]!;
    s1 += x[i + 1]!;
    s2 += x[i + 2]!;
    s3 += x[i + 3]!;
  }
  for (; i < end; i++) s0 += x[i]!;
  const m = (s0 + s1 + (s2 + s3)) / n;
  // pass 2: sum(d) and sum(d^2) with d = x - m; pairs are added before they reach the
  // accumulators (fewer dependent adds than one accumulator per lane, measured faster)
  let d0 = 0;
  let d1 = 0;
  let q0 = 0;
  let q1 = 0;
  for (i = o; i < end4; i += 4) {
    const a = x[i]! - m;
    const b = x[i + 1]! - m;
    const c = x[i + 2]! - m;
    const d = x[i + 3]! - m;
    d0 += a + c;
    d1 += b + d;
    q0 += a * a + c * c;
    q1 += b * b + d * d;
  }
  for (; i < end; i++) {
    const a = x[i]! - m;
    d0 += a;
    q0 += a * a;
  }
  sums[0] = m;
  sums[1] = d0 + d1;
  sums[2] = q0 + q1;
}

/**
 * The slow, rarely taken path: rows whose sum overflowed, whose squares overflowed or underflowed,
 * constant rows (sum(d^2) = 0) and rows holding NaN/Infinity. With s = 2^-e chosen so that
 * max|x| * s lies in [1, 2), z = x * s is exact (up to underflow of elements 2^1000 times smaller
 * than the largest, which cannot move the statistics), and
 *   mean = mean(z) / s,   var = var(z) / s^2,   rstd = s / sqrt(var(z) + eps * s^2).
 */
function scaledRowStats(
  x: TypedArray,
  o: number,
  n: number,
  eps: number,
  mean: Float64Array | null,
  mi: number,
  rstd: Float64Array,
  ri: number,
): void {
  const end = o + n;
  let amax = 0;
  for (let i = o; i < end; i++) {
    const a = Math.abs(x[i]!);
    if (a > amax) amax = a;
    else if (Number.isNaN(a)) {
      amax = Number.NaN;
      break;
    }
  }
  if (!(amax < Number.POSITIVE_INFINITY)) {
    // NaN or +-Infinity in the row: NaN statistics, so the whole row (only this row) is NaN
    if (mean !== null) mean[mi] = Number.NaN;
    rstd[ri] = Number.NaN;
    return;
  }
  if (amax === 0 || n === 0) {
    // a row of zeros (or an empty row): mean 0, var 0
    if (mean !== null) mean[mi] = 0;
    rstd[ri] = eps > 0 ? 1 / Math.sqrt(eps) : 0;
    return;
  }
  const e = Math.min(1023, Math.max(-1022, Math.floor(Math.log2(amax))));
  const s = 2 ** -e;
  let mz = 0;
  let v: number;
  if (mean !== null) {
    let sum = 0;
    for (let i = o; i < end; i++) sum += x[i]! * s;
    mz = sum / n;
    let sd = 0;
    let sq = 0;
    for (let i = o; i < end; i++) {
      const d = x[i]! * s - mz;
      sd += d;
      sq += d * d;
    }
    const c = sd / n;
    mz += c;
    v = sq / n - c * c;
  } else {
    let sq = 0;
    for (let i = o; i < end; i++) {
      const z = x[i]! * s;
      sq += z * z;
    }
    v = sq / n;
  }
  if (!(v > 0)) v = 0;
  const t = v + eps * s * s;
  let result: number;
  if (t === 0) result = 0;
  else if (t < Number.POSITIVE_INFINITY) result = s / Math.sqrt(t);
  else result = 1 / Math.sqrt(eps + v / s / s); // eps * s^2 overflowed: eps dwarfs var
  if (mean !== null) mean[mi] = mz / s;
  rstd[ri] = result;
}
