// Memory helpers of the DyT kernel: float32 data widened to float64 pairs (f64x2) and back, byte
// addresses of elements. Nothing is allocated.

/** Byte address of element i of a float32 array at p. */
export function at4(p: usize, i: i32): usize {
  return p + ((<usize>i) << 2);
}
/** Byte address of element i of a float64 array at p. */
export function at8(p: usize, i: i32): usize {
  return p + ((<usize>i) << 3);
}
/** Two float32 at p, widened exactly to float64x2. */
export function load2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}
/** One float32 at p in lane 0, lane 1 zero (the rows' odd last element). */
export function load1(p: usize): v128 {
  return f64x2.replace_lane(f64x2.splat(0), 0, <f64>load<f32>(p));
}
/** A float64x2 rounded once to two float32, stored at p. */
export function store2(p: usize, v: v128): void {
  v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
}
/** Lane 0 rounded once to float32, stored at p. */
export function store1(p: usize, v: v128): void {
  store<f32>(p, <f32>f64x2.extract_lane(v, 0));
}
/** lane 0 + lane 1 */
export function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}
/** v128 at p += v */
export function addTo(p: usize, v: v128): void {
  v128.store(p, f64x2.add(v128.load(p), v));
}
