import { fileURLToPath } from 'node:url';
import { type DType, type Tensor, tensor, zeros } from '@normkit/tensor';
import { type FixtureTensor, fixtureTensorData, loadFixture } from '@normkit/test-utils';

/** Test helpers for the LayerNorm / RMSNorm tests: fixtures, strided copies, finite differences. */
export const packageDir = fileURLToPath(new URL('..', import.meta.url));

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
  return loadFixture<{ cases: RowCase[] }>(packageDir, name).cases;
}

/** A fixture tensor as a normkit tensor of the given dtype (null/undefined give undefined). */
export function fx(t: FixtureTensor | null | undefined, dtype?: DType): Tensor | undefined {
  if (t === null || t === undefined) return undefined;
  return tensor(fixtureTensorData(t), t.shape, { dtype: dtype ?? (t.dtype as DType) });
}

export function values(t: FixtureTensor | null | undefined): Float64Array {
  if (t === null || t === undefined) throw new Error('fixture tensor missing');
  return fixtureTensorData(t);
}

/** Each value rounded to float32 (how a float32 result of an exact float64 computation looks). */
export function f32(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(Float32Array.from(a));
}

export function flatValues(t: Tensor | null | undefined): Float64Array {
  if (t === null || t === undefined) throw new Error('tensor missing');
  return Float64Array.from(t.toTypedArray());
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

/**
 * Central finite differences of a scalar function of a float64 tensor's elements (perturbed in place
 * and restored): dL/dt[i] ~ (L(t + h e_i) - L(t - h e_i)) / (2h). t must be contiguous.
 */
export function numericGrad(f: () => number, t: Tensor, h = 1e-6): Float64Array {
  const g = new Float64Array(t.size);
  for (let i = 0; i < t.size; i++) {
    const p = t.offset + i;
    const v = t.data[p]!;
    t.data[p] = v + h;
    const up = f();
    t.data[p] = v - h;
    const down = f();
    t.data[p] = v;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

/** sum(y * r) in float64 (the projection loss whose gradient with respect to y is r). */
export function dot(y: Tensor, r: Tensor): number {
  const a = y.toTypedArray();
  const b = r.toTypedArray();
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
