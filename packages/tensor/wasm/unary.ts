// Unary float32 kernels for @normkit/tensor (AssemblyScript, 128-bit SIMD), driven by
// src/internal/wasm/elementwise-wasm.ts. x and o: byte addresses of n contiguous float32 (o may be
// x). Op codes are UnOp's values in src/unary.ts.
//
// Numerics: neg, abs, square, reciprocal, sqrt, relu and clamp are exact float32 operations (equal
// to the JS kernels' float64 result rounded once, see elementwise.ts); rsqrt is 1 / sqrt(x) in
// float64 as in JS (bit-identical). exp is lib/exp.ts in float64, rounded once to float32.
import { expV } from './lib/exp';
import { at4 } from './lib/simd';

const NEG = 0;
const ABS = 1;
const SQUARE = 3;
const RECIPROCAL = 4;
const EXP = 5;
const SQRT = 9;
const RSQRT = 10;
const RELU = 15;
const CLAMP = 20;

function vop(op: i32, x: v128, lo: v128, hi: v128): v128 {
  if (op === NEG) return f32x4.neg(x);
  if (op === ABS) return f32x4.abs(x);
  if (op === SQUARE) return f32x4.mul(x, x);
  if (op === RECIPROCAL) return f32x4.div(f32x4.splat(1), x);
  if (op === SQRT) return f32x4.sqrt(x);
  if (op === RELU) return f32x4.max(x, f32x4.splat(0));
  return f32x4.min(f32x4.max(x, lo), hi); // CLAMP
}

function sop(op: i32, x: f32, lo: f32, hi: f32): f32 {
  if (op === NEG) return -x;
  if (op === ABS) return abs(x);
  if (op === SQUARE) return x * x;
  if (op === RECIPROCAL) return 1 / x;
  if (op === SQRT) return sqrt(x);
  if (op === RELU) return max(x, 0);
  return min(max(x, lo), hi);
}

function exact(op: i32, x: usize, o: usize, n: i32, p0: f32, p1: f32): void {
  const lo = f32x4.splat(p0);
  const hi = f32x4.splat(p1);
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const q = (<usize>j) << 2;
    v128.store(o + q, inline.always(vop(op, v128.load(x + q), lo, hi)));
    v128.store(o + q, inline.always(vop(op, v128.load(x + q, 16), lo, hi)), 16);
  }
  for (; j < n; j++) store<f32>(at4(o, j), inline.always(sop(op, load<f32>(at4(x, j)), p0, p1)));
}

/** Four float32 widened to two float64x2, f applied to each, rounded back to one float32x4. */
function map4(op: i32, v: v128): v128 {
  const lo = f64x2.promote_low_f32x4(v);
  const hi = f64x2.promote_low_f32x4(v128.shuffle<i64>(v, v, 1, 1));
  const a = f32x4.demote_f64x2_zero(
    op === EXP ? inline.always(expV(lo)) : f64x2.div(f64x2.splat(1), f64x2.sqrt(lo)),
  );
  const b = f32x4.demote_f64x2_zero(
    op === EXP ? inline.always(expV(hi)) : f64x2.div(f64x2.splat(1), f64x2.sqrt(hi)),
  );
  return v128.shuffle<i64>(a, b, 0, 2);
}

function widened(op: i32, x: usize, o: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(at4(o, j), inline.always(map4(op, v128.load(at4(x, j)))));
  if (j < n) {
    // the tail through a zero-padded vector (lanes past n are computed and dropped)
    let v = f32x4.splat(0);
    if (j + 1 <= n) v = f32x4.replace_lane(v, 0, load<f32>(at4(x, j)));
    if (j + 2 <= n) v = f32x4.replace_lane(v, 1, load<f32>(at4(x, j + 1)));
    if (j + 3 <= n) v = f32x4.replace_lane(v, 2, load<f32>(at4(x, j + 2)));
    const r = inline.always(map4(op, v));
    store<f32>(at4(o, j), f32x4.extract_lane(r, 0));
    if (j + 2 <= n) store<f32>(at4(o, j + 1), f32x4.extract_lane(r, 1));
    if (j + 3 <= n) store<f32>(at4(o, j + 2), f32x4.extract_lane(r, 2));
  }
}

/** o = f(x) over n contiguous float32; p0, p1 are clamp's bounds (float32 values). */
export function unary(op: i32, x: usize, o: usize, n: i32, p0: f64, p1: f64): void {
  const lo = <f32>p0;
  const hi = <f32>p1;
  switch (op) {
    case NEG:
      inline.always(exact(NEG, x, o, n, lo, hi));
      break;
    case ABS:
      inline.always(exact(ABS, x, o, n, lo, hi));
      break;
    case SQUARE:
      inline.always(exact(SQUARE, x, o, n, lo, hi));
      break;
    case RECIPROCAL:
      inline.always(exact(RECIPROCAL, x, o, n, lo, hi));
      break;
    case SQRT:
      inline.always(exact(SQRT, x, o, n, lo, hi));
      break;
    case RELU:
      inline.always(exact(RELU, x, o, n, lo, hi));
      break;
    case CLAMP:
      inline.always(exact(CLAMP, x, o, n, lo, hi));
      break;
    case EXP:
      inline.always(widened(EXP, x, o, n));
      break;
    case RSQRT:
      inline.always(widened(RSQRT, x, o, n));
      break;
  }
}

/** exp of n float64 at x into o (float64): the exp core on its own, for its accuracy tests. */
export function exp64(x: usize, o: usize, n: i32): void {
  let j = 0;
  for (; j + 2 <= n; j += 2)
    v128.store(o + ((<usize>j) << 3), inline.always(expV(v128.load(x + ((<usize>j) << 3)))));
  if (j < n) {
    const q = (<usize>j) << 3;
    store<f64>(o + q, f64x2.extract_lane(inline.always(expV(f64x2.splat(load<f64>(x + q)))), 0));
  }
}
