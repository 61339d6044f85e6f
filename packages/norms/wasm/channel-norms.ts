// BatchNorm, GroupNorm (and InstanceNorm: G = C) forward and backward, float32 data, float64
// statistics and arithmetic: the formulas of src/internal/channel-kernels.ts and
// channel-backward.ts. x is [N, C, S] (S = product of the spatial dims), so each (n, c) plane is S
// contiguous floats and a group's Cg = C / G channels of one sample are Cg * S contiguous floats.
// A statistic is indexed (pooled ? 0 : n * G) + g; weight/bias are per channel. Arguments are byte
// addresses; `scratch` is a float64 work area owned by the caller.
import { colAffine, colDeviations, colDx, colGradSums, colSums } from './lib/columns';
import { red1, red2, runAffine, runDeviations, runDx, runGradSums, runScale, runSum } from './lib/planes';
import { at4, at8, zero64 } from './lib/simd';
import { lnStats, resetHint, rstdOf, statMean, statRstd, statVar } from './lib/stats';

const HAS_W = 1;
const HAS_B = 2;
/** statistics given (BatchNorm eval, InstanceNorm with running statistics), not from x */
const GIVEN = 4;
const WANT_DX = 8;
const WANT_DW = 16;
const WANT_DB = 32;

function weightOf(w: usize, c: i32, flags: i32): f64 {
  return flags & HAS_W ? <f64>load<f32>(at4(w, c)) : 1;
}

function biasOf(b: usize, c: i32, flags: i32): f64 {
  return flags & HAS_B ? <f64>load<f32>(at4(b, c)) : 0;
}

/** rstd as applied: a hand-made +Infinity gives xhat = 0, not 0 * Infinity. */
function applied(r: f64): f64 {
  return r === Infinity ? 0 : r;
}

/** Address of plane (n, c). */
function plane(p: usize, n: i32, c: i32, C: i32, S: i32): usize {
  return at4(p, (n * C + c) * S);
}

/**
 * GroupNorm forward with each (sample, group)'s own statistics (lnStats: one float64 pass over the
 * contiguous group, a second for groups with an offset), then y = (x - mean) * (w * rstd) + b per
 * channel. mean, rstd (and variance, when its address is not 0): float64 [N, G].
 */
export function groupForward(
  x: usize,
  y: usize,
  N: i32,
  C: i32,
  S: i32,
  G: i32,
  w: usize,
  b: usize,
  flags: i32,
  eps: f64,
  mean: usize,
  rstd: usize,
  variance: usize,
): void {
  const Cg = C / G;
  resetHint();
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      lnStats(plane(x, n, g * Cg, C, S), Cg * S, eps, 0);
      const m = statMean;
      const r = statRstd;
      store<f64>(at8(mean, n * G + g), m);
      store<f64>(at8(rstd, n * G + g), r);
      if (variance) store<f64>(at8(variance, n * G + g), statVar);
      for (let c = g * Cg; c < (g + 1) * Cg; c++) {
        const sc = flags & HAS_W ? weightOf(w, c, flags) * r : r;
        runAffine(plane(x, n, c, C, S), plane(y, n, c, C, S), S, m, sc, biasOf(b, c, flags));
      }
    }
  }
}

/**
 * BatchNorm forward, one statistic per channel over N * S values, walked in memory order (the
 * tensor need not fit in cache; S = 1 runs across channels). With GIVEN the mean/rstd arrays hold
 * the statistics to apply (eval); otherwise the corrected two-pass algorithm computes them:
 *   m0 = sum / count,  d = x - m0,  corr = sum(d) / count,
 *   var = max(0, sum(d^2) / count - corr^2),  mean = m0 + corr,  rstd = 1 / sqrt(var + eps)
 * and the biased variance goes to `variance` (for the running statistics).
 * scratch: float64 [5C].
 */
export function batchForward(
  x: usize,
  y: usize,
  N: i32,
  C: i32,
  S: i32,
  w: usize,
  b: usize,
  flags: i32,
  eps: f64,
  mean: usize,
  rstd: usize,
  variance: usize,
  scratch: usize,
): void {
  const m0 = scratch;
  const sd = at8(scratch, C);
  const sq = at8(scratch, 2 * C);
  const sc = at8(scratch, 3 * C);
  const sh = at8(scratch, 4 * C);
  if (!(flags & GIVEN)) {
    const count = <f64>N * <f64>S;
    zero64(scratch, 3 * C);
    if (S === 1) colSums(x, N, C, m0);
    else {
      for (let n = 0; n < N; n++) {
        for (let c = 0; c < C; c++) {
          runSum(plane(x, n, c, C, S), S);
          store<f64>(at8(m0, c), load<f64>(at8(m0, c)) + red1);
        }
      }
    }
    for (let c = 0; c < C; c++) store<f64>(at8(m0, c), load<f64>(at8(m0, c)) / count);
    if (S === 1) colDeviations(x, N, C, m0, sd, sq);
    else {
      for (let n = 0; n < N; n++) {
        for (let c = 0; c < C; c++) {
          runDeviations(plane(x, n, c, C, S), S, load<f64>(at8(m0, c)));
          store<f64>(at8(sd, c), load<f64>(at8(sd, c)) + red1);
          store<f64>(at8(sq, c), load<f64>(at8(sq, c)) + red2);
        }
      }
    }
    for (let c = 0; c < C; c++) {
      const corr = load<f64>(at8(sd, c)) / count;
      const v = max(0, load<f64>(at8(sq, c)) / count - corr * corr);
      store<f64>(at8(mean, c), load<f64>(at8(m0, c)) + corr);
      store<f64>(at8(rstd, c), rstdOf(v + eps));
      store<f64>(at8(variance, c), v);
    }
  }
  for (let c = 0; c < C; c++) {
    const r = applied(load<f64>(at8(rstd, c)));
    store<f64>(at8(sc, c), flags & HAS_W ? weightOf(w, c, flags) * r : r);
    store<f64>(at8(sh, c), biasOf(b, c, flags));
  }
  if (S === 1) {
    colAffine(x, y, N, C, mean, sc, sh);
    return;
  }
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const p = <usize>(n * C + c) * S;
      runAffine(
        at4(x, p),
        at4(y, p),
        S,
        load<f64>(at8(mean, c)),
        load<f64>(at8(sc, c)),
        load<f64>(at8(sh, c)),
      );
    }
  }
}

/**
 * Backward of both (pooled: BatchNorm, G = C). For a group of `count` elements, with
 * xhat = (x - mean) * rstd and g = dy * weight[c]:
 *   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) = a * dy + xhat * k + b    (a = w * rstd,
 *        k = -rstd * sum(g * xhat) / count, b = -rstd * sum(g) / count; GIVEN: k = b = 0)
 *   dWeight[c] = sum dy * xhat,  dBias[c] = sum dy
 * Per channel: float64 sums of dy and dy * (x - mean) give the parameter gradients and the group's
 * sums; then one pass writes dx. scratch: float64 [2C] (dWeight, dBias: results, float64) and for
 * pooled layouts [7C] more (per-channel sums and coefficients).
 */
export function channelBackward(
  dy: usize,
  x: usize,
  N: i32,
  C: i32,
  S: i32,
  G: i32,
  pooled: bool,
  flags: i32,
  w: usize,
  mean: usize,
  rstd: usize,
  dx: usize,
  scratch: usize,
): void {
  const accW = scratch;
  const accB = at8(scratch, C);
  const given = (flags & GIVEN) !== 0;
  const sums = (flags & (WANT_DW | WANT_DB)) !== 0 || ((flags & WANT_DX) !== 0 && !given);
  zero64(scratch, 2 * C);
  if (pooled) {
    pooledBackward(dy, x, N, C, S, flags, sums, w, mean, rstd, dx, at8(scratch, 2 * C), accW, accB);
    return;
  }
  const Cg = C / G;
  const count = <f64>Cg * <f64>S;
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const m = load<f64>(at8(mean, n * G + g));
      const r = applied(load<f64>(at8(rstd, n * G + g)));
      let sumG: f64 = 0;
      let sumGX: f64 = 0;
      if (sums) {
        for (let c = g * Cg; c < (g + 1) * Cg; c++) {
          runGradSums(plane(dy, n, c, C, S), plane(x, n, c, C, S), S, m);
          const wc = weightOf(w, c, flags);
          store<f64>(at8(accB, c), load<f64>(at8(accB, c)) + red1);
          store<f64>(at8(accW, c), load<f64>(at8(accW, c)) + red2 * r);
          sumG += wc * red1;
          sumGX += wc * red2 * r;
        }
      }
      if (!(flags & WANT_DX) || count === 0) continue;
      const k = given ? 0 : (-r * sumGX) / count;
      const b = given ? 0 : (-r * sumG) / count;
      for (let c = g * Cg; c < (g + 1) * Cg; c++) {
        const a = flags & HAS_W ? weightOf(w, c, flags) * r : r;
        if (given) runScale(plane(dy, n, c, C, S), plane(dx, n, c, C, S), S, a);
        else runDx(plane(dy, n, c, C, S), plane(x, n, c, C, S), plane(dx, n, c, C, S), S, a, m, r, k, b);
      }
    }
  }
}

/** channelBackward for BatchNorm: one group per channel over all N samples. work: float64 [7C]. */
function pooledBackward(
  dy: usize,
  x: usize,
  N: i32,
  C: i32,
  S: i32,
  flags: i32,
  sums: bool,
  w: usize,
  mean: usize,
  rstd: usize,
  dx: usize,
  work: usize,
  accW: usize,
  accB: usize,
): void {
  // coefficients m, r, a, k, b (colDx's layout), then the sums
  const cm = work;
  const cr = at8(work, C);
  const ca = at8(work, 2 * C);
  const ck = at8(work, 3 * C);
  const cb = at8(work, 4 * C);
  const sdy = at8(work, 5 * C);
  const sdx = at8(work, 6 * C);
  const count = <f64>N * <f64>S;
  const given = (flags & GIVEN) !== 0;
  zero64(sdy, 2 * C);
  for (let c = 0; c < C; c++) {
    store<f64>(at8(cm, c), load<f64>(at8(mean, c)));
    store<f64>(at8(cr, c), applied(load<f64>(at8(rstd, c))));
  }
  if (sums) {
    if (S === 1) colGradSums(dy, x, N, C, cm, sdy, sdx);
    else {
      for (let n = 0; n < N; n++) {
        for (let c = 0; c < C; c++) {
          runGradSums(plane(dy, n, c, C, S), plane(x, n, c, C, S), S, load<f64>(at8(cm, c)));
          store<f64>(at8(sdy, c), load<f64>(at8(sdy, c)) + red1);
          store<f64>(at8(sdx, c), load<f64>(at8(sdx, c)) + red2);
        }
      }
    }
  }
  for (let c = 0; c < C; c++) {
    const r = load<f64>(at8(cr, c));
    const wc = weightOf(w, c, flags);
    const s1 = load<f64>(at8(sdy, c));
    const s2 = load<f64>(at8(sdx, c));
    store<f64>(at8(accB, c), s1);
    store<f64>(at8(accW, c), s2 * r);
    store<f64>(at8(ca, c), flags & HAS_W ? wc * r : r);
    store<f64>(at8(ck, c), given ? 0 : (-r * (wc * s2 * r)) / count);
    store<f64>(at8(cb, c), given ? 0 : (-r * (wc * s1)) / count);
  }
  if (!(flags & WANT_DX) || count === 0) return;
  if (S === 1) {
    colDx(dy, x, dx, N, C, work);
    return;
  }
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const a = load<f64>(at8(ca, c));
      if (given) runScale(plane(dy, n, c, C, S), plane(dx, n, c, C, S), S, a);
      else {
        const p = <usize>(n * C + c) * S;
        const k = load<f64>(at8(ck, c));
        const b = load<f64>(at8(cb, c));
        runDx(at4(dy, p), at4(x, p), at4(dx, p), S, a, load<f64>(at8(cm, c)), load<f64>(at8(cr, c)), k, b);
      }
    }
  }
}
