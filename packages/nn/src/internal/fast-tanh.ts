/**
 * tanh for float32 outputs, ~3.5x faster than Math.tanh in V8 (fdlibm's tanh goes through expm1;
 * measured 30 ms vs 103 ms for 6.3M elements). Lambert's continued fraction
 *   tanh x = x / (1 + x^2 / (3 + x^2 / (5 + ... x^2 / (2d + 1))))
 * truncated at depth d = 14 is the rational function x P(x^2) / Q(x^2) built below (integer
 * coefficients, all positive, so Horner's rule has no cancellation). On |x| <= 9 its relative
 * error is below 2.5e-10 (largest at |x| = 9; tested against Math.tanh), far under float32's
 * 6e-8 half-ulp: rounded to float32 it is the correctly rounded tanh except for values within
 * 2.5e-10 of a rounding midpoint (then 1 ulp off; 8 in 100001 grid points). |x| > 9, infinities
 * and NaN go to Math.tanh. float64 DyT uses Math.tanh itself.
 */

const DEPTH = 14;

/** Convergent coefficients: tail T_k = (2k+1) + y / T_{k+1} = N_k / D_k, polynomials in y = x^2. */
function lambertCoefficients(depth: number): { P: Float64Array; Q: Float64Array } {
  let num: number[] = [2 * depth + 1];
  let den: number[] = [1];
  for (let k = depth - 1; k >= 0; k--) {
    // N_k = (2k+1) N_{k+1} + y D_{k+1},  D_k = N_{k+1}
    const next = new Array<number>(Math.max(num.length, den.length + 1)).fill(0);
    for (let i = 0; i < num.length; i++) next[i]! += (2 * k + 1) * num[i]!;
    for (let i = 0; i < den.length; i++) next[i + 1]! += den[i]!;
    den = num;
    num = next;
  }
  // tanh x = x / T_0 = x D_0 / N_0; pad P to Q's length (8 coefficients each at depth 14)
  const P = new Float64Array(num.length);
  P.set(den);
  return { P, Q: Float64Array.from(num) };
}

const { P, Q } = lambertCoefficients(DEPTH);

export function tanhFloat32(x: number): number {
  if (!(x <= 9 && x >= -9)) return Math.tanh(x);
  const y = x * x;
  const p =
    P[0]! + y * (P[1]! + y * (P[2]! + y * (P[3]! + y * (P[4]! + y * (P[5]! + y * (P[6]! + y * P[7]!))))));
  const q =
    Q[0]! + y * (Q[1]! + y * (Q[2]! + y * (Q[3]! + y * (Q[4]! + y * (Q[5]! + y * (Q[6]! + y * Q[7]!))))));
  return (x * p) / q;
}
