// tanh in float64, two lanes at a time (f64x2), computed exactly as @normkit/nn's JS float32 DyT
// does (src/internal/fast-tanh.ts), so the wasm and JS kernels agree bit for bit:
//   |z| <= 9:  Lambert's continued fraction at depth 14,
//              tanh z = z / (1 + z^2 / (3 + z^2 / (5 + ... z^2 / 29))) = z P(y) / Q(y),  y = z^2,
//              P, Q of degree 7 with positive integer coefficients (exact in float64), evaluated
//              by Horner's rule in fast-tanh.ts's order: every operation is the same IEEE
//              operation on the same operands, so the result is the same double (tanhSmallV,
//              tanhSmall2V). @normkit/tensor's wasm/lib/tanh.ts evaluates the same P, Q by
//              Estrin's scheme: ~8% faster here, but not bit-identical to the JS kernel.
//   |z| > 9:   fast-tanh.ts calls Math.tanh, i.e. fdlibm's 1 - 2 / (expm1(2|z|) + 2) with z's sign
//              (1 exactly from |z| >= 22). tanhAnyV takes 1 - 2 / (exp(2|z|) + 1) for those lanes:
//              exp(2|z|) > 6e7, so the quotient is below 3.1e-8 and its relative error of a few
//              2^-53 moves 1 - quotient by under 1e-23, far below half an ulp of 1 (1.1e-16): the
//              same double as Math.tanh except within 1e-23 of a rounding tie (none in 2^20 points
//              of 9 < |z| < 22). +-Infinity gives +-1; NaN stays NaN (it is not > 9, so it takes
//              the Horner lanes, which turn it into NaN).
// exp comes from @normkit/tensor's wasm/lib/exp.ts (within 1 ulp of Math.exp), imported by a
// relative path: AssemblyScript compiles it into this module (the output imports only env.memory).
import { expV } from '../../../tensor/wasm/lib/exp';

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

/** c + y h (fast-tanh.ts's `P[k] + y * (...)`) */
function step(c: f64, y: v128, h: v128): v128 {
  return f64x2.add(f64x2.splat(c), f64x2.mul(y, h));
}

/** tanh of both lanes of z (float64x2) where |z| <= 9 or NaN; wrong for |z| > 9. */
export function tanhSmallV(z: v128): v128 {
  const y = f64x2.mul(z, z);
  let p = inline.always(step(P6, y, f64x2.splat(P7)));
  let q = inline.always(step(Q6, y, f64x2.splat(Q7)));
  p = inline.always(step(P5, y, p));
  q = inline.always(step(Q5, y, q));
  p = inline.always(step(P4, y, p));
  q = inline.always(step(Q4, y, q));
  p = inline.always(step(P3, y, p));
  q = inline.always(step(Q3, y, q));
  p = inline.always(step(P2, y, p));
  q = inline.always(step(Q2, y, q));
  p = inline.always(step(P1, y, p));
  q = inline.always(step(Q1, y, q));
  p = inline.always(step(P0, y, p));
  q = inline.always(step(Q0, y, q));
  return f64x2.div(f64x2.mul(z, p), q);
}

/** tanh of z1, set by tanhSmall2V. */
export let tanhSecond: v128 = f64x2(0, 0);

/**
 * tanhSmallV of two pairs, z0 (returned) and z1 (left in tanhSecond), the Horner steps of the two
 * interleaved: each step waits for the one before (a multiply, then an add), and the other pair's
 * steps fill the wait (3-5% faster than one pair at a time at [8192, 768]).
 */
export function tanhSmall2V(z0: v128, z1: v128): v128 {
  const y0 = f64x2.mul(z0, z0);
  const y1 = f64x2.mul(z1, z1);
  let p0 = inline.always(step(P6, y0, f64x2.splat(P7)));
  let q0 = inline.always(step(Q6, y0, f64x2.splat(Q7)));
  let p1 = inline.always(step(P6, y1, f64x2.splat(P7)));
  let q1 = inline.always(step(Q6, y1, f64x2.splat(Q7)));
  p0 = inline.always(step(P5, y0, p0));
  q0 = inline.always(step(Q5, y0, q0));
  p1 = inline.always(step(P5, y1, p1));
  q1 = inline.always(step(Q5, y1, q1));
  p0 = inline.always(step(P4, y0, p0));
  q0 = inline.always(step(Q4, y0, q0));
  p1 = inline.always(step(P4, y1, p1));
  q1 = inline.always(step(Q4, y1, q1));
  p0 = inline.always(step(P3, y0, p0));
  q0 = inline.always(step(Q3, y0, q0));
  p1 = inline.always(step(P3, y1, p1));
  q1 = inline.always(step(Q3, y1, q1));
  p0 = inline.always(step(P2, y0, p0));
  q0 = inline.always(step(Q2, y0, q0));
  p1 = inline.always(step(P2, y1, p1));
  q1 = inline.always(step(Q2, y1, q1));
  p0 = inline.always(step(P1, y0, p0));
  q0 = inline.always(step(Q1, y0, q0));
  p1 = inline.always(step(P1, y1, p1));
  q1 = inline.always(step(Q1, y1, q1));
  p0 = inline.always(step(P0, y0, p0));
  q0 = inline.always(step(Q0, y0, q0));
  p1 = inline.always(step(P0, y1, p1));
  q1 = inline.always(step(Q0, y1, q1));
  tanhSecond = f64x2.div(f64x2.mul(z1, p1), q1);
  return f64x2.div(f64x2.mul(z0, p0), q0);
}

/** tanh of both lanes of z (float64x2), any z. */
export function tanhAnyV(z: v128): v128 {
  const a = f64x2.abs(z);
  const e = inline.always(expV(f64x2.add(a, a)));
  const s = f64x2.sub(f64x2.splat(1), f64x2.div(f64x2.splat(2), f64x2.add(e, f64x2.splat(1))));
  const large = v128.or(s, v128.and(z, i64x2.splat(0x8000000000000000)));
  return v128.bitselect(large, inline.always(tanhSmallV(z)), f64x2.gt(a, f64x2.splat(9)));
}

/**
 * Whether some z = alpha x over the n float32 at p has |z| > 9 (and needs tanhAnyV), or is NaN.
 * The largest |x| is found on the bit patterns (|x| as an unsigned integer orders like |x|, with
 * NaNs above Infinity); then max|x| |alpha| > 9 in float64 is the test (rounding is monotonic).
 * A NaN row answers true: tanhAnyV gives NaN for NaN too, and +-1 for an Infinity beside it.
 * Four running maxima, so the loop is not one chain of dependent max operations.
 */
export function anyLarge(p: usize, n: i32, absAlpha: f64): bool {
  const mask = i32x4.splat(0x7fffffff);
  let m0 = i32x4.splat(0);
  let m1 = m0;
  let m2 = m0;
  let m3 = m0;
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const q = p + ((<usize>j) << 2);
    m0 = i32x4.max_u(m0, v128.and(v128.load(q), mask));
    m1 = i32x4.max_u(m1, v128.and(v128.load(q, 16), mask));
    m2 = i32x4.max_u(m2, v128.and(v128.load(q, 32), mask));
    m3 = i32x4.max_u(m3, v128.and(v128.load(q, 48), mask));
  }
  for (; j + 4 <= n; j += 4) m0 = i32x4.max_u(m0, v128.and(v128.load(p + ((<usize>j) << 2)), mask));
  const m = i32x4.max_u(i32x4.max_u(m0, m1), i32x4.max_u(m2, m3));
  let r = max(
    max(<u32>i32x4.extract_lane(m, 0), <u32>i32x4.extract_lane(m, 1)),
    max(<u32>i32x4.extract_lane(m, 2), <u32>i32x4.extract_lane(m, 3)),
  );
  for (; j < n; j++) r = max(r, load<u32>(p + ((<usize>j) << 2)) & 0x7fffffff);
  return r > 0x7f800000 || <f64>reinterpret<f32>(r) * absAlpha > 9;
}
