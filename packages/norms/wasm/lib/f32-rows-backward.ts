// The backward of precision 'high' (wasm/row-norms-f32.ts states the error analysis and the
// bounds): per row, pass A then pass B in float32 lanes (lib/f32-backward.ts); rows outside the
// float32 analysis' domain take the float64 path (f32-fallback.ts).
import { passA, passBAs, sumG32, sumGD32 } from './f32-backward';
import { backRow64 } from './f32-fallback';
import { flush32 } from './f32-loops';
import { HIGH, LOW, RATIO2 } from './f32-stats';
import { HAS_W, RMS, TOTALS, WANT_DB, WANT_DW, WANT_DX } from './row-loops';
import { at4, at8, narrow, widen, zero64 } from './simd';

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
 * Bounds (the analysis at the top of wasm/row-norms-f32.ts):
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
