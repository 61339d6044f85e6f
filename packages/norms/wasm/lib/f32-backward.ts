// The backward passes of the 'high' precision kernels (wasm/row-norms-f32.ts) in float32 lanes.
// With g = dy * w (or dy), the saved mean split in two float32 as mh + ml, d' = x - mh (exact by
// Sterbenz's lemma when x is within a factor 2 of mh, else within u |d'|; RMSNorm: d' = x):
//   pass A: G = sum(g), GD' = sum(g * d') blocked into float64; the caller forms
//           sum(g * (x - mean)) = GD' - ml G in float64 (one float32 subtraction fewer per value);
//   pass B: dx = (g * rs - d' * k) - c',  c' = c - ml k  (the same ml folded into the constant),
//           pW += dy * (d' * rs - e),  e = f32(ml * rs)  (xhat),  pB += dy   (float32).
// Every loop takes its case as constant booleans and is inlined (inline.always) at its call sites.
import { hi, lo, total } from './f32-stats';
import { HAS_W, RMS, WANT_DB, WANT_DW, WANT_DX } from './row-loops';
import { at4 } from './simd';

/** results of pass A: sum(g), sum(g * d') */
export let sumG32: f64 = 0;
export let sumGD32: f64 = 0;

function gOf(pdy: usize, w: usize, o: usize, hasW: bool): v128 {
  const a = v128.load(pdy + o);
  return hasW ? f32x4.mul(a, v128.load(w + o)) : a;
}

function dOf(px: usize, o: usize, mh: v128, centered: bool): v128 {
  const x = v128.load(px + o);
  return centered ? f32x4.sub(x, mh) : x;
}

/** sum(g) and sum(g * d') of the 4 vectors at byte offset o, folded to [G, G, GD', GD'] */
function quad(pdy: usize, px: usize, w: usize, o: usize, mh: v128, hasW: bool, centered: bool): v128 {
  const g0 = gOf(pdy, w, o, hasW);
  const g1 = gOf(pdy, w, o + 16, hasW);
  const g2 = gOf(pdy, w, o + 32, hasW);
  const g3 = gOf(pdy, w, o + 48, hasW);
  const t = f32x4.add(f32x4.add(g0, g1), f32x4.add(g2, g3));
  const u = f32x4.add(
    f32x4.add(f32x4.mul(g0, dOf(px, o, mh, centered)), f32x4.mul(g1, dOf(px, o + 16, mh, centered))),
    f32x4.add(f32x4.mul(g2, dOf(px, o + 32, mh, centered)), f32x4.mul(g3, dOf(px, o + 48, mh, centered))),
  );
  return f32x4.add(v128.shuffle<f32>(t, u, 0, 1, 4, 5), v128.shuffle<f32>(t, u, 2, 3, 6, 7));
}

/**
 * [G, G, GD', GD'] of the 32 values at byte offset o in float32: each term passes through at most
 * 4 float32 additions (two depth-2 trees, their sum, the lane fold), then the caller widens.
 */
function block(pdy: usize, px: usize, w: usize, o: usize, mh: v128, hasW: bool, centered: bool): v128 {
  return f32x4.add(quad(pdy, px, w, o, mh, hasW, centered), quad(pdy, px, w, o + 64, mh, hasW, centered));
}

/** Pass A of one row: sumG32, sumGD32 (blocks of 32 widened into float64, whole vectors, scalars). */
export function passA32(pdy: usize, px: usize, N: i32, mhf: f32, w: usize, hasW: bool, centered: bool): void {
  const mh = f32x4.splat(mhf);
  let s = f64x2.splat(0);
  let q = s;
  let i = 0;
  for (; i + 32 <= N; i += 32) {
    const b = block(pdy, px, w, (<usize>i) << 2, mh, hasW, centered);
    s = f64x2.add(s, lo(b));
    q = f64x2.add(q, hi(b));
  }
  for (; i + 4 <= N; i += 4) {
    const o = (<usize>i) << 2;
    const g = gOf(pdy, w, o, hasW);
    const u = f32x4.mul(g, dOf(px, o, mh, centered));
    s = f64x2.add(f64x2.add(s, lo(g)), hi(g));
    q = f64x2.add(f64x2.add(q, lo(u)), hi(u));
  }
  tailA(pdy, px, w, i, N, mhf, total(s, f64x2.splat(0)), total(q, f64x2.splat(0)), hasW, centered);
}

/** the scalar tail of pass A from element i, added to the float64 sums sg, sx: sumG32, sumGD32 */
function tailA(
  pdy: usize,
  px: usize,
  w: usize,
  i: i32,
  N: i32,
  mh: f32,
  sg: f64,
  sx: f64,
  hasW: bool,
  centered: bool,
): void {
  for (; i < N; i++) {
    let g = load<f32>(at4(pdy, i));
    if (hasW) g *= load<f32>(at4(w, i));
    let d = load<f32>(at4(px, i));
    if (centered) d -= mh;
    sg += <f64>g;
    sx += <f64>(g * d);
  }
  sumG32 = sg;
  sumGD32 = sx;
}

/** pass B of the vector at byte offset o of one row */
function stepB(
  pdy: usize,
  px: usize,
  pdx: usize,
  o: usize,
  mh: v128,
  rs: v128,
  e: v128,
  k: v128,
  c: v128,
  w: usize,
  pW: usize,
  pB: usize,
  hasW: bool,
  params: bool,
  centered: bool,
  wantDx: bool,
): void {
  const a = v128.load(pdy + o);
  const d = dOf(px, o, mh, centered);
  if (wantDx) {
    const g = hasW ? f32x4.mul(a, v128.load(w + o)) : a;
    let v = f32x4.sub(f32x4.mul(g, rs), f32x4.mul(d, k));
    if (centered) v = f32x4.sub(v, c);
    v128.store(pdx + o, v);
  }
  if (params) {
    let xh = f32x4.mul(d, rs);
    if (centered) xh = f32x4.sub(xh, e);
    v128.store(pW + o, f32x4.add(v128.load(pW + o), f32x4.mul(a, xh)));
    v128.store(pB + o, f32x4.add(v128.load(pB + o), a));
  }
}

/** Pass B of one row: dx when wantDx, the float32 partials pW/pB when params. */
export function passB32(
  pdy: usize,
  px: usize,
  pdx: usize,
  N: i32,
  mhf: f32,
  rsf: f32,
  ef: f32,
  kf: f32,
  cf: f32,
  w: usize,
  pW: usize,
  pB: usize,
  hasW: bool,
  params: bool,
  centered: bool,
  wantDx: bool,
): void {
  const mh = f32x4.splat(mhf);
  const rs = f32x4.splat(rsf);
  const e = f32x4.splat(ef);
  const k = f32x4.splat(kf);
  const c = f32x4.splat(cf);
  let i = 0;
  for (; i + 8 <= N; i += 8) {
    const o = (<usize>i) << 2;
    inline.always(stepB(pdy, px, pdx, o, mh, rs, e, k, c, w, pW, pB, hasW, params, centered, wantDx));
    inline.always(stepB(pdy, px, pdx, o + 16, mh, rs, e, k, c, w, pW, pB, hasW, params, centered, wantDx));
  }
  for (; i + 4 <= N; i += 4) {
    const o = (<usize>i) << 2;
    inline.always(stepB(pdy, px, pdx, o, mh, rs, e, k, c, w, pW, pB, hasW, params, centered, wantDx));
  }
  for (; i < N; i++) {
    const a = load<f32>(at4(pdy, i));
    let d = load<f32>(at4(px, i));
    if (centered) d -= mhf;
    if (wantDx) {
      const g = hasW ? a * load<f32>(at4(w, i)) : a;
      let v = g * rsf - d * kf;
      if (centered) v -= cf;
      store<f32>(at4(pdx, i), v);
    }
    if (params) {
      let xh = d * rsf;
      if (centered) xh -= ef;
      store<f32>(at4(pW, i), load<f32>(at4(pW, i)) + a * xh);
      store<f32>(at4(pB, i), load<f32>(at4(pB, i)) + a);
    }
  }
}

/** passA32 specialised for the case */
export function passA(pdy: usize, px: usize, N: i32, mh: f32, w: usize, flags: i32): void {
  const hasW = (flags & HAS_W) !== 0;
  if (flags & RMS) {
    if (hasW) inline.always(passA32(pdy, px, N, 0, w, true, false));
    else inline.always(passA32(pdy, px, N, 0, w, false, false));
  } else if (hasW) inline.always(passA32(pdy, px, N, mh, w, true, true));
  else inline.always(passA32(pdy, px, N, mh, w, false, true));
}

/** passB32 specialised for the case */
export function passBAs(
  pdy: usize,
  px: usize,
  pdx: usize,
  N: i32,
  mh: f32,
  rs: f32,
  e: f32,
  k: f32,
  c: f32,
  w: usize,
  pW: usize,
  pB: usize,
  flags: i32,
): void {
  const hasW = (flags & HAS_W) !== 0;
  const params = (flags & (WANT_DW | WANT_DB)) !== 0;
  if (!(flags & WANT_DX)) {
    if (flags & RMS)
      inline.always(passB32(pdy, px, pdx, N, 0, rs, 0, k, 0, w, pW, pB, false, true, false, false));
    else inline.always(passB32(pdy, px, pdx, N, mh, rs, e, k, c, w, pW, pB, false, true, true, false));
  } else if (flags & RMS) {
    if (hasW && params)
      inline.always(passB32(pdy, px, pdx, N, 0, rs, 0, k, 0, w, pW, pB, true, true, false, true));
    else if (hasW)
      inline.always(passB32(pdy, px, pdx, N, 0, rs, 0, k, 0, w, pW, pB, true, false, false, true));
    else if (params)
      inline.always(passB32(pdy, px, pdx, N, 0, rs, 0, k, 0, w, pW, pB, false, true, false, true));
    else inline.always(passB32(pdy, px, pdx, N, 0, rs, 0, k, 0, w, pW, pB, false, false, false, true));
  } else if (hasW && params)
    inline.always(passB32(pdy, px, pdx, N, mh, rs, e, k, c, w, pW, pB, true, true, true, true));
  else if (hasW) inline.always(passB32(pdy, px, pdx, N, mh, rs, e, k, c, w, pW, pB, true, false, true, true));
  else if (params)
    inline.always(passB32(pdy, px, pdx, N, mh, rs, e, k, c, w, pW, pB, false, true, true, true));
  else inline.always(passB32(pdy, px, pdx, N, mh, rs, e, k, c, w, pW, pB, false, false, true, true));
}
