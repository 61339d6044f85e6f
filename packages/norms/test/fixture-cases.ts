import { fileURLToPath } from 'node:url';
import { type DType, type Tensor, tensor } from '@normkit/tensor';
import { type FixtureTensor, fixtureTensorData, loadFixture } from '@normkit/test-utils';

/**
 * Reading the norms fixtures (test/fixtures/*.json, written by the gen_*_fixtures.py scripts) into
 * normkit tensors: shared by the row-norm (row-helpers.ts) and channel-norm (channel-helpers.ts) tests.
 */
export const packageDir = fileURLToPath(new URL('..', import.meta.url));

export interface FixtureFile<C> {
  generator: string;
  torch: string;
  cases: C[];
}

/** The cases of one fixture file. */
export function fixtureCases<C>(name: string): C[] {
  return loadFixture<FixtureFile<C>>(packageDir, name).cases;
}

/** A fixture tensor as a normkit tensor of the given dtype (default: the fixture's); absent gives null. */
export function fixtureTensor(t: FixtureTensor | null | undefined, dtype?: DType): Tensor | null {
  if (t === null || t === undefined) return null;
  return tensor(fixtureTensorData(t), t.shape, { dtype: dtype ?? (t.dtype as DType) });
}

/** fixtureTensor of an entry the case must hold. */
export function requireFixtureTensor(t: FixtureTensor | null | undefined): Tensor {
  const r = fixtureTensor(t);
  if (r === null) throw new Error('fixture tensor missing');
  return r;
}
