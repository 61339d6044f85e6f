// Shared helpers of @normkit/tensor's elementwise kernels (AssemblyScript, 128-bit SIMD). Arrays are
// float32 in memory; arguments are byte addresses; nothing is allocated.

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

/** A float64x2 rounded once to two float32, stored at p. */
export function store2(p: usize, v: v128): void {
  v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
}

/** lane 0 + lane 1 */
export function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}
