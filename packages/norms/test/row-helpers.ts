import { type DType, type Tensor, zeros } from '@normkit/tensor';
import { type FixtureTensor, fixtureTensorData } from '@normkit/test-utils';
import { fixtureCases, fixtureTensor } from './fixture-cases.js';

/**
 * Test helpers for the LayerNorm / RMSNorm tests: fixture cases, strided copies. The generic ones
 * (finite differences, dot, float64 values) live in @normkit/test-utils and are re-exported here.
 */
export {
  dot,
  numericGrad,
  toFloat64Array as flatValues,
} from '@normkit/test-utils';
export { packageDir } from './fixture-cases.js';

/** Results stored by test/gen_ln_rms_fixtures.py (absent entries are null). */
export interface TorchResult {
  y: FixtureTensor;
  mean?: FixtureTensor;
  rstd: FixtureTensor;
  dx: FixtureTensor;
  dweight: FixtureTensor | null;
  dbias?: FixtureTensor | null;
}

export interface RowCase {
  name: string;
  note: string;
  dtype: DType;
  normalized_shape: number[];
  /** null: the op's default eps */
  eps: number | null;
  hard: boolean;
  x: FixtureTensor;
  weight: FixtureTensor | null;
  bias?: FixtureTensor | null;
  dy: FixtureTensor;
  torch?: TorchResult;
  torch64: TorchResult;
  /** 60-digit decimal statistics, y and gradients, rounded once to float64 */
  exact?: TorchResult;
}

export function rowCases(name: string): RowCase[] {
  return fixtureCases<RowCase>(name);
}

/** A fixture tensor as a normkit tensor of the given dtype (null/undefined give undefined). */
export function fx(t: FixtureTensor | null | undefined, dtype?: DType): Tensor | undefined {
  return fixtureTensor(t, dtype) ?? undefined;
}

export function values(t: FixtureTensor | null | undefined): Float64Array {
  if (t === null || t === undefined) throw new Error('fixture tensor missing');
  return fixtureTensorData(t);
}

/** Each value rounded to float32 (how a float32 result of an exact float64 computation looks). */
export function f32(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(Float32Array.from(a));
}

/**
 * The same values as t in a non-contiguous view: every other element of a buffer twice as long in the
 * last dim, starting at offset 1 (so both the stride and the offset differ from a fresh tensor).
 */
export function strided(t: Tensor): Tensor {
  const shape = t.shape.slice();
  const last = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const big = zeros([...shape.slice(0, -1), 2 * last + 1], { dtype: t.dtype });
  const src = t.toTypedArray();
  for (let i = 0; i < src.length; i++) {
    const row = Math.floor(i / last);
    const col = i % last;
    big.data[row * (2 * last + 1) + 1 + 2 * col] = src[i]!;
  }
  return big.slice(-1, 1, 2 * last + 1, 2);
}
