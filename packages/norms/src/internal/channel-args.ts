import { formatShape, ShapeError, type Tensor } from '@normkit/tensor';
import { type ChannelLayout, channelDims } from './channels.js';
import { checkEps, checkParam } from './common.js';

/**
 * Argument checks shared by BatchNorm, GroupNorm and InstanceNorm (fast kernels, references and
 * backwards), run before any work, as row-args.ts does for LayerNorm and RMSNorm. A forward checks,
 * in this order: x's layout, eps, weight, bias, runningMean, runningVar, momentum, then what its
 * mode needs (enough values to take statistics from, or running statistics to use instead).
 */

/** The per-channel options of every channel norm. */
export interface AffineOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
}

/** The running-statistics options of BatchNorm and InstanceNorm. */
export interface RunningOptions {
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  momentum?: number | null;
}

/** BatchNorm's layout: one statistic per channel, pooled over the batch and spatial dims. */
export function batchLayout(op: string, x: Tensor): ChannelLayout {
  const { N, C, S } = channelDims(op, x);
  return { N, C, S, G: C, pooled: true };
}

/** InstanceNorm's layout: one statistic per (sample, channel) plane. */
export function instanceLayout(op: string, x: Tensor): ChannelLayout {
  const { N, C, S } = channelDims(op, x);
  return { N, C, S, G: C, pooled: false };
}

/** GroupNorm's layout, after checking the group count (torch's message for divisibility). */
export function groupLayout(op: string, x: Tensor, numGroups: number): ChannelLayout {
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

/** Per-channel tensors (weight, bias, running statistics): shape [C] and x's dtype, or absent. */
export function checkChannelParams(
  op: string,
  x: Tensor,
  C: number,
  params: Record<string, Tensor | null | undefined>,
): void {
  for (const [arg, t] of Object.entries(params)) checkParam(op, arg, t, [C], x.dtype);
}

/** eps (default 1e-5, finite and >= 0) and the affine weight/bias; returns eps. */
export function parseAffineOptions(op: string, x: Tensor, C: number, o: AffineOptions): number {
  const { eps = 1e-5 } = o;
  checkEps(op, eps);
  checkChannelParams(op, x, C, { weight: o.weight, bias: o.bias });
  return eps;
}

/**
 * runningMean/runningVar (checked as the affine) and momentum (default 0.1, in [0, 1]; null, the
 * cumulative average, only where allowNull); returns momentum.
 */
export function parseRunningOptions(
  op: string,
  x: Tensor,
  C: number,
  o: RunningOptions,
  allowNull: false,
): number;
export function parseRunningOptions(
  op: string,
  x: Tensor,
  C: number,
  o: RunningOptions,
  allowNull: true,
): number | null;
export function parseRunningOptions(
  op: string,
  x: Tensor,
  C: number,
  o: RunningOptions,
  allowNull: boolean,
): number | null {
  const { momentum = 0.1 } = o;
  checkChannelParams(op, x, C, { runningMean: o.runningMean, runningVar: o.runningVar });
  checkMomentum(op, momentum, allowNull);
  return momentum;
}

/** momentum: a finite number in [0, 1], or null (cumulative average) where allowed. */
export function checkMomentum(op: string, momentum: number | null, allowNull: boolean): void {
  if (momentum === null && allowNull) return;
  if (typeof momentum !== 'number' || !Number.isFinite(momentum) || momentum < 0 || momentum > 1) {
    const expected = allowNull ? 'a number in [0, 1] or null' : 'a number in [0, 1]';
    throw new RangeError(`${op}: momentum must be ${expected}, got ${momentum}`);
  }
}

/**
 * Statistics taken from x need more than one value each (torch rejects one: its unbiased running
 * variance would divide by zero). count: the values per statistic; expected: the ShapeError's
 * `expected`; torchWants: the rest of torch's sentence "expected more than 1 ..., got input size".
 */
export function checkSeveralValues(
  op: string,
  x: Tensor,
  count: number,
  expected: string,
  torchWants: string,
): void {
  if (count !== 1) return;
  throw new ShapeError(
    op,
    'x',
    expected,
    torchSize(x.shape),
    `${op}: expected ${torchWants}, got input size ${torchSize(x.shape)}`,
  );
}

/** A mode that normalizes with the running statistics (mode names it in the message) needs both. */
export function requireRunningStats(op: string, o: RunningOptions, mode: string): void {
  if (o.runningMean && o.runningVar) return;
  const missing = o.runningMean ? 'runningVar' : 'runningMean';
  throw new TypeError(`${op}: ${mode} needs runningMean and runningVar, got no ${missing}`);
}

/**
 * BatchNorm's step counter (torch's num_batches_tracked) when training: a non-negative integer,
 * required when momentum is null and there are running statistics to average into.
 */
export function checkBatchCounter(
  op: string,
  o: RunningOptions & { numBatchesTracked?: { value: number } },
  momentum: number | null,
): void {
  const counter = o.numBatchesTracked;
  if (counter !== undefined && !(Number.isInteger(counter.value) && counter.value >= 0)) {
    throw new RangeError(
      `${op}: numBatchesTracked.value must be a non-negative integer, got ${counter.value}`,
    );
  }
  if (momentum === null && (o.runningMean || o.runningVar) && counter === undefined) {
    throw new TypeError(
      `${op}: momentum null (cumulative average) needs numBatchesTracked ({ value: number }), got undefined`,
    );
  }
}

/** Saved statistics handed back to a backward: float64 and shaped like the groups. */
export function checkSavedStats(op: string, arg: string, t: Tensor, shape: readonly number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(op, arg, `shape ${formatShape(shape)} (one value per group)`, formatShape(t.shape));
  }
  if (t.dtype !== 'float64') {
    throw new TypeError(
      `${op}: ${arg} has dtype ${t.dtype}, expected float64 (saved statistics are float64)`,
    );
  }
}

/** torch's spelling of a size in its messages: [1, 3]. */
export function torchSize(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
