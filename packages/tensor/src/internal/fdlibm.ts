/**
 * log, exp, sin and cos as fdlibm 5.3 computes them (Sun Microsystems, 1993; the code V8 ported as
 * base/ieee754.cc), in plain JS arithmetic: +, -, *, / and sqrt are correctly rounded IEEE
 * operations in every engine, so these give the same bits everywhere. The engines' Math.log /
 * Math.exp / Math.sin / Math.cos do not: Node 20 (V8 11.3) agrees with fdlibm, Chromium 156
 * differs in the last bit for ~7% of log, ~10% of exp and ~3% of sin/cos arguments (apps/browser-check found it through
 * float64 randn). The seeded generator (random.ts) uses these, so its normals are one stream on
 * every platform. Only the arguments the generator needs are handled fast; others are exact too
 * (sin/cos reduce |x| <= 2^19 pi/2 as fdlibm does, and defer larger |x| to Math).
 */

// high and low 32-bit words of a double (platform byte order checked once)
const f64 = new Float64Array(1);
// signed words: V8 keeps int32 in registers, while uint32 above 2^31 would be doubles
const u32 = new Int32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

function highWord(x: number): number {
  f64[0] = x;
  return u32[HI]!;
}

function withWords(hi: number, lo: number): number {
  u32[HI] = hi;
  u32[LO] = lo;
  return f64[0]!;
}

const LN2_HI = 0.6931471803691238; // 0x3fe62e42 fee00000
const LN2_LO = 1.9082149292705877e-10; // 0x3dea39ef 35793c76
const TWO54 = 18014398509481984;
const LG1 = 0.6666666666666735;
const LG2 = 0.3999999999940942;
const LG3 = 0.2857142874366239;
const LG4 = 0.22222198432149784;
const LG5 = 0.1818357216161805;
const LG6 = 0.15313837699209373;
const LG7 = 0.14798198605116586;

/**
 * fdlibm's __ieee754_log: x = 2^k (1 + f), sqrt(2)/2 < 1 + f < sqrt(2); log(1 + f) = 2s + s R(s^2)
 * with s = f / (2 + f) and R a degree-14 minimax polynomial; log(x) = k ln2 + log(1 + f) (< 1 ulp).
 */
export function log(x: number): number {
  f64[0] = x;
  let hx = u32[HI]!;
  const lx = u32[LO]!;
  let k = 0;
  if (hx < 0x00100000) {
    if (((hx & 0x7fffffff) | lx) === 0) return -Infinity; // log(+-0)
    if (hx < 0) return Number.NaN; // log(negative)
    k -= 54; // subnormal: scale up
    x *= TWO54;
    hx = highWord(x);
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i = (hx + 0x95f64) & 0x100000;
  f64[0] = x;
  x = withWords(hx | (i ^ 0x3ff00000), u32[LO]!); // normalize x or x / 2
  k += i >> 20;
  const f = x - 1;
  const dk = k;
  if ((0x000fffff & (2 + hx)) < 3) {
    // |f| < 2^-20
    if (f === 0) return k === 0 ? 0 : dk * LN2_HI + dk * LN2_LO;
    const R = f * f * (0.5 - 0.3333333333333333 * f);
    return k === 0 ? f - R : dk * LN2_HI - (R - dk * LN2_LO - f);
  }
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const R = t2 + t1;
  if (((hx - 0x6147a) | (0x6b851 - hx)) > 0) {
    const hfsq = 0.5 * f * f;
    return k === 0 ? f - (hfsq - s * (hfsq + R)) : dk * LN2_HI - (hfsq - (s * (hfsq + R) + dk * LN2_LO) - f);
  }
  return k === 0 ? f - s * (f - R) : dk * LN2_HI - (s * (f - R) - dk * LN2_LO - f);
}

const INVLN2 = Math.LOG2E; // 1 / ln 2 = 0x3ff71547 652b82fe (a constant: the same in every engine)
const P1 = 0.16666666666666602;
const P2 = -0.0027777777777015593;
const P3 = 0.00006613756321437934;
const P4 = -0.0000016533902205465252;
const P5 = 4.1381367970572385e-8;
const O_THRESHOLD = 709.782712893384; // 0x40862e42 fefa39ef
const U_THRESHOLD = -745.1332191019411; // 0xc0874910 d52d3051
const TWOM1000 = 9.332636185032189e-302; // 2^-1000
const TWO1023 = 8.98846567431158e307; // 2^1023

/**
 * fdlibm's __ieee754_exp as V8's base/ieee754.cc has it: x = k ln2 + r, |r| <= ln2 / 2,
 * exp(r) = 1 + r + r c(r) / (2 - c(r)) with c a degree-5 polynomial in r^2, times 2^k (< 1 ulp);
 * exp(1) returns E exactly as V8 does.
 */
export function exp(x: number): number {
  f64[0] = x;
  const word = u32[HI]!;
  const xsb = word >>> 31;
  const hx = word & 0x7fffffff;
  if (hx >= 0x40862e42) {
    // |x| >= 709.78...
    if (hx >= 0x7ff00000) return ((hx & 0xfffff) | u32[LO]!) !== 0 ? x + x : xsb === 0 ? x : 0;
    if (x > O_THRESHOLD) return Number.POSITIVE_INFINITY;
    if (x < U_THRESHOLD) return 0;
  }
  let hi = 0;
  let lo = 0;
  let k = 0;
  if (hx > 0x3fd62e42) {
    // |x| > ln2 / 2
    if (hx < 0x3ff0a2b2) {
      // and |x| < 1.5 ln2
      if (x === 1) return Math.E;
      hi = x - (xsb ? -LN2_HI : LN2_HI);
      lo = xsb ? -LN2_LO : LN2_LO;
      k = 1 - xsb - xsb;
    } else {
      k = (INVLN2 * x + (xsb ? -0.5 : 0.5)) | 0;
      hi = x - k * LN2_HI; // exact
      lo = k * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) return 1 + x; // |x| < 2^-28
  const t = x * x;
  const twopk = withWords(k >= -1021 ? 0x3ff00000 + (k << 20) : 0x3ff00000 + ((k + 1000) << 20), 0);
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k === 0) return 1 - ((x * c) / (c - 2) - x);
  const y = 1 - (lo - (x * c) / (2 - c) - hi);
  if (k >= -1021) return k === 1024 ? y * 2 * TWO1023 : y * twopk;
  return y * twopk * TWOM1000;
}

const S1 = -0.16666666666666632;
const S2 = 0.00833333333332249;
const S3 = -0.0001984126982985795;
const S4 = 0.0000027557313707070068;
const S5 = -2.5050760253406863e-8;
const S6 = 1.58969099521155e-10;

/**
 * fdlibm's __kernel_sin on [-pi/4, pi/4]: x + y is the reduced argument (y its tail, iy: y != 0),
 * ix the high word of |x| (the callers have it)
 */
function kernelSin(x: number, y: number, iy: boolean, ix: number): number {
  if (ix < 0x3e400000 && (x | 0) === 0) return x; // |x| < 2^-27
  const z = x * x;
  const v = z * x;
  const r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  return iy ? x - (z * (0.5 * y - v * r) - y - v * S1) : x + v * (S1 + z * r);
}

const C1 = 0.0416666666666666;
const C2 = -0.001388888888887411;
const C3 = 0.00002480158728947673;
const C4 = -2.7557314351390663e-7;
const C5 = 2.087572321298175e-9;
const C6 = -1.1359647557788195e-11;

/** fdlibm's __kernel_cos on [-pi/4, pi/4] (ix: the high word of |x|) */
function kernelCos(x: number, y: number, ix: number): number {
  if (ix < 0x3e400000 && (x | 0) === 0) return 1; // |x| < 2^-27
  const z = x * x;
  const r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  if (ix < 0x3fd33333) return 1 - (0.5 * z - (z * r - x * y)); // |x| < 0.3
  const qx = ix > 0x3fe90000 ? 0.28125 : withWords(ix - 0x00200000, 0); // x / 4
  const hz = 0.5 * z - qx;
  const a = 1 - qx;
  return a - (hz - (z * r - x * y));
}

const INVPIO2 = 0.6366197723675814;
const PIO2_1 = 1.5707963267341256; // first 33 bits of pi/2
const PIO2_1T = 6.077100506506192e-11; // pi/2 - PIO2_1
const PIO2_2 = 6.077100506303966e-11; // second 33 bits
const PIO2_2T = 2.0222662487959506e-21;
const PIO2_3 = 2.0222662487111665e-21; // third 33 bits
const PIO2_3T = 8.4784276603689e-32;
/** high words of n pi / 2, n = 1..32 (fdlibm's npio2_hw) */
const NPIO2_HW = [
  0x3ff921fb, 0x400921fb, 0x4012d97c, 0x401921fb, 0x401f6a7a, 0x4022d97c, 0x4025fdbb, 0x402921fb, 0x402c463a,
  0x402f6a7a, 0x4031475c, 0x4032d97c, 0x40346b9c, 0x4035fdbb, 0x40378fdb, 0x403921fb, 0x403ab41b, 0x403c463a,
  0x403dd85a, 0x403f6a7a, 0x40407e4c, 0x4041475c, 0x4042106c, 0x4042d97c, 0x4043a28c, 0x40446b9c, 0x404534ac,
  0x4045fdbb, 0x4046c6cb, 0x40478fdb, 0x404858eb, 0x404921fb,
];

/**
 * The reduced argument of the last reduce(): x = n pi/2 + (y[0] + y[1]). A typed array, not two
 * module-level numbers: V8 (Node 20) boxes a double stored in a module variable, one allocation per
 * store (it made randn 3x slower).
 */
const y = new Float64Array(2);

/** fdlibm's __ieee754_rem_pio2 for pi/4 < |x| <= 2^19 pi/2: returns n (y0, y1 set). */
function reduce(x: number): number {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix < 0x4002d97c) {
    // |x| < 3pi/4: n = +-1
    const sign = hx > 0 ? 1 : -1;
    let z = x - sign * PIO2_1;
    if (ix !== 0x3ff921fb) {
      y[0] = z - sign * PIO2_1T;
      y[1] = z - y[0]! - sign * PIO2_1T;
    } else {
      // near pi/2: 33 + 33 + 53 bits of pi
      z -= sign * PIO2_2;
      y[0] = z - sign * PIO2_2T;
      y[1] = z - y[0]! - sign * PIO2_2T;
    }
    return sign;
  }
  const t = Math.abs(x);
  const n = (t * INVPIO2 + 0.5) | 0;
  const fn = n;
  let r = t - fn * PIO2_1;
  let w = fn * PIO2_1T; // good to 85 bits
  if (n < 32 && ix !== NPIO2_HW[n - 1]) y[0] = r - w;
  else {
    const j = ix >> 20;
    y[0] = r - w;
    if (j - ((highWord(y[0]!) >> 20) & 0x7ff) > 16) {
      // second iteration, good to 118 bits
      let tt = r;
      w = fn * PIO2_2;
      r = tt - w;
      w = fn * PIO2_2T - (tt - r - w);
      y[0] = r - w;
      if (j - ((highWord(y[0]!) >> 20) & 0x7ff) > 49) {
        // third iteration, 151 bits
        tt = r;
        w = fn * PIO2_3;
        r = tt - w;
        w = fn * PIO2_3T - (tt - r - w);
        y[0] = r - w;
      }
    }
  }
  y[1] = r - y[0]! - w;
  if (hx < 0) {
    y[0] = -y[0]!;
    y[1] = -y[1]!;
    return -n;
  }
  return n;
}

/**
 * sin of the reduced argument n pi/2 + (y[0] + y[1]) (the last reduce()): by quadrant sin, cos,
 * -sin, -cos of the remainder; cos(x) is the quadrant after sin's (cos t = sin(t + pi/2)).
 */
function fromQuadrant(n: number): number {
  const iy = highWord(y[0]!) & 0x7fffffff;
  switch (n & 3) {
    case 0:
      return kernelSin(y[0]!, y[1]!, true, iy);
    case 1:
      return kernelCos(y[0]!, y[1]!, iy);
    case 2:
      return -kernelSin(y[0]!, y[1]!, true, iy);
    default:
      return -kernelCos(y[0]!, y[1]!, iy);
  }
}

/** fdlibm's sin (< 1 ulp); |x| > 2^19 pi/2 (never from the generator) is left to Math.sin. */
export function sin(x: number): number {
  const ix = highWord(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return kernelSin(x, 0, false, ix);
  if (ix >= 0x7ff00000) return Number.NaN;
  if (ix > 0x413921fb) return Math.sin(x);
  return fromQuadrant(reduce(x));
}

/** fdlibm's cos (< 1 ulp); |x| > 2^19 pi/2 is left to Math.cos. */
export function cos(x: number): number {
  const ix = highWord(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return kernelCos(x, 0, ix);
  if (ix >= 0x7ff00000) return Number.NaN;
  if (ix > 0x413921fb) return Math.cos(x);
  return fromQuadrant(reduce(x) + 1);
}

/**
 * sin(x) and cos(x) into out[0], out[1], bit for bit the values of sin() and cos() above, with
 * one argument reduction and one kernel of each for both (the generator's Box-Muller needs the pair).
 */
export function sincos(x: number, out: Float64Array): void {
  const ix = highWord(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) {
    out[0] = kernelSin(x, 0, false, ix);
    out[1] = kernelCos(x, 0, ix);
    return;
  }
  if (ix >= 0x7ff00000 || ix > 0x413921fb) {
    out[0] = sin(x);
    out[1] = cos(x);
    return;
  }
  const n = reduce(x) & 3;
  const iy = highWord(y[0]!) & 0x7fffffff;
  const s = kernelSin(y[0]!, y[1]!, true, iy);
  const c = kernelCos(y[0]!, y[1]!, iy);
  // fromQuadrant's table for n (sin) and n + 1 (cos)
  out[0] = n === 0 ? s : n === 1 ? c : n === 2 ? -s : -c;
  out[1] = n === 0 ? c : n === 1 ? -s : n === 2 ? -c : s;
}

/**
 * log, exp, sin and cos that give the same bits in every JavaScript engine (fdlibm's algorithms
 * in plain arithmetic; Math's differ in the last bit between engines). For code whose results
 * must not depend on the runtime: the seeded generator, seeded initializers.
 */
export const fdlibm = Object.freeze({ log, exp, sin, cos });
