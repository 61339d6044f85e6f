import type { Tensor } from '@normkit/tensor';
import { groupLayout, parseAffineOptions } from './internal/channel-args.js';
import { channelBackward, forwardBuffers, normalizeWithInputStats } from './internal/channel-ops.js';
import type { ChannelLayout } from './internal/channels.js';
import type { BackwardOut, BackwardResult, ForwardOut, NormNeeds } from './internal/common.js';
import {
  optionalValues,
  referenceAffine,
  referenceBackwardResult,
  referenceResult,
  referenceStats,
  values,
} from './reference/channels.js';

/**
 * GroupNorm (torch.nn.functional.group_norm): x [N, C, *] with C divisible by numGroups; each
 * sample's C / numGroups consecutive channels (and all spatial positions) share one mean and biased
 * variance; the affine weight/bias is per channel [C]:
 *   y[n, c, s] = (x[n, c, s] - mean[n, g]) * rstd[n, g] * weight[c] + bias[c],  g = floor(c / (C / G))
 * Saved statistics are float64 [N, G]. numGroups = 1 is LayerNorm over (C, *) with a per-channel
 * affine; numGroups = C is InstanceNorm without running statistics.
 * Unlike torch, a group of one element is not an error (torch 1.13 rejects N * C / G * prod(spatial)
 * = 1); it is a constant group: y = bias. Constant groups with eps = 0 store rstd = 0 (not
 * +Infinity: y = bias, dx = 0); empty groups (prod(spatial) = 0) have mean 0 and rstd 1/sqrt(eps)
 * (torch: NaN); NaN in x reaches only its (sample, group).
 */
export interface GroupNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
  out?: ForwardOut;
}

/** Saved statistics of groupNormForward: float64 [N, numGroups]. */
export interface GroupNormStats {
  mean: Tensor;
  rstd: Tensor;
}

export interface GroupNormResult extends GroupNormStats {
  y: Tensor;
}

export interface GroupNormBackwardOptions {
  weight?: Tensor | null;
  needs?: NormNeeds;
  out?: BackwardOut;
}

function prepare(
  op: string,
  x: Tensor,
  numGroups: number,
  o: GroupNormOptions,
): { L: ChannelLayout; eps: number } {
  const L = groupLayout(op, x, numGroups);
  return { L, eps: parseAffineOptions(op, x, L.C, o) };
}

export function groupNormForward(
  x: Tensor,
  numGroups: number,
  options: GroupNormOptions = {},
): GroupNormResult {
  const op = 'groupNormForward';
  const { L, eps } = prepare(op, x, numGroups, options);
  const b = forwardBuffers(op, x, L, options.out);
  normalizeWithInputStats(x, options, b, L, eps, null);
  return { y: b.y, mean: b.mean, rstd: b.rstd };
}

/** dx, dWeight, dBias of groupNormForward. */
export function groupNormBackward(
  dy: Tensor,
  x: Tensor,
  numGroups: number,
  stats: GroupNormStats,
  options: GroupNormBackwardOptions = {},
): BackwardResult {
  const op = 'groupNormBackward';
  return channelBackward(op, dy, x, groupLayout(op, x, numGroups), stats, options, false);
}

/** Slow float64 groupNormForward (same arguments). */
export function groupNormReference(
  x: Tensor,
  numGroups: number,
  options: GroupNormOptions = {},
): GroupNormResult {
  const { L, eps } = prepare('groupNormReference', x, numGroups, options);
  const xv = values(x);
  const { mean, rstd } = referenceStats(xv, L, eps);
  const y = referenceAffine(xv, L, mean, rstd, optionalValues(options.weight), optionalValues(options.bias));
  return referenceResult(x, L, y, mean, rstd);
}

/** Slow float64 groupNormBackward: all three gradients, in x's dtype. */
export function groupNormBackwardReference(
  dy: Tensor,
  x: Tensor,
  numGroups: number,
  stats: GroupNormStats,
  options: Pick<GroupNormBackwardOptions, 'weight'> = {},
): { dx: Tensor; dWeight: Tensor; dBias: Tensor } {
  const L = groupLayout('groupNormBackwardReference', x, numGroups);
  return referenceBackwardResult(dy, x, L, stats, options.weight, false);
}
