import { type Tensor, tensor } from '@normkit/tensor';
import {
  type BackwardOut,
  type BackwardResult,
  checkEps,
  checkParam,
  checkSameDtype,
  checkSameShape,
  type ForwardOut,
  type NormNeeds,
  outputBuffer,
  statsBuffer,
} from './internal/common.js';
import { checkSavedStat, float64Values, resolveNeeds, rowLayout, view, view64 } from './internal/row-args.js';
import { backwardRows } from './internal/rows-backward.js';
import { forwardRows } from './internal/rows-forward.js';
import { backwardRowsWasm, forwardRowsWasm } from './internal/wasm/rows.js';

/**
 * LayerNorm (Ba, Kiros & Hinton 2016) over the trailing `normalizedShape` dims of x, as
 * torch.nn.functional.layer_norm. x is viewed as M rows of N = prod(normalizedShape):
 *   mean = sum(x) / N,  var = sum((x - mean)^2) / N (biased),  rstd = 1 / sqrt(var + eps)
 *   y = (x - mean) * rstd * weight + bias
 * Statistics are float64 in any dtype; mean/rstd have the leading dims' shape ([] when all dims are
 * normalized). Edge cases (docs/layernorm.md): a constant row gives y = bias (with eps = 0 its rstd is
 * stored as 0, not +Infinity, and its gradients are dx = 0); NaN/Infinity in a row makes that row NaN.
 */

export interface LayerNormOptions {
  /** [...normalizedShape], x's dtype; absent means 1 */
  weight?: Tensor | null;
  /** [...normalizedShape], x's dtype; absent means 0 */
  bias?: Tensor | null;
  /** added to the variance; default 1e-5 (PyTorch; Keras uses 1e-3, Flax 1e-6) */
  eps?: number;
  /** preallocated outputs (contiguous, exact shape and dtype), returned as given */
  out?: ForwardOut;
}

/** The statistics a forward saves for the backward: float64, one per row. */
export interface LayerNormStats {
  mean: Tensor;
  rstd: Tensor;
}

export interface LayerNormResult extends LayerNormStats {
  y: Tensor;
}

export interface LayerNormBackwardOptions {
  weight?: Tensor | null;
  /** default { dx: true, dWeight: weight != null, dBias: true }; a gradient not computed is null */
  needs?: NormNeeds;
  out?: BackwardOut;
}

export function layerNormForward(
  x: Tensor,
  normalizedShape: readonly number[],
  options: LayerNormOptions = {},
): LayerNormResult {
  const op = 'layerNormForward';
  const { M, N, statsShape } = rowLayout(op, x, normalizedShape);
  const eps = options.eps ?? 1e-5;
  checkEps(op, eps);
  checkParam(op, 'weight', options.weight, normalizedShape, x.dtype);
  checkParam(op, 'bias', options.bias, normalizedShape, x.dtype);
  const y = outputBuffer(op, 'out.y', options.out?.y, x.shape, x.dtype);
  const mean = statsBuffer(op, 'out.mean', options.out?.mean, statsShape);
  const rstd = statsBuffer(op, 'out.rstd', options.out?.rstd, statsShape);
  const rows = {
    x: view(x),
    y: view(y),
    M,
    N,
    w: options.weight ? view(options.weight) : null,
    b: options.bias ? view(options.bias) : null,
    eps,
    mean: view64(mean),
    rstd: view64(rstd),
  };
  // WebAssembly SIMD when the backend is wasm and every array lives in its memory, else JS
  if (!forwardRowsWasm(rows)) forwardRows(rows);
  return { y, mean, rstd };
}

/**
 * Gradients of layerNormForward, from the saved float64 mean and rstd (g = dy * weight):
 *   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),  dWeight = sum_rows dy * xhat,  dBias = sum_rows dy.
 * dWeight/dBias are written (not accumulated) into `out`. Derivation: docs/layernorm.md.
 */
export function layerNormBackward(
  dy: Tensor,
  x: Tensor,
  normalizedShape: readonly number[],
  saved: LayerNormStats,
  options: LayerNormBackwardOptions = {},
): BackwardResult {
  const op = 'layerNormBackward';
  const { M, N, statsShape } = rowLayout(op, x, normalizedShape);
  checkSameDtype(op, 'dy', dy, x.dtype);
  checkSameShape(op, 'dy', dy, x.shape);
  checkSavedStat(op, 'mean', saved?.mean, statsShape, 'layerNormForward');
  checkSavedStat(op, 'rstd', saved?.rstd, statsShape, 'layerNormForward');
  checkParam(op, 'weight', options.weight, normalizedShape, x.dtype);
  const needs = resolveNeeds(options.needs, options.weight != null);
  const out = options.out;
  const dx = needs.dx ? outputBuffer(op, 'out.dx', out?.dx, x.shape, x.dtype) : null;
  const dWeight = needs.dWeight
    ? outputBuffer(op, 'out.dWeight', out?.dWeight, normalizedShape, x.dtype)
    : null;
  const dBias = needs.dBias ? outputBuffer(op, 'out.dBias', out?.dBias, normalizedShape, x.dtype) : null;
  if (dx === null && dWeight === null && dBias === null) return { dx, dWeight, dBias };
  const rows = {
    dy: view(dy),
    x: view(x),
    M,
    N,
    w: options.weight ? view(options.weight) : null,
    mean: view64(saved.mean),
    rstd: view64(saved.rstd),
    dx: dx ? view(dx) : null,
    dW: dWeight ? view(dWeight) : null,
    dB: dBias ? view(dBias) : null,
  };
  if (!backwardRowsWasm(rows)) backwardRows(rows);
  return { dx, dWeight, dBias };
}

/**
 * The slow, obviously correct twin of layerNormForward: float64 throughout, textbook two-pass
 * statistics, a fresh array for everything; y is rounded once to x's dtype. Contract cases are
 * spelled out: an empty row (N = 0) has mean 0 and var 0; a row whose (finite) values are all equal
 * has xhat = 0 and, with eps = 0, rstd = 0. Exact while the squares of x - mean stay finite
 * (|x| < 1e150); the fast kernel also scales rows beyond that.
 */
export function layerNormReference(
  x: Tensor,
  normalizedShape: readonly number[],
  options: Omit<LayerNormOptions, 'out'> = {},
): LayerNormResult {
  const op = 'layerNormReference';
  const { M, N, statsShape } = rowLayout(op, x, normalizedShape);
  const eps = options.eps ?? 1e-5;
  checkEps(op, eps);
  checkParam(op, 'weight', options.weight, normalizedShape, x.dtype);
  checkParam(op, 'bias', options.bias, normalizedShape, x.dtype);
  const xs = float64Values(x);
  const w = options.weight ? float64Values(options.weight) : null;
  const b = options.bias ? float64Values(options.bias) : null;
  const y = new Float64Array(x.size);
  const mean = new Float64Array(M);
  const rstd = new Float64Array(M);
  for (let r = 0; r < M; r++) {
    const row = xs.subarray(r * N, (r + 1) * N);
    let sum = 0;
    for (const v of row) sum += v;
    const mu = N === 0 ? 0 : sum / N;
    let ss = 0;
    for (const v of row) ss += (v - mu) * (v - mu);
    const variance = N === 0 ? 0 : ss / N;
    const constant = Number.isFinite(row[0]) && row.every((v) => v === row[0]);
    const rs = constant && eps === 0 ? 0 : 1 / Math.sqrt(variance + eps);
    mean[r] = mu;
    rstd[r] = rs;
    for (let j = 0; j < N; j++) {
      const xhat = constant ? 0 : (row[j]! - mu) * rs;
      y[r * N + j] = xhat * (w ? w[j]! : 1) + (b ? b[j]! : 0);
    }
  }
  return {
    y: tensor(y, x.shape, { dtype: x.dtype }),
    mean: tensor(mean, statsShape, { dtype: 'float64' }),
    rstd: tensor(rstd, statsShape, { dtype: 'float64' }),
  };
}

/**
 * The slow twin of layerNormBackward, from the given saved statistics, float64 throughout:
 * xhat = (x - mean) * rstd, g = dy * weight, dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),
 * dWeight = sum_rows dy * xhat, dBias = sum_rows dy; results rounded once to x's dtype.
 */
export function layerNormBackwardReference(
  dy: Tensor,
  x: Tensor,
  normalizedShape: readonly number[],
  saved: LayerNormStats,
  options: Omit<LayerNormBackwardOptions, 'out'> = {},
): BackwardResult {
  const op = 'layerNormBackwardReference';
  const { M, N, statsShape } = rowLayout(op, x, normalizedShape);
  checkSameDtype(op, 'dy', dy, x.dtype);
  checkSameShape(op, 'dy', dy, x.shape);
  checkSavedStat(op, 'mean', saved?.mean, statsShape, 'layerNormForward');
  checkSavedStat(op, 'rstd', saved?.rstd, statsShape, 'layerNormForward');
  checkParam(op, 'weight', options.weight, normalizedShape, x.dtype);
  const needs = resolveNeeds(options.needs, options.weight != null);
  const xs = float64Values(x);
  const gy = float64Values(dy);
  const mean = float64Values(saved.mean);
  const rstd = float64Values(saved.rstd);
  const w = options.weight ? float64Values(options.weight) : null;
  const dx = new Float64Array(x.size);
  const dW = new Float64Array(N);
  const dB = new Float64Array(N);
  for (let r = 0; r < M; r++) {
    const xhat = new Float64Array(N);
    const g = new Float64Array(N);
    let sumG = 0;
    let sumGX = 0;
    for (let j = 0; j < N; j++) {
      xhat[j] = (xs[r * N + j]! - mean[r]!) * rstd[r]!;
      g[j] = gy[r * N + j]! * (w ? w[j]! : 1);
      sumG += g[j]!;
      sumGX += g[j]! * xhat[j]!;
      dW[j] += gy[r * N + j]! * xhat[j]!;
      dB[j] += gy[r * N + j]!;
    }
    for (let j = 0; j < N; j++) {
      dx[r * N + j] = rstd[r]! * (g[j]! - sumG / N - (xhat[j]! * sumGX) / N);
    }
  }
  const shape = normalizedShape.slice();
  return {
    dx: needs.dx ? tensor(dx, x.shape, { dtype: x.dtype }) : null,
    dWeight: needs.dWeight ? tensor(dW, shape, { dtype: x.dtype }) : null,
    dBias: needs.dBias ? tensor(dB, shape, { dtype: x.dtype }) : null,
  };
}
