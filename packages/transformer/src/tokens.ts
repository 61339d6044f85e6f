import { formatShape, ShapeError, Tensor } from '@normkit/tensor';

/** A batch of token ids [B, T]: nested arrays or a Tensor of integer values. */
export type TokenBatch = Tensor | readonly (readonly number[])[];

/**
 * The batch as a float64 Tensor [B, T] of ids in [0, vocabSize), with B >= 1 and 1 <= T <= maxT.
 * Every problem names the op, the argument and what was given.
 */
export function tokenTensor(
  op: string,
  arg: string,
  ids: TokenBatch,
  vocabSize: number,
  maxT: number,
): Tensor {
  let t: Tensor;
  if (ids instanceof Tensor) {
    t = ids;
  } else if (Array.isArray(ids) && ids.length > 0 && ids.every((r) => Array.isArray(r))) {
    const T = ids[0]!.length;
    if (!ids.every((r) => r.length === T)) {
      throw new ShapeError(
        op,
        arg,
        'rows of equal length [B, T]',
        `rows of lengths ${ids.map((r) => r.length).join(', ')}`,
      );
    }
    t = new Tensor(Float64Array.from(ids.flat()), [ids.length, T]);
  } else {
    throw new TypeError(`${op}: ${arg} expected a Tensor [B, T] or a non-empty array of token-id arrays`);
  }
  if (t.ndim !== 2 || t.shape[0]! < 1 || t.shape[1]! < 1 || t.shape[1]! > maxT) {
    throw new ShapeError(
      op,
      arg,
      `shape [B, T] with B >= 1 and 1 <= T <= blockSize = ${maxT}`,
      formatShape(t.shape),
    );
  }
  const flat = t.toTypedArray();
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= vocabSize) {
      const T = t.shape[1]!;
      throw new RangeError(
        `${op}: ${arg} expected token ids in [0, ${vocabSize}), got ${v} at [${Math.floor(i / T)}, ${i % T}]`,
      );
    }
  }
  return t.dtype === 'float64' && t.isContiguous() ? t : new Tensor(Float64Array.from(flat), t.shape);
}
