// The row loops of wasm/row-norms.ts: the writing loop of the forward and the two passes of the
// backward. Each takes its case (weight present, RMSNorm, ...) as constant booleans and is inlined
// at its call sites (inline.always), so every copy keeps only its own loop.
import { at4, at8, hsum, load2, store2 } from './simd';

export const HAS_W = 1;
export const HAS_B = 2;
export const RMS = 4;
export const WANT_DX = 8;
export const WANT_DW = 16;
export const WANT_DB = 32;
/** backward: leave the float64 dWeight/dBias totals in scratch (not narrowed into dW/dB), for a
 * caller that adds the totals of several row ranges (the kernel pool) and narrows once */
export const TOTALS = 64;

/** per-row results of pass A: sum(g), sum(g * (x - mean)) */
export let sumG: f64 = 0;
export let sumGD: f64 = 0;

/**
 * y = ((x - m) * s) * w + b, the JS kernel's order of operations, from the float32 row at px or
 * (wide) its float64 copy; hasW/hasB/centered/wide are constants after inlining.
 */
export function writeRow(
  px: usize,
  py: usize,
  N: i32,
  m: f64,
  s: f64,
  w64: usize,
  b64: usize,
  hasW: bool,
  hasB: bool,
  centered: bool,
  wide: bool,
): void {
  const mv = f64x2.splat(m);
  const sv = f64x2.splat(s);
  let i = 0;
  for (; i + 4 <= N; i += 4) {
    let x0 = wide ? v128.load(at8(px, i)) : load2(at4(px, i));
    let x1 = wide ? v128.load(at8(px, i), 16) : load2(at4(px, i) + 8);
    if (centered) {
      x0 = f64x2.sub(x0, mv);
      x1 = f64x2.sub(x1, mv);
    }
    let y0 = f64x2.mul(x0, sv);
    let y1 = f64x2.mul(x1, sv);
    if (hasW) {
      y0 = f64x2.mul(y0, v128.load(at8(w64, i)));
      y1 = f64x2.mul(y1, v128.load(at8(w64, i), 16));
    }
    if (hasB) {
      y0 = f64x2.add(y0, v128.load(at8(b64, i)));
      y1 = f64x2.add(y1, v128.load(at8(b64, i), 16));
    }
    store2(at4(py, i), y0);
    store2(at4(py, i) + 8, y1);
  }
  for (; i < N; i++) {
    let v = ((wide ? load<f64>(at8(px, i)) : <f64>load<f32>(at4(px, i))) - m) * s;
    if (hasW) v *= load<f64>(at8(w64, i));
    if (hasB) v += load<f64>(at8(b64, i));
    store<f32>(at4(py, i), <f32>v);
  }
}

/** Pass A of one row, the loop specialised for the case (RMSNorm subtracts no mean). */
export function rowA(pdy: usize, px: usize, N: i32, m: f64, w64: usize, dRow: usize, flags: i32): void {
  const hasW = (flags & HAS_W) !== 0;
  if (flags & RMS) {
    if (hasW) inline.always(passA(pdy, px, N, 0, w64, dRow, true, false));
    else inline.always(passA(pdy, px, N, 0, w64, dRow, false, false));
  } else if (hasW) inline.always(passA(pdy, px, N, m, w64, dRow, true, true));
  else inline.always(passA(pdy, px, N, m, w64, dRow, false, true));
}

/** Pass A: sumG = sum(g), sumGD = sum(g * (x - m)), g = dy * w (or dy); keeps x - m at dRow (float64). */
function passA(
  pdy: usize,
  px: usize,
  N: i32,
  m: f64,
  w64: usize,
  dRow: usize,
  hasW: bool,
  centered: bool,
): void {
  const mv = f64x2.splat(m);
  let g0 = f64x2.splat(0);
  let g1 = g0;
  let x0 = g0;
  let x1 = g0;
  let i = 0;
  for (; i + 4 <= N; i += 4) {
    const a = load2(at4(pdy, i));
    const b = load2(at4(pdy, i) + 8);
    const d0 = centered ? f64x2.sub(load2(at4(px, i)), mv) : load2(at4(px, i));
    const d1 = centered ? f64x2.sub(load2(at4(px, i) + 8), mv) : load2(at4(px, i) + 8);
    v128.store(at8(dRow, i), d0);
    v128.store(at8(dRow, i), d1, 16);
    const ga = hasW ? f64x2.mul(a, v128.load(at8(w64, i))) : a;
    const gb = hasW ? f64x2.mul(b, v128.load(at8(w64, i), 16)) : b;
    g0 = f64x2.add(g0, ga);
    g1 = f64x2.add(g1, gb);
    x0 = f64x2.add(x0, f64x2.mul(ga, d0));
    x1 = f64x2.add(x1, f64x2.mul(gb, d1));
  }
  let sg = hsum(f64x2.add(g0, g1));
  let sx = hsum(f64x2.add(x0, x1));
  for (; i < N; i++) {
    const a = <f64>load<f32>(at4(pdy, i));
    const d = <f64>load<f32>(at4(px, i)) - m;
    store<f64>(at8(dRow, i), d);
    const g = hasW ? a * load<f64>(at8(w64, i)) : a;
    sg += g;
    sx += g * d;
  }
  sumG = sg;
  sumGD = sx;
}

/** Pass B of one row (and pass A of the next when `ahead`), the loop specialised for the case. */
export function rowB(
  pdy: usize,
  dRow: usize,
  pdx: usize,
  N: i32,
  s: f64,
  k: f64,
  c: f64,
  w64: usize,
  pW: usize,
  pB: usize,
  qdy: usize,
  qx: usize,
  m2: f64,
  dNext: usize,
  flags: i32,
  ahead: bool,
): void {
  const hasW = (flags & HAS_W) !== 0;
  const params = (flags & (WANT_DW | WANT_DB)) !== 0;
  const rms = (flags & RMS) !== 0;
  if (ahead) {
    if (rms) {
      if (hasW && params)
        inline.always(
          passB(pdy, dRow, pdx, N, s, k, 0, w64, pW, pB, qdy, qx, 0, dNext, true, true, false, true),
        );
      else if (hasW)
        inline.always(
          passB(pdy, dRow, pdx, N, s, k, 0, w64, pW, pB, qdy, qx, 0, dNext, true, false, false, true),
        );
      else if (params)
        inline.always(
          passB(pdy, dRow, pdx, N, s, k, 0, w64, pW, pB, qdy, qx, 0, dNext, false, true, false, true),
        );
      else
        inline.always(
          passB(pdy, dRow, pdx, N, s, k, 0, w64, pW, pB, qdy, qx, 0, dNext, false, false, false, true),
        );
    } else if (hasW && params)
      inline.always(
        passB(pdy, dRow, pdx, N, s, k, c, w64, pW, pB, qdy, qx, m2, dNext, true, true, true, true),
      );
    else if (hasW)
      inline.always(
        passB(pdy, dRow, pdx, N, s, k, c, w64, pW, pB, qdy, qx, m2, dNext, true, false, true, true),
      );
    else if (params)
      inline.always(
        passB(pdy, dRow, pdx, N, s, k, c, w64, pW, pB, qdy, qx, m2, dNext, false, true, true, true),
      );
    else
      inline.always(
        passB(pdy, dRow, pdx, N, s, k, c, w64, pW, pB, qdy, qx, m2, dNext, false, false, true, true),
      );
  } else if (rms) {
    if (hasW && params)
      inline.always(passB(pdy, dRow, pdx, N, s, k, 0, w64, pW, pB, 0, 0, 0, 0, true, true, false, false));
    else if (hasW)
      inline.always(passB(pdy, dRow, pdx, N, s, k, 0, w64, pW, pB, 0, 0, 0, 0, true, false, false, false));
    else if (params)
      inline.always(passB(pdy, dRow, pdx, N, s, k, 0, w64, pW, pB, 0, 0, 0, 0, false, true, false, false));
    else
      inline.always(passB(pdy, dRow, pdx, N, s, k, 0, w64, pW, pB, 0, 0, 0, 0, false, false, false, false));
  } else if (hasW && params)
    inline.always(passB(pdy, dRow, pdx, N, s, k, c, w64, pW, pB, 0, 0, 0, 0, true, true, true, false));
  else if (hasW)
    inline.always(passB(pdy, dRow, pdx, N, s, k, c, w64, pW, pB, 0, 0, 0, 0, true, false, true, false));
  else if (params)
    inline.always(passB(pdy, dRow, pdx, N, s, k, c, w64, pW, pB, 0, 0, 0, 0, false, true, true, false));
  else inline.always(passB(pdy, dRow, pdx, N, s, k, c, w64, pW, pB, 0, 0, 0, 0, false, false, true, false));
}

/**
 * Pass B over one row, with pass A's float64 d = x - mean:
 *   dx = g * rstd - d * k - c  (the JS kernel's order);  pW += dy * (d * rstd),  pB += dy;
 * and with `ahead`, pass A of the next row (qdy, qx, its mean m2) in the same loop, into dNext.
 */
function passB(
  pdy: usize,
  dRow: usize,
  pdx: usize,
  N: i32,
  s: f64,
  k: f64,
  c: f64,
  w64: usize,
  pW: usize,
  pB: usize,
  qdy: usize,
  qx: usize,
  m2: f64,
  dNext: usize,
  hasW: bool,
  params: bool,
  centered: bool,
  ahead: bool,
): void {
  const sv = f64x2.splat(s);
  const kv = f64x2.splat(k);
  const cv = f64x2.splat(c);
  const mv2 = f64x2.splat(m2);
  let g0 = f64x2.splat(0);
  let g1 = g0;
  let x0 = g0;
  let x1 = g0;
  let i = 0;
  for (; i + 4 <= N; i += 4) {
    const w0 = hasW ? v128.load(at8(w64, i)) : sv;
    const w1 = hasW ? v128.load(at8(w64, i), 16) : sv;
    if (ahead) {
      const a2 = load2(at4(qdy, i));
      const b2 = load2(at4(qdy, i) + 8);
      const e0 = centered ? f64x2.sub(load2(at4(qx, i)), mv2) : load2(at4(qx, i));
      const e1 = centered ? f64x2.sub(load2(at4(qx, i) + 8), mv2) : load2(at4(qx, i) + 8);
      v128.store(at8(dNext, i), e0);
      v128.store(at8(dNext, i), e1, 16);
      const ga2 = hasW ? f64x2.mul(a2, w0) : a2;
      const gb2 = hasW ? f64x2.mul(b2, w1) : b2;
      g0 = f64x2.add(g0, ga2);
      g1 = f64x2.add(g1, gb2);
      x0 = f64x2.add(x0, f64x2.mul(ga2, e0));
      x1 = f64x2.add(x1, f64x2.mul(gb2, e1));
    }
    const a = load2(at4(pdy, i));
    const b = load2(at4(pdy, i) + 8);
    const d0 = v128.load(at8(dRow, i));
    const d1 = v128.load(at8(dRow, i), 16);
    const ga = hasW ? f64x2.mul(a, w0) : a;
    const gb = hasW ? f64x2.mul(b, w1) : b;
    let y0 = f64x2.sub(f64x2.mul(ga, sv), f64x2.mul(d0, kv));
    let y1 = f64x2.sub(f64x2.mul(gb, sv), f64x2.mul(d1, kv));
    if (centered) {
      y0 = f64x2.sub(y0, cv);
      y1 = f64x2.sub(y1, cv);
    }
    store2(at4(pdx, i), y0);
    store2(at4(pdx, i) + 8, y1);
    if (params) {
      v128.store(at8(pW, i), f64x2.add(v128.load(at8(pW, i)), f64x2.mul(a, f64x2.mul(d0, sv))));
      v128.store(at8(pW, i), f64x2.add(v128.load(at8(pW, i), 16), f64x2.mul(b, f64x2.mul(d1, sv))), 16);
      v128.store(at8(pB, i), f64x2.add(v128.load(at8(pB, i)), a));
      v128.store(at8(pB, i), f64x2.add(v128.load(at8(pB, i), 16), b), 16);
    }
  }
  let sg = hsum(f64x2.add(g0, g1));
  let sx = hsum(f64x2.add(x0, x1));
  for (; i < N; i++) {
    const wi = hasW ? load<f64>(at8(w64, i)) : 1;
    if (ahead) {
      const a2 = <f64>load<f32>(at4(qdy, i));
      const e = <f64>load<f32>(at4(qx, i)) - m2;
      store<f64>(at8(dNext, i), e);
      const g2 = hasW ? a2 * wi : a2;
      sg += g2;
      sx += g2 * e;
    }
    const a = <f64>load<f32>(at4(pdy, i));
    const d = load<f64>(at8(dRow, i));
    const g = hasW ? a * wi : a;
    store<f32>(at4(pdx, i), <f32>(g * s - d * k - c));
    if (params) {
      store<f64>(at8(pW, i), load<f64>(at8(pW, i)) + a * (d * s));
      store<f64>(at8(pB, i), load<f64>(at8(pB, i)) + a);
    }
  }
  if (ahead) {
    sumG = sg;
    sumGD = sx;
  }
}

/**
 * dx of one row in the direct form rstd * (g - mean(g) - xhat * mean(g * xhat)), with pass A's
 * float64 d = x - mean; it never forms rstd^3 (rstd = 0 gives dx = 0).
 */
export function directRow(
  pdy: usize,
  dRow: usize,
  pdx: usize,
  N: i32,
  s: f64,
  mg: f64,
  mgx: f64,
  w64: usize,
  hasW: bool,
): void {
  for (let i = 0; i < N; i++) {
    let g = <f64>load<f32>(at4(pdy, i));
    if (hasW) g *= load<f64>(at8(w64, i));
    store<f32>(at4(pdx, i), <f32>((g - mg - load<f64>(at8(dRow, i)) * s * mgx) * s));
  }
}

/** pW += dy * ((x - m) * s), pB += dy over one row (float32 dy and x). */
export function paramsRow(pdy: usize, px: usize, N: i32, m: f64, s: f64, pW: usize, pB: usize): void {
  const mv = f64x2.splat(m);
  const sv = f64x2.splat(s);
  let i = 0;
  for (; i + 2 <= N; i += 2) {
    const g = load2(at4(pdy, i));
    const xh = f64x2.mul(f64x2.sub(load2(at4(px, i)), mv), sv);
    v128.store(at8(pW, i), f64x2.add(v128.load(at8(pW, i)), f64x2.mul(g, xh)));
    v128.store(at8(pB, i), f64x2.add(v128.load(at8(pB, i)), g));
  }
  for (; i < N; i++) {
    const g = <f64>load<f32>(at4(pdy, i));
    store<f64>(at8(pW, i), load<f64>(at8(pW, i)) + g * ((<f64>load<f32>(at4(px, i)) - m) * s));
    store<f64>(at8(pB, i), load<f64>(at8(pB, i)) + g);
  }
}
