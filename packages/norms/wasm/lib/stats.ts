// Statistics of one contiguous float32 run (a LayerNorm/RMSNorm row, a GroupNorm group), in
// float64. Results are left in the globals below (a function returns one value; these are wasm
// globals, not memory).
import { at4, at8, hsum, load2 } from './simd';

/** mean of the run (LayerNorm; 0 for RMSNorm) */
export let statMean: f64 = 0;
/** biased variance (mean(x^2) for RMSNorm), >= 0 */
export let statVar: f64 = 0;
/** 1 / sqrt(var + eps), or 0 when var + eps === 0 (normkit's convention: xhat = 0, y = bias) */
export let statRstd: f64 = 0;

/** sum and sum of squares (or sum of deviations and of their squares) of the last pass */
let acc1: f64 = 0;
let acc2: f64 = 0;

/**
 * acc1 = sum(x - k), acc2 = sum((x - k)^2) over n values, eight at a time: pairs are added before
 * they reach two float64x2 accumulators each (few dependent adds, and few enough registers that
 * V8 keeps everything in the 16 xmm registers: eight accumulators spilled and cost ~30%). Without
 * `shifted`, k = 0 and nothing is subtracted. The values are the float32 at p, or with `wide` the
 * float64 at p (a row cached by an earlier pass). `cache` (not 0): also store the values widened
 * to float64 there, so later passes skip the conversion. shifted/wide/caching are constants at
 * every call site, inlined (inline.always), so each copy keeps only its own loop.
 */
function sums(p: usize, n: i32, k: f64, shifted: bool, wide: bool, cache: usize, caching: bool): void {
  const kv = f64x2.splat(k);
  let s0 = f64x2.splat(0);
  let s1 = s0;
  let q0 = s0;
  let q1 = s0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    let v0: v128;
    let v1: v128;
    let v2: v128;
    let v3: v128;
    if (wide) {
      const a = at8(p, i);
      v0 = v128.load(a);
      v1 = v128.load(a, 16);
      v2 = v128.load(a, 32);
      v3 = v128.load(a, 48);
    } else {
      const a = at4(p, i);
      v0 = load2(a);
      v1 = load2(a + 8);
      v2 = load2(a + 16);
      v3 = load2(a + 24);
    }
    if (caching) {
      const c = at8(cache, i);
      v128.store(c, v0);
      v128.store(c, v1, 16);
      v128.store(c, v2, 32);
      v128.store(c, v3, 48);
    }
    const d0 = shifted ? f64x2.sub(v0, kv) : v0;
    const d1 = shifted ? f64x2.sub(v1, kv) : v1;
    const d2 = shifted ? f64x2.sub(v2, kv) : v2;
    const d3 = shifted ? f64x2.sub(v3, kv) : v3;
    s0 = f64x2.add(s0, f64x2.add(d0, d2));
    s1 = f64x2.add(s1, f64x2.add(d1, d3));
    q0 = f64x2.add(q0, f64x2.add(f64x2.mul(d0, d0), f64x2.mul(d2, d2)));
    q1 = f64x2.add(q1, f64x2.add(f64x2.mul(d1, d1), f64x2.mul(d3, d3)));
  }
  let t1 = hsum(f64x2.add(s0, s1));
  let t2 = hsum(f64x2.add(q0, q1));
  for (; i < n; i++) {
    const v = wide ? load<f64>(at8(p, i)) : <f64>load<f32>(at4(p, i));
    if (caching) store<f64>(at8(cache, i), v);
    const d = shifted ? v - k : v;
    t1 += d;
    t2 += d * d;
  }
  acc1 = t1;
  acc2 = t2;
}

/** acc2 = sum(x^2) over the n float32 at p (RMSNorm), caching them as float64 when asked. */
function squares(p: usize, n: i32, cache: usize, caching: bool): void {
  let q0 = f64x2.splat(0);
  let q1 = q0;
  let q2 = q0;
  let q3 = q0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const a = at4(p, i);
    const d0 = load2(a);
    const d1 = load2(a + 8);
    const d2 = load2(a + 16);
    const d3 = load2(a + 24);
    if (caching) {
      const c = at8(cache, i);
      v128.store(c, d0);
      v128.store(c, d1, 16);
      v128.store(c, d2, 32);
      v128.store(c, d3, 48);
    }
    q0 = f64x2.add(q0, f64x2.mul(d0, d0));
    q1 = f64x2.add(q1, f64x2.mul(d1, d1));
    q2 = f64x2.add(q2, f64x2.mul(d2, d2));
    q3 = f64x2.add(q3, f64x2.mul(d3, d3));
  }
  let t2 = hsum(f64x2.add(f64x2.add(q0, q1), f64x2.add(q2, q3)));
  for (; i < n; i++) {
    const d = <f64>load<f32>(at4(p, i));
    if (caching) store<f64>(at8(cache, i), d);
    t2 += d * d;
  }
  acc2 = t2;
}

/** rstd from var + eps, 0 where it is 0 (a constant run with eps = 0); NaN stays NaN. */
export function rstdOf(t: f64): f64 {
  return t === 0 ? 0 : 1 / Math.sqrt(t);
}

/** NaN or +-Infinity in the run: NaN statistics (that run only turns NaN). */
function nanStats(): void {
  statMean = NaN;
  statVar = NaN;
  statRstd = NaN;
}

/** A run whose every element is m (a run of zeros: m = 0). */
function constantStats(m: f64, eps: f64): void {
  statMean = m;
  statVar = 0;
  statRstd = rstdOf(eps);
}

/**
 * RMSNorm: var = mean(x^2). Squares of float32 values neither overflow nor underflow in float64
 * (|x| <= 3.4e38 squares to <= 1.2e77; the smallest subnormal, 1.4e-45, to 2e-90), so unlike the
 * float64 JS kernel no rescaled path is needed: sum(x^2) is 0 only for a row of zeros and
 * non-finite only when the row holds NaN or Infinity. cache: 0, or where to keep the row as float64.
 */
export function rmsStats(p: usize, n: i32, eps: f64, cache: usize): void {
  if (cache) inline.always(squares(p, n, cache, true));
  else inline.always(squares(p, n, 0, false));
  const q = acc2;
  if (q > 0 && q < Infinity) {
    statMean = 0;
    statVar = q / <f64>n;
    statRstd = 1 / Math.sqrt(statVar + eps);
  } else if (q === 0) constantStats(0, eps);
  else nanStats();
}

/** sum of the n float32 at p in float32 arithmetic, four lanes: only a rough mean for the shift. */
function roughSum(p: usize, n: i32): f32 {
  let a0 = f32x4.splat(0);
  let a1 = a0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    a0 = f32x4.add(a0, v128.load(at4(p, i)));
    a1 = f32x4.add(a1, v128.load(at4(p, i), 16));
  }
  const a = f32x4.add(a0, a1);
  let s =
    f32x4.extract_lane(a, 0) +
    f32x4.extract_lane(a, 1) +
    (f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3));
  for (; i < n; i++) s += load<f32>(at4(p, i));
  return s;
}

/**
 * Whether the last row's |mean| was below std / 4, so that the next row is tried without a shift
 * (rows of one tensor tend to be alike). Callers reset it to true at the start of a call.
 */
export let centeredHint = true;

export function resetHint(): void {
  centeredHint = true;
}

/**
 * LayerNorm statistics, as accurate as the JS kernel's corrected two-pass algorithm, in one
 * float64 pass for all but rows with huge offsets.
 *
 * One pass: S1 = sum(x - k), S2 = sum((x - k)^2) in float64 for a shift k with x - k exact (k = 0,
 * or a float32 k), then c = S1 / n, var = S2 / n - c^2, mean = k + c. With u the relative rounding
 * error of the sums and z = c / std, the error of var is about
 *   u * (S2 / n) + 2 |c| u mean|x - k|  <=  u * var * (1 + z^2 + 2 |z| sqrt(1 + z^2)),
 * within 1.6 u * var (the two-pass algorithm's error is u * var) when c^2 <= var / 16; such a row
 * is done. The shift: k = 0 (nothing to subtract: the cheapest pass) while rows come centered
 * (|mean| <= std / 4); after a row that is not, k = the row's mean from a float32 sum (four lanes,
 * no conversion, off by ~1e-7 of |mean| + std), rounded to float32.
 * Rows that fail the test (an uncentered row met with k = 0, or |mean| / std beyond ~1e5: mean 1e4
 * with std 0.01, [40000 .. 40003], constant rows) take a second pass, the corrected two-pass
 * algorithm of Chan, Golub & LeVeque from the first pass's mean m (the row is in L1 by then):
 *   d = x - m,  c = sum(d) / n,  var = sum(d^2) / n - c^2,  mean = m + c
 * (c cancels the rounding error of m; every d of a constant row is the same short number, so its
 * var is exactly 0 and its mean exactly x). A float32 sum that overflows (|x| ~ 1e36) shifts by 0.
 * cache: 0, or where to keep the row as float64 (then the second pass and the caller's writing
 * pass skip the float32 -> float64 conversions).
 */
export function lnStats(p: usize, n: i32, eps: f64, cache: usize): void {
  const tryCentered = centeredHint;
  let k: f64 = 0;
  if (tryCentered) {
    if (cache) inline.always(sums(p, n, 0, false, false, cache, true));
    else inline.always(sums(p, n, 0, false, false, 0, false));
  } else {
    k = <f64>(<f32>(<f64>roughSum(p, n) / <f64>n));
    if (!(Math.abs(k) < Infinity)) k = 0;
    if (cache) inline.always(sums(p, n, k, true, false, cache, true));
    else inline.always(sums(p, n, k, true, false, 0, false));
  }
  const s2 = acc2;
  if (!(s2 > 0 && s2 < Infinity)) {
    // 0: every x equals k; otherwise NaN or Infinity in the row
    if (s2 === 0) constantStats(k, eps);
    else nanStats();
    return;
  }
  const c = acc1 / <f64>n;
  const v = s2 / <f64>n - c * c;
  if (c * c <= v * 0.0625) {
    const mean = k + c;
    statMean = mean;
    statVar = v;
    statRstd = 1 / Math.sqrt(v + eps);
    centeredHint = mean * mean <= v * 0.0625;
    return;
  }
  centeredHint = false;
  const m = k + c;
  if (cache) inline.always(sums(cache, n, m, true, true, 0, false));
  else inline.always(sums(p, n, m, true, false, 0, false));
  const sq = acc2;
  // x - m of finite float32 values is finite, so sq is finite; 0 means every x equals m
  if (sq === 0) {
    constantStats(m, eps);
    return;
  }
  const c2 = acc1 / <f64>n;
  const w = max(sq / <f64>n - c2 * c2, 0);
  statMean = m + c2;
  statVar = w;
  statRstd = rstdOf(w + eps);
}
