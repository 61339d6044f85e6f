// The writing pass of the 'high' precision forward (wasm/row-norms-f32.ts) in float32 lanes
// (f32x4), and the flush of the backward's float32 partial sums. Per-row constants arrive as
// float32 (the mean as two float32, mh + ml, so that d = (x - mh) - ml keeps the hard rows' digits:
// see f32-stats.ts). The loop takes its case as constant booleans and is inlined at its call sites
// (inline.always), one copy per case.
import { hi, lo } from './f32-stats';
import { at4 } from './simd';

/** y = ((x - mh) - ml) * rs * w + b (RMSNorm: y = x * rs * w), float32 arithmetic. */
export function write32(
  px: usize,
  py: usize,
  N: i32,
  mhf: f32,
  mlf: f32,
  rsf: f32,
  w: usize,
  b: usize,
  hasW: bool,
  hasB: bool,
  centered: bool,
): void {
  const mh = f32x4.splat(mhf);
  const ml = f32x4.splat(mlf);
  const rs = f32x4.splat(rsf);
  let i = 0;
  for (; i + 8 <= N; i += 8) {
    let x0 = v128.load(at4(px, i));
    let x1 = v128.load(at4(px, i), 16);
    if (centered) {
      x0 = f32x4.sub(f32x4.sub(x0, mh), ml);
      x1 = f32x4.sub(f32x4.sub(x1, mh), ml);
    }
    let y0 = f32x4.mul(x0, rs);
    let y1 = f32x4.mul(x1, rs);
    if (hasW) {
      y0 = f32x4.mul(y0, v128.load(at4(w, i)));
      y1 = f32x4.mul(y1, v128.load(at4(w, i), 16));
    }
    if (hasB) {
      y0 = f32x4.add(y0, v128.load(at4(b, i)));
      y1 = f32x4.add(y1, v128.load(at4(b, i), 16));
    }
    v128.store(at4(py, i), y0);
    v128.store(at4(py, i), y1, 16);
  }
  for (; i < N; i++) {
    let v = load<f32>(at4(px, i));
    if (centered) v = v - mhf - mlf;
    v *= rsf;
    if (hasW) v *= load<f32>(at4(w, i));
    if (hasB) v += load<f32>(at4(b, i));
    store<f32>(at4(py, i), v);
  }
}

/** t[i] += p[i] (float32 partials widened into float64 totals), p[i] = 0, over n values. */
export function flush32(p: usize, t: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(at4(p, i));
    const q = t + ((<usize>i) << 3);
    v128.store(q, f64x2.add(v128.load(q), lo(v)));
    v128.store(q, f64x2.add(v128.load(q, 16), hi(v)), 16);
    v128.store(at4(p, i), f32x4.splat(0));
  }
  for (; i < n; i++) {
    const q = t + ((<usize>i) << 3);
    store<f64>(q, load<f64>(q) + <f64>load<f32>(at4(p, i)));
    store<f32>(at4(p, i), 0);
  }
}
