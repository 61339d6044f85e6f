// tanh in float64, two lanes at a time (f64x2), for the float32 tanh kernel (wasm/activation.ts).
// Lambert's continued fraction, as @normkit/nn's fast-tanh.ts:
//   tanh x = x / (1 + x^2 / (3 + x^2 / (5 + ... x^2 / 29)))   (depth 14)
//          = x P(y) / Q(y),  y = x^2, P and Q of degree 7 with positive integer coefficients (all
//            below 2^53, so exact), evaluated by Estrin's scheme (no cancellation: every term > 0).
// Relative error below 2.5e-10 on |x| <= 9 (the truncation error, largest at |x| = 9; far smaller
// for small |x|), under float32's half ulp of 3e-8: rounded to float32 it is within 1 ulp of
// fround(Math.tanh(x)). |x| > 9 gives sign(x) (1 - tanh 9 = 3e-8, half a float32 ulp below 1; so
// at most 1 ulp too), +-Infinity gives +-1, -0 stays -0 and NaN stays NaN (it fails |x| > 9).
const P0: f64 = 6190283353629375;
const P1: f64 = 924984868933125;
const P2: f64 = 34785755754750;
const P3: f64 = 496939367925;
const P4: f64 = 3055402350;
const P5: f64 = 7936110;
const P6: f64 = 7140;
const P7: f64 = 1;
const Q0: f64 = 6190283353629375;
const Q1: f64 = 2988412653476250;
const Q2: f64 = 205552193096250;
const Q3: f64 = 4638100767300;
const Q4: f64 = 43212118950;
const Q5: f64 = 174594420;
const Q6: f64 = 278460;
const Q7: f64 = 120;

/** c0 + c1 y */
function lin(y: v128, c0: f64, c1: f64): v128 {
  return f64x2.add(f64x2.splat(c0), f64x2.mul(y, f64x2.splat(c1)));
}

/** tanh of both lanes of x (float64x2). */
export function tanhV(x: v128): v128 {
  const y = f64x2.mul(x, x);
  const y2 = f64x2.mul(y, y);
  const y4 = f64x2.mul(y2, y2);
  const p = f64x2.add(
    f64x2.add(inline.always(lin(y, P0, P1)), f64x2.mul(y2, inline.always(lin(y, P2, P3)))),
    f64x2.mul(y4, f64x2.add(inline.always(lin(y, P4, P5)), f64x2.mul(y2, inline.always(lin(y, P6, P7))))),
  );
  const q = f64x2.add(
    f64x2.add(inline.always(lin(y, Q0, Q1)), f64x2.mul(y2, inline.always(lin(y, Q2, Q3)))),
    f64x2.mul(y4, f64x2.add(inline.always(lin(y, Q4, Q5)), f64x2.mul(y2, inline.always(lin(y, Q6, Q7))))),
  );
  const r = f64x2.div(f64x2.mul(x, p), q);
  // sign(x) = 1 with x's sign bit
  const sign = v128.or(v128.and(x, i64x2.splat(0x8000000000000000)), f64x2.splat(1));
  return v128.bitselect(sign, r, f64x2.gt(f64x2.abs(x), f64x2.splat(9)));
}
