import { randn, type Tensor, tensor } from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { describe, it } from 'vitest';
import { dot, flatValues, numericGrad } from '../test/row-helpers.js';
import { layerNormBackward, layerNormForward } from './layer-norm.js';
import { rmsNormBackward, rmsNormForward } from './rms-norm.js';

/**
 * float64 gradcheck of every backward by central finite differences: for the projection loss
 * L = sum(y * r) with a random r, dL/dx, dL/dweight, dL/dbias from the backward kernels (dy = r)
 * must match (L(t + h) - L(t - h)) / 2h, h = 1e-6, element by element. Error budget: truncation
 * h^2 * L''' ~ 1e-12 and rounding 2^-52 * |L| / h ~ 1e-9 for |L| ~ 10, so atol 1e-8 (rtol 1e-8 for
 * the larger gradients, which reach ~100 on the constant-ish rows).
 */
const H = 1e-6;
const TOL = { atol: 1e-8, rtol: 1e-8 };

interface Setup {
  name: string;
  x: Tensor;
  norm: number[];
  weight?: Tensor;
  bias?: Tensor;
  eps?: number;
}

function f64(shape: number[], seed: number, mean = 0, std = 1): Tensor {
  return randn(shape, { seed, dtype: 'float64', mean, std });
}

const constantish = tensor(
  [
    [2, 2, 2, 2],
    [0.5, -1, 3, 0.25],
    [1, 1, 1, 1.001],
  ],
  [3, 4],
  { dtype: 'float64' },
);

const layerNormSetups: Setup[] = [
  { name: 'rank 1, weight and bias', x: f64([3, 5], 1), norm: [5], weight: f64([5], 2), bias: f64([5], 3) },
  { name: 'rank 2, no affine, eps = 0', x: f64([2, 3, 4], 4), norm: [3, 4], eps: 0 },
  { name: 'whole shape, weight only', x: f64([3, 4], 5, 2, 3), norm: [3, 4], weight: f64([3, 4], 6) },
  {
    name: 'constant and near-constant rows',
    x: constantish,
    norm: [4],
    weight: f64([4], 7),
    bias: f64([4], 8),
    eps: 1e-3,
  },
  {
    name: '67 rows (block edge, odd row count)',
    x: f64([67, 3], 9),
    norm: [3],
    weight: f64([3], 10),
    bias: f64([3], 11),
  },
  {
    name: 'offset rows (mean 30, std 0.5)',
    x: f64([4, 6], 12, 30, 0.5),
    norm: [6],
    weight: f64([6], 13),
    eps: 1e-5,
  },
];

const rmsNormSetups: Setup[] = [
  { name: 'rank 1, weight, default eps', x: f64([3, 5], 21), norm: [5], weight: f64([5], 22) },
  { name: 'rank 2, no weight, eps = 0', x: f64([2, 3, 4], 23), norm: [3, 4], eps: 0 },
  {
    name: 'rank 3, weight, eps 1e-6',
    x: f64([2, 2, 3, 2], 24),
    norm: [2, 3, 2],
    weight: f64([2, 3, 2], 25),
    eps: 1e-6,
  },
  { name: 'constant rows, eps 1e-3', x: constantish, norm: [4], weight: f64([4], 26), eps: 1e-3 },
  { name: '67 rows (block edge, odd row count)', x: f64([67, 3], 27), norm: [3], weight: f64([3], 28) },
];

function check(s: Setup, forward: () => Tensor, backward: (r: Tensor) => Record<string, Tensor | null>) {
  const r = randn(s.x.shape, { seed: 99, dtype: 'float64' });
  const loss = () => dot(forward(), r);
  const g = backward(r);
  assertClose(flatValues(g.dx), numericGrad(loss, s.x, H), { ...TOL, label: `${s.name} dx` });
  if (s.weight) {
    assertClose(flatValues(g.dWeight), numericGrad(loss, s.weight, H), {
      ...TOL,
      label: `${s.name} dWeight`,
    });
  }
  if (s.bias) {
    assertClose(flatValues(g.dBias), numericGrad(loss, s.bias, H), { ...TOL, label: `${s.name} dBias` });
  }
}

describe('layerNormBackward gradcheck (float64, central differences)', () => {
  it.each(layerNormSetups.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    const opts = { weight: s.weight, bias: s.bias, eps: s.eps };
    check(
      s,
      () => layerNormForward(s.x, s.norm, opts).y,
      (r) => {
        const saved = layerNormForward(s.x, s.norm, opts);
        return { ...layerNormBackward(r, s.x, s.norm, saved, { weight: s.weight }) };
      },
    );
  });
});

describe('rmsNormBackward gradcheck (float64, central differences)', () => {
  it.each(rmsNormSetups.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    const opts = { weight: s.weight, eps: s.eps };
    check(
      s,
      () => rmsNormForward(s.x, s.norm, opts).y,
      (r) => {
        const saved = rmsNormForward(s.x, s.norm, opts);
        return { ...rmsNormBackward(r, s.x, s.norm, saved, { weight: s.weight }) };
      },
    );
  });
});
