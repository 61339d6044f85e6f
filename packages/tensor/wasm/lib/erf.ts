// The normal CDF Phi(x) = erfc(-x / sqrt 2) / 2 in float64, two lanes at a time (f64x2), for the
// GELU kernels (wasm/activation.ts). A port of fdlibm's erfc (s_erf.c, as src/math.ts's erfcScalar,
// same coefficients and the same pieces), with z = -x / sqrt 2 and a = |z|:
//   A  a < 0.84375          erfc(z) = 1 - (z + z P(z^2)/Q(z^2))          (0.5 - (z r + (z - 0.5)) for z >= 1/4)
//   B  0.84375 <= a < 1.25  erfc(z) = (1 - c) - P1(s)/Q1(s), s = a - 1     (1 + (c + P1/Q1) for z < 0)
//   C  a >= 1.25            erfc(a) = exp(-a^2 - 0.5625 + R(1/a^2)/S(1/a^2)) / a, two fits split at
//                           a = 1/0.35                                       (2 - that for z < 0)
// A lane takes its own piece. A pair wholly in A (every |x| < 1.19: all of a freshly initialised
// network's pre-activations) runs A alone; otherwise A and B run as one rational with lane-selected
// coefficients (v128.bitselect, no branch), and C (with its two fits merged the same way) only when
// a lane has |x| >= 1.77. Measured on 262144 randn * scale float32 (bench: ns per element, 2 cores
// shared): scale 0.1: 2.4, scale 1: 7.5, scale 3: 13; every piece always (no branch): 11 at all
// scales; a branch per piece: 2.5 / 7.1 / 15 (its mispredictions cost more than the selects).
// In C the exponent uses -x^2/2 (exact when x has at most 26 significant bits, as every float32 has)
// instead of fdlibm's split of -z^2: the sum -x^2/2 - 0.5625 + R/S is rounded once, a relative error
// below 2^-52 * 800 ~ 2e-13 in the result (fdlibm: below 1 ulp), far below float32's 6e-8. No
// special cases: a = +-Infinity gives 0 or 2 through the same formula (exp(-Infinity) / Infinity), a
// NaN falls into C and stays NaN, a >= 28 (erfc < 1e-300) underflows to 0 as fdlibm returns.
import { expV } from './exp';

const SQRT1_2: f64 = Math.SQRT1_2;
const ERX: f64 = 0.8450629115104675;
// A: erf on [0, 0.84375]
const PP0: f64 = 0.12837916709551256;
const PP1: f64 = -0.3250421072470015;
const PP2: f64 = -0.02848174957559851;
const PP3: f64 = -0.005770270296489442;
const PP4: f64 = -0.000023763016656650163;
const QQ1: f64 = 0.39791722395915535;
const QQ2: f64 = 0.0650222499887673;
const QQ3: f64 = 0.005081306281875766;
const QQ4: f64 = 0.00013249473800432164;
const QQ5: f64 = -0.000003960228278775368;
// B: erf on [0.84375, 1.25]
const PA0: f64 = -0.0023621185607526594;
const PA1: f64 = 0.41485611868374833;
const PA2: f64 = -0.3722078760357013;
const PA3: f64 = 0.31834661990116175;
const PA4: f64 = -0.11089469428239668;
const PA5: f64 = 0.035478304325618236;
const PA6: f64 = -0.002166375594868791;
const QA1: f64 = 0.10642088040084423;
const QA2: f64 = 0.540397917702171;
const QA3: f64 = 0.07182865441419627;
const QA4: f64 = 0.12617121980876164;
const QA5: f64 = 0.01363708391202905;
const QA6: f64 = 0.011984499846799107;
// C: erfc on [1.25, 1/0.35]
const RA0: f64 = -0.009864944034847148;
const RA1: f64 = -0.6938585727071818;
const RA2: f64 = -10.558626225323291;
const RA3: f64 = -62.375332450326006;
const RA4: f64 = -162.39666946257347;
const RA5: f64 = -184.60509290671104;
const RA6: f64 = -81.2874355063066;
const RA7: f64 = -9.814329344169145;
const SA1: f64 = 19.651271667439257;
const SA2: f64 = 137.65775414351904;
const SA3: f64 = 434.56587747522923;
const SA4: f64 = 645.3872717332679;
const SA5: f64 = 429.00814002756783;
const SA6: f64 = 108.63500554177944;
const SA7: f64 = 6.570249770319282;
const SA8: f64 = -0.0604244152148581;
// C: erfc on [1/0.35, 28]
const RB0: f64 = -0.0098649429247001;
const RB1: f64 = -0.799283237680523;
const RB2: f64 = -17.757954917754752;
const RB3: f64 = -160.63638485582192;
const RB4: f64 = -637.5664433683896;
const RB5: f64 = -1025.0951316110772;
const RB6: f64 = -483.5191916086514;
const SB1: f64 = 30.33806074348246;
const SB2: f64 = 325.7925129965739;
const SB3: f64 = 1536.729586084437;
const SB4: f64 = 3199.8582195085955;
const SB5: f64 = 2553.0504064331644;
const SB6: f64 = 474.52854120695537;
const SB7: f64 = -22.44095244658582;
const ONE_OVER_035: f64 = 2.8571414947509766; // fdlibm's erfc split, 0x4006DB6D

/** c + t * acc */
function mad(acc: v128, t: v128, c: f64): v128 {
  return f64x2.add(f64x2.splat(c), f64x2.mul(t, acc));
}
function k(c: f64): v128 {
  return f64x2.splat(c);
}

/** A: erfc(z) for |z| < 0.84375 */
function pieceA(z: v128): v128 {
  const t = f64x2.mul(z, z);
  let p = mad(k(PP4), t, PP3);
  p = mad(mad(mad(p, t, PP2), t, PP1), t, PP0);
  let q = mad(k(QQ5), t, QQ4);
  q = mad(mad(mad(mad(q, t, QQ3), t, QQ2), t, QQ1), t, 1);
  const zr = f64x2.mul(z, f64x2.div(p, q));
  const low = f64x2.sub(k(1), f64x2.add(z, zr));
  const high = f64x2.sub(k(0.5), f64x2.add(zr, f64x2.sub(z, k(0.5))));
  return v128.bitselect(low, high, f64x2.lt(z, k(0.25)));
}

/** sel(m, a, b): a in the lanes of mask m, b elsewhere, as constants */
function sel(a: f64, b: f64, m: v128): v128 {
  return v128.bitselect(f64x2.splat(a), f64x2.splat(b), m);
}

/**
 * A and B as one rational with lane-selected coefficients (B's degree 6; A's padded with zeros): a
 * lane's piece then costs no branch, which would be unpredictable for activations spread around
 * |x| ~ 1.2 (the A/B boundary).
 *   A (mask m): t = z^2,   r = P(t)/Q(t),   erfc = 1 - (z + z r)  or  0.5 - (z r + (z - 0.5)) for z >= 1/4
 *   B:          t = a - 1, r = P1(t)/Q1(t), erfc = (1 - c) - r  or  1 + (c + r) for z < 0
 */
function pieceAB(z: v128, a: v128, m: v128): v128 {
  const t = v128.bitselect(f64x2.mul(z, z), f64x2.sub(a, k(1)), m);
  let p = sel(0, PA6, m);
  p = f64x2.add(sel(0, PA5, m), f64x2.mul(t, p));
  p = f64x2.add(sel(PP4, PA4, m), f64x2.mul(t, p));
  p = f64x2.add(sel(PP3, PA3, m), f64x2.mul(t, p));
  p = f64x2.add(sel(PP2, PA2, m), f64x2.mul(t, p));
  p = f64x2.add(sel(PP1, PA1, m), f64x2.mul(t, p));
  p = f64x2.add(sel(PP0, PA0, m), f64x2.mul(t, p));
  let q = sel(0, QA6, m);
  q = f64x2.add(sel(QQ5, QA5, m), f64x2.mul(t, q));
  q = f64x2.add(sel(QQ4, QA4, m), f64x2.mul(t, q));
  q = f64x2.add(sel(QQ3, QA3, m), f64x2.mul(t, q));
  q = f64x2.add(sel(QQ2, QA2, m), f64x2.mul(t, q));
  q = f64x2.add(sel(QQ1, QA1, m), f64x2.mul(t, q));
  q = f64x2.add(k(1), f64x2.mul(t, q));
  const r = f64x2.div(p, q);
  const zr = f64x2.mul(z, r);
  const lowA = f64x2.sub(k(1), f64x2.add(z, zr));
  const highA = f64x2.sub(k(0.5), f64x2.add(zr, f64x2.sub(z, k(0.5))));
  const posB = f64x2.sub(k(1 - ERX), r);
  const negB = f64x2.add(k(1), f64x2.add(k(ERX), r));
  const inA = v128.bitselect(lowA, highA, f64x2.lt(z, k(0.25)));
  const inB = v128.bitselect(posB, negB, f64x2.gt(z, k(0)));
  return v128.bitselect(inA, inB, m);
}

/**
 * C: erfc(z) for |z| >= 1.25 (and NaN); h = x^2 / 2 = z^2. The two fits as one rational in s = 1/a^2
 * with lane-selected coefficients (the far fit's degrees 6/7 padded to the near one's 7/8).
 */
function pieceC(z: v128, a: v128, h: v128): v128 {
  const ia = f64x2.div(k(1), a);
  const s = f64x2.mul(ia, ia);
  const m = f64x2.lt(a, k(ONE_OVER_035));
  let r = sel(RA7, 0, m);
  r = f64x2.add(sel(RA6, RB6, m), f64x2.mul(s, r));
  r = f64x2.add(sel(RA5, RB5, m), f64x2.mul(s, r));
  r = f64x2.add(sel(RA4, RB4, m), f64x2.mul(s, r));
  r = f64x2.add(sel(RA3, RB3, m), f64x2.mul(s, r));
  r = f64x2.add(sel(RA2, RB2, m), f64x2.mul(s, r));
  r = f64x2.add(sel(RA1, RB1, m), f64x2.mul(s, r));
  r = f64x2.add(sel(RA0, RB0, m), f64x2.mul(s, r));
  let q = sel(SA8, 0, m);
  q = f64x2.add(sel(SA7, SB7, m), f64x2.mul(s, q));
  q = f64x2.add(sel(SA6, SB6, m), f64x2.mul(s, q));
  q = f64x2.add(sel(SA5, SB5, m), f64x2.mul(s, q));
  q = f64x2.add(sel(SA4, SB4, m), f64x2.mul(s, q));
  q = f64x2.add(sel(SA3, SB3, m), f64x2.mul(s, q));
  q = f64x2.add(sel(SA2, SB2, m), f64x2.mul(s, q));
  q = f64x2.add(sel(SA1, SB1, m), f64x2.mul(s, q));
  q = f64x2.add(k(1), f64x2.mul(s, q));
  const e = inline.always(expV(f64x2.add(f64x2.sub(k(-0.5625), h), f64x2.div(r, q))));
  const t = f64x2.mul(e, ia);
  return v128.bitselect(t, f64x2.sub(k(2), t), f64x2.gt(z, k(0)));
}

/** Phi(x) = erfc(-x / sqrt 2) / 2 of both lanes; x with at most 26 significant bits (see above). */
export function normalCdfV(x: v128): v128 {
  const z = f64x2.mul(x, k(-SQRT1_2));
  const a = f64x2.abs(z);
  const inA = f64x2.lt(a, k(0.84375));
  let r: v128;
  if (i64x2.all_true(inA)) {
    r = inline.always(pieceA(z));
  } else {
    r = inline.always(pieceAB(z, a, inA));
    const below125 = f64x2.lt(a, k(1.25));
    if (!i64x2.all_true(below125)) {
      const h = f64x2.mul(f64x2.mul(x, x), k(0.5));
      r = v128.bitselect(r, inline.always(pieceC(z, a, h)), below125);
    }
  }
  return f64x2.mul(r, k(0.5));
}
