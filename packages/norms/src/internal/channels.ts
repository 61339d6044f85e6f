import { formatShape, ShapeError, type Tensor, type TypedArray } from '@normkit/tensor';
import { checkParam, flat } from './common.js';

/**
 * The channel norms (BatchNorm, GroupNorm, InstanceNorm) view x as [N, C, S], S the product of the
 * spatial dims (1 for [N, C]). Channels come first, so each (n, c) plane is a contiguous run of S
 * elements, and the Cg = C / G channels of one group are one contiguous run of Cg * S elements per
 * sample. The three norms differ only in which elements share a statistic (flax's lesson):
 *   BatchNorm     G = C   pooled over the batch   stats [C]
 *   GroupNorm     G       per sample              stats [N, G]
 *   InstanceNorm  G = C   per sample              stats [N, C]
 * A statistic's index is (pooled ? 0 : n * G) + g; the affine weight/bias is always per channel.
 * Pooled layouts have G = C (the kernels rely on it: a pooled group is one channel).
 */
export interface ChannelLayout {
  N: number;
  C: number;
  S: number;
  G: number;
  pooled: boolean;
}

/** [N, C, S] of x (rank >= 2, channels on axis 1). */
export function channelDims(op: string, x: Tensor): { N: number; C: number; S: number } {
  if (x.ndim < 2) {
    throw new ShapeError(
      op,
      'x',
      'a tensor of rank >= 2 with channels on axis 1 ([N, C, *])',
      formatShape(x.shape),
    );
  }
  let S = 1;
  for (let i = 2; i < x.ndim; i++) S *= x.shape[i]!;
  return { N: x.shape[0]!, C: x.shape[1]!, S };
}

export function statsShape(L: ChannelLayout): number[] {
  return L.pooled ? [L.G] : [L.N, L.G];
}

/** torch's spelling of a size in its messages: [1, 3]. */
export function torchSize(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Per-channel weight, bias and running statistics: shape [C] and x's dtype, or absent. */
export function checkChannelParams(
  op: string,
  x: Tensor,
  C: number,
  params: Record<string, Tensor | null | undefined>,
): void {
  for (const [arg, t] of Object.entries(params)) checkParam(op, arg, t, [C], x.dtype);
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

/** momentum: a finite number in [0, 1], or null (cumulative average) where allowed. */
export function checkMomentum(op: string, momentum: number | null, allowNull: boolean): void {
  if (momentum === null && allowNull) return;
  if (typeof momentum !== 'number' || !Number.isFinite(momentum) || momentum < 0 || momentum > 1) {
    const expected = allowNull ? 'a number in [0, 1] or null' : 'a number in [0, 1]';
    throw new RangeError(`${op}: momentum must be ${expected}, got ${momentum}`);
  }
}

/** The flat contiguous elements of t starting at index 0 (a view, or one copy if t is strided). */
export function flatData(t: Tensor): TypedArray {
  const { data, offset } = flat(t);
  return offset === 0 && data.length === t.size ? data : data.subarray(offset, offset + t.size);
}

/** flatData of an optional tensor. */
export function optionalData(t: Tensor | null | undefined): TypedArray | null {
  return t === null || t === undefined ? null : flatData(t);
}

/** The i-th element of a 1-D tensor (any stride). */
export function at(t: Tensor, i: number): number {
  return t.data[t.offset + i * t.strides[0]!]!;
}

/**
 * PyTorch's running-statistics update, in place (stored in the tensor's dtype):
 *   running = (1 - momentum) * running + momentum * batch
 */
export function updateRunning(t: Tensor, batch: Float64Array, momentum: number): void {
  const stride = t.strides[0]!;
  for (let c = 0; c < batch.length; c++) {
    const p = t.offset + c * stride;
    t.data[p] = (1 - momentum) * t.data[p]! + momentum * batch[c]!;
  }
}

/**
 * rstd = 1 / sqrt(var + eps), except 0 where var + eps = 0 (a constant group with eps = 0) instead
 * of +Infinity: then xhat = (x - mean) * rstd = 0, y = bias and the gradients stay finite (dx = 0),
 * the convention of every normkit norm. NaN stays NaN.
 */
export function rstdFrom(varPlusEps: number): number {
  return varPlusEps === 0 ? 0 : 1 / Math.sqrt(varPlusEps);
}

/** rstd per channel from a running variance (eval mode). */
export function rstdOf(runningVar: Tensor, eps: number, out: Float64Array, C: number): void {
  for (let c = 0; c < C; c++) out[c] = rstdFrom(at(runningVar, c) + eps);
}
