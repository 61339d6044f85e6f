import { allocateUninit, type DType, formatShape, ShapeError, sizeOf, Tensor } from '@normkit/tensor';

/**
 * Validation and buffer helpers shared by every norm family. Each kernel validates once at the
 * boundary (before any work), then runs on flat contiguous data: x viewed as M rows of N elements
 * (PyTorch's layer_norm.cpp does the same).
 */

/** Which gradients a backward computes; a gradient not computed is returned as null. */
export interface NormNeeds {
  dx?: boolean;
  dWeight?: boolean;
  dBias?: boolean;
}

/** Optional preallocated outputs of a forward (reused across training steps). */
export interface ForwardOut {
  y?: Tensor;
  mean?: Tensor;
  rstd?: Tensor;
}

/** Optional preallocated outputs of a backward. */
export interface BackwardOut {
  dx?: Tensor;
  dWeight?: Tensor;
  dBias?: Tensor;
}

export interface BackwardResult {
  dx: Tensor | null;
  dWeight: Tensor | null;
  dBias: Tensor | null;
}

/** eps must be a finite number >= 0 (0 is allowed: exact normalization of non-constant rows). */
export function checkEps(op: string, eps: number): void {
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    throw new RangeError(`${op}: eps must be a finite number >= 0, got ${eps}`);
  }
}

export function checkSameDtype(op: string, arg: string, t: Tensor, dtype: DType): void {
  if (t.dtype !== dtype) {
    throw new TypeError(
      `${op}: ${arg} has dtype ${t.dtype}, expected ${dtype} (the dtype of x); normkit does not mix dtypes`,
    );
  }
}

/** A per-feature parameter (weight, bias, running stats): exact shape and x's dtype, or absent. */
export function checkParam(
  op: string,
  arg: string,
  t: Tensor | null | undefined,
  shape: readonly number[],
  dtype: DType,
): void {
  if (t === null || t === undefined) return;
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(op, arg, `shape ${formatShape(shape)}`, formatShape(t.shape));
  }
  checkSameDtype(op, arg, t, dtype);
}

export function checkSameShape(op: string, arg: string, t: Tensor, shape: readonly number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(op, arg, `shape ${formatShape(shape)} (the shape of x)`, formatShape(t.shape));
  }
}

/**
 * Split x into M rows of N = prod(normalizedShape) trailing elements, checking that the trailing
 * dims match, with PyTorch's message:
 *   layerNorm: given normalizedShape=[768], expected input with shape [*, 768], but got input of size [4,512]
 */
export function rowsOf(op: string, x: Tensor, normalizedShape: readonly number[]): { M: number; N: number } {
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.shape.length - k);
  const ok = k > 0 && x.shape.length >= k && tail.every((d, i) => d === normalizedShape[i]);
  if (!ok) {
    throw new ShapeError(
      op,
      'x',
      `shape [*, ${normalizedShape.join(', ')}]`,
      formatShape(x.shape),
      `${op}: given normalizedShape=${formatShape(normalizedShape)}, expected input with shape ` +
        `[*, ${normalizedShape.join(', ')}], but got input of size ${formatShape(x.shape)}`,
    );
  }
  const N = sizeOf(normalizedShape);
  return { M: N === 0 ? 0 : x.size / N, N };
}

/**
 * A provided output buffer (checked: contiguous, shape, dtype) or a fresh one whose contents are
 * unspecified: every kernel writes each element of its outputs (the `out` contract, which reuses
 * buffers across steps, needs that anyway; the suites run with NORMKIT_POISON_UNINIT=1 to prove it).
 */
export function outputBuffer(
  op: string,
  arg: string,
  provided: Tensor | undefined,
  shape: readonly number[],
  dtype: DType,
): Tensor {
  if (provided === undefined) return new Tensor(allocateUninit(dtype, sizeOf(shape)), shape);
  if (
    provided.size !== sizeOf(shape) ||
    provided.shape.some((d, i) => d !== shape[i]) ||
    provided.shape.length !== shape.length
  ) {
    throw new ShapeError(op, arg, `shape ${formatShape(shape)}`, formatShape(provided.shape));
  }
  if (provided.dtype !== dtype) {
    throw new TypeError(`${op}: ${arg} has dtype ${provided.dtype}, expected ${dtype}`);
  }
  if (!provided.isContiguous()) {
    throw new ShapeError(op, arg, 'a contiguous tensor', `strides ${formatShape(provided.strides)}`);
  }
  return provided;
}

/** Saved statistics: float64, one value per normalized group, shaped like the leading dims. */
export function statsBuffer(
  op: string,
  arg: string,
  provided: Tensor | undefined,
  shape: readonly number[],
): Tensor {
  return outputBuffer(op, arg, provided, shape, 'float64');
}

/** The flat contiguous data and its starting offset (copies a non-contiguous input once). */
export function flat(t: Tensor): { data: Tensor['data']; offset: number } {
  const c = t.contiguous();
  return { data: c.data, offset: c.offset };
}
