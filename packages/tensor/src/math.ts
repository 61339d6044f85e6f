/**
 * Scalar special functions the elementwise kernels call once per element (plain functions on
 * numbers, so V8 inlines them into the kernel loops).
 *
 * erf and erfc are a port of fdlibm's s_erf.c (Sun Microsystems, 1993: "Permission to use, copy,
 * modify, and distribute this software is freely granted, provided that this notice is
 * preserved."). Error below 1 ulp over the whole double range; the method per interval:
 *   |x| < 0.84375         erf(x) = x + x * P(x^2)/Q(x^2)
 *   0.84375 <= |x| < 1.25 erf(x) = c + P1(s)/Q1(s), s = |x| - 1, c = 0.84506291151 rounded to float
 *   1.25 <= |x| < 28      erfc(x) = exp(-x^2 - 0.5625 + R(1/x^2)/S(1/x^2)) / x (two fits, split at 1/0.35)
 *   |x| >= 6 (erf), 28 (erfc): the limits 1, 0 or 2
 */

// fdlibm's coefficients, written in the shortest decimal form that reads back as the same double.
const ERX = 0.8450629115104675;
const EFX = 0.1283791670955126; // 2/sqrt(pi) - 1
const EFX8 = 1.0270333367641007;
// erf on [0, 0.84375]
const PP0 = 0.12837916709551256;
const PP1 = -0.3250421072470015;
const PP2 = -0.02848174957559851;
const PP3 = -0.005770270296489442;
const PP4 = -0.000023763016656650163;
const QQ1 = 0.39791722395915535;
const QQ2 = 0.0650222499887673;
const QQ3 = 0.005081306281875766;
const QQ4 = 0.00013249473800432164;
const QQ5 = -0.000003960228278775368;
// erf on [0.84375, 1.25]
const PA0 = -0.0023621185607526594;
const PA1 = 0.41485611868374833;
const PA2 = -0.3722078760357013;
const PA3 = 0.31834661990116175;
const PA4 = -0.11089469428239668;
const PA5 = 0.035478304325618236;
const PA6 = -0.002166375594868791;
const QA1 = 0.10642088040084423;
const QA2 = 0.540397917702171;
const QA3 = 0.07182865441419627;
const QA4 = 0.12617121980876164;
const QA5 = 0.01363708391202905;
const QA6 = 0.011984499846799107;
// erfc on [1.25, 1/0.35]
const RA0 = -0.009864944034847148;
const RA1 = -0.6938585727071818;
const RA2 = -10.558626225323291;
const RA3 = -62.375332450326006;
const RA4 = -162.39666946257347;
const RA5 = -184.60509290671104;
const RA6 = -81.2874355063066;
const RA7 = -9.814329344169145;
const SA1 = 19.651271667439257;
const SA2 = 137.65775414351904;
const SA3 = 434.56587747522923;
const SA4 = 645.3872717332679;
const SA5 = 429.00814002756783;
const SA6 = 108.63500554177944;
const SA7 = 6.570249770319282;
const SA8 = -0.0604244152148581;
// erfc on [1/0.35, 28]
const RB0 = -0.0098649429247001;
const RB1 = -0.799283237680523;
const RB2 = -17.757954917754752;
const RB3 = -160.63638485582192;
const RB4 = -637.5664433683896;
const RB5 = -1025.0951316110772;
const RB6 = -483.5191916086514;
const SB1 = 30.33806074348246;
const SB2 = 325.7925129965739;
const SB3 = 1536.729586084437;
const SB4 = 3199.8582195085955;
const SB5 = 2553.0504064331644;
const SB6 = 474.52854120695537;
const SB7 = -22.44095244658582;

// fdlibm compares the high word of x; these are the same boundaries as numbers.
const ERF_SMALL = 2 ** -28; // 0x3e300000
const ERF_TINY = 2 ** -1015; // 0x00800000: below this, 8x avoids losing bits to subnormals
const ERFC_TINY = 2 ** -56; // 0x3c700000
const ONE_OVER_035_ERF = 2.8571434020996094; // 0x4006DB6E
const ONE_OVER_035_ERFC = 2.8571414947509766; // 0x4006DB6D

/** The small-argument rational fit (erf(x) - x)/x = P(z)/Q(z), z = x^2, for |x| < 0.84375. */
function smallRatio(z: number): number {
  const r = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
  const s = 1 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
  return r / s;
}

/** P1(s)/Q1(s) = erf(1 + s) - ERX for s = |x| - 1 in [-0.15625, 0.25]. */
function nearOneRatio(s: number): number {
  const p = PA0 + s * (PA1 + s * (PA2 + s * (PA3 + s * (PA4 + s * (PA5 + s * PA6)))));
  const q = 1 + s * (QA1 + s * (QA2 + s * (QA3 + s * (QA4 + s * (QA5 + s * QA6)))));
  return p / q;
}

/**
 * x * erfc(x) for ax = |x| in [1.25, 28): exp(-x^2 - 0.5625 + R/S). The square is split as
 * -x^2 = -z^2 + (z - x)(z + x) with z = x rounded to 24 bits, so z*z is exact and the large part of
 * the exponent carries no rounding error (fdlibm zeroes the low word; fround does the same job).
 */
function tailTimesX(ax: number, split: number): number {
  const s = 1 / (ax * ax);
  let r: number;
  let q: number;
  if (ax < split) {
    r = RA0 + s * (RA1 + s * (RA2 + s * (RA3 + s * (RA4 + s * (RA5 + s * (RA6 + s * RA7))))));
    q = 1 + s * (SA1 + s * (SA2 + s * (SA3 + s * (SA4 + s * (SA5 + s * (SA6 + s * (SA7 + s * SA8)))))));
  } else {
    r = RB0 + s * (RB1 + s * (RB2 + s * (RB3 + s * (RB4 + s * (RB5 + s * RB6)))));
    q = 1 + s * (SB1 + s * (SB2 + s * (SB3 + s * (SB4 + s * (SB5 + s * (SB6 + s * SB7))))));
  }
  const z = Math.fround(ax);
  return Math.exp(-z * z - 0.5625) * Math.exp((z - ax) * (z + ax) + r / q);
}

/** The error function erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt, below 1 ulp (fdlibm). */
export function erfScalar(x: number): number {
  if (Number.isNaN(x)) return x;
  const ax = Math.abs(x);
  if (ax < 0.84375) {
    if (ax < ERF_SMALL) {
      if (ax < ERF_TINY) return 0.125 * (8 * x + EFX8 * x);
      return x + EFX * x;
    }
    return x + x * smallRatio(x * x);
  }
  if (ax < 1.25) {
    const v = ERX + nearOneRatio(ax - 1);
    return x > 0 ? v : -v;
  }
  if (ax >= 6) return x > 0 ? 1 : -1; // 1 - erf(6) < 2^-53
  const v = 1 - tailTimesX(ax, ONE_OVER_035_ERF) / ax;
  return x > 0 ? v : -v;
}

/** The complementary error function 1 - erf(x), accurate in the right tail (no cancellation). */
export function erfcScalar(x: number): number {
  if (Number.isNaN(x)) return x;
  const ax = Math.abs(x);
  if (ax < 0.84375) {
    if (ax < ERFC_TINY) return 1 - x;
    const y = smallRatio(x * x);
    if (x < 0.25) return 1 - (x + x * y);
    return 0.5 - (x * y + (x - 0.5));
  }
  if (ax < 1.25) {
    const pq = nearOneRatio(ax - 1);
    return x > 0 ? 1 - ERX - pq : 1 + (ERX + pq);
  }
  if (ax < 28) {
    if (x < -6) return 2; // erfc(-6) = 2 - 2e-17, 2 in double
    const r = tailTimesX(ax, ONE_OVER_035_ERFC) / ax;
    return x > 0 ? r : 2 - r;
  }
  return x > 0 ? 0 : 2;
}

/** 1 / (1 + exp(-x)) without overflow: for x < 0 use exp(x) / (1 + exp(x)). */
export function sigmoidScalar(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * Exact GELU, x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (torch's default). Written with erfc,
 * 0.5 x erfc(-x / sqrt 2), so the left tail keeps its relative accuracy: torch's 1 + erf cancels and
 * returns 0 below x = -8, where the true value is about -5e-15 at x = -8.
 */
export function geluScalar(x: number): number {
  return 0.5 * x * erfcScalar(-x * Math.SQRT1_2);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * torch's approximate='tanh' GELU, 0.5 x (1 + tanh(u)) with u = sqrt(2/pi) (x + 0.044715 x^3),
 * evaluated as x * sigmoid(2u) (the same function: 1 + tanh(u) = 2 sigmoid(2u)) to avoid the
 * cancellation of 1 + tanh(u) for negative x.
 */
export function geluTanhScalar(x: number): number {
  const u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
  return x * sigmoidScalar(2 * u);
}
