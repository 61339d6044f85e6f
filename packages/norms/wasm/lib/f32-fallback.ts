// The rows that precision 'high' leaves to the 'highest' code (wasm/row-norms-f32.ts): the loops
// of row-loops.ts, unchanged, specialised per case as wasm/row-norms.ts does, so such a row gets
// exactly the float64 treatment (NaN/Infinity rows, constant rows, |x| near float32's limits).
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
  WANT_DB,
  WANT_DW,
  WANT_DX,
  writeRow,
} from './row-loops';

/** rstd^3 is a normal float64 for rstd in [2^-300, 2^300] (as wasm/row-norms.ts) */
const SMALL: f64 = 4.909093465297727e-91;
const LARGE: f64 = 2.037035976334486e90;

/** y = ((x - m) * s) * w + b in float64 from the float32 row at px (writeRow's cases). */
export function writeRow64(
  px: usize,
  py: usize,
  N: i32,
  m: f64,
  s: f64,
  w64: usize,
  b64: usize,
  flags: i32,
): void {
  const affine = flags & (HAS_W | HAS_B);
  if (flags & RMS) {
    if (affine & HAS_W) inline.always(writeRow(px, py, N, 0, s, w64, b64, true, false, false, false));
    else inline.always(writeRow(px, py, N, 0, s, w64, b64, false, false, false, false));
  } else if (affine === (HAS_W | HAS_B))
    inline.always(writeRow(px, py, N, m, s, w64, b64, true, true, true, false));
  else if (affine === HAS_W) inline.always(writeRow(px, py, N, m, s, w64, b64, true, false, true, false));
  else if (affine === HAS_B) inline.always(writeRow(px, py, N, m, s, w64, b64, false, true, true, false));
  else inline.always(writeRow(px, py, N, m, s, w64, b64, false, false, true, false));
}

/**
 * One row of rowsBackward's float64 path (pass A, then pass B or the direct form for rstd outside
 * [2^-300, 2^300]), adding dy * xhat and dy straight into the float64 totals tW, tB.
 * dRow: float64 [N] for pass A's x - mean.
 */
export function backRow64(
  pdy: usize,
  px: usize,
  pdx: usize,
  N: i32,
  m: f64,
  s: f64,
  w64: usize,
  dRow: usize,
  tW: usize,
  tB: usize,
  flags: i32,
): void {
  const params = (flags & (WANT_DW | WANT_DB)) !== 0;
  const rms = (flags & RMS) !== 0;
  if (!(flags & WANT_DX)) {
    paramsRow(pdy, px, N, m, s, tW, tB);
    return;
  }
  rowA(pdy, px, N, m, w64, dRow, flags);
  if (!(s >= SMALL && s <= LARGE)) {
    const mg = rms ? 0 : sumG / <f64>N;
    const mgx = (s * sumGD) / <f64>N;
    directRow(pdy, dRow, pdx, N, s, mg, mgx, w64, (flags & HAS_W) !== 0);
    if (params) paramsRow(pdy, px, N, m, s, tW, tB);
    return;
  }
  const k = (s * s * s * sumGD) / <f64>N;
  const c = rms ? 0 : (s * sumG) / <f64>N;
  rowB(pdy, dRow, pdx, N, s, k, c, w64, tW, tB, 0, 0, 0, 0, flags, false);
}
