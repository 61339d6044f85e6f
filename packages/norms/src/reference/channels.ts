import { type DType, type Tensor, tensor } from '@normkit/tensor';
import { type ChannelLayout, statsShape } from '../internal/channels.js';

/**
 * Slow, obviously correct float64 references of BatchNorm, GroupNorm and InstanceNorm: the indices
 * of every group's elements are gathered into plain arrays, then the textbook formulas run on them.
 * Shares nothing with the fast kernels but the layout description (channels.ts): element (n, c, s)
 * of x viewed as [N, C, S] sits at (n * C + c) * S + s and belongs to statistic
 * (pooled ? 0 : n * G) + floor(c / (C / G)).
 */
export function groupMembers(L: ChannelLayout): number[][] {
  const { N, C, S, G, pooled } = L;
  const groups: number[][] = Array.from({ length: pooled ? G : N * G }, () => []);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const k = (pooled ? 0 : n * G) + Math.floor(c / (C / G));
      for (let s = 0; s < S; s++) groups[k]!.push((n * C + c) * S + s);
    }
  }
  return groups;
}

/** The channel of flat element i. */
function channelOf(L: ChannelLayout, i: number): number {
  return Math.floor(i / L.S) % L.C;
}

/** x's elements in row-major order as float64. */
export function values(t: Tensor): Float64Array {
  return Float64Array.from(t.toTypedArray());
}

/** values() of an optional weight or bias (absent: null). */
export function optionalValues(t: Tensor | null | undefined): Float64Array | null {
  return t ? values(t) : null;
}

export interface ReferenceStats {
  mean: Float64Array;
  variance: Float64Array;
  rstd: Float64Array;
}

/**
 * mean = sum / M, refined once by mean(x - mean) (so a constant group's mean is exactly its value);
 * var = sum (x - mean)^2 / M (biased); rstd = 1 / sqrt(var + eps). If the squares overflow, the same
 * formulas on (x - mean) / s with s = max |x - mean|: rstd = 1 / (s * sqrt(var_s + eps / s^2)).
 * An empty group has mean 0 and var 0.
 */
export function referenceStats(x: Float64Array, L: ChannelLayout, eps: number): ReferenceStats {
  const groups = groupMembers(L);
  const mean = new Float64Array(groups.length);
  const variance = new Float64Array(groups.length);
  const rstd = new Float64Array(groups.length);
  groups.forEach((idx, k) => {
    const M = idx.length;
    let m = 0;
    let v = 0;
    if (M > 0) {
      m = idx.reduce((acc, i) => acc + x[i]!, 0) / M;
      m += idx.reduce((acc, i) => acc + (x[i]! - m), 0) / M;
      v = idx.reduce((acc, i) => acc + (x[i]! - m) ** 2, 0) / M;
    }
    mean[k] = m;
    variance[k] = v;
    rstd[k] = referenceRstd(v + eps);
    if (!Number.isFinite(v) && Number.isFinite(m)) {
      const s = idx.reduce((acc, i) => Math.max(acc, Math.abs(x[i]! - m)), 0);
      const vs = idx.reduce((acc, i) => acc + ((x[i]! - m) / s) ** 2, 0) / M;
      variance[k] = vs * s * s;
      rstd[k] = 1 / (s * Math.sqrt(vs + eps / s / s));
    }
  });
  return { mean, variance, rstd };
}

/** 1 / sqrt(var + eps), and 0 for var + eps = 0 (normkit's convention: xhat = 0, y = bias, dx = 0). */
export function referenceRstd(varPlusEps: number): number {
  return varPlusEps === 0 ? 0 : 1 / Math.sqrt(varPlusEps);
}

/** xhat of an element with its group's statistics. */
function xhatOf(x: number, mean: number, rstd: number): number {
  return (x - mean) * rstd;
}

/** y = xhat * weight[c] + bias[c]. */
export function referenceAffine(
  x: Float64Array,
  L: ChannelLayout,
  mean: Float64Array,
  rstd: Float64Array,
  weight: Float64Array | null,
  bias: Float64Array | null,
): Float64Array {
  const y = new Float64Array(x.length);
  groupMembers(L).forEach((idx, k) => {
    for (const i of idx) {
      const c = channelOf(L, i);
      y[i] = xhatOf(x[i]!, mean[k]!, rstd[k]!) * (weight ? weight[c]! : 1) + (bias ? bias[c]! : 0);
    }
  });
  return y;
}

/**
 * With g = dy * weight[c] and M elements per group:
 *   dx = rstd * (g - mean(g) - xhat * mean(g * xhat))   (batch statistics)
 *   dx = rstd * g                                       (givenStats: statistics are constants)
 *   dWeight[c] = sum dy * xhat, dBias[c] = sum dy.
 * A constant group with eps = 0 (rstd = 0) has xhat = 0 and dx = 0.
 */
export function referenceBackward(
  dy: Float64Array,
  x: Float64Array,
  L: ChannelLayout,
  mean: Float64Array,
  rstd: Float64Array,
  weight: Float64Array | null,
  givenStats: boolean,
): { dx: Float64Array; dWeight: Float64Array; dBias: Float64Array } {
  const dx = new Float64Array(x.length);
  const dWeight = new Float64Array(L.C);
  const dBias = new Float64Array(L.C);
  groupMembers(L).forEach((idx, k) => {
    const r = rstd[k]!;
    const xhat = idx.map((i) => xhatOf(x[i]!, mean[k]!, rstd[k]!));
    const g = idx.map((i) => dy[i]! * (weight ? weight[channelOf(L, i)]! : 1));
    const meanG = g.reduce((a, b) => a + b, 0) / idx.length;
    const meanGX = g.reduce((a, b, j) => a + b * xhat[j]!, 0) / idx.length;
    idx.forEach((i, j) => {
      const c = channelOf(L, i);
      dx[i] = givenStats ? r * g[j]! : r * (g[j]! - meanG - xhat[j]! * meanGX);
      dWeight[c] += dy[i]! * xhat[j]!;
      dBias[c] += dy[i]!;
    });
  });
  return { dx, dWeight, dBias };
}

/** A float64 result stored as a tensor of the given dtype (rounded once). */
export function asTensor(v: Float64Array, shape: readonly number[], dtype: DType): Tensor {
  return tensor(v, shape, { dtype });
}

/** A reference forward's result: y in x's dtype, the statistics float64 and shaped like the groups. */
export function referenceResult(
  x: Tensor,
  L: ChannelLayout,
  y: Float64Array,
  mean: Float64Array,
  rstd: Float64Array,
): { y: Tensor; mean: Tensor; rstd: Tensor } {
  return {
    y: asTensor(y, x.shape, x.dtype),
    mean: asTensor(mean, statsShape(L), 'float64'),
    rstd: asTensor(rstd, statsShape(L), 'float64'),
  };
}

/** referenceBackward on tensors: all three gradients in x's dtype, dWeight and dBias of shape [C]. */
export function referenceBackwardResult(
  dy: Tensor,
  x: Tensor,
  L: ChannelLayout,
  stats: { mean: Tensor; rstd: Tensor },
  weight: Tensor | null | undefined,
  givenStats: boolean,
): { dx: Tensor; dWeight: Tensor; dBias: Tensor } {
  const r = referenceBackward(
    values(dy),
    values(x),
    L,
    values(stats.mean),
    values(stats.rstd),
    optionalValues(weight),
    givenStats,
  );
  return {
    dx: asTensor(r.dx, x.shape, x.dtype),
    dWeight: asTensor(r.dWeight, [L.C], x.dtype),
    dBias: asTensor(r.dBias, [L.C], x.dtype),
  };
}
