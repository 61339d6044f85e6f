// LayerNorm and RMSNorm forward and backward, float32 data, float64 statistics and arithmetic
// (the same formulas as src/internal/rows-forward.ts and rows-backward.ts, two lanes at a time).
//
// Dimension names: M rows of N contiguous float32; x, y, dy, dx [M, N]; weight, bias, dWeight,
// dBias [N]; mean, rstd float64 [M]. Arguments are byte addresses in the shared memory; `scratch`
// is a float64 work area the caller owns (sizes below). Nothing is allocated here.
import {
  directRow,
  HAS_B,
  HAS_W,
  paramsRow,
  RMS,
  rowA,
  rowB,
  sumG,
  sumGD,
  TOTALS,
  WANT_DB,
  WANT_DW,
  WANT_DX,
  writeRow,
} from './lib/row-loops';
import { add64, at4, at8, narrow, widen, zero64 } from './lib/simd';
import { lnStats, resetHint, rmsStats, statMean, statRstd } from './lib/stats';

/** Rows up to this length are kept as float64 between passes (in L1 with the weights). */
const CACHE_MAX = 2048;
/** Rows of the forward processed together when GROUP of them fit in CACHE_MAX. */
const GROUP = 4;

/**
 * y = (x - mean) * rstd * weight + bias per row (RMSNorm: mean = 0, no bias); writes mean (not for
 * RMSNorm) and rstd. The kernel is bound by float64 arithmetic, not memory, so LayerNorm's
 * statistics pass keeps the row widened to float64 for the other passes (a conversion saved is
 * time saved; RMSNorm reads its row once more as float32, cheaper than a store and a load).
 * Short rows go GROUP at a time, statistics of all first: the passes of different rows are
 * independent, so one row's divide and square root overlap the next row's loads.
 * scratch: float64 [6N]: weight and bias (widened once per call) and up to 4N of cached rows.
 */
export function rowsForward(
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
  const rows = at8(scratch, 2 * N);
  if (flags & HAS_W) widen(w, w64, N);
  if (flags & HAS_B) widen(b, b64, N);
  const rms = (flags & RMS) !== 0;
  const cached = !rms && N <= CACHE_MAX;
  const group = N * GROUP <= CACHE_MAX ? GROUP : 1;
  // the statistics' choice of shift depends on the rows before, within this call only
  resetHint();
  for (let r0 = 0; r0 < M; r0 += group) {
    const r1 = min(M, r0 + group);
    // statistics (two passes at most over a row in L1) ...
    for (let r = r0; r < r1; r++) {
      if (rms) rmsStats(at4(x, r * N), N, eps, 0);
      else {
        lnStats(at4(x, r * N), N, eps, cached ? at8(rows, (r - r0) * N) : 0);
        store<f64>(at8(mean, r), statMean);
      }
      store<f64>(at8(rstd, r), statRstd);
    }
    // ... then one pass writing y
    for (let r = r0; r < r1; r++) {
      const m = rms ? 0 : load<f64>(at8(mean, r));
      const s = load<f64>(at8(rstd, r));
      const src = cached ? at8(rows, (r - r0) * N) : at4(x, r * N);
      inline.always(writeRowAs(src, at4(y, r * N), N, m, s, w64, b64, flags, cached));
    }
  }
}

/** writeRow specialised for the case at hand: the loop is chosen per row, never per element. */
function writeRowAs(
  src: usize,
  py: usize,
  N: i32,
  m: f64,
  s: f64,
  w64: usize,
  b64: usize,
  flags: i32,
  cached: bool,
): void {
  const affine = flags & (HAS_W | HAS_B);
  if (flags & RMS) {
    // x - 0 = x: RMSNorm's loops subtract nothing
    if (affine === HAS_W) inline.always(writeRow(src, py, N, 0, s, w64, b64, true, false, false, false));
    else inline.always(writeRow(src, py, N, 0, s, w64, b64, false, false, false, false));
  } else if (!cached) {
    if (affine === (HAS_W | HAS_B))
      inline.always(writeRow(src, py, N, m, s, w64, b64, true, true, true, false));
    else if (affine === HAS_W) inline.always(writeRow(src, py, N, m, s, w64, b64, true, false, true, false));
    else if (affine === HAS_B) inline.always(writeRow(src, py, N, m, s, w64, b64, false, true, true, false));
    else inline.always(writeRow(src, py, N, m, s, w64, b64, false, false, true, false));
  } else if (affine === (HAS_W | HAS_B))
    inline.always(writeRow(src, py, N, m, s, w64, b64, true, true, true, true));
  else if (affine === HAS_W) inline.always(writeRow(src, py, N, m, s, w64, b64, true, false, true, true));
  else if (affine === HAS_B) inline.always(writeRow(src, py, N, m, s, w64, b64, false, true, true, true));
  else inline.always(writeRow(src, py, N, m, s, w64, b64, false, false, true, true));
}

/** Rows per block of dWeight/dBias partial sums (two-level summation, as the JS kernel). */
const BLOCK = 64;
/** rstd^3 is a normal float64 for rstd in [2^-300, 2^300]; outside, the direct form is used. */
const SMALL: f64 = 4.909093465297727e-91;
const LARGE: f64 = 2.037035976334486e90;

/**
 * Gradients of rowsForward from the saved mean/rstd, g = dy * weight, xhat = (x - mean) * rstd:
 *   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) = g * rstd - (x - mean) * k - c,
 *   k = rstd^3 * sum(g * (x - mean)) / N,  c = rstd * sum(g) / N    (RMSNorm: mean = 0, c = 0)
 *   dWeight = sum over rows of dy * xhat,  dBias = sum over rows of dy.
 * Per row, pass A reduces sum(g) and sum(g * (x - mean)) and keeps d = x - mean as float64; pass B
 * reads d back (neither converted nor subtracted twice: the kernel is bound by float64
 * arithmetic), writes dx and adds dy * xhat and dy to float64 partial sums. Pass B of a row runs in
 * the same loop as pass A of the next one, so the loads of one row stream in while the other row's
 * dx streams out (measured ~12% faster at [8192, 768] than one pass after the other). Partials
 * cover BLOCK rows, then go to float64 totals (two-level summation), rounded once into dW/dB. When
 * only one of dW/dB is wanted both are accumulated, as in the JS kernel.
 * With flag TOTALS the totals stay in scratch (float64 [3N, 5N)) and dW/dB are not written.
 * scratch: float64 [7N]: weight, dW/dB partials, dW/dB totals, d of two rows.
 */
export function rowsBackward(
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
  const pW = at8(scratch, N);
  const pB = at8(scratch, 2 * N);
  const tW = at8(scratch, 3 * N);
  const tB = at8(scratch, 4 * N);
  let cur = at8(scratch, 5 * N);
  let next = at8(scratch, 6 * N);
  const rms = (flags & RMS) !== 0;
  const params = (flags & (WANT_DW | WANT_DB)) !== 0;
  if (flags & HAS_W) widen(w, w64, N);
  if (params) zero64(tW, 2 * N);
  for (let r0 = 0; r0 < M; r0 += BLOCK) {
    const r1 = min(M, r0 + BLOCK);
    if (params) zero64(pW, 2 * N);
    // whether pass A of row r already ran (with pass B of row r - 1)
    let ready = false;
    for (let r = r0; r < r1; r++) {
      const o = r * N;
      const m = rms ? 0 : load<f64>(at8(mean, r));
      const s = load<f64>(at8(rstd, r));
      if (!(flags & WANT_DX)) {
        paramsRow(at4(dy, o), at4(x, o), N, m, s, pW, pB);
        continue;
      }
      if (!ready) rowA(at4(dy, o), at4(x, o), N, m, w64, cur, flags);
      ready = false;
      if (!inRange(s)) {
        // rstd = 0 (a constant row with eps = 0), NaN, or a cube that could overflow: direct form
        const mg = rms ? 0 : sumG / <f64>N;
        const mgx = (s * sumGD) / <f64>N;
        directRow(at4(dy, o), cur, at4(dx, o), N, s, mg, mgx, w64, (flags & HAS_W) !== 0);
        if (params) paramsRow(at4(dy, o), at4(x, o), N, m, s, pW, pB);
        continue;
      }
      const k = (s * s * s * sumGD) / <f64>N;
      const c = rms ? 0 : (s * sumG) / <f64>N;
      // pass B of row r, with pass A of row r + 1 when it is in the block
      ready = r + 1 < r1;
      const m2 = ready && !rms ? load<f64>(at8(mean, r + 1)) : 0;
      const b = ready ? at4(dy, o + N) : 0;
      const a = ready ? at4(x, o + N) : 0;
      rowB(at4(dy, o), cur, at4(dx, o), N, s, k, c, w64, pW, pB, b, a, m2, next, flags, ready);
      const t = cur;
      cur = next;
      next = t;
    }
    if (params) add64(tW, pW, 2 * N);
  }
  if (flags & TOTALS) return;
  if (flags & WANT_DW) narrow(tW, dW, N);
  if (flags & WANT_DB) narrow(tB, dB, N);
}

function inRange(s: f64): bool {
  return s >= SMALL && s <= LARGE;
}
