import type { Tensor } from '@normkit/tensor';
import {
  checkSeveralValues,
  instanceLayout,
  parseAffineOptions,
  parseRunningOptions,
  requireRunningStats,
} from './internal/channel-args.js';
import {
  channelBackward,
  forwardBuffers,
  normalizeWithGivenStats,
  normalizeWithInputStats,
} from './internal/channel-ops.js';
import { at, type ChannelLayout, rstdFrom, updateRunning } from './internal/channels.js';
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
 * InstanceNorm (torch.nn.functional.instance_norm): x [N, C, *]; every (sample, channel) plane is
 * normalized on its own (GroupNorm with numGroups = C), optional per-channel affine [C].
 *   useInputStats (default true): the plane's mean and biased variance; prod(spatial) must be > 1,
 *     as torch. runningMean/runningVar, if given, are updated in place as torch does (it runs
 *     BatchNorm on [1, N * C, *] with the running statistics repeated N times, then averages):
 *       running = (1 - momentum) * running + momentum * mean over n of the batch statistic
 *     with the UNBIASED plane variance var * S / (S - 1), S = prod(spatial).
 *   useInputStats false: runningMean/runningVar (required) are used for every sample.
 * Saved statistics are float64 [N, C] (with running statistics: those, repeated over n). Edge cases
 * as groupNormForward: a constant plane with eps = 0 stores rstd = 0 (y = bias, dx = 0); NaN in x
 * reaches only its plane (and, through the update, its channel's running statistics).
 */
export interface InstanceNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  useInputStats?: boolean;
  /** Running-statistics factor in [0, 1], default 0.1. */
  momentum?: number;
  eps?: number;
  out?: ForwardOut;
}

/** Saved statistics of instanceNormForward: float64 [N, C]. */
export interface InstanceNormStats {
  mean: Tensor;
  rstd: Tensor;
}

export interface InstanceNormResult extends InstanceNormStats {
  y: Tensor;
}

export interface InstanceNormBackwardOptions {
  weight?: Tensor | null;
  needs?: NormNeeds;
  /** Whether the forward used the input's statistics (default true); false: dx = dy * weight * rstd. */
  useInputStats?: boolean;
  out?: BackwardOut;
}

interface Prepared {
  L: ChannelLayout;
  eps: number;
  momentum: number;
  useInputStats: boolean;
}

/** Every check of the forward, before any work (channel-args.ts gives the order). */
function prepare(op: string, x: Tensor, o: InstanceNormOptions): Prepared {
  const L = instanceLayout(op, x);
  const eps = parseAffineOptions(op, x, L.C, o);
  const momentum = parseRunningOptions(op, x, L.C, o, false);
  const { useInputStats = true } = o;
  if (useInputStats) {
    checkSeveralValues(
      op,
      x,
      L.S,
      'more than 1 spatial element when useInputStats is true',
      'more than 1 spatial element when using input statistics',
    );
  } else requireRunningStats(op, o, 'useInputStats false');
  return { L, eps, momentum, useInputStats };
}

/** Running statistics from the [N, C] plane statistics: averaged over the batch, unbiased variance. */
function updateRunningStats(
  o: InstanceNormOptions,
  p: Prepared,
  mean: Float64Array,
  variance: Float64Array,
): void {
  const { N, C, S } = p.L;
  if (N * S === 0 || (!o.runningMean && !o.runningVar)) return;
  const batchMean = new Float64Array(C);
  const batchVar = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      batchMean[c] += mean[n * C + c]! / N;
      batchVar[c] += (variance[n * C + c]! * S) / (S - 1) / N;
    }
  }
  if (o.runningMean) updateRunning(o.runningMean, batchMean, p.momentum);
  if (o.runningVar) updateRunning(o.runningVar, batchVar, p.momentum);
}

/** The running statistics repeated over the batch: mean[n, c] = runningMean[c], rstd[n, c] from runningVar[c] + eps. */
function fillFromRunning(o: InstanceNormOptions, p: Prepared, mean: Float64Array, rstd: Float64Array): void {
  const { N, C } = p.L;
  for (let c = 0; c < C; c++) {
    const m = at(o.runningMean!, c);
    const r = rstdFrom(at(o.runningVar!, c) + p.eps);
    for (let n = 0; n < N; n++) {
      mean[n * C + c] = m;
      rstd[n * C + c] = r;
    }
  }
}

export function instanceNormForward(x: Tensor, options: InstanceNormOptions = {}): InstanceNormResult {
  const op = 'instanceNormForward';
  const p = prepare(op, x, options);
  const { L } = p;
  const b = forwardBuffers(op, x, L, options.out);
  if (p.useInputStats) {
    const tracked = options.runningMean || options.runningVar;
    const variance = tracked ? new Float64Array(L.N * L.C) : null;
    normalizeWithInputStats(x, options, b, L, p.eps, variance);
    if (variance !== null) updateRunningStats(options, p, b.md, variance);
  } else {
    fillFromRunning(options, p, b.md, b.rd);
    normalizeWithGivenStats(x, options, b, L);
  }
  return { y: b.y, mean: b.mean, rstd: b.rstd };
}

/** dx, dWeight, dBias of instanceNormForward. */
export function instanceNormBackward(
  dy: Tensor,
  x: Tensor,
  stats: InstanceNormStats,
  options: InstanceNormBackwardOptions = {},
): BackwardResult {
  const op = 'instanceNormBackward';
  return channelBackward(op, dy, x, instanceLayout(op, x), stats, options, !(options.useInputStats ?? true));
}

/** Slow float64 instanceNormForward (same arguments, running statistics updated in place the same way). */
export function instanceNormReference(x: Tensor, options: InstanceNormOptions = {}): InstanceNormResult {
  const p = prepare('instanceNormReference', x, options);
  const { L } = p;
  const xv = values(x);
  const mean = new Float64Array(L.N * L.C);
  const rstd = new Float64Array(L.N * L.C);
  if (p.useInputStats) {
    const stats = referenceStats(xv, L, p.eps);
    mean.set(stats.mean);
    rstd.set(stats.rstd);
    updateRunningStats(options, p, stats.mean, stats.variance);
  } else fillFromRunning(options, p, mean, rstd);
  const y = referenceAffine(xv, L, mean, rstd, optionalValues(options.weight), optionalValues(options.bias));
  return referenceResult(x, L, y, mean, rstd);
}

/** Slow float64 instanceNormBackward: all three gradients, in x's dtype. */
export function instanceNormBackwardReference(
  dy: Tensor,
  x: Tensor,
  stats: InstanceNormStats,
  options: Pick<InstanceNormBackwardOptions, 'weight' | 'useInputStats'> = {},
): { dx: Tensor; dWeight: Tensor; dBias: Tensor } {
  const L = instanceLayout('instanceNormBackwardReference', x);
  return referenceBackwardResult(dy, x, L, stats, options.weight, !(options.useInputStats ?? true));
}
