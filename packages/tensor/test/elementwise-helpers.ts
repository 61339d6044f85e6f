// Shared by the elementwise tests: read test/fixtures/elementwise.json (written by
// gen_elementwise_fixtures.py) and rebuild each operand exactly as the script did: the base tensor
// contiguous, then its views (permute / strided slice / expand) in order.
import { fileURLToPath } from 'node:url';
import { type FixtureTensor, fixtureTensorData, loadFixture } from '@normkit/test-utils';
import { tensor } from '../src/create.js';
import type { DType } from '../src/dtype.js';
import type { Operand } from '../src/elementwise.js';
import type { Tensor } from '../src/tensor.js';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));

export type FixtureView =
  | { kind: 'permute'; axes: number[] }
  | { kind: 'expand'; shape: number[] }
  | { kind: 'slice'; axis: number; start: number; end: number; step: number };

export type FixtureOperand = { scalar: number } | { base: FixtureTensor; views: FixtureView[] };

export interface BinaryCase {
  name: string;
  dtype: DType;
  a: FixtureOperand;
  b: FixtureOperand;
  expected: Record<string, FixtureTensor>;
}

export interface WhereCase {
  name: string;
  dtype: DType;
  cond: FixtureOperand;
  a: FixtureOperand;
  b: FixtureOperand;
  expected: FixtureTensor;
}

export interface UnaryCase {
  dtype: DType;
  x: FixtureTensor;
  expected: Record<string, FixtureTensor>;
}

export interface ElementwiseFixture {
  binary: BinaryCase[];
  where: WhereCase[];
  unary: UnaryCase[];
  erf: { x: (number | string)[]; erf: (number | string)[]; erfc: (number | string)[] };
  gelu: {
    x: number[];
    torch_none: (number | string)[];
    torch_tanh: (number | string)[];
    exact_none: (number | string)[];
    exact_tanh: (number | string)[];
  };
}

let cached: ElementwiseFixture | undefined;

export function fixture(): ElementwiseFixture {
  cached ??= loadFixture<ElementwiseFixture>(packageDir, 'elementwise.json');
  return cached;
}

export function fromFixture(t: FixtureTensor): Tensor {
  return tensor(fixtureTensorData(t), t.shape, { dtype: t.dtype as DType });
}

export function applyViews(x: Tensor, views: readonly FixtureView[]): Tensor {
  for (const v of views) {
    if (v.kind === 'permute') x = x.permute(v.axes);
    else if (v.kind === 'expand') x = x.expand(v.shape);
    else x = x.slice(v.axis, v.start, v.end, v.step);
  }
  return x;
}

export function buildOperand(op: FixtureOperand): Operand {
  if ('scalar' in op) return op.scalar;
  return applyViews(fromFixture(op.base), op.views);
}

/** Flat expected values (NaN/Infinity decoded) of a fixture tensor. */
export function expectedData(t: FixtureTensor): Float64Array {
  return fixtureTensorData(t);
}

/** Decode a list of fixture numbers ("nan", "inf", "-inf" strings included). */
export function decode(values: readonly (number | string)[]): number[] {
  return Array.from(fixtureTensorData({ dtype: 'float64', shape: [values.length], data: values.slice() }));
}
