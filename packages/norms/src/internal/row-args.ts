import { formatShape, ShapeError, sizeOf, type Tensor, type TypedArray } from '@normkit/tensor';
import { type NormNeeds, rowsOf } from './common.js';

/**
 * Argument checks shared by LayerNorm and RMSNorm (fast kernels and references), run before any work.
 * x is viewed as M rows of N = prod(normalizedShape) elements; the saved statistics have the shape of
 * the leading (not normalized) dims, [] when every dim is normalized.
 */
export interface RowLayout {
  M: number;
  N: number;
  statsShape: number[];
}

export function rowLayout(op: string, x: Tensor, normalizedShape: readonly number[]): RowLayout {
  if (!Array.isArray(normalizedShape) || normalizedShape.length === 0) {
    throw new RangeError(
      `${op}: normalizedShape must list at least one dimension, got ${
        Array.isArray(normalizedShape) ? formatShape(normalizedShape) : String(normalizedShape)
      }`,
    );
  }
  if (normalizedShape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RangeError(
      `${op}: normalizedShape must hold non-negative integers, got ${formatShape(normalizedShape)}`,
    );
  }
  const { N } = rowsOf(op, x, normalizedShape);
  const statsShape = x.shape.slice(0, x.shape.length - normalizedShape.length);
  // M from the leading dims (not x.size / N) so that N = 0 still has one statistic per row
  return { M: sizeOf(statsShape), N, statsShape };
}

/** A saved statistic (mean or rstd) given to a backward: required, float64, shaped like the rows. */
export function checkSavedStat(
  op: string,
  arg: string,
  t: Tensor | null | undefined,
  statsShape: readonly number[],
  from: string,
): asserts t is Tensor {
  if (t === null || t === undefined) {
    throw new TypeError(`${op}: saved statistic ${arg} is missing (pass the ${arg} returned by ${from})`);
  }
  if (t.shape.length !== statsShape.length || t.shape.some((d, i) => d !== statsShape[i])) {
    throw new ShapeError(
      op,
      arg,
      `shape ${formatShape(statsShape)} (the leading dims of x)`,
      formatShape(t.shape),
    );
  }
  if (t.dtype !== 'float64') {
    throw new TypeError(
      `${op}: ${arg} has dtype ${t.dtype}, expected float64 (saved statistics are float64 whatever the dtype of x)`,
    );
  }
}

/** needs defaults (ARCHITECTURE.md): dx always, dWeight when there is a weight, dBias always. */
export function resolveNeeds(needs: NormNeeds | undefined, hasWeight: boolean): Required<NormNeeds> {
  return {
    dx: needs?.dx ?? true,
    dWeight: needs?.dWeight ?? hasWeight,
    dBias: needs?.dBias ?? true,
  };
}

/**
 * The elements of t as a zero-offset, row-major typed array: a view of t's own buffer when t is
 * contiguous (so writes to an output land in it), else a copy made once. Kernels index from 0.
 */
export function view(t: Tensor): TypedArray {
  const c = t.contiguous();
  if (c.offset === 0 && c.data.length === c.size) return c.data;
  return c.data.subarray(c.offset, c.offset + c.size);
}

/** view() of a float64 tensor (saved statistics are checked float64 before this is called). */
export function view64(t: Tensor): Float64Array {
  return view(t) as Float64Array;
}

/** A row-major float64 copy of any tensor's values (for the slow references). */
export function float64Values(t: Tensor): Float64Array {
  return t.astype('float64').toTypedArray() as Float64Array;
}
