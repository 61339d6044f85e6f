// LayerNorm and RMSNorm forward and backward at precision 'high' (setNormPrecision): float32
// lanes (f32x4) for the arithmetic, float64 for the row sums between blocks and for the saved
// statistics; rows where float32 could be inaccurate take the 'highest' code of wasm/lib/stats.ts
// and row-loops.ts (the same functions as wasm/row-norms.ts, unchanged; f32-fallback.ts).
//
// Dimension names and arguments as wasm/row-norms.ts: M rows of N float32; x, y, dy, dx [M, N];
// weight, bias, dWeight, dBias [N]; mean, rstd float64 [M]; byte addresses; `scratch` a float64 work
// area of the caller. Nothing is allocated here.
//
// Error analysis. u = 2^-24 (float32 unit roundoff; 1 ulp at 1.0 is 2 u); float64 roundings
// (~2^-53 relative) are left out. A float32 term passes through at most D float32 additions before
// it is widened to float64 (f32-stats.ts: D = 3; pass A of the backward: D = 4), so a sum is within
// D u sum|terms|. xhat = (x - mean) rstd, g = dy w; starred values exact.
// LayerNorm statistics, c^2 <= var / 16 (checked), d = x - k rounded once (d~ = d (1 + e), |e| <= u):
//   |mean - mean*| = |c - c*| <= (3 + 1) u mean|d| <= 4 u sqrt(var + c^2) <= 4.2 u std
//   S2 = sum(d~^2): terms within 3 u, the sum 3 u more;
//   |var - var*| <= 6 u (var + c^2) + 2 |c| |c - c*| <= (6.4 + 2.1) u var = 8.5 u var
//   rstd within 4.3 u;  rs = f32(rstd) within 5.3 u
// LayerNorm y = ((x - mh) - ml) rs w + b, mean = mh + ml within u^2 |mean| <= u std / 4 (|mean| <= 2^22 std):
//   |y - y*| <= (2 + 5.3 + 1 + 1) u |xhat w| + u |y| + (4.2 + 0.25) u |w|  <=  12 u ((1 + |xhat|) |w| + |b|)
// RMSNorm: sum(x^2) within 4 u, rstd 2 u, rs 3 u;  y = x rs w:  |y - y*| <= 5 u |y*|  (stated: 6 u)
// Backward from the saved mean/rstd, d' = x - mh within u, G = sum(g), GD = sum(g d') - ml G:
//   G within 5 u sum|g|;  GD within 7 u sum |g| (|x - mean| + u |mean|)
//   dx = (g rs - d' k) - c',  k = rstd^3 GD / N,  c' = rstd G / N - ml k:
//   |dx - dx*| <= rstd (5 u |g| + 12 u (|xhat| + u |mean| rstd) mean|g xhat| + 8 u mean|g|)
//              <= 14 u rstd (|g| + mean|g| + (1 + |xhat|) mean|g xhat|)     (u |mean| rstd <= 1/4)
//   xhat~ = d' rs - f32(ml rstd) within 4 u |xhat| + u;  dy xhat~ one more u;  float32 partials over
//   8 rows (7 roundings), float64 totals, one rounding to float32:
//   |dW - dW*| <= 14 u sum_rows |dy| (1 + |xhat|),   |dB - dB*| <= (7 + 1) u sum_rows |dy|
// A float32 output below 2^-126 (subnormal) carries, at either precision, an absolute error of a
// few 2^-149 more. The bounds are checked, hard rows included, by src/row-norms.f32.test.ts.

import { writeRow64 } from './lib/f32-fallback';
import { write32 } from './lib/f32-loops';
import { devSums, HIGH, LOW, RATIO2, sum32, sumD, sumDD, TINY } from './lib/f32-stats';
import { HAS_B, HAS_W, RMS } from './lib/row-loops';
import { at4, at8, widen } from './lib/simd';
import { lnStats, resetHint, rmsStats, statMean, statRstd } from './lib/stats';

/**
 * LayerNorm's shift k. While rows come centered (the last row had |mean| <= std / 4, as the
 * 'highest' statistics' hint in lib/stats.ts), k = 0: d = x needs no subtraction and k no pass of
 * its own (centered rows [32, 768], in cache: 0.675 -> 0.572 ns per value, minimum of 6 processes;
 * rows offset by up to +-2 std, as the bench's, miss the hint ~11% of the time and pay a pass:
 * 0.686 -> 0.708). After a row that is not, k = the mean of the row, or for rows
 * longer than LONG the mean of their first SAMPLE values: within ~std / sqrt(SAMPLE) of the mean,
 * so c^2 <= var / 16 holds for all but ~0.5% of rows of independent values (those take one more
 * pass) and the row is read twice, not three times ([2048, 4096]: 4.7 -> 4.2 ms). Shorter rows are
 * read whole: that first light pass brings the row into L1 for the other two, and sampling
 * measured slower at [8192, 768] (2.5 -> 3.2 ms).
 */
const SAMPLE = 128;
const LONG = 2048;

/** Rows up to SHORT values go GROUP at a time through the forward (statistics first). */
const SHORT = 256;
const GROUP = 4;

/** statistics of the last lnHigh/rmsHigh call that returned true */
let hMean: f64 = 0;
let hRstd: f64 = 0;
/** whether lnHigh tries k = 0 first: the last row's |mean| <= std / 4 (reset per call) */
let hCentered = true;

/**
 * LayerNorm statistics in float32 lanes (the corrected two-pass algorithm with a float32 shift):
 *   k = 0 or f32(sum(x) / n) (blocked, f32-stats.ts; long rows: the first SAMPLE values),
 *   d = x - k,  c = sum(d) / n,  var = sum(d^2) / n - c^2,  mean = k + c,  rstd = 1 / sqrt(var + eps).
 * With c^2 <= var / 16 (else one more pass with k = mean): mean within 4.2 u std, rstd within
 * 4.3 u (the analysis at the top). Returns false (the caller falls back) for rows where that analysis does not hold in float32:
 * NaN/Infinity or |x| near float32 overflow (a sum is not finite), constant or nearly constant rows
 * (sum(d^2) / n < 2^-100: squares may underflow), |mean| > 2^22 std, rstd outside [2^-100, 2^100].
 */
function lnHigh(p: usize, n: i32, eps: f64): bool {
  const tryZero = hCentered;
  let k: f64 = 0;
  if (!tryZero) {
    const head = n > LONG ? SAMPLE : n;
    k = sum32(p, head) / <f64>head;
  }
  for (let pass = 0; pass < 2; pass++) {
    const kh = <f32>k;
    if (!(Math.abs(kh) < Infinity)) return false;
    if (pass === 0 && tryZero) inline.always(devSums(p, n, 0, false, true));
    else inline.always(devSums(p, n, kh, true, true));
    const s2 = sumDD;
    if (!(s2 >= TINY * <f64>n && s2 < Infinity)) return false;
    const c = sumD / <f64>n;
    const v = s2 / <f64>n - c * c;
    const m = <f64>kh + c;
    if (c * c <= v * 0.0625) {
      hCentered = m * m <= v * 0.0625;
      if (m * m > RATIO2 * v) return false;
      hMean = m;
      hRstd = 1 / Math.sqrt(v + eps);
      return hRstd >= LOW && hRstd <= HIGH;
    }
    hCentered = false;
    k = m;
  }
  return false;
}

/** RMSNorm: var = sum(x^2) / n in float32 lanes (within 4 u), rstd within 2 u; false as lnHigh. */
function rmsHigh(p: usize, n: i32, eps: f64): bool {
  inline.always(devSums(p, n, 0, false, false));
  const s2 = sumDD;
  if (!(s2 >= TINY * <f64>n && s2 < Infinity)) return false;
  hMean = 0;
  hRstd = 1 / Math.sqrt(s2 / <f64>n + eps);
  return hRstd >= LOW && hRstd <= HIGH;
}

/**
 * y = ((x - mh) - ml) * rs * w + b in float32 (mh + ml = mean, rs = f32(rstd)): within
 *   12 u ((1 + |xhat|) |w| + |b|) of the exact y (LayerNorm),  6 u |y| (RMSNorm).
 * Writes mean (not for RMSNorm) and rstd as float64. scratch: float64 [2N] (weight and bias
 * widened for the rows that fall back).
 */
export function rowsForwardHigh(
  x: usize,
  y: usize,
  M: i32,
  N: i32,
  w: usize,
  b: usize,
  flags: i32,
  eps: f64,
  mean: usize,
  rstd: usize,
  scratch: usize,
): void {
  const w64 = scratch;
  const b64 = at8(scratch, N);
  if (flags & HAS_W) widen(w, w64, N);
  if (flags & HAS_B) widen(b, b64, N);
  const rms = (flags & RMS) !== 0;
  resetHint();
  hCentered = true;
  const group = N <= SHORT ? GROUP : 1;
  for (let r0 = 0; r0 < M; r0 += group) {
    const r1 = min(M, r0 + group);
    // statistics of the group's rows first (one row's divide and square root overlap the next
    // row's loads), then their writing passes; bit r - r0 of `high`: the row takes float32 lanes
    let high = 0;
    for (let r = r0; r < r1; r++) {
      const px = at4(x, r * N);
      if (rms ? rmsHigh(px, N, eps) : lnHigh(px, N, eps)) {
        high |= 1 << (r - r0);
        if (!rms) store<f64>(at8(mean, r), hMean);
        store<f64>(at8(rstd, r), hRstd);
        continue;
      }
      // the 'highest' statistics (float64)
      if (rms) rmsStats(px, N, eps, 0);
      else {
        lnStats(px, N, eps, 0);
        store<f64>(at8(mean, r), statMean);
      }
      store<f64>(at8(rstd, r), statRstd);
    }
    for (let r = r0; r < r1; r++) {
      const px = at4(x, r * N);
      const py = at4(y, r * N);
      const m = rms ? 0 : load<f64>(at8(mean, r));
      const s = load<f64>(at8(rstd, r));
      if (high & (1 << (r - r0))) {
        const mh = <f32>m;
        write32As(px, py, N, mh, <f32>(m - <f64>mh), <f32>s, w, b, flags);
      } else writeRow64(px, py, N, m, s, w64, b64, flags);
    }
  }
}

/** write32 specialised for the case (the loop is chosen per row, never per element). */
function write32As(
  px: usize,
  py: usize,
  N: i32,
  mh: f32,
  ml: f32,
  rs: f32,
  w: usize,
  b: usize,
  flags: i32,
): void {
  const affine = flags & (HAS_W | HAS_B);
  if (flags & RMS) {
    if (affine & HAS_W) inline.always(write32(px, py, N, 0, 0, rs, w, b, true, false, false));
    else inline.always(write32(px, py, N, 0, 0, rs, w, b, false, false, false));
  } else if (affine === (HAS_W | HAS_B))
    inline.always(write32(px, py, N, mh, ml, rs, w, b, true, true, true));
  else if (affine === HAS_W) inline.always(write32(px, py, N, mh, ml, rs, w, b, true, false, true));
  else if (affine === HAS_B) inline.always(write32(px, py, N, mh, ml, rs, w, b, false, true, true));
  else inline.always(write32(px, py, N, mh, ml, rs, w, b, false, false, true));
}

export { rowsBackwardHigh } from './lib/f32-rows-backward';
