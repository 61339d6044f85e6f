// Shared helpers of the norm kernels (AssemblyScript, 128-bit SIMD). Data is float32 in memory;
// every sum and every product that reaches an output is computed in float64 (f64x2: two lanes),
// so a result is the float64 value rounded once to float32, as in the JS kernels.

/** Two float32 at p, widened exactly to float64x2. */
export function load2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** A float64x2 rounded to two float32 and stored at p. */
export function store2(p: usize, v: v128): void {
  v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
}

/** lane 0 + lane 1 */
export function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Byte address of element i of a float32 array at p. */
export function at4(p: usize, i: i32): usize {
  return p + ((<usize>i) << 2);
}

/** Byte address of element i of a float64 array at p. */
export function at8(p: usize, i: i32): usize {
  return p + ((<usize>i) << 3);
}

/** float64 copies of n float32 values (weights, biases: read many times per call as float64). */
export function widen(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f64>(at8(dst, i), <f64>load<f32>(at4(src, i)));
}

/** n float64 zeros at p. */
export function zero64(p: usize, n: i32): void {
  memory.fill(p, 0, (<usize>n) << 3);
}

/** dst[i] += src[i] over n float64. */
export function add64(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 2 <= n; i += 2)
    v128.store(at8(dst, i), f64x2.add(v128.load(at8(dst, i)), v128.load(at8(src, i))));
  for (; i < n; i++) store<f64>(at8(dst, i), load<f64>(at8(dst, i)) + load<f64>(at8(src, i)));
}

/** n float64 values at src rounded to float32 at dst. */
export function narrow(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at4(dst, i), <f32>load<f64>(at8(src, i)));
}
