// exp in float64, two lanes at a time (f64x2), for the kernels that need exp of float32 data (exp,
// softmax, GELU). Math.exp is a call per element in V8; this is ~20 vector instructions per pair.
//
// Method (as fdlibm's e_exp.c, with a polynomial instead of its rational form):
//   k = round(x / ln 2)                   by the 1.5 * 2^52 trick: x/ln2 + SHIFT has k in its low bits
//   r = x - k ln2_hi - k ln2_lo           Cody-Waite: k ln2_hi is exact (ln2_hi has 32 bits) for |k| < 2^21
//   exp(r) = sum_{i<=13} r^i / i!         |r| <= ln2/2; the first omitted term is < 4e-18 exp(r);
//                                         evaluated as 1 + (r + r^2 Q(r)) with Q by Estrin's scheme
//   exp(x) = exp(r) * 2^k1 * 2^k2         k1 = k >> 1, k2 = k - k1: each factor a normal double, so
//                                         the last product rounds once, also into subnormals and +inf
// x is first clamped to [-1100, 1100] (beyond, exp is 0 or +inf in float64 anyway) by compares
// that let a NaN through, so NaN stays NaN, +-Infinity give +inf and 0.
// Accuracy (src/wasm/exp-wasm.test.ts): within 1 ulp (float64) of Math.exp for normal results over
// a 200k-point sweep of [-745.2, 709.8]; float32 results within 1 ulp of Math.fround(Math.exp(x))
// (identical on all of ~1M float32 inputs sampled across the whole range).

const LOG2E: f64 = Math.LOG2E;
const LN2_HI: f64 = 0.6931471803691238; // 0x3fe62e42fee00000
const LN2_LO: f64 = 1.9082149292705877e-10; // 0x3dea39ef35793c76
const SHIFT: f64 = 6755399441055744.0; // 1.5 * 2^52
const LIMIT: f64 = 1100;

// 1/i! for i = 2..13
const C2: f64 = 0.5;
const C3: f64 = 1.0 / 6.0;
const C4: f64 = 1.0 / 24.0;
const C5: f64 = 1.0 / 120.0;
const C6: f64 = 1.0 / 720.0;
const C7: f64 = 1.0 / 5040.0;
const C8: f64 = 1.0 / 40320.0;
const C9: f64 = 1.0 / 362880.0;
const C10: f64 = 1.0 / 3628800.0;
const C11: f64 = 1.0 / 39916800.0;
const C12: f64 = 1.0 / 479001600.0;
const C13: f64 = 1.0 / 6227020800.0;

function madd(a: v128, b: v128, c: f64): v128 {
  return f64x2.add(f64x2.mul(a, b), f64x2.splat(c));
}

/** exp of both lanes of x (float64x2). */
export function expV(x: v128): v128 {
  // pmin(x, L) = L < x ? L : x and pmax(x, -L) = x < -L ? -L : x keep a NaN x (one instruction
  // each on x64; the IEEE min/max are emulated)
  x = f64x2.pmax(f64x2.pmin(x, f64x2.splat(LIMIT)), f64x2.splat(-LIMIT));
  const kd = f64x2.add(f64x2.mul(x, f64x2.splat(LOG2E)), f64x2.splat(SHIFT));
  const k = f64x2.sub(kd, f64x2.splat(SHIFT));
  const r = f64x2.sub(f64x2.sub(x, f64x2.mul(k, f64x2.splat(LN2_HI))), f64x2.mul(k, f64x2.splat(LN2_LO)));
  // exp(r) = 1 + (r + r^2 Q(r)), Q = C2 + C3 r + ... + C13 r^11 by Estrin's scheme: a dependency
  // chain of 5 multiply-adds instead of Horner's 12 (the loop is latency-bound otherwise)
  const r2 = f64x2.mul(r, r);
  const r4 = f64x2.mul(r2, r2);
  const q23 = inline.always(madd(r, f64x2.splat(C3), C2));
  const q45 = inline.always(madd(r, f64x2.splat(C5), C4));
  const q67 = inline.always(madd(r, f64x2.splat(C7), C6));
  const q89 = inline.always(madd(r, f64x2.splat(C9), C8));
  const q1011 = inline.always(madd(r, f64x2.splat(C11), C10));
  const q1213 = inline.always(madd(r, f64x2.splat(C13), C12));
  const q47 = f64x2.add(q45, f64x2.mul(r2, q67));
  const q811 = f64x2.add(q89, f64x2.mul(r2, q1011));
  const q813 = f64x2.add(q811, f64x2.mul(r4, q1213));
  const q = f64x2.add(q23, f64x2.mul(r2, f64x2.add(q47, f64x2.mul(r4, q813))));
  const p = f64x2.add(f64x2.splat(1), f64x2.add(r, f64x2.mul(r2, q)));
  // k as an integer: kd's bits are SHIFT's bits + k while |k| < 2^51
  const ki = i64x2.sub(kd, f64x2.splat(SHIFT));
  const k1 = i64x2.shr_s(ki, 1);
  const k2 = i64x2.sub(ki, k1);
  const bias = i64x2.splat(1023);
  const s1 = i64x2.shl(i64x2.add(k1, bias), 52);
  const s2 = i64x2.shl(i64x2.add(k2, bias), 52);
  return f64x2.mul(f64x2.mul(p, s1), s2);
}

/** exp of one float64 (the scalar tails): lane 0 of expV. */
export function exp1(x: f64): f64 {
  return f64x2.extract_lane(inline.always(expV(f64x2.splat(x))), 0);
}
