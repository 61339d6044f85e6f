import { fileURLToPath } from 'node:url';
import { type DType, type Tensor, tensor } from '@normkit/tensor';
import { assertClose, type FixtureTensor, fixtureTensorData } from '@normkit/test-utils';

/** Shared by the nn tests that read the PyTorch fixtures of test/gen_modules_fixtures.py. */
export const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** A fixture tensor as a normkit Tensor of the given dtype (int64 fixtures become integer-valued floats). */
export function fromFixture(t: FixtureTensor, dtype: DType = 'float64'): Tensor {
  return tensor(fixtureTensorData(t), t.shape, { dtype });
}

/** Tolerances of a run against float64 PyTorch goldens computed from float32-representable inputs. */
export function tolerance(dtype: DType): { atol: number; rtol: number } {
  return dtype === 'float64' ? { atol: 1e-10, rtol: 1e-10 } : { atol: 1e-5, rtol: 1e-5 };
}

/** Shape and values of a tensor against a fixture tensor; returns the maxdiff. */
export function expectFixture(
  actual: Tensor | null | undefined,
  expected: FixtureTensor,
  dtype: DType,
  label: string,
): number {
  if (!actual) throw new Error(`${label}: no tensor (expected shape [${expected.shape}])`);
  if (actual.shape.join(',') !== expected.shape.join(',')) {
    throw new Error(`${label}: shape [${actual.shape}] does not match expected [${expected.shape}]`);
  }
  return assertClose(actual.toTypedArray(), fixtureTensorData(expected), { ...tolerance(dtype), label })
    .maxdiff;
}
