import { formatShape, ShapeError, type Tensor } from '@normkit/tensor';
import { channelNormForward } from './internal/channel-kernels.js';
import { channelBackward, forwardBuffers } from './internal/channel-ops.js';
import {
  type ChannelLayout,
  channelDims,
  checkChannelParams,
  flatData,
  optionalData,
} from './internal/channels.js';
import {
  type BackwardOut,
  type BackwardResult,
  checkEps,
  type ForwardOut,
  type NormNeeds,
} from './internal/common.js';
import { channelNormForwardWasm } from './internal/wasm/channels.js';
import {
  asTensor,
  referenceAffine,
  referenceBackward,
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

/** x's layout for numGroups, after checking the group count (torch's message for divisibility). */
function groupLayout(op: string, x: Tensor, numGroups: number): ChannelLayout {
  const { N, C, S } = channelDims(op, x);
  if (!Number.isInteger(numGroups) || numGroups <= 0) {
    throw new RangeError(`${op}: numGroups must be a positive integer, got ${numGroups}`);
  }
  if (C % numGroups !== 0) {
    throw new ShapeError(
      op,
      'x',
      `a channel count divisible by numGroups=${numGroups}`,
      formatShape(x.shape),
      `${op}: expected number of channels in input to be divisible by numGroups, but got input of shape ` +
        `${formatShape(x.shape)} and numGroups=${numGroups}`,
    );
  }
  return { N, C, S, G: numGroups, pooled: false };
}

function prepare(
  op: string,
  x: Tensor,
  numGroups: number,
  o: GroupNormOptions,
): { L: ChannelLayout; eps: number } {
  const L = groupLayout(op, x, numGroups);
  const { eps = 1e-5 } = o;
  checkEps(op, eps);
  checkChannelParams(op, x, L.C, { weight: o.weight, bias: o.bias });
  return { L, eps };
}

export function groupNormForward(
  x: Tensor,
  numGroups: number,
  options: GroupNormOptions = {},
): GroupNormResult {
  const op = 'groupNormForward';
  const { L, eps } = prepare(op, x, numGroups, options);
  const b = forwardBuffers(op, x, L, options.out);
  const xd = flatData(x);
  const weight = optionalData(options.weight);
  const bias = optionalData(options.bias);
  // WebAssembly SIMD when the backend is wasm and every array lives in its memory, else JS
  if (!channelNormForwardWasm(xd, b.yd, L, eps, weight, bias, b.md, b.rd, null))
    channelNormForward(xd, b.yd, L, eps, weight, bias, b.md, b.rd, null);
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
  const y = referenceAffine(
    xv,
    L,
    mean,
    rstd,
    options.weight ? values(options.weight) : null,
    options.bias ? values(options.bias) : null,
  );
  const shape = [L.N, L.G];
  return {
    y: asTensor(y, x.shape, x.dtype),
    mean: asTensor(mean, shape, 'float64'),
    rstd: asTensor(rstd, shape, 'float64'),
  };
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
  const weight = options.weight ? values(options.weight) : null;
  const r = referenceBackward(
    values(dy),
    values(x),
    L,
    values(stats.mean),
    values(stats.rstd),
    weight,
    false,
  );
  return {
    dx: asTensor(r.dx, x.shape, x.dtype),
    dWeight: asTensor(r.dWeight, [L.C], x.dtype),
    dBias: asTensor(r.dBias, [L.C], x.dtype),
  };
}
