// Elementwise float32 kernels for @normkit/tensor (AssemblyScript, 128-bit SIMD). Built by
// scripts/build-wasm.mjs into src/internal/wasm/elementwise.wasm.generated.ts; driven by
// src/internal/wasm/elementwise-wasm.ts. Every pointer is a byte address of contiguous float32 data
// in the shared memory; o may equal an input (in-place updates), other overlaps are the caller's
// business. Op codes are the JS enums' values (BinOp in internal/binary-kernels.ts, UnOp in unary.ts).
//
// Numerics: + - * / sqrt, max, min, neg, abs of float32 operands in float32 equal the JS kernels'
// float64 result rounded once (53 >= 2*24 + 2 makes the double rounding innocuous), so these run
// as f32x4 and are bit-identical to JS. Axpy (a + p*b, p a float64) runs in float64 with the JS
// kernel's operation order: bit-identical too.
import { at4, load2, store2 } from './lib/simd';

const ADD = 0;
const SUB = 1;
const MUL = 2;
const DIV = 3;
const MAX = 5;
const MIN = 6;
const AXPY = 13;
const RSUB = 15;
const RDIV = 16;

/** o = a op b over n elements (a and b float32x4 after `lanes` of op). */
function vop(op: i32, a: v128, b: v128): v128 {
  if (op === ADD) return f32x4.add(a, b);
  if (op === SUB) return f32x4.sub(a, b);
  if (op === MUL) return f32x4.mul(a, b);
  if (op === DIV) return f32x4.div(a, b);
  if (op === MAX) return f32x4.max(a, b);
  if (op === MIN) return f32x4.min(a, b);
  if (op === RSUB) return f32x4.sub(b, a);
  return f32x4.div(b, a); // RDIV
}

function sop(op: i32, a: f32, b: f32): f32 {
  if (op === ADD) return a + b;
  if (op === SUB) return a - b;
  if (op === MUL) return a * b;
  if (op === DIV) return a / b;
  if (op === MAX) return max(a, b);
  if (op === MIN) return min(a, b);
  if (op === RSUB) return b - a;
  return b / a; // RDIV
}

/** o[j] = a[j] op b[j] for one op known at compile time (each case below is its own loop). */
function same(op: i32, a: usize, b: usize, o: usize, n: i32): void {
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const p = (<usize>j) << 2;
    v128.store(o + p, inline.always(vop(op, v128.load(a + p), v128.load(b + p))));
    v128.store(o + p, inline.always(vop(op, v128.load(a + p, 16), v128.load(b + p, 16))), 16);
  }
  for (; j < n; j++)
    store<f32>(at4(o, j), inline.always(sop(op, load<f32>(at4(a, j)), load<f32>(at4(b, j)))));
}

/** o[j] = a[j] op s, s a float32 value. */
function withScalar(op: i32, a: usize, s: f32, o: usize, n: i32): void {
  const sv = f32x4.splat(s);
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const p = (<usize>j) << 2;
    v128.store(o + p, inline.always(vop(op, v128.load(a + p), sv)));
    v128.store(o + p, inline.always(vop(op, v128.load(a + p, 16), sv)), 16);
  }
  for (; j < n; j++) store<f32>(at4(o, j), inline.always(sop(op, load<f32>(at4(a, j)), s)));
}

/** o[j] = a[j] + p * b[j] in float64 (p * b rounded to float64 first, as the JS kernel). */
function axpy(a: usize, b: usize, o: usize, n: i32, p: f64): void {
  const pv = f64x2.splat(p);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const q = (<usize>j) << 2;
    store2(o + q, f64x2.add(load2(a + q), f64x2.mul(pv, load2(b + q))));
  }
  for (; j < n; j++) store<f32>(at4(o, j), <f32>(<f64>load<f32>(at4(a, j)) + p * <f64>load<f32>(at4(b, j))));
}

/** o[j] = a[j] + c in float64 (c = p * s formed in float64 by the caller, as the JS kernel). */
function addF64(a: usize, c: f64, o: usize, n: i32): void {
  const cv = f64x2.splat(c);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const q = (<usize>j) << 2;
    store2(o + q, f64x2.add(load2(a + q), cv));
  }
  for (; j < n; j++) store<f32>(at4(o, j), <f32>(<f64>load<f32>(at4(a, j)) + c));
}

/** Same-shape o = a op b over n contiguous elements; p is Axpy's factor. */
export function binary(op: i32, a: usize, b: usize, o: usize, n: i32, p: f64): void {
  switch (op) {
    case ADD:
      inline.always(same(ADD, a, b, o, n));
      break;
    case SUB:
      inline.always(same(SUB, a, b, o, n));
      break;
    case MUL:
      inline.always(same(MUL, a, b, o, n));
      break;
    case DIV:
      inline.always(same(DIV, a, b, o, n));
      break;
    case MAX:
      inline.always(same(MAX, a, b, o, n));
      break;
    case MIN:
      inline.always(same(MIN, a, b, o, n));
      break;
    case AXPY:
      axpy(a, b, o, n, p);
      break;
    case RSUB:
      inline.always(same(RSUB, a, b, o, n));
      break;
    case RDIV:
      inline.always(same(RDIV, a, b, o, n));
      break;
  }
}

/** o = a op s; s is float32-valued except for Axpy, where a + p*s is formed in float64. */
export function binaryScalar(op: i32, a: usize, s: f64, o: usize, n: i32, p: f64): void {
  const f = <f32>s;
  switch (op) {
    case ADD:
      inline.always(withScalar(ADD, a, f, o, n));
      break;
    case SUB:
      inline.always(withScalar(SUB, a, f, o, n));
      break;
    case MUL:
      inline.always(withScalar(MUL, a, f, o, n));
      break;
    case DIV:
      inline.always(withScalar(DIV, a, f, o, n));
      break;
    case MAX:
      inline.always(withScalar(MAX, a, f, o, n));
      break;
    case MIN:
      inline.always(withScalar(MIN, a, f, o, n));
      break;
    case AXPY:
      addF64(a, p * s, o, n);
      break;
    case RSUB:
      inline.always(withScalar(RSUB, a, f, o, n));
      break;
    case RDIV:
      inline.always(withScalar(RDIV, a, f, o, n));
      break;
  }
}

/**
 * Broadcast rows: a and o [rows, n], b [n] (a bias row): o[r, j] = a[r, j] op b[j]; with cols = 1,
 * b is [rows] (a column, as [.., T, T] * [.., T, 1]): o[r, j] = a[r, j] op b[r].
 */
export function binaryBroadcast(op: i32, a: usize, b: usize, o: usize, rows: i32, n: i32, cols: i32): void {
  const rowBytes = (<usize>n) << 2;
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * rowBytes;
    if (cols) binaryScalar(op, a + off, <f64>load<f32>(at4(b, r)), o + off, n, 0);
    else binary(op, a + off, b, o + off, n, 0);
  }
}
