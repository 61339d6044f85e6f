import { fdlibm, type Generator, type TypedArray } from '@normkit/tensor';

/**
 * The standard normal CDF and its inverse to ~1e-15 relative accuracy in both tails, and the
 * truncated-normal sampler built on them. No tables of magic constants beyond one classic
 * starting approximation: erf by its everywhere-convergent series, erfc by its continued fraction,
 * the quantile by Halley's method on the CDF. exp and log are fdlibm's (@normkit/tensor), not
 * Math's, so a seeded sample is the same in every engine (Math.exp differs in the last bit between
 * V8 versions; fdlibm's code equals Node 20's Math, so no sample changed).
 */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const SQRT_2PI = Math.sqrt(2 * Math.PI);

/**
 * erf(y) = 2/sqrt(pi) * exp(-y^2) * sum_{n>=0} (2y^2)^n * y / (1 * 3 * ... * (2n+1)).
 * All terms are positive (no cancellation); used for 0 <= y < 1.5, where it needs < 50 terms
 * (1 - erf(y) then loses at most a factor 30 in relative accuracy).
 */
function erfSeries(y: number): number {
  const twoY2 = 2 * y * y;
  let term = y;
  let sum = y;
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= twoY2 / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * fdlibm.exp(-y * y) * sum;
}

/**
 * erfc(y) = exp(-y^2)/sqrt(pi) / (y + (1/2)/(y + 1/(y + (3/2)/(y + 2/(y + ...))))) for y >= 1.5,
 * evaluated bottom-up from a fixed depth. The fraction converges faster as y grows; the depths
 * below keep its truncation error under 1e-15 (measured against Python's math.erfc).
 */
function erfcContinuedFraction(y: number): number {
  const depth = y < 2 ? 100 : y < 3 ? 60 : y < 4 ? 40 : y < 6 ? 30 : 20;
  let f = y;
  for (let k = depth; k >= 1; k--) f = y + k / 2 / f;
  return fdlibm.exp(-y * y) / Math.sqrt(Math.PI) / f;
}

/** The complementary error function, relative accuracy ~1e-15 wherever the result is normal. */
export function erfc(y: number): number {
  if (Number.isNaN(y)) return Number.NaN;
  if (y < 0) return 2 - erfc(-y);
  if (y === Number.POSITIVE_INFINITY) return 0;
  return y < 1.5 ? 1 - erfSeries(y) : erfcContinuedFraction(y);
}

/** Phi(x) = P(Z <= x) for a standard normal Z; accurate relative to its value for x < 0. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * Math.SQRT1_2);
}

/**
 * Phi^-1(p). Start: Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4); then Halley steps on
 * Phi(x) - p = 0, x <- x - u / (1 + x u / 2) with u = (Phi(x) - p) * sqrt(2 pi) * exp(x^2 / 2),
 * which triple the correct digits each time: after a step of relative size < 1e-6 the error is
 * below 1e-18, so two steps usually suffice.
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  // Phi^-1(p) = -Phi^-1(1 - p): solve in the lower half, where Phi is accurate relative to p
  // (1 - p is exact for p >= 0.5)
  if (p > 0.5) return -normalQuantile(1 - p);
  const t = Math.sqrt(-2 * fdlibm.log(p));
  let x =
    -t + (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
  for (let i = 0; i < 4; i++) {
    const u = (normalCdf(x) - p) * SQRT_2PI * fdlibm.exp((x * x) / 2);
    const step = u / (1 + (x * u) / 2);
    if (!Number.isFinite(step)) break;
    x -= step;
    if (Math.abs(step) < 1e-6 * Math.max(1, Math.abs(x))) break;
  }
  return x;
}

/**
 * Fill out[start, start + n) with samples of N(mean, std^2) conditioned on [a, b] (a < b, either
 * may be infinite), drawn from `gen`; values are clamped to [a, b] against rounding.
 *
 * An interval entirely above the mean is mirrored below it, where Phi keeps full relative
 * precision. When the interval holds at least a quarter of the mass, rejection from N(0, 1)
 * (at most 4 draws per sample on average); otherwise inversion, Phi^-1(Phi(alpha) + u * mass),
 * which costs a few CDF evaluations per sample but works arbitrarily far in the tail.
 * Throws a RangeError when the mass underflows (an interval ~38 standard deviations out).
 */
export function fillTruncNormal(
  out: TypedArray,
  start: number,
  n: number,
  mean: number,
  std: number,
  a: number,
  b: number,
  gen: Generator,
): void {
  let alpha = (a - mean) / std;
  let beta = (b - mean) / std;
  let sign = 1;
  if (alpha > 0) {
    [alpha, beta] = [-beta, -alpha];
    sign = -1;
  }
  const lo = normalCdf(alpha);
  const mass = normalCdf(beta) - lo;
  if (!(mass > 0)) {
    const distance = Math.min(Math.abs(alpha), Math.abs(beta)).toFixed(1);
    throw new RangeError(
      `truncNormal_: [a, b] = [${a}, ${b}] expected to hold some probability under N(${mean}, ${std}^2), ` +
        `got a mass that underflows (the interval is ${distance} std from the mean)`,
    );
  }
  const end = start + n;
  if (mass >= 0.25) {
    for (let i = start; i < end; i++) {
      let z = gen.normal();
      while (z < alpha || z > beta) z = gen.normal();
      out[i] = Math.min(Math.max(mean + std * sign * z, a), b);
    }
    return;
  }
  for (let i = start; i < end; i++) {
    const z = Math.min(Math.max(normalQuantile(lo + mass * gen.uniform()), alpha), beta);
    out[i] = Math.min(Math.max(mean + std * sign * z, a), b);
  }
}
