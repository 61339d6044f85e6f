// Shared by reduce/softmax/indexing tests: read the tensors written by gen_reduce_fixtures.py and
// rebuild the same views (permute / expand / strided slice) that the script applied in torch.
import { fileURLToPath } from 'node:url';
import { type CloseOptions, type FixtureTensor, fixtureTensorData, loadFixture } from '@normkit/test-utils';
import { tensor } from '../src/create.js';
import type { DType } from '../src/dtype.js';
import type { Tensor } from '../src/tensor.js';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));

export type FixtureView =
  | null
  | { kind: 'permute'; axes: number[] }
  | { kind: 'expand'; shape: number[] }
  | { kind: 'slice'; axis: number; start: number; end: number; step: number };

export function load<T>(name: string): T {
  return loadFixture<T>(packageDir, name);
}

export function fromFixture(t: FixtureTensor, dtype?: DType): Tensor {
  return tensor(fixtureTensorData(t), t.shape, { dtype: dtype ?? (t.dtype as DType) });
}

export function applyView(x: Tensor, view: FixtureView): Tensor {
  if (view === null) return x;
  if (view.kind === 'permute') return x.permute(view.axes);
  if (view.kind === 'expand') return x.expand(view.shape);
  return x.slice(view.axis, view.start, view.end, view.step);
}

/**
 * The oracle is float64 on the exact inputs, so a float32 result may differ by its final rounding
 * (half an ulp, 2^-24 relative) plus float64 accumulation error; float64 results by a few ulps
 * of the summed magnitudes.
 */
export function tolerance(dtype: DType): CloseOptions {
  return dtype === 'float32' ? { rtol: 2 ** -23, atol: 1e-12 } : { rtol: 1e-13, atol: 1e-13 };
}
