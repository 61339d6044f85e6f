import { formatShape, ShapeError, type Tensor, type TypedArray } from '@normkit/tensor';
import { flat } from './common.js';

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
