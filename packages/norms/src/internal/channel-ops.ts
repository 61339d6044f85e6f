import type { Tensor, TypedArray } from '@normkit/tensor';
import { type AffineOptions, checkChannelParams, checkSavedStats } from './channel-args.js';
import { channelNormBackward } from './channel-backward.js';
import { channelAffine, channelNormForward } from './channel-kernels.js';
import { type ChannelLayout, flatData, optionalData, statsShape } from './channels.js';
import {
  type BackwardOut,
  type BackwardResult,
  checkSameDtype,
  checkSameShape,
  type ForwardOut,
  type NormNeeds,
  outputBuffer,
  statsBuffer,
} from './common.js';
import { channelAffineWasm, channelNormBackwardWasm, channelNormForwardWasm } from './wasm/channels.js';

/**
 * The boundary shared by the three channel-norm families: output buffers (fresh or the caller's,
 * checked), the forward's kernel call (wasm or JS), and the backward's validation, buffers and
 * kernel call. The family files add only what differs: which statistics are pooled and the running
 * statistics; their argument checks are in channel-args.ts.
 */
export interface ForwardBuffers {
  y: Tensor;
  mean: Tensor;
  rstd: Tensor;
  /** flat views of the above (writes land in the tensors) */
  yd: TypedArray;
  md: Float64Array;
  rd: Float64Array;
}

export function forwardBuffers(
  op: string,
  x: Tensor,
  L: ChannelLayout,
  out: ForwardOut | undefined,
): ForwardBuffers {
  const y = outputBuffer(op, 'out.y', out?.y, x.shape, x.dtype);
  const mean = statsBuffer(op, 'out.mean', out?.mean, statsShape(L));
  const rstd = statsBuffer(op, 'out.rstd', out?.rstd, statsShape(L));
  return {
    y,
    mean,
    rstd,
    yd: flatData(y),
    md: flatData(mean) as Float64Array,
    rd: flatData(rstd) as Float64Array,
  };
}

/**
 * y = (x - mean) * rstd * weight + bias with x's own statistics, written to b.mean and b.rstd
 * (and each group's biased variance to `variance` when given, for the running statistics).
 * WebAssembly SIMD when the backend is wasm and every array lives in its memory, else JS.
 */
export function normalizeWithInputStats(
  x: Tensor,
  affine: AffineOptions,
  b: ForwardBuffers,
  L: ChannelLayout,
  eps: number,
  variance: Float64Array | null,
): void {
  const args = [
    flatData(x),
    b.yd,
    L,
    eps,
    optionalData(affine.weight),
    optionalData(affine.bias),
    b.md,
    b.rd,
    variance,
  ] as const;
  if (!channelNormForwardWasm(...args)) channelNormForward(...args);
}

/** The same with statistics already in b.mean and b.rstd (from running statistics). */
export function normalizeWithGivenStats(
  x: Tensor,
  affine: AffineOptions,
  b: ForwardBuffers,
  L: ChannelLayout,
): void {
  const args = [
    flatData(x),
    b.yd,
    L,
    optionalData(affine.weight),
    optionalData(affine.bias),
    b.md,
    b.rd,
  ] as const;
  if (!channelAffineWasm(...args)) channelAffine(...args);
}

/** Saved statistics of a channel-norm forward (float64, one value per group). */
export interface ChannelStats {
  mean: Tensor;
  rstd: Tensor;
}

export interface ChannelBackwardOptions {
  weight?: Tensor | null;
  needs?: NormNeeds;
  out?: BackwardOut;
}

/**
 * Validate, allocate and run a channel-norm backward. givenStats: the forward used statistics that
 * do not depend on x (BatchNorm eval, InstanceNorm with running statistics), so dx = rstd * g.
 */
export function channelBackward(
  op: string,
  dy: Tensor,
  x: Tensor,
  L: ChannelLayout,
  stats: ChannelStats,
  options: ChannelBackwardOptions,
  givenStats: boolean,
): BackwardResult {
  const { weight = null, needs = {}, out } = options;
  checkSameShape(op, 'dy', dy, x.shape);
  checkSameDtype(op, 'dy', dy, x.dtype);
  checkChannelParams(op, x, L.C, { weight });
  checkSavedStats(op, 'mean', stats.mean, statsShape(L));
  checkSavedStats(op, 'rstd', stats.rstd, statsShape(L));
  const wantDx = needs.dx ?? true;
  const wantDWeight = needs.dWeight ?? weight !== null;
  const wantDBias = needs.dBias ?? true;
  const dx = wantDx ? outputBuffer(op, 'out.dx', out?.dx, x.shape, x.dtype) : null;
  const dWeight = wantDWeight ? outputBuffer(op, 'out.dWeight', out?.dWeight, [L.C], x.dtype) : null;
  const dBias = wantDBias ? outputBuffer(op, 'out.dBias', out?.dBias, [L.C], x.dtype) : null;
  const accW = dWeight === null ? null : new Float64Array(L.C);
  const accB = dBias === null ? null : new Float64Array(L.C);
  if (dx !== null || accW !== null || accB !== null) {
    const args = [
      flatData(dy),
      flatData(x),
      L,
      flatData(stats.mean) as Float64Array,
      flatData(stats.rstd) as Float64Array,
      optionalData(weight),
      givenStats,
      dx === null ? null : flatData(dx),
      accW,
      accB,
    ] as const;
    // WebAssembly SIMD when the backend is wasm and every array lives in its memory, else JS
    if (!channelNormBackwardWasm(...args)) channelNormBackward(...args);
  }
  if (dWeight !== null) flatData(dWeight).set(accW!);
  if (dBias !== null) flatData(dBias).set(accB!);
  return { dx, dWeight, dBias };
}
