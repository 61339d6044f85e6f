// Activation kernels for @normkit/tensor (AssemblyScript, 128-bit SIMD), driven by
// src/internal/wasm/activation-wasm.ts. Float32 data in memory, float64 arithmetic two lanes at a
// time (f64x2), each result rounded once to float32. Arguments are byte addresses of n contiguous
// float32 (o may be one of the inputs).
//
//   activation(op, x, o, n)         o = f(x):  GELU    x Phi(x)                       (lib/erf.ts)
//                                              GELU_T  x / (1 + exp(-2u)),  u = BETA (x + KAPPA x^3)
//                                              TANH    lib/tanh.ts
//   activationGrad(op, g, v, o, n)  o = g f'(.): GELU    g (Phi(x) + x phi(x))           v = x
//                                              GELU_T  g (h + 2 BETA x e s^2 (1 + 3 KAPPA x^2))
//                                              TANH    g (1 - y)(1 + y)                 v = y
//                                              SIGMOID g y (1 - y)                       v = y
// GELU_T with e = exp(-2|u|), s = 1 / (1 + e), h = (1 + tanh u) / 2 = s (u >= 0) or e s (u < 0):
// neither 1 + tanh(u) nor 1 - tanh(u)^2 is formed, so no cancellation (src/activation-grad.ts).
// Op codes are GradOp's / ActOp's values in src/internal/wasm/activation-wasm.ts.
import { normalCdfV } from './lib/erf';
import { expV } from './lib/exp';
import { at4 } from './lib/simd';
import { tanhV } from './lib/tanh';

const GELU = 0;
const GELU_T = 1;
const TANH = 2;
const SIGMOID = 3;

const BETA: f64 = 0.7978845608028654; // sqrt(2 / pi) (literals: a computed global needs a start function)
const KAPPA: f64 = 0.044715;
const INV_SQRT_2PI: f64 = 0.3989422804014327; // 1 / sqrt(2 pi)

function k(c: f64): v128 {
  return f64x2.splat(c);
}

/** u = BETA x (1 + KAPPA x^2) */
function geluTanhArg(x: v128): v128 {
  return f64x2.mul(f64x2.mul(x, k(BETA)), f64x2.add(k(1), f64x2.mul(f64x2.mul(x, x), k(KAPPA))));
}

function forward(op: i32, x: v128): v128 {
  if (op === GELU) return f64x2.mul(x, inline.always(normalCdfV(x)));
  if (op === GELU_T) {
    const u = inline.always(geluTanhArg(x));
    const e = inline.always(expV(f64x2.mul(f64x2.abs(u), k(-2))));
    const s = f64x2.div(k(1), f64x2.add(k(1), e));
    return f64x2.mul(x, v128.bitselect(s, f64x2.mul(e, s), f64x2.ge(u, k(0))));
  }
  return inline.always(tanhV(x));
}

function slope(op: i32, v: v128): v128 {
  if (op === GELU) {
    const pdf = f64x2.mul(inline.always(expV(f64x2.mul(f64x2.mul(v, v), k(-0.5)))), k(INV_SQRT_2PI));
    return f64x2.add(inline.always(normalCdfV(v)), f64x2.mul(v, pdf));
  }
  if (op === GELU_T) {
    const u = inline.always(geluTanhArg(v));
    const e = inline.always(expV(f64x2.mul(f64x2.abs(u), k(-2))));
    const s = f64x2.div(k(1), f64x2.add(k(1), e));
    const h = v128.bitselect(s, f64x2.mul(e, s), f64x2.ge(u, k(0)));
    const w = f64x2.mul(f64x2.mul(v, k(2 * BETA)), f64x2.mul(e, f64x2.mul(s, s)));
    return f64x2.add(h, f64x2.mul(w, f64x2.add(k(1), f64x2.mul(f64x2.mul(v, v), k(3 * KAPPA)))));
  }
  if (op === TANH) return f64x2.mul(f64x2.sub(k(1), v), f64x2.add(k(1), v));
  return f64x2.mul(v, f64x2.sub(k(1), v)); // SIGMOID
}

/** Four float32 widened to two float64x2, f applied to each, rounded back to one float32x4. */
function map4(op: i32, v: v128): v128 {
  const a = f32x4.demote_f64x2_zero(inline.always(forward(op, f64x2.promote_low_f32x4(v))));
  const b = f32x4.demote_f64x2_zero(
    inline.always(forward(op, f64x2.promote_low_f32x4(v128.shuffle<i64>(v, v, 1, 1)))),
  );
  return v128.shuffle<i64>(a, b, 0, 2);
}

/** g * f'(v) for four float32 pairs. */
function grad4(op: i32, g: v128, v: v128): v128 {
  const g1 = f64x2.promote_low_f32x4(v128.shuffle<i64>(g, g, 1, 1));
  const v1 = f64x2.promote_low_f32x4(v128.shuffle<i64>(v, v, 1, 1));
  const a = f64x2.mul(f64x2.promote_low_f32x4(g), inline.always(slope(op, f64x2.promote_low_f32x4(v))));
  const b = f64x2.mul(g1, inline.always(slope(op, v1)));
  return v128.shuffle<i64>(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 2);
}

/** Up to 3 float32 from p into a zero-padded vector (the loops' tails). */
function loadTail(p: usize, m: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (m >= 2) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (m >= 3) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}
function storeTail(p: usize, m: i32, r: v128): void {
  store<f32>(p, f32x4.extract_lane(r, 0));
  if (m >= 2) store<f32>(p, f32x4.extract_lane(r, 1), 4);
  if (m >= 3) store<f32>(p, f32x4.extract_lane(r, 2), 8);
}

function unaryLoop(op: i32, x: usize, o: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(at4(o, j), inline.always(map4(op, v128.load(at4(x, j)))));
  if (j < n) storeTail(at4(o, j), n - j, inline.always(map4(op, loadTail(at4(x, j), n - j))));
}

function gradLoop(op: i32, g: usize, v: usize, o: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    v128.store(at4(o, j), inline.always(grad4(op, v128.load(at4(g, j)), v128.load(at4(v, j)))));
  }
  if (j < n) {
    const r = inline.always(grad4(op, loadTail(at4(g, j), n - j), loadTail(at4(v, j), n - j)));
    storeTail(at4(o, j), n - j, r);
  }
}

/** o = f(x) over n contiguous float32; op GELU, GELU_T or TANH. */
export function activation(op: i32, x: usize, o: usize, n: i32): void {
  if (op === GELU) inline.always(unaryLoop(GELU, x, o, n));
  else if (op === GELU_T) inline.always(unaryLoop(GELU_T, x, o, n));
  else inline.always(unaryLoop(TANH, x, o, n));
}

/** o = g * f'(v) over n contiguous float32 pairs; op GELU, GELU_T (v = x), TANH or SIGMOID (v = y). */
export function activationGrad(op: i32, g: usize, v: usize, o: usize, n: i32): void {
  if (op === GELU) inline.always(gradLoop(GELU, g, v, o, n));
  else if (op === GELU_T) inline.always(gradLoop(GELU_T, g, v, o, n));
  else if (op === TANH) inline.always(gradLoop(TANH, g, v, o, n));
  else inline.always(gradLoop(SIGMOID, g, v, o, n));
}
