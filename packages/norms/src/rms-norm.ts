import { type DType, type Tensor, tensor } from '@normkit/tensor';
import {
  checkEps,
  checkParam,
  checkSameDtype,
  checkSameShape,
  type NormNeeds,
  outputBuffer,
  statsBuffer,
} from './internal/common.js';
import { checkSavedStat, float64Values, resolveNeeds, rowLayout, view, view64 } from './internal/row-args.js';
import { backwardRows } from './internal/rows-backward.js';
import { forwardRows } from './internal/rows-forward.js';
import { backwardRowsWasm, forwardRowsWasm } from './internal/wasm/rows.js';

/**
 * RMSNorm (Zhang & Sennrich 2019) over the trailing `normalizedShape` dims of x, as torch.nn.RMSNorm:
 *   rstd = 1 / sqrt(mean(x^2) + eps),   y = x * rstd * weight
 * No mean is subtracted and there is no bias. eps defaults to the machine epsilon of x's dtype
 * (torch >= 2.4 with eps=None: torch.finfo(dtype).eps), i.e. 2^-23 for float32 and 2^-52 for
 * float64; LLaMA and T5 use 1e-6. rstd is float64, one per row, shaped like the leading dims.
 * A zero row with eps = 0 stores rstd = 0 (not +Infinity): y = 0 and dx = 0.
 */

/** torch.finfo(dtype).eps: the default RMSNorm eps. */
export function rmsNormDefaultEps(dtype: DType): number {
  return dtype === 'float32' ? 2 ** -23 : 2 ** -52;
}

export interface RMSNormOptions {
  /** [...normalizedShape], x's dtype; absent means 1 */
  weight?: Tensor | null;
  /** added to mean(x^2); default rmsNormDefaultEps(x.dtype) */
  eps?: number;
  /** preallocated outputs (contiguous, exact shape and dtype), returned as given */
  out?: { y?: Tensor; rstd?: Tensor };
}

export interface RMSNormStats {
  rstd: Tensor;
}

export interface RMSNormResult extends RMSNormStats {
  y: Tensor;
}

export interface RMSNormBackwardOptions {
  weight?: Tensor | null;
  /** default { dx: true, dWeight: weight != null }; RMSNorm has no bias, so dBias is always null */
  needs?: NormNeeds;
  out?: { dx?: Tensor; dWeight?: Tensor };
}

export interface RMSNormBackwardResult {
  dx: Tensor | null;
  dWeight: Tensor | null;
  dBias: null;
}

export function rmsNormForward(
  x: Tensor,
  normalizedShape: readonly number[],
  options: RMSNormOptions = {},
): RMSNormResult {
  const op = 'rmsNormForward';
  const { M, N, statsShape } = rowLayout(op, x, normalizedShape);
  const eps = options.eps ?? rmsNormDefaultEps(x.dtype);
  checkEps(op, eps);
  checkParam(op, 'weight', options.weight, normalizedShape, x.dtype);
  const y = outputBuffer(op, 'out.y', options.out?.y, x.shape, x.dtype);
  const rstd = statsBuffer(op, 'out.rstd', options.out?.rstd, statsShape);
  const rows = {
    x: view(x),
    y: view(y),
    M,
    N,
    w: options.weight ? view(options.weight) : null,
    b: null,
    eps,
    mean: null,
    rstd: view64(rstd),
  };
  // WebAssembly SIMD when the backend is wasm and every array lives in its memory, else JS
  if (!forwardRowsWasm(rows)) forwardRows(rows);
  return { y, rstd };
}

/**
 * Gradients of rmsNormForward from the saved float64 rstd, with xhat = x * rstd and g = dy * weight:
 *   dx = rstd * (g - xhat * mean(g * xhat)),   dWeight = sum_rows dy * xhat.
 * Derivation: docs/layernorm.md.
 */
export function rmsNormBackward(
  dy: Tensor,
  x: Tensor,
  normalizedShape: readonly number[],
  saved: RMSNormStats,
  options: RMSNormBackwardOptions = {},
): RMSNormBackwardResult {
  const op = 'rmsNormBackward';
  const { M, N, statsShape } = rowLayout(op, x, normalizedShape);
  checkSameDtype(op, 'dy', dy, x.dtype);
  checkSameShape(op, 'dy', dy, x.shape);
  checkSavedStat(op, 'rstd', saved?.rstd, statsShape, 'rmsNormForward');
  checkParam(op, 'weight', options.weight, normalizedShape, x.dtype);
  const needs = resolveNeeds(options.needs, options.weight != null);
  const dx = needs.dx ? outputBuffer(op, 'out.dx', options.out?.dx, x.shape, x.dtype) : null;
  const dWeight = needs.dWeight
    ? outputBuffer(op, 'out.dWeight', options.out?.dWeight, normalizedShape, x.dtype)
    : null;
  if (dx === null && dWeight === null) return { dx, dWeight, dBias: null };
  const rows = {
    dy: view(dy),
    x: view(x),
    M,
    N,
    w: options.weight ? view(options.weight) : null,
    mean: null,
    rstd: view64(saved.rstd),
    dx: dx ? view(dx) : null,
    dW: dWeight ? view(dWeight) : null,
    dB: null,
  };
  if (!backwardRowsWasm(rows)) backwardRows(rows);
  return { dx, dWeight, dBias: null };
}

/**
 * The slow, obviously correct twin of rmsNormForward: float64 throughout, y rounded once to x's
 * dtype. An empty row has mean(x^2) = 0; a zero row with eps = 0 has rstd = 0 (y = 0).
 * Exact while the squares of x stay finite (|x| < 1e150); the fast kernel also scales rows beyond that.
 */
export function rmsNormReference(
  x: Tensor,
  normalizedShape: readonly number[],
  options: Omit<RMSNormOptions, 'out'> = {},
): RMSNormResult {
  const op = 'rmsNormReference';
  const { M, N, statsShape } = rowLayout(op, x, normalizedShape);
  const eps = options.eps ?? rmsNormDefaultEps(x.dtype);
  checkEps(op, eps);
  checkParam(op, 'weight', options.weight, normalizedShape, x.dtype);
  const xs = float64Values(x);
  const w = options.weight ? float64Values(options.weight) : null;
  const y = new Float64Array(x.size);
  const rstd = new Float64Array(M);
  for (let r = 0; r < M; r++) {
    let ss = 0;
    for (let j = 0; j < N; j++) ss += xs[r * N + j]! * xs[r * N + j]!;
    const t = (N === 0 ? 0 : ss / N) + eps;
    rstd[r] = t === 0 ? 0 : 1 / Math.sqrt(t);
    for (let j = 0; j < N; j++) y[r * N + j] = xs[r * N + j]! * rstd[r]! * (w ? w[j]! : 1);
  }
  return {
    y: tensor(y, x.shape, { dtype: x.dtype }),
    rstd: tensor(rstd, statsShape, { dtype: 'float64' }),
  };
}

/**
 * The slow twin of rmsNormBackward, from the given rstd, float64 throughout: xhat = x * rstd,
 * g = dy * weight, dx = rstd * (g - xhat * mean(g * xhat)), dWeight = sum_rows dy * xhat.
 */
export function rmsNormBackwardReference(
  dy: Tensor,
  x: Tensor,
  normalizedShape: readonly number[],
  saved: RMSNormStats,
  options: Omit<RMSNormBackwardOptions, 'out'> = {},
): RMSNormBackwardResult {
  const op = 'rmsNormBackwardReference';
  const { M, N, statsShape } = rowLayout(op, x, normalizedShape);
  checkSameDtype(op, 'dy', dy, x.dtype);
  checkSameShape(op, 'dy', dy, x.shape);
  checkSavedStat(op, 'rstd', saved?.rstd, statsShape, 'rmsNormForward');
  checkParam(op, 'weight', options.weight, normalizedShape, x.dtype);
  const needs = resolveNeeds(options.needs, options.weight != null);
  const xs = float64Values(x);
  const gy = float64Values(dy);
  const rstd = float64Values(saved.rstd);
  const w = options.weight ? float64Values(options.weight) : null;
  const dx = new Float64Array(x.size);
  const dW = new Float64Array(N);
  for (let r = 0; r < M; r++) {
    const xhat = new Float64Array(N);
    const g = new Float64Array(N);
    let sumGX = 0;
    for (let j = 0; j < N; j++) {
      xhat[j] = xs[r * N + j]! * rstd[r]!;
      g[j] = gy[r * N + j]! * (w ? w[j]! : 1);
      sumGX += g[j]! * xhat[j]!;
      dW[j] += gy[r * N + j]! * xhat[j]!;
    }
    for (let j = 0; j < N; j++) dx[r * N + j] = rstd[r]! * (g[j]! - (xhat[j]! * sumGX) / N);
  }
  return {
    dx: needs.dx ? tensor(dx, x.shape, { dtype: x.dtype }) : null,
    dWeight: needs.dWeight ? tensor(dW, normalizedShape.slice(), { dtype: x.dtype }) : null,
    dBias: null,
  };
}
