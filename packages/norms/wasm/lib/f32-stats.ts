// Row sums of the 'high' precision kernels (wasm/row-norms-f32.ts), float32 lanes blocked into
// float64: within a block of 32 values each lane adds its 8 terms as a depth-3 tree in float32
// (f32x4), then the block's four lane sums are widened exactly and added into float64
// accumulators. So a float32 rounding error reaches a term at most 3 times:
//   |computed - exact| <= 3 u * sum|terms| + (float64 roundings, ~n 2^-53 relative),  u = 2^-24,
// whatever the row length (a plain float32 loop would give (n / 4) u). Whole vectors after the
// last block are widened one by one (depth 0), scalar tails are added in float64.
import { at4 } from './simd';

// The domain of the float32-lane analysis (wasm/row-norms-f32.ts): rows outside it fall back.
/** sum(d^2) / n below this: float32 squares may have underflowed (std < ~1e-15): fall back */
export const TINY: f64 = 7.888609052210118e-31; // 2^-100
/** rstd, k, c outside [2^-100, 2^100]: not safely a normal float32 in products: fall back */
export const LOW: f64 = 7.888609052210118e-31; // 2^-100
export const HIGH: f64 = 1.2676506002282294e30; // 2^100
/** |mean| / std above 2^22: the two-float32 mean would move xhat by more than u / 4: fall back */
export const RATIO2: f64 = 17592186044416; // (2^22)^2

/** results of devSums: sum(d), sum(d^2) */
export let sumD: f64 = 0;
export let sumDD: f64 = 0;

/** float32 lanes 0, 1 of v as float64x2 (exact) */
export function lo(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

/** float32 lanes 2, 3 of v as float64x2 (exact) */
export function hi(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/** lane 0 + lane 1 of a + b */
export function total(a: v128, b: v128): f64 {
  const s = f64x2.add(a, b);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

/** sum of the n float32 at p (the shift of LayerNorm's statistics pass). */
export function sum32(p: usize, n: i32): f64 {
  let a0 = f64x2.splat(0);
  let a1 = a0;
  let i = 0;
  for (; i + 32 <= n; i += 32) {
    const q = at4(p, i);
    const t0 = f32x4.add(
      f32x4.add(v128.load(q), v128.load(q, 16)),
      f32x4.add(v128.load(q, 32), v128.load(q, 48)),
    );
    const t1 = f32x4.add(
      f32x4.add(v128.load(q, 64), v128.load(q, 80)),
      f32x4.add(v128.load(q, 96), v128.load(q, 112)),
    );
    const t = f32x4.add(t0, t1);
    a0 = f64x2.add(a0, lo(t));
    a1 = f64x2.add(a1, hi(t));
  }
  for (; i + 4 <= n; i += 4) {
    const t = v128.load(at4(p, i));
    a0 = f64x2.add(a0, lo(t));
    a1 = f64x2.add(a1, hi(t));
  }
  let s = total(a0, a1);
  for (; i < n; i++) s += <f64>load<f32>(at4(p, i));
  return s;
}

/** d = x - k in float32 lanes (shifted), or x */
function dev(p: usize, o: usize, k: v128, shifted: bool): v128 {
  const x = v128.load(p + o);
  return shifted ? f32x4.sub(x, k) : x;
}

/**
 * sumD = sum(d), sumDD = sum(d^2) over the n float32 at p, d = x - k in float32 for a float32 shift
 * k (shifted: exact by Sterbenz's lemma when x is within a factor 2 of k, else rounded once, within
 * u |d|), or d = x (k = 0: nothing to subtract). Without `summed` (RMSNorm) sumD is not computed.
 * Inlined with constant `shifted` and `summed`.
 */
export function devSums(p: usize, n: i32, kf: f32, shifted: bool, summed: bool): void {
  const k = f32x4.splat(kf);
  let s0 = f64x2.splat(0);
  let s1 = s0;
  let q0 = s0;
  let q1 = s0;
  let i = 0;
  for (; i + 32 <= n; i += 32) {
    const q = at4(p, i);
    let d0 = dev(q, 0, k, shifted);
    let d1 = dev(q, 16, k, shifted);
    let d2 = dev(q, 32, k, shifted);
    let d3 = dev(q, 48, k, shifted);
    const ta = summed ? f32x4.add(f32x4.add(d0, d1), f32x4.add(d2, d3)) : d0;
    const ua = f32x4.add(
      f32x4.add(f32x4.mul(d0, d0), f32x4.mul(d1, d1)),
      f32x4.add(f32x4.mul(d2, d2), f32x4.mul(d3, d3)),
    );
    d0 = dev(q, 64, k, shifted);
    d1 = dev(q, 80, k, shifted);
    d2 = dev(q, 96, k, shifted);
    d3 = dev(q, 112, k, shifted);
    const u = f32x4.add(
      ua,
      f32x4.add(
        f32x4.add(f32x4.mul(d0, d0), f32x4.mul(d1, d1)),
        f32x4.add(f32x4.mul(d2, d2), f32x4.mul(d3, d3)),
      ),
    );
    q0 = f64x2.add(q0, lo(u));
    q1 = f64x2.add(q1, hi(u));
    if (summed) {
      const t = f32x4.add(ta, f32x4.add(f32x4.add(d0, d1), f32x4.add(d2, d3)));
      s0 = f64x2.add(s0, lo(t));
      s1 = f64x2.add(s1, hi(t));
    }
  }
  for (; i + 4 <= n; i += 4) {
    const d = dev(at4(p, i), 0, k, shifted);
    const u = f32x4.mul(d, d);
    q0 = f64x2.add(q0, lo(u));
    q1 = f64x2.add(q1, hi(u));
    if (summed) {
      s0 = f64x2.add(s0, lo(d));
      s1 = f64x2.add(s1, hi(d));
    }
  }
  let t1 = total(s0, s1);
  let t2 = total(q0, q1);
  for (; i < n; i++) {
    const x = load<f32>(at4(p, i));
    const d = shifted ? x - kf : x;
    t1 += <f64>d;
    t2 += <f64>(d * d);
  }
  sumD = t1;
  sumDD = t2;
}
