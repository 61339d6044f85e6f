// Sum reductions of contiguous float32 data for @normkit/tensor (AssemblyScript, 128-bit SIMD).
// Built by scripts/build-wasm.mjs into src/internal/wasm/reduce.wasm.generated.ts; driven by
// src/internal/wasm/reduce-wasm.ts. x, o: byte addresses of float32 arrays (o may not overlap x).
// Results are o = f32(s / divisor), s the float64 sum (divisor 1 for sum, the count for mean).
//
// Numerics: every float32 element is widened exactly to float64 and summed in float64 in exactly
// the order of the JS kernel (src/internal/reduce-kernels.ts), so the results are bit-identical:
// - sumRows, a row of n elements: eight running sums s_k over j = k (mod 8), 0 <= j < 8*floor(n/8),
//   combined as ((s0 + s2) + (s4 + s6)) + ((s1 + s3) + (s5 + s7)), then the tail j >= 8*floor(n/8)
//   added one by one. In SIMD: s_k is lane k % 2 of accumulator k / 2; the combine is
//   (acc0 + acc1) + (acc2 + acc3) lane-wise, then lane 0 + lane 1.
// - sumCols, [R, N] -> [N]: each column summed over the rows in row order, one lane per column.
import { at4, load2, store2 } from './lib/simd';

/** o[r] = f32(sum_j x[r, j] / divisor) for r < rows; x is [rows, n] row-major. */
export function sumRows(x: usize, o: usize, rows: i32, n: i32, divisor: f64): void {
  const rowBytes = (<usize>n) << 2;
  const n8 = n & ~7;
  for (let r = 0; r < rows; r++, x += rowBytes) {
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    let a2 = f64x2.splat(0);
    let a3 = f64x2.splat(0);
    for (let j = 0; j < n8; j += 8) {
      const p = at4(x, j);
      a0 = f64x2.add(a0, load2(p));
      a1 = f64x2.add(a1, load2(p + 8));
      a2 = f64x2.add(a2, load2(p + 16));
      a3 = f64x2.add(a3, load2(p + 24));
    }
    const c = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
    let s = f64x2.extract_lane(c, 0) + f64x2.extract_lane(c, 1);
    for (let j = n8; j < n; j++) s += <f64>load<f32>(at4(x, j));
    store<f32>(at4(o, r), <f32>(s / divisor));
  }
}

/** o[j] = f32(sum_r x[r, j] / divisor) for j < cols; x is [rows, cols] row-major. */
export function sumCols(x: usize, o: usize, rows: i32, cols: i32, divisor: f64): void {
  const rowBytes = (<usize>cols) << 2;
  const d = f64x2.splat(divisor);
  let j = 0;
  // 16 columns (one 64-byte cache line of a row) per pass, eight float64x2 sums in registers
  for (; j + 16 <= cols; j += 16) {
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    let a2 = f64x2.splat(0);
    let a3 = f64x2.splat(0);
    let a4 = f64x2.splat(0);
    let a5 = f64x2.splat(0);
    let a6 = f64x2.splat(0);
    let a7 = f64x2.splat(0);
    let p = at4(x, j);
    for (let r = 0; r < rows; r++, p += rowBytes) {
      a0 = f64x2.add(a0, load2(p));
      a1 = f64x2.add(a1, load2(p + 8));
      a2 = f64x2.add(a2, load2(p + 16));
      a3 = f64x2.add(a3, load2(p + 24));
      a4 = f64x2.add(a4, load2(p + 32));
      a5 = f64x2.add(a5, load2(p + 40));
      a6 = f64x2.add(a6, load2(p + 48));
      a7 = f64x2.add(a7, load2(p + 56));
    }
    const q = at4(o, j);
    store2(q, f64x2.div(a0, d));
    store2(q + 8, f64x2.div(a1, d));
    store2(q + 16, f64x2.div(a2, d));
    store2(q + 24, f64x2.div(a3, d));
    store2(q + 32, f64x2.div(a4, d));
    store2(q + 40, f64x2.div(a5, d));
    store2(q + 48, f64x2.div(a6, d));
    store2(q + 56, f64x2.div(a7, d));
  }
  for (; j + 2 <= cols; j += 2) {
    let a = f64x2.splat(0);
    let p = at4(x, j);
    for (let r = 0; r < rows; r++, p += rowBytes) a = f64x2.add(a, load2(p));
    store2(at4(o, j), f64x2.div(a, d));
  }
  if (j < cols) {
    let s: f64 = 0;
    let p = at4(x, j);
    for (let r = 0; r < rows; r++, p += rowBytes) s += <f64>load<f32>(p);
    store<f32>(at4(o, j), <f32>(s / divisor));
  }
}
