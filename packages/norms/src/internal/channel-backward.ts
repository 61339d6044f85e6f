import type { TypedArray } from '@normkit/tensor';
import { appliedRstd, forEachBlock, gradRun, type Scratch, scratch } from './channel-blocks.js';
import { rowDx, rowGradSums } from './channel-rows.js';
import type { ChannelLayout } from './channels.js';

/**
 * The one backward of BatchNorm, GroupNorm and InstanceNorm (layout in channels.ts, blocks in
 * channel-blocks.ts). For a group of M elements with statistics (mean, rstd),
 * xhat = (x - mean) * rstd and g = dy * weight[c]:
 *   dx = rstd * (g - mean(g) - xhat * mean(g * xhat))          batch statistics
 *   dx = rstd * g                                               given statistics (eval / running)
 *   dWeight[c] = sum dy * xhat,  dBias[c] = sum dy              over every element of channel c
 * Pass A: per channel of the block, float64 sums of dy and dy * (x - mean) (x - mean, not x, so
 * offsets of 1e4 do not cancel); they give the channel's dWeight/dBias partials and the group's
 * sums of g and g * xhat. Pass B writes dx = a * dy + xhat * k + c0 with per-channel a, k, c0.
 * dWeight/dBias are float64 accumulators of length C, zero on entry; null ones are skipped.
 */
export function channelNormBackward(
  dy: TypedArray,
  x: TypedArray,
  L: ChannelLayout,
  mean: Float64Array,
  rstd: Float64Array,
  weight: TypedArray | null,
  givenStats: boolean,
  dx: TypedArray | null,
  dWeight: Float64Array | null,
  dBias: Float64Array | null,
): void {
  const s = scratch(L);
  forEachBlock(L, (n0, n1, g0, g1) =>
    blockBackward(dy, x, L, n0, n1, g0, g1, mean, rstd, weight, givenStats, dx, dWeight, dBias, s),
  );
}

function blockBackward(
  dy: TypedArray,
  x: TypedArray,
  L: ChannelLayout,
  n0: number,
  n1: number,
  g0: number,
  g1: number,
  mean: Float64Array,
  rstd: Float64Array,
  weight: TypedArray | null,
  givenStats: boolean,
  dx: TypedArray | null,
  dWeight: Float64Array | null,
  dBias: Float64Array | null,
  s: Scratch,
): void {
  const { C, S, G } = L;
  const Cg = C / G;
  const c0 = g0 * Cg;
  const c1 = g1 * Cg;
  const count = (n1 - n0) * Cg * S;
  const base = L.pooled ? 0 : n0 * G;
  // per channel: mean, applied rstd, sum dy, sum dy * (x - mean); per group: sum g, sum g * xhat
  const { c1: mC, c2: rC, c3: sdy, c4: sdx, c5: aC, g1: sumG, g2: sumGX, pair } = s;
  for (let g = g0; g < g1; g++) {
    sumG[g] = sumGX[g] = 0;
    for (let c = g * Cg; c < (g + 1) * Cg; c++) {
      mC[c] = mean[base + g]!;
      rC[c] = appliedRstd(rstd[base + g]!);
      sdy[c] = sdx[c] = 0;
    }
  }

  if (dWeight !== null || dBias !== null || (dx !== null && !givenStats)) {
    if (S === 1) rowGradSums(dy, x, C, n0, n1, c0, c1, mC, sdy, sdx);
    else {
      for (let n = n0; n < n1; n++) {
        for (let c = c0, p = (n * C + c0) * S; c < c1; c++, p += S) {
          gradRun(dy, x, p, S, mC[c]!, pair);
          sdy[c] += pair[0]!;
          sdx[c] += pair[1]!;
        }
      }
    }
    for (let c = c0; c < c1; c++) {
      const w = weight === null ? 1 : weight[c]!;
      const g = Math.floor(c / Cg);
      if (dBias !== null) dBias[c] += sdy[c]!;
      if (dWeight !== null) dWeight[c] += sdx[c]! * rC[c]!;
      sumG[g] += w * sdy[c]!;
      sumGX[g] += w * sdx[c]! * rC[c]!;
    }
  }
  if (dx === null || count === 0) return;

  // dx = a * dy + ((x - mean) * rstd) * k + b, per channel; reuse sdy/sdx for k and b. xhat is
  // formed first: rstd^2 * k underflows for |x| ~ 1e200 where rstd ~ 1e-200.
  const kC = sdx;
  const bC = sdy;
  for (let c = c0; c < c1; c++) {
    const g = Math.floor(c / Cg);
    const r = rC[c]!;
    aC[c] = weight === null ? r : weight[c]! * r;
    kC[c] = givenStats ? 0 : (-r * sumGX[g]!) / count;
    bC[c] = givenStats ? 0 : (-r * sumG[g]!) / count;
  }
  if (S === 1) {
    rowDx(dy, x, dx, C, n0, n1, c0, c1, { m: mC, r: rC, a: aC, k: kC, b: bC });
    return;
  }
  for (let n = n0; n < n1; n++) {
    let p = (n * C + c0) * S;
    for (let c = c0; c < c1; c++) {
      const a = aC[c]!;
      const end = p + S;
      if (givenStats) {
        for (; p < end; p++) dx[p] = a * dy[p]!;
        continue;
      }
      const m = mC[c]!;
      const r = rC[c]!;
      const k = kC[c]!;
      const b = bC[c]!;
      for (; p < end; p++) dx[p] = a * dy[p]! + (x[p]! - m) * r * k + b;
    }
  }
}
