import type { TypedArray } from '@normkit/tensor';
import { appliedRstd, deviationRun, forEachBlock, type Scratch, scratch, sumRun } from './channel-blocks.js';
import { rowDeviations, rowNormalize, rowSums } from './channel-rows.js';
import { type ChannelLayout, rstdFrom } from './channels.js';

/**
 * The one statistics + normalize core of BatchNorm, GroupNorm and InstanceNorm (layout in
 * channels.ts, blocks in channel-blocks.ts). x and y are [N, C, S] flat from index 0; mean, rstd
 * and variance are indexed by statistic; weight and bias by channel.
 * Per block: two statistics passes, then one pass writing y.
 */

/** Forward with batch statistics. variance, when given, receives the biased variance (running stats). */
export function channelNormForward(
  x: TypedArray,
  y: TypedArray,
  L: ChannelLayout,
  eps: number,
  weight: TypedArray | null,
  bias: TypedArray | null,
  mean: Float64Array,
  rstd: Float64Array,
  variance: Float64Array | null,
): void {
  const s = scratch(L);
  forEachBlock(L, (n0, n1, g0, g1) => {
    blockStats(x, L, n0, n1, g0, g1, eps, mean, rstd, variance, s);
    blockNormalize(x, y, L, n0, n1, g0, g1, mean, rstd, weight, bias, s);
  });
}

/** y = (x - mean) * rstd * weight + bias with given statistics (BatchNorm eval, running statistics). */
export function channelAffine(
  x: TypedArray,
  y: TypedArray,
  L: ChannelLayout,
  weight: TypedArray | null,
  bias: TypedArray | null,
  mean: Float64Array,
  rstd: Float64Array,
): void {
  const s = scratch(L);
  forEachBlock(L, (n0, n1, g0, g1) => blockNormalize(x, y, L, n0, n1, g0, g1, mean, rstd, weight, bias, s));
}

/**
 * Pass 1 sums -> m0; pass 2 sums d = x - m0 and d^2, then
 *   var = mean(d^2) - mean(d)^2,  mean = m0 + mean(d)
 * (the corrected two-pass algorithm of Chan, Golub & LeVeque: the correction cancels the rounding
 * error of m0, so a constant group gets var = 0 and x - mean = 0 exactly). If d^2 overflows (|x| ~
 * 1e200 in float64) the group is redone scaled by max |d|. Empty groups: mean 0, var 0.
 * run = Cg * S elements of a group per sample are contiguous; run = 1 (BatchNorm on [N, C]) walks
 * rows with per-channel accumulators instead.
 */
function blockStats(
  x: TypedArray,
  L: ChannelLayout,
  n0: number,
  n1: number,
  g0: number,
  g1: number,
  eps: number,
  mean: Float64Array,
  rstd: Float64Array,
  variance: Float64Array | null,
  s: Scratch,
): void {
  const { C, S, G } = L;
  const run = (C / G) * S;
  const count = (n1 - n0) * run;
  const { g1: sum, g2: sd, g3: sq, pair } = s;
  for (let g = g0; g < g1; g++) sum[g] = sd[g] = sq[g] = 0;
  // run = 1: one element per group and sample, so group g is channel g (rows of [N, C])
  if (run === 1) rowSums(x, C, n0, n1, g0, g1, sum);
  else {
    for (let n = n0; n < n1; n++) {
      for (let g = g0, p = n * C * S + g0 * run; g < g1; g++, p += run) sum[g] += sumRun(x, p, run);
    }
  }
  for (let g = g0; g < g1; g++) sum[g] = count > 0 ? sum[g]! / count : 0;
  if (run === 1) rowDeviations(x, C, n0, n1, g0, g1, sum, sd, sq);
  else {
    for (let n = n0; n < n1; n++) {
      for (let g = g0, p = n * C * S + g0 * run; g < g1; g++, p += run) {
        deviationRun(x, p, run, sum[g]!, pair);
        sd[g] += pair[0]!;
        sq[g] += pair[1]!;
      }
    }
  }
  const base = L.pooled ? 0 : n0 * G;
  for (let g = g0; g < g1; g++) {
    const m0 = sum[g]!;
    let m = m0;
    let v = 0;
    if (count > 0) {
      const corr = sd[g]! / count;
      v = Math.max(0, sq[g]! / count - corr * corr);
      m = m0 + corr;
    }
    let r = rstdFrom(v + eps);
    if (!Number.isFinite(v) && Number.isFinite(m0))
      ({ mean: m, variance: v, rstd: r } = rescaledStats(x, L, n0, n1, g, m0, eps));
    mean[base + g] = m;
    rstd[base + g] = r;
    if (variance !== null) variance[base + g] = v;
  }
}

/**
 * Rare path for finite groups whose d^2 overflows: with s = max |x - m0|,
 *   var = s^2 * var(d / s),  rstd = 1 / (s * sqrt(var(d / s) + eps / s^2))
 * rstd stays exact; the variance itself (~1e400) is +Infinity.
 */
function rescaledStats(
  x: TypedArray,
  L: ChannelLayout,
  n0: number,
  n1: number,
  g: number,
  m0: number,
  eps: number,
): { mean: number; variance: number; rstd: number } {
  const run = (L.C / L.G) * L.S;
  const count = (n1 - n0) * run;
  let scale = 0;
  for (let n = n0; n < n1; n++) {
    const p = n * L.C * L.S + g * run;
    for (let i = p; i < p + run; i++) scale = Math.max(scale, Math.abs(x[i]! - m0));
  }
  let a1 = 0;
  let a2 = 0;
  for (let n = n0; n < n1; n++) {
    const p = n * L.C * L.S + g * run;
    for (let i = p; i < p + run; i++) {
      const d = (x[i]! - m0) / scale;
      a1 += d;
      a2 += d * d;
    }
  }
  const corr = a1 / count;
  const v = Math.max(0, a2 / count - corr * corr);
  return {
    mean: m0 + corr * scale,
    variance: v * scale * scale,
    rstd: 1 / (scale * Math.sqrt(v + eps / scale / scale)),
  };
}

/**
 * y = (x - mean) * scale + bias per channel, scale = weight * rstd. (x - mean) rather than
 * x * scale + (bias - mean * scale): the latter cancels digits when the mean is large (1e4)
 * against the spread (0.01). A block's statistics do not depend on n (pooled: per channel;
 * unpooled: one sample), so the coefficients are computed once per block.
 */
function blockNormalize(
  x: TypedArray,
  y: TypedArray,
  L: ChannelLayout,
  n0: number,
  n1: number,
  g0: number,
  g1: number,
  mean: Float64Array,
  rstd: Float64Array,
  weight: TypedArray | null,
  bias: TypedArray | null,
  s: Scratch,
): void {
  const { C, S, G } = L;
  const Cg = C / G;
  const c0 = g0 * Cg;
  const c1 = g1 * Cg;
  const { c1: mC, c2: sC, c3: hC } = s;
  const base = L.pooled ? 0 : n0 * G;
  for (let g = g0; g < g1; g++) {
    const m = mean[base + g]!;
    const r = appliedRstd(rstd[base + g]!);
    for (let c = g * Cg; c < (g + 1) * Cg; c++) {
      mC[c] = m;
      sC[c] = weight === null ? r : weight[c]! * r;
      hC[c] = bias === null ? 0 : bias[c]!;
    }
  }
  if (S === 1) {
    rowNormalize(x, y, C, n0, n1, c0, c1, mC, sC, hC);
    return;
  }
  for (let n = n0; n < n1; n++) {
    let p = (n * C + c0) * S;
    for (let c = c0; c < c1; c++) {
      const m = mC[c]!;
      const sc = sC[c]!;
      const sh = hC[c]!;
      for (const end = p + S; p < end; p++) y[p] = (x[p]! - m) * sc + sh;
    }
  }
}
