/**
 * Exact mean and biased variance of float32 values, by integer arithmetic: every float32 is an
 * integer multiple of 2^-149, so with X = x * 2^149 (an exact BigInt)
 *   mean = sum(X) / (n 2^149),   var = (n sum(X^2) - sum(X)^2) / (n^2 2^298),
 * each rounded once to float64. An oracle that shares no code or algorithm with the kernels.
 */
const SCALE = 149;

export function exactStats(values: Float32Array): { mean: number; variance: number } {
  const n = BigInt(values.length);
  let s1 = 0n;
  let s2 = 0n;
  for (const v of values) {
    const X = BigInt(v * 2 ** SCALE);
    s1 += X;
    s2 += X * X;
  }
  const one = 1n << BigInt(SCALE);
  return {
    mean: ratio(s1, n * one),
    variance: ratio(n * s2 - s1 * s1, n * n * one * one),
  };
}

const bits = (v: bigint) => v.toString(2).length;

/** p / q (q > 0) rounded to the nearest float64, ties to even (normal range). */
export function ratio(p: bigint, q: bigint): number {
  if (p === 0n) return 0;
  const negative = p < 0n;
  const a = negative ? -p : p;
  // scale so that the quotient has 54 or 55 bits, then round to 53
  const k = 55 - (bits(a) - bits(q));
  const num = k >= 0 ? a << BigInt(k) : a;
  const den = k >= 0 ? q : q << BigInt(-k);
  const quotient = num / den;
  const sticky = num % den !== 0n;
  const extra = BigInt(bits(quotient) - 53);
  let mantissa = quotient >> extra;
  const low = quotient & ((1n << extra) - 1n);
  const half = 1n << (extra - 1n);
  if (low > half || (low === half && (sticky || (mantissa & 1n) === 1n))) mantissa += 1n;
  const result = Number(mantissa) * 2 ** (Number(extra) - k);
  return negative ? -result : result;
}
