import { dtypeMismatch, formatShape, ShapeError } from '../errors.js';
import { contiguousStrides, normalizeAxis, sameShape, sizeOf } from '../shape.js';
import { allocateUninit } from '../storage.js';
import { Tensor } from '../tensor.js';
import { checkScalarAxes } from './reduce-kernels.js';
import { isDenseBlock, offsetTable, RowWalker } from './reduce-layout.js';
import { copyData } from './wasm/memops-wasm.js';

/**
 * Integer positions along one axis: a tensor (any float dtype, any shape), an Int32Array or a
 * number list. Values must be integers in [-size, size); negative ones count from the end.
 */
export type Indices = Tensor | Int32Array | readonly number[];

/**
 * torch.index_select, generalised to N-d indices as torch.nn.functional.embedding:
 * out.shape = x.shape[:axis] ++ indices.shape ++ x.shape[axis+1:], and
 * out[o, k, i] = x[o, indices[k], i] with o the outer and i the inner positions.
 * Embedding lookup is indexSelect(weight, 0, ids): [V, D] with ids [B, T] gives [B, T, D].
 */
export function indexSelect(x: Tensor, axis: number, indices: Indices): Tensor {
  const ax = normalizeAxis('indexSelect', axis, x.ndim);
  const { idx, shape: ishape } = resolveIndices('indexSelect', indices, x.shape[ax]!, ax);
  const outerShape = x.shape.slice(0, ax);
  const innerShape = x.shape.slice(ax + 1);
  const innerStrides = x.strides.slice(ax + 1);
  const inner = sizeOf(innerShape);
  const out = allocateUninit(x.dtype, sizeOf(outerShape) * idx.length * inner);
  const outer = offsetTable(outerShape, x.strides.slice(0, ax), x.offset);
  // a dense inner block (a contiguous embedding row) is copied with set(); others via its offsets
  const dense = isDenseBlock(innerShape, innerStrides);
  const innerOff = dense ? null : offsetTable(innerShape, innerStrides);
  const as = x.strides[ax]!;
  const xd = x.data;
  let q = 0;
  for (let o = 0; o < outer.length; o++) {
    for (let k = 0; k < idx.length; k++) {
      const base = outer[o]! + idx[k]! * as;
      if (innerOff !== null) for (let j = 0; j < inner; j++) out[q + j] = xd[base + innerOff[j]!]!;
      else if (inner >= 64) copyData(out, xd.subarray(base, base + inner), q);
      else for (let j = 0; j < inner; j++) out[q + j] = xd[base + j]!;
      q += inner;
    }
  }
  return new Tensor(out, [...outerShape, ...ishape, ...innerShape]);
}

/**
 * In place target.index_add_(axis, indices, src): target[o, indices[k], i] += src[o, k, i], with
 * src.shape = target.shape[:axis] ++ indices.shape ++ target.shape[axis+1:] (the backward of
 * indexSelect). Repeated indices accumulate: positions are grouped by index and each group is
 * summed in float64, then added to the target once, so a token repeated 10^4 times in a float32
 * embedding gradient is rounded once, not 10^4 times. Returns target.
 */
export function indexAdd(target: Tensor, axis: number, indices: Indices, src: Tensor): Tensor {
  const op = 'indexAdd';
  const ax = normalizeAxis(op, axis, target.ndim);
  checkWritable(op, target);
  if (src.dtype !== target.dtype) throw dtypeMismatch(op, 'src', `${target.dtype} (as target)`, src.dtype);
  const { idx, shape: ishape } = resolveIndices(op, indices, target.shape[ax]!, ax);
  const outerShape = target.shape.slice(0, ax);
  const innerShape = target.shape.slice(ax + 1);
  const expected = [...outerShape, ...ishape, ...innerShape];
  if (!sameShape(src.shape, expected)) {
    throw new ShapeError(
      op,
      'src',
      formatShape(expected),
      formatShape(src.shape),
      `indexAdd: src has shape ${formatShape(src.shape)}, expected ${formatShape(expected)} ` +
        `(target ${formatShape(target.shape)} with indices of shape ${formatShape(ishape)} on axis ${ax})`,
    );
  }
  const K = idx.length;
  const order = Int32Array.from({ length: K }, (_, k) => k).sort((a, b) => idx[a]! - idx[b]! || a - b);
  const mid = ax + ishape.length;
  const tOuter = offsetTable(outerShape, target.strides.slice(0, ax), target.offset);
  const tInner = offsetTable(innerShape, target.strides.slice(ax + 1));
  const sOuter = offsetTable(outerShape, src.strides.slice(0, ax), src.offset);
  const sMid = offsetTable(ishape, src.strides.slice(ax, mid));
  const sInner = offsetTable(innerShape, src.strides.slice(mid));
  const inner = tInner.length;
  const acc = new Float64Array(inner);
  const ts = target.strides[ax]!;
  const td = target.data;
  const sd = src.data;
  // dense inner blocks (the usual [V, D] embedding rows) skip the offset tables
  const dense =
    isDenseBlock(innerShape, target.strides.slice(ax + 1)) &&
    isDenseBlock(innerShape, src.strides.slice(mid));
  for (let o = 0; o < tOuter.length; o++) {
    for (let g = 0; g < K; ) {
      // one group: every position k holding the same index u, summed in float64 then added once
      const u = idx[order[g]!]!;
      const tb = tOuter[o]! + u * ts;
      let end = g + 1;
      while (end < K && idx[order[end]!] === u) end++;
      if (end === g + 1) {
        // a single position: target + src rounds once already
        const sb = sOuter[o]! + sMid[order[g]!]!;
        if (dense) for (let j = 0; j < inner; j++) td[tb + j]! += sd[sb + j]!;
        else for (let j = 0; j < inner; j++) td[tb + tInner[j]!]! += sd[sb + sInner[j]!]!;
      } else {
        acc.fill(0);
        for (let k = g; k < end; k++) {
          const sb = sOuter[o]! + sMid[order[k]!]!;
          if (dense) for (let j = 0; j < inner; j++) acc[j]! += sd[sb + j]!;
          else for (let j = 0; j < inner; j++) acc[j]! += sd[sb + sInner[j]!]!;
        }
        if (dense) for (let j = 0; j < inner; j++) td[tb + j]! += acc[j]!;
        else for (let j = 0; j < inner; j++) td[tb + tInner[j]!]! += acc[j]!;
      }
      g = end;
    }
  }
  return target;
}

/**
 * torch.gather: out[i][j][k] = x[index[i][j][k]][j][k] for axis 0 (the index replaces the
 * position on `axis`). index has x's rank and, on every other axis, at most x's size; out has
 * index's shape and x's dtype.
 */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  if (x.ndim === 0) {
    checkScalarAxes('gather', axis);
    checkIndexRank('gather', 'x', x, index);
    return gather(x.reshape([1]), 0, index.reshape([1])).reshape([]);
  }
  const ax = normalizeAxis('gather', axis, x.ndim);
  checkIndexRank('gather', 'x', x, index);
  checkIndexFits('gather', 'x', x.shape, index.shape, ax);
  const out = allocateUninit(x.dtype, index.size);
  const xStrides = x.strides.slice();
  xStrides[ax] = 0; // the index supplies this coordinate
  const w = new RowWalker(
    index.shape,
    [index.strides, xStrides, contiguousStrides(index.shape)],
    [index.offset, x.offset, 0],
  );
  const [si, sx, so] = w.step as [number, number, number];
  const d = x.shape[ax]!;
  const as = x.strides[ax]!;
  const id = index.data;
  const xd = x.data;
  for (let r = 0; r < w.rows; r++) {
    for (let j = 0, pi = w.pos[0]!, px = w.pos[1]!, po = w.pos[2]!; j < w.inner; j++) {
      let k = id[pi]!;
      if (!(k >= -d && k < d) || (k | 0) !== k) throw indexError('gather', k, ax, d);
      if (k < 0) k += d;
      out[po] = xd[px + k * as]!;
      pi += si;
      px += sx;
      po += so;
    }
    w.next();
  }
  return new Tensor(out, index.shape);
}

/**
 * In place torch.scatter_add_: target[index[i][j][k]][j][k] += src[i][j][k] for axis 0, over the
 * positions of index (same rank as target and src; at most src's size on every axis and at most
 * target's size off `axis`). Repeated indices accumulate in target's dtype, in row-major order of
 * index (as torch on CPU). Returns target.
 */
export function scatterAdd(target: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  const op = 'scatterAdd';
  if (target.ndim === 0) {
    checkScalarAxes(op, axis);
    checkIndexRank(op, 'target', target, index);
    checkIndexRank(op, 'src', src, index);
    scatterAdd(target.reshape([1]), 0, index.reshape([1]), src.reshape([1]));
    return target;
  }
  const ax = normalizeAxis(op, axis, target.ndim);
  checkWritable(op, target);
  if (src.dtype !== target.dtype) throw dtypeMismatch(op, 'src', `${target.dtype} (as target)`, src.dtype);
  checkIndexRank(op, 'target', target, index);
  checkIndexRank(op, 'src', src, index);
  checkIndexFits(op, 'target', target.shape, index.shape, ax);
  checkIndexFits(op, 'src', src.shape, index.shape, -1);
  const tStrides = target.strides.slice();
  tStrides[ax] = 0;
  const w = new RowWalker(
    index.shape,
    [index.strides, src.strides, tStrides],
    [index.offset, src.offset, target.offset],
  );
  const [si, ss, st] = w.step as [number, number, number];
  const d = target.shape[ax]!;
  const as = target.strides[ax]!;
  const id = index.data;
  const sd = src.data;
  const td = target.data;
  for (let r = 0; r < w.rows; r++) {
    for (let j = 0, pi = w.pos[0]!, ps = w.pos[1]!, pt = w.pos[2]!; j < w.inner; j++) {
      let k = id[pi]!;
      if (!(k >= -d && k < d) || (k | 0) !== k) throw indexError(op, k, ax, d);
      if (k < 0) k += d;
      td[pt + k * as]! += sd[ps]!;
      pi += si;
      ps += ss;
      pt += st;
    }
    w.next();
  }
  return target;
}

function indexError(op: string, k: number, axis: number, size: number): RangeError {
  if (Number.isInteger(k)) {
    return new RangeError(`${op}: index ${k} is out of range for axis ${axis} of size ${size}`);
  }
  return new RangeError(`${op}: indices must be integers, got ${k}`);
}

/** Flatten indices (row-major) to an Int32Array of non-negative positions, checking each one. */
function resolveIndices(
  op: string,
  indices: Indices,
  size: number,
  axis: number,
): { idx: Int32Array; shape: number[] } {
  let values: ArrayLike<number>;
  let shape: number[];
  if (indices instanceof Tensor) {
    values = indices.toTypedArray();
    shape = indices.shape.slice();
  } else {
    values = indices;
    shape = [indices.length];
  }
  const idx = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const k = values[i]!;
    if (!(k >= -size && k < size) || !Number.isInteger(k)) throw indexError(op, k, axis, size);
    idx[i] = k < 0 ? k + size : k;
  }
  return { idx, shape };
}

function checkIndexRank(op: string, arg: string, x: Tensor, index: Tensor): void {
  if (index.ndim !== x.ndim) {
    throw new ShapeError(
      op,
      'index',
      `${x.ndim} axes (as ${arg} of shape ${formatShape(x.shape)})`,
      `shape ${formatShape(index.shape)}`,
    );
  }
}

/** index.shape[d] <= shape[d] on every axis d except `skip` (-1: every axis). */
function checkIndexFits(
  op: string,
  arg: string,
  shape: readonly number[],
  ishape: readonly number[],
  skip: number,
) {
  for (let d = 0; d < shape.length; d++) {
    if (d !== skip && ishape[d]! > shape[d]!) {
      throw new ShapeError(
        op,
        'index',
        `size <= ${shape[d]} on axis ${d} (as ${arg} of shape ${formatShape(shape)})`,
        `shape ${formatShape(ishape)}`,
      );
    }
  }
}

/** In-place ops cannot write through a broadcast view: several positions share one element. */
function checkWritable(op: string, target: Tensor): void {
  for (let d = 0; d < target.ndim; d++) {
    if (target.strides[d] === 0 && target.shape[d]! > 1) {
      throw new ShapeError(
        op,
        'target',
        'a writable view (no stride-0 axis of size > 1)',
        `shape ${formatShape(target.shape)} with strides ${formatShape(target.strides)}`,
        `${op}: target is a broadcast view (stride 0 on axis ${d} of size ${target.shape[d]}) and cannot ` +
          'be written in place; write into a contiguous copy',
      );
    }
  }
}
