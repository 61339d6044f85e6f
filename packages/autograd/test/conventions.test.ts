import { fileURLToPath } from 'node:url';
import { tensor } from '@normkit/tensor';
import { assertClose, type FixtureTensor, fixtureTensorData, loadFixture } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import type { Variable } from '../src/index.js';
import * as A from '../src/index.js';

/**
 * Gradients at kinks and infinities follow PyTorch 1.13 (test/gen_conventions_fixture.py), where
 * finite differences say nothing. One known difference, by design: max over *all* axes gives the
 * whole gradient to the first argmax, where torch's x.max() splits it evenly between ties.
 */
interface Case {
  inputs: FixtureTensor[];
  grads: FixtureTensor[];
}
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const fx = loadFixture<{ cases: Record<string, Case> }>(packageDir, 'conventions.json');

const ops: Record<string, (...v: Variable[]) => Variable> = {
  relu: (x) => A.relu(x!),
  abs: (x) => A.abs(x!),
  clamp: (x) => A.clamp(x!, -0.5, 0.5),
  maximum: (a, b) => A.maximum(a!, b!),
  minimum: (a, b) => A.minimum(a!, b!),
  pow: (a, b) => A.pow(a!, b!),
  std: (x) => A.std(x!, -1),
  maxAxis: (x) => A.max(x!, -1),
  sqrt: (x) => A.sqrt(x!),
  sigmoid: (x) => A.sigmoid(x!),
  logSoftmax: (x) => A.select(A.logSoftmax(x!), -1, 0),
  softmax: (x) => A.select(A.softmax(x!), -1, 0),
};

describe('gradients at non-differentiable points follow PyTorch', () => {
  it('has a normkit op for every case of the fixture', () => {
    expect(Object.keys(fx.cases).sort()).toEqual(Object.keys(ops).sort());
  });

  it.each(Object.keys(ops))('%s', (name) => {
    const c = fx.cases[name]!;
    const xs = c.inputs.map((t) => A.variable(tensor(fixtureTensorData(t), t.shape, { dtype: 'float64' })));
    A.sum(ops[name]!(...xs)).backward();
    xs.forEach((x, i) => {
      assertClose(x.grad!.toFlatArray(), fixtureTensorData(c.grads[i]!), {
        atol: 1e-12,
        label: `${name} d${i}`,
      });
    });
  });

  it('max over all axes gives the gradient to the first argmax (torch splits ties evenly)', () => {
    const x = A.variable(tensor([1, 3, 3, 0], [4], { dtype: 'float64' }));
    A.max(x).backward();
    expect(x.grad!.toFlatArray()).toEqual([0, 1, 0, 0]);
  });
});
