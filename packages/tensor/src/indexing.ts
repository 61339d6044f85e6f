import { dtypeMismatch, formatShape, ShapeError } from './errors.js';
import { copyView } from './internal/reduce-layout.js';
import { contiguousStrides, normalizeAxis, sameShape, sizeOf } from './shape.js';
import { allocateUninit } from './storage.js';
import { Tensor } from './tensor.js';

export { gather, type Indices, indexAdd, indexSelect, scatterAdd } from './internal/indexing-gather.js';

/**
 * Joining, splitting and masking along axes. Outputs are fresh contiguous tensors, except split,
 * which returns views. Mixing dtypes throws TypeError (normkit never promotes).
 */

/** Join tensors along an existing axis (torch.cat): every size but axis `axis` must match. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  const first = checkList('concat', tensors);
  const ax = normalizeAxis('concat', axis, first.ndim);
  let total = 0;
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i]!;
    if (t.ndim !== first.ndim || t.shape.some((d, k) => k !== ax && d !== first.shape[k])) {
      const pattern = `[${first.shape.map((d, k) => (k === ax ? '*' : d)).join(',')}]`;
      throw new ShapeError(
        'concat',
        `tensors[${i}]`,
        `shape ${pattern}`,
        formatShape(t.shape),
        `concat: tensors[${i}] has shape ${formatShape(t.shape)} but tensors[0] has shape ` +
          `${formatShape(first.shape)}; all sizes must match except on axis ${ax}`,
      );
    }
    total += t.shape[ax]!;
  }
  const outShape = first.shape.slice();
  outShape[ax] = total;
  const out = allocateUninit(first.dtype, sizeOf(outShape));
  const outStrides = contiguousStrides(outShape);
  let at = 0;
  for (const t of tensors) {
    // each input fills the block [at, at + size) of the output's axis
    copyView(t, out, outStrides, at * outStrides[ax]!);
    at += t.shape[ax]!;
  }
  return new Tensor(out, outShape);
}

/** Join same-shaped tensors along a new axis (torch.stack); axis counts in the output's rank. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  const first = checkList('stack', tensors);
  const ax = normalizeAxis('stack', axis, first.ndim + 1);
  for (let i = 1; i < tensors.length; i++) {
    const t = tensors[i]!;
    if (!sameShape(t.shape, first.shape)) {
      throw new ShapeError(
        'stack',
        `tensors[${i}]`,
        `shape ${formatShape(first.shape)} (as tensors[0])`,
        formatShape(t.shape),
      );
    }
  }
  return concat(
    tensors.map((t) => t.unsqueeze(ax)),
    ax,
  );
}

/**
 * Views of consecutive pieces along `axis` (torch.split): a number is the piece size (the last
 * piece may be smaller; an empty axis gives one empty piece), a list gives every piece's size and
 * must sum to the axis size.
 */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  const ax = normalizeAxis('split', axis, x.ndim);
  const d = x.shape[ax]!;
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes <= 0) {
      throw new RangeError(`split: size must be a positive integer, got ${sizes}`);
    }
    const count = Math.max(Math.ceil(d / sizes), 1);
    return Array.from({ length: count }, (_, i) => x.narrow(ax, i * sizes, Math.min(sizes, d - i * sizes)));
  }
  let totalSize = 0;
  for (const s of sizes) {
    if (!Number.isInteger(s) || s < 0) {
      throw new RangeError(`split: sizes must be non-negative integers, got [${sizes.join(',')}]`);
    }
    totalSize += s;
  }
  if (totalSize !== d) {
    throw new ShapeError(
      'split',
      'sizes',
      `sizes summing to ${d} (axis ${ax} of shape ${formatShape(x.shape)})`,
      `[${sizes.join(',')}] summing to ${totalSize}`,
      `split: sizes [${sizes.join(',')}] sum to ${totalSize}, but axis ${ax} of shape ${formatShape(x.shape)} has size ${d}`,
    );
  }
  const out: Tensor[] = [];
  let at = 0;
  for (const s of sizes) {
    out.push(x.narrow(ax, at, s));
    at += s;
  }
  return out;
}

/**
 * Lower triangle of the last two axes (torch.tril): keeps x[..., i, j] where j - i <= diagonal and
 * zeroes the rest. diagonal 0 is the main diagonal, 1 the one above it; tril(ones) is a causal mask.
 */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle('tril', x, diagonal, true);
}

/** Upper triangle of the last two axes (torch.triu): keeps x[..., i, j] where j - i >= diagonal. */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle('triu', x, diagonal, false);
}

function triangle(op: string, x: Tensor, diagonal: number, lower: boolean): Tensor {
  if (x.ndim < 2) {
    throw new ShapeError(op, 'x', 'at least 2 axes (a matrix or a batch of matrices)', formatShape(x.shape));
  }
  if (!Number.isInteger(diagonal)) {
    throw new RangeError(`${op}: diagonal must be an integer, got ${diagonal}`);
  }
  const out = x.clone();
  const rows = x.shape[x.ndim - 2]!;
  const cols = x.shape[x.ndim - 1]!;
  const data = out.data;
  for (let base = 0; base < out.size; base += rows * cols) {
    for (let i = 0; i < rows; i++) {
      // tril zeroes columns j > i + diagonal; triu zeroes columns j < i + diagonal
      const cut = Math.min(Math.max(i + diagonal + (lower ? 1 : 0), 0), cols);
      const row = base + i * cols;
      if (lower) data.fill(0, row + cut, row + cols);
      else data.fill(0, row, row + cut);
    }
  }
  return out;
}

function checkList(op: string, tensors: readonly Tensor[]): Tensor {
  if (tensors.length === 0) throw new RangeError(`${op}: expected at least one tensor, got an empty list`);
  const first = tensors[0]!;
  for (let i = 1; i < tensors.length; i++) {
    if (tensors[i]!.dtype !== first.dtype) {
      throw dtypeMismatch(op, `tensors[${i}]`, `${first.dtype} (as tensors[0])`, tensors[i]!.dtype);
    }
  }
  return first;
}
