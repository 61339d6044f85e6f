import type { Tensor } from '@normkit/tensor';
import {
  batchLayout,
  checkBatchCounter,
  checkSeveralValues,
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
import { at, type ChannelLayout, rstdOf, updateRunning } from './internal/channels.js';
import type { BackwardOut, BackwardResult, ForwardOut, NormNeeds } from './internal/common.js';
import {
  optionalValues,
  referenceAffine,
  referenceBackwardResult,
  referenceResult,
  referenceRstd,
  referenceStats,
  values,
} from './reference/channels.js';

/**
 * BatchNorm (torch.nn.functional.batch_norm), channels on axis 1, x of any rank >= 2:
 * [N, C], [N, C, L], [N, C, H, W], ... One statistic per channel, over every axis but 1.
 *   training: y = (x - mean) * rstd * weight + bias with the batch's mean and biased variance,
 *             rstd = 1 / sqrt(var + eps); runningMean/runningVar (if given) updated in place:
 *               running = (1 - f) * running + f * batch      (runningVar takes the UNBIASED variance,
 *                                                             var * M / (M - 1), M = N * prod(spatial))
 *             f = momentum (default 0.1), or with momentum null the cumulative average
 *             f = 1 / numBatchesTracked.value after its increment (torch's num_batches_tracked).
 *   eval:     the running statistics (required) are used as given.
 * Keras/Flax write the same update as momentum' * running + (1 - momentum') * batch with
 * momentum' = 0.99/0.9 (= 1 - torch's momentum) and their eps defaults differ (1e-3, 1e-5).
 * Saved statistics are float64 [C]: in eval, the running ones that were used.
 * Edge cases: statistics are float64 (two passes, exact for offsets such as mean 1e4 with std 0.01;
 * |x| up to ~1e300 in float64, rescaled where squares overflow); a constant channel gives y = bias,
 * and with eps = 0 (or a running var + eps of 0) rstd is stored as 0, not +Infinity, so gradients
 * stay finite (dx = 0) where torch gives NaN; NaN in x reaches only its channel. An empty batch
 * (N * prod(spatial) = 0) gives mean 0, rstd 1/sqrt(eps) and leaves running statistics untouched.
 */
export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training: boolean;
  /** Running-statistics factor in [0, 1] (default 0.1); null: cumulative average, needs numBatchesTracked. */
  momentum?: number | null;
  /** Step counter (torch's num_batches_tracked), incremented in place by every training call. */
  numBatchesTracked?: { value: number };
  eps?: number;
  out?: ForwardOut;
}

/** Saved statistics of batchNormForward: float64 [C]. */
export interface BatchNormStats {
  mean: Tensor;
  rstd: Tensor;
}

export interface BatchNormResult extends BatchNormStats {
  y: Tensor;
}

export interface BatchNormBackwardOptions {
  weight?: Tensor | null;
  needs?: NormNeeds;
  /** Whether the forward used batch statistics (default true); false: dx = dy * weight * rstd. */
  training?: boolean;
  out?: BackwardOut;
}

interface Prepared {
  L: ChannelLayout;
  eps: number;
  momentum: number | null;
}

/** Every check of the forward, before any work (channel-args.ts gives the order). */
function prepare(op: string, x: Tensor, o: BatchNormOptions): Prepared {
  const L = batchLayout(op, x);
  const eps = parseAffineOptions(op, x, L.C, o);
  const momentum = parseRunningOptions(op, x, L.C, o, true);
  if (o.training) {
    const perChannel = 'more than 1 value per channel when training';
    checkSeveralValues(op, x, L.N * L.S, perChannel, perChannel);
    checkBatchCounter(op, o, momentum);
  } else requireRunningStats(op, o, 'eval mode (training false)');
  return { L, eps, momentum };
}

/** torch's running-statistics update from the batch's mean and biased variance. */
function updateRunningStats(
  o: BatchNormOptions,
  p: Prepared,
  mean: Float64Array,
  variance: Float64Array,
): void {
  const { L, momentum } = p;
  if (o.numBatchesTracked) o.numBatchesTracked.value += 1;
  const M = L.N * L.S;
  // nothing to average into (torch: track_running_stats=False); momentum null then needs no counter
  if (M === 0 || (!o.runningMean && !o.runningVar)) return;
  const f = momentum ?? 1 / o.numBatchesTracked!.value;
  if (o.runningMean) updateRunning(o.runningMean, mean, f);
  if (o.runningVar)
    updateRunning(
      o.runningVar,
      variance.map((v) => (v * M) / (M - 1)),
      f,
    );
}

export function batchNormForward(x: Tensor, options: BatchNormOptions): BatchNormResult {
  const op = 'batchNormForward';
  const p = prepare(op, x, options);
  const { L } = p;
  const b = forwardBuffers(op, x, L, options.out);
  if (options.training) {
    const variance = new Float64Array(L.C);
    normalizeWithInputStats(x, options, b, L, p.eps, variance);
    updateRunningStats(options, p, b.md, variance);
  } else {
    for (let c = 0; c < L.C; c++) b.md[c] = at(options.runningMean!, c);
    rstdOf(options.runningVar!, p.eps, b.rd, L.C);
    normalizeWithGivenStats(x, options, b, L);
  }
  return { y: b.y, mean: b.mean, rstd: b.rstd };
}

/** dx, dWeight, dBias of batchNormForward (training: batch statistics; training false: eval). */
export function batchNormBackward(
  dy: Tensor,
  x: Tensor,
  stats: BatchNormStats,
  options: BatchNormBackwardOptions = {},
): BackwardResult {
  const op = 'batchNormBackward';
  return channelBackward(op, dy, x, batchLayout(op, x), stats, options, !(options.training ?? true));
}

/** Slow float64 batchNormForward (same arguments, running statistics updated in place the same way). */
export function batchNormReference(x: Tensor, options: BatchNormOptions): BatchNormResult {
  const op = 'batchNormReference';
  const p = prepare(op, x, options);
  const { L } = p;
  const xv = values(x);
  // weight and bias read before the running statistics are updated, as the fast path does
  const weight = optionalValues(options.weight);
  const bias = optionalValues(options.bias);
  let mean: Float64Array;
  let rstd: Float64Array;
  if (options.training) {
    const stats = referenceStats(xv, L, p.eps);
    ({ mean, rstd } = stats);
    updateRunningStats(options, p, mean, stats.variance);
  } else {
    mean = values(options.runningMean!);
    rstd = values(options.runningVar!).map((v) => referenceRstd(v + p.eps));
  }
  const y = referenceAffine(xv, L, mean, rstd, weight, bias);
  return referenceResult(x, L, y, mean, rstd);
}

/** Slow float64 batchNormBackward: all three gradients, in x's dtype. */
export function batchNormBackwardReference(
  dy: Tensor,
  x: Tensor,
  stats: BatchNormStats,
  options: Omit<BatchNormBackwardOptions, 'needs' | 'out'> = {},
): { dx: Tensor; dWeight: Tensor; dBias: Tensor } {
  const L = batchLayout('batchNormBackwardReference', x);
  return referenceBackwardResult(dy, x, L, stats, options.weight, !(options.training ?? true));
}
