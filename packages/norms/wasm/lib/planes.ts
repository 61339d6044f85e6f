// Loops over one contiguous float32 run (a (sample, channel) plane of S elements), float64
// arithmetic two lanes at a time, the scalar tail for the last odd element. Results of the
// reductions are left in the globals `red1`, `red2`.
import { at4, hsum, load2, store2 } from './simd';

export let red1: f64 = 0;
export let red2: f64 = 0;

/** red1 = sum(x) over [p, p + n). */
export function runSum(p: usize, n: i32): void {
  let s0 = f64x2.splat(0);
  let s1 = s0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 = f64x2.add(s0, load2(at4(p, i)));
    s1 = f64x2.add(s1, load2(at4(p, i) + 8));
  }
  let s = hsum(f64x2.add(s0, s1));
  for (; i < n; i++) s += <f64>load<f32>(at4(p, i));
  red1 = s;
}

/** red1 = sum(x - m), red2 = sum((x - m)^2) over [p, p + n). */
export function runDeviations(p: usize, n: i32, m: f64): void {
  const mv = f64x2.splat(m);
  let s0 = f64x2.splat(0);
  let s1 = s0;
  let q0 = s0;
  let q1 = s0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const d0 = f64x2.sub(load2(at4(p, i)), mv);
    const d1 = f64x2.sub(load2(at4(p, i) + 8), mv);
    s0 = f64x2.add(s0, d0);
    s1 = f64x2.add(s1, d1);
    q0 = f64x2.add(q0, f64x2.mul(d0, d0));
    q1 = f64x2.add(q1, f64x2.mul(d1, d1));
  }
  let s = hsum(f64x2.add(s0, s1));
  let q = hsum(f64x2.add(q0, q1));
  for (; i < n; i++) {
    const d = <f64>load<f32>(at4(p, i)) - m;
    s += d;
    q += d * d;
  }
  red1 = s;
  red2 = q;
}

/** red1 = sum(dy), red2 = sum(dy * (x - m)) over the runs at pdy and px. */
export function runGradSums(pdy: usize, px: usize, n: i32, m: f64): void {
  const mv = f64x2.splat(m);
  let s0 = f64x2.splat(0);
  let s1 = s0;
  let q0 = s0;
  let q1 = s0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const g0 = load2(at4(pdy, i));
    const g1 = load2(at4(pdy, i) + 8);
    s0 = f64x2.add(s0, g0);
    s1 = f64x2.add(s1, g1);
    q0 = f64x2.add(q0, f64x2.mul(g0, f64x2.sub(load2(at4(px, i)), mv)));
    q1 = f64x2.add(q1, f64x2.mul(g1, f64x2.sub(load2(at4(px, i) + 8), mv)));
  }
  let s = hsum(f64x2.add(s0, s1));
  let q = hsum(f64x2.add(q0, q1));
  for (; i < n; i++) {
    const g = <f64>load<f32>(at4(pdy, i));
    s += g;
    q += g * (<f64>load<f32>(at4(px, i)) - m);
  }
  red1 = s;
  red2 = q;
}

/** y = (x - m) * sc + sh over a run (sc = weight * rstd, sh = bias: one channel's affine). */
export function runAffine(px: usize, py: usize, n: i32, m: f64, sc: f64, sh: f64): void {
  const mv = f64x2.splat(m);
  const sv = f64x2.splat(sc);
  const hv = f64x2.splat(sh);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    store2(at4(py, i), f64x2.add(f64x2.mul(f64x2.sub(load2(at4(px, i)), mv), sv), hv));
    store2(at4(py, i) + 8, f64x2.add(f64x2.mul(f64x2.sub(load2(at4(px, i) + 8), mv), sv), hv));
  }
  for (; i < n; i++) store<f32>(at4(py, i), <f32>((<f64>load<f32>(at4(px, i)) - m) * sc + sh));
}

/**
 * dx = a * dy + ((x - m) * r) * k + b over a run (a = weight * rstd; k, b the group's terms of
 * the batch-statistics gradient). xhat is formed first, as in the JS kernel.
 */
export function runDx(
  pdy: usize,
  px: usize,
  pdx: usize,
  n: i32,
  a: f64,
  m: f64,
  r: f64,
  k: f64,
  b: f64,
): void {
  const av = f64x2.splat(a);
  const mv = f64x2.splat(m);
  const rv = f64x2.splat(r);
  const kv = f64x2.splat(k);
  const bv = f64x2.splat(b);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const xh = f64x2.mul(f64x2.sub(load2(at4(px, i)), mv), rv);
    store2(at4(pdx, i), f64x2.add(f64x2.add(f64x2.mul(av, load2(at4(pdy, i))), f64x2.mul(xh, kv)), bv));
  }
  for (; i < n; i++) {
    const xh = (<f64>load<f32>(at4(px, i)) - m) * r;
    store<f32>(at4(pdx, i), <f32>(a * <f64>load<f32>(at4(pdy, i)) + xh * k + b));
  }
}

/** dx = a * dy over a run (statistics given, not computed from x: BatchNorm eval). */
export function runScale(pdy: usize, pdx: usize, n: i32, a: f64): void {
  const av = f64x2.splat(a);
  let i = 0;
  for (; i + 2 <= n; i += 2) store2(at4(pdx, i), f64x2.mul(av, load2(at4(pdy, i))));
  for (; i < n; i++) store<f32>(at4(pdx, i), <f32>(a * <f64>load<f32>(at4(pdy, i))));
}
