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

import { passA, passBAs, sumG32, sumGD32 } from './lib/f32-backward';
import { backRow64, writeRow64 } from './lib/f32-fallback';
import { flush32, write32 } from './lib/f32-loops';
import { devSums, sum32, sumD, sumDD } from './lib/f32-stats';
import { HAS_B, HAS_W, RMS, TOTALS, WANT_DB, WANT_DW, WANT_DX } from './lib/row-loops';
import { at4, at8, narrow, widen, zero64 } from './lib/simd';
import { lnStats, resetHint, rmsStats, statMean, statRstd } from './lib/stats';

/** sum(d^2) / n below this: float32 squares may have underflowed (std < ~1e-15): fall back */
const TINY: f64 = 7.888609052210118e-31; // 2^-100
/** rstd, k, c outside [2^-100, 2^100]: not safely a normal float32 in products: fall back */
const LOW: f64 = 7.888609052210118e-31; // 2^-100
const HIGH: f64 = 1.2676506002282294e30; // 2^100
/** |mean| / std above 2^22: the two-float32 mean would move xhat by more than u / 4: fall back */
const RATIO2: f64 = 17592186044416; // (2^22)^2

/**
 * LayerNorm's shift: the mean of the row, or for rows longer than LONG the mean of their first
 * SAMPLE values: within ~std / sqrt(SAMPLE) of the mean, so c^2 <= var / 16 holds for all but ~0.5%
 * of rows of independent values (those take one more pass) and the row is read twice, not three
 * times ([2048, 4096]: 4.7 -> 4.2 ms). Shorter rows are read whole: that first light pass brings
 * the row into L1 for the other two, and sampling measured slower at [8192, 768] (2.5 -> 3.2 ms).
 */
const SAMPLE = 128;
const LONG = 2048;

/** Rows up to SHORT values go GROUP at a time through the forward (statistics first). */
const SHORT = 256;
const GROUP = 4;

/** statistics of the last lnHigh/rmsHigh call that returned true */
let hMean: f64 = 0;
let hRstd: f64 = 0;

/**
 * LayerNorm statistics in float32 lanes (the corrected two-pass algorithm with a float32 shift):
 *   k = f32(sum(x) / n) (blocked, f32-stats.ts; long rows: the first SAMPLE values),  d = x - k,
 *   c = sum(d) / n,  var = sum(d^2) / n - c^2,  mean = k + c,  rstd = 1 / sqrt(var + eps).
 * With c^2 <= var / 16 (else one more pass with k = mean): mean within 4.2 u std, rstd within
 * 4.3 u (the analysis at the top). Returns false (the caller falls back) for rows where that analysis does not hold in float32:
 * NaN/Infinity or |x| near float32 overflow (a sum is not finite), constant or nearly constant rows
 * (sum(d^2) / n < 2^-100: squares may underflow), |mean| > 2^22 std, rstd outside [2^-100, 2^100].
 */
function lnHigh(p: usize, n: i32, eps: f64): bool {
  const head = n > LONG ? SAMPLE : n;
  let k = sum32(p, head) / <f64>head;
  for (let pass = 0; pass < 2; pass++) {
    const kh = <f32>k;
    if (!(Math.abs(kh) < Infinity)) return false;
    inline.always(devSums(p, n, kh, true));
    const s2 = sumDD;
    if (!(s2 >= TINY * <f64>n && s2 < Infinity)) return false;
    const c = sumD / <f64>n;
    const v = s2 / <f64>n - c * c;
    const m = <f64>kh + c;
    if (c * c <= v * 0.0625) {
      if (m * m > RATIO2 * v) return false;
      hMean = m;
      hRstd = 1 / Math.sqrt(v + eps);
      return hRstd >= LOW && hRstd <= HIGH;
    }
    k = m;
  }
  return false;
}

/** RMSNorm: var = sum(x^2) / n in float32 lanes (within 4 u), rstd within 2 u; false as lnHigh. */
function rmsHigh(p: usize, n: i32, eps: f64): bool {
  inline.always(devSums(p, n, 0, false));
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

/** Rows whose dWeight/dBias partials are summed in float32 before the float64 totals. */
const ROWS32 = 8;
/** rstd outside [2^-60, 2^60]: rstd^3 and the products could leave float32's normal range */
const S_LOW: f64 = 8.673617379884035e-19; // 2^-60
const S_HIGH: f64 = 1.152921504606847e18; // 2^60

/**
 * Gradients of rowsForwardHigh from the saved float64 mean/rstd, in float32 lanes
 * (f32-backward.ts): g = dy * w, mean = mh + ml (two float32), d' = x - mh,
 *   G = sum(g), GD = sum(g * d') - ml G   (blocked into float64)
 *   k = rstd^3 GD / N,  c = rstd G / N,  c' = c - ml k,  e = ml rstd   (float64, then float32)
 *   dx = (g * rs - d' * k) - c',  pW += dy * (d' * rs - e),  pB += dy   (float32)
 * the partials pW/pB cover ROWS32 rows, then go to float64 totals, rounded once into dW/dB.
 * With flag TOTALS the totals stay in scratch (float64 [N, 3N)) and dW/dB are not written.
 * Bounds (the analysis at the top):
 *   |dx - dx*| <= 14 u rstd (|g| + mean|g| + (1 + |xhat|) mean|g xhat|),
 *   |dW - dW*| <= 14 u sum_rows |dy| (1 + |xhat|),  |dB - dB*| <= 8 u sum_rows |dy|
 * (RMSNorm: no mean|g| term). Rows with rstd outside [2^-60, 2^60], |mean| rstd > 2^22, or k, c not
 * safely normal float32 numbers take the float64 path (f32-fallback.ts).
 * scratch: float64 [5N]: weight widened, dW/dB totals, a float64 row, float32 partials [2N].
 */
export function rowsBackwardHigh(
  dy: usize,
  x: usize,
  M: i32,
  N: i32,
  w: usize,
  mean: usize,
  rstd: usize,
  dx: usize,
  dW: usize,
  dB: usize,
  flags: i32,
  scratch: usize,
): void {
  const w64 = scratch;
  const tW = at8(scratch, N);
  const tB = at8(scratch, 2 * N);
  const dRow = at8(scratch, 3 * N);
  const pW = at8(scratch, 4 * N);
  const pB = at4(pW, N);
  const rms = (flags & RMS) !== 0;
  const params = (flags & (WANT_DW | WANT_DB)) !== 0;
  const wantDx = (flags & WANT_DX) !== 0;
  if (flags & HAS_W) widen(w, w64, N);
  if (params) {
    zero64(tW, 2 * N);
    zero64(pW, N);
  }
  for (let r0 = 0; r0 < M; r0 += ROWS32) {
    const r1 = min(M, r0 + ROWS32);
    for (let r = r0; r < r1; r++) {
      const o = r * N;
      const m = rms ? 0 : load<f64>(at8(mean, r));
      const s = load<f64>(at8(rstd, r));
      const mh = <f32>m;
      const ml = m - <f64>mh;
      let k: f64 = 0;
      let c: f64 = 0;
      const ok = statsOk(m, s);
      if (ok && wantDx) {
        passA(at4(dy, o), at4(x, o), N, mh, w, flags);
        const gd = sumGD32 - ml * sumG32;
        k = (s * s * s * gd) / <f64>N;
        c = rms ? 0 : (s * sumG32) / <f64>N;
      }
      if (!(ok && safe32(k) && safe32(c))) {
        backRow64(at4(dy, o), at4(x, o), at4(dx, o), N, m, s, w64, dRow, tW, tB, flags);
        continue;
      }
      passBAs(
        at4(dy, o),
        at4(x, o),
        at4(dx, o),
        N,
        mh,
        <f32>s,
        <f32>(ml * s),
        <f32>k,
        <f32>(c - ml * k),
        w,
        pW,
        pB,
        flags,
      );
    }
    if (params) {
      flush32(pW, tW, N);
      flush32(pB, tB, N);
    }
  }
  if (flags & TOTALS) return;
  if (flags & WANT_DW) narrow(tW, dW, N);
  if (flags & WANT_DB) narrow(tB, dB, N);
}

/** whether a row's saved statistics allow float32 lanes */
function statsOk(m: f64, s: f64): bool {
  return s >= S_LOW && s <= S_HIGH && m * m * (s * s) <= RATIO2;
}

/** a float64 that is 0 or safely a normal float32 with room for a product: |v| in [2^-100, 2^100] */
function safe32(v: f64): bool {
  const a = Math.abs(v);
  return a === 0 || (a >= LOW && a <= HIGH);
}
