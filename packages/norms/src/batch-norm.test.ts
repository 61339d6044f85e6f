import { type DType, randn, type Tensor, tensor } from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareWithTorch,
  dot,
  expectFiniteDifferenceGrads,
  expectSameForward,
  expectSameGrads,
  fixtureCases,
  fx,
  fxT,
  plainLayerNorm,
  randomAffine,
  TOL,
  type TorchCase,
  tolFor,
  vals,
} from '../test/channel-helpers.js';
import {
  batchNormBackward,
  batchNormBackwardReference,
  batchNormForward,
  batchNormReference,
} from './batch-norm.js';

interface BatchNormCase extends TorchCase {
  training: boolean;
  momentum: number | null;
  num_batches_tracked: number | null;
  running_mean: TorchCase['x'] | null;
  running_var: TorchCase['x'] | null;
}

describe('batchNorm against PyTorch 1.13 (test/fixtures/batch_norm.json)', () => {
  for (const c of fixtureCases<BatchNormCase>('batch_norm.json')) {
    it(`${c.name} ${c.dtype}`, () => {
      const x = fxT(c.x);
      const weight = fx(c.weight);
      const runningMean = fx(c.running_mean);
      const runningVar = fx(c.running_var);
      const counter = c.num_batches_tracked === null ? undefined : { value: c.num_batches_tracked };
      const fwd = batchNormForward(x, {
        weight,
        bias: fx(c.bias),
        runningMean,
        runningVar,
        training: c.training,
        momentum: c.momentum,
        numBatchesTracked: counter,
        eps: c.eps,
      });
      const grads = batchNormBackward(fxT(c.dy), x, fwd, { weight, training: c.training });
      compareWithTorch(c, {
        ...fwd,
        dx: grads.dx,
        dweight: grads.dWeight,
        dbias: weight ? grads.dBias : null,
        running_mean: runningMean,
        running_var: runningVar,
      });
      if (counter) expect(counter.value).toBe(c.expected.num_batches_tracked);
    });
  }
});

describe('batchNorm fast kernels match batchNormReference on random shapes', () => {
  const arb = fc
    .record({
      N: fc.integer({ min: 1, max: 5 }),
      C: fc.integer({ min: 1, max: 5 }),
      spatial: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 2 }),
      dtype: fc.constantFrom<DType>('float32', 'float64'),
      affine: fc.boolean(),
      training: fc.boolean(),
      momentum: fc.constantFrom(0.1, 0.5, null),
      seed: fc.nat(),
    })
    .filter((s) => !s.training || s.N * s.spatial.reduce((a, b) => a * b, 1) > 1);
  it('forward, running statistics and backward', () => {
    fc.assert(
      fc.property(arb, (s) => {
        const shape = [s.N, s.C, ...s.spatial];
        const { dtype } = s;
        const x = randn(shape, { seed: s.seed, dtype, mean: 0.7, std: 2 });
        const { weight, bias } = randomAffine(s.C, s.seed, dtype, s.affine);
        const rm = randn([s.C], { seed: s.seed + 3, dtype });
        const rv = randn([s.C], { seed: s.seed + 4, dtype, mean: 2, std: 0.3 });
        const dy = randn(shape, { seed: s.seed + 5, dtype });
        const run = (f: typeof batchNormForward, m: Tensor, v: Tensor) =>
          f(x, {
            weight,
            bias,
            runningMean: m,
            runningVar: v,
            training: s.training,
            momentum: s.momentum,
            numBatchesTracked: { value: 3 },
          });
        const [m1, v1, m2, v2] = [rm.clone(), rv.clone(), rm.clone(), rv.clone()];
        const fast = run(batchNormForward, m1, v1);
        const ref = run(batchNormReference, m2, v2);
        expectSameForward(fast, ref, tolFor(dtype));
        assertClose(vals(m1), vals(m2), { ...tolFor(dtype), label: 'runningMean' });
        assertClose(vals(v1), vals(v2), { ...tolFor(dtype), label: 'runningVar' });
        const opts = { weight, training: s.training };
        const g = batchNormBackward(dy, x, fast, { ...opts, needs: { dWeight: true } });
        const r = batchNormBackwardReference(dy, x, fast, opts);
        expectSameGrads(g, r, tolFor(dtype));
      }),
      { seed: 20240601, numRuns: 150 },
    );
  });
});

describe('batchNorm on large planes (channels processed in cache-sized chunks)', () => {
  // N * S = 32768 elements per channel: the kernel handles 2 channels per block, so 5 channels
  // make blocks [0, 2), [2, 4), [4, 5)
  for (const dtype of ['float32', 'float64'] as const) {
    it(`[4, 5, 64, 128] ${dtype}: forward and backward match the reference`, () => {
      const shape = [4, 5, 64, 128];
      const x = randn(shape, { seed: 81, dtype, mean: 5, std: 2 });
      const { weight, bias } = randomAffine(5, 81, dtype);
      const dy = randn(shape, { seed: 84, dtype });
      const fast = batchNormForward(x, { weight, bias, training: true });
      const ref = batchNormReference(x, { weight, bias, training: true });
      expectSameForward(fast, ref, tolFor(dtype));
      const g = batchNormBackward(dy, x, fast, { weight });
      const r = batchNormBackwardReference(dy, x, fast, { weight });
      expectSameGrads(g, r, tolFor(dtype));
    });
  }
});

describe('batchNormBackward: float64 central finite differences of L = sum(y * r)', () => {
  const cases: { name: string; shape: number[]; training: boolean }[] = [
    { name: 'training [5,3]', shape: [5, 3], training: true },
    { name: 'training [3,2,4]', shape: [3, 2, 4], training: true },
    { name: 'training [2,3,2,2]', shape: [2, 3, 2, 2], training: true },
    { name: 'eval [3,2,4]', shape: [3, 2, 4], training: false },
  ];
  for (const { name, shape, training } of cases) {
    it(name, () => {
      const C = shape[1]!;
      const x = randn(shape, { seed: 11, dtype: 'float64', std: 1.5 });
      const { weight, bias } = randomAffine(C, 11, 'float64');
      const runningMean = randn([C], { seed: 14, dtype: 'float64' });
      const runningVar = randn([C], { seed: 15, dtype: 'float64', mean: 1.5, std: 0.2 });
      const r = randn(shape, { seed: 16, dtype: 'float64' });
      // no running statistics in training: they would change between evaluations
      const stats = training ? {} : { runningMean, runningVar };
      const L = () => dot(batchNormForward(x, { weight, bias, training, ...stats }).y, r);
      const fwd = batchNormForward(x, { weight, bias, training, ...stats });
      const g = batchNormBackward(r, x, fwd, { weight, training });
      expectFiniteDifferenceGrads(g, L, { x, weight, bias });
    });
  }
});

describe('batchNorm identities', () => {
  it('on [N, C] equals LayerNorm of the transposed data, per channel', () => {
    const [N, C] = [7, 4];
    const x = randn([N, C], { seed: 21, dtype: 'float64', mean: 3, std: 0.5 });
    const xt = vals(x.transpose().contiguous());
    const expected = plainLayerNorm(xt, C, N, 1e-5);
    const y = batchNormForward(x, { training: true }).y;
    assertClose(vals(y.transpose().contiguous()), expected, { ...TOL.f64, label: 'y^T' });
  });

  it('momentum null without running statistics (torch track_running_stats=False) needs no counter', () => {
    const [N, C] = [6, 3];
    const x = randn([N, C], { seed: 23, dtype: 'float64', mean: -2, std: 3 });
    const y = batchNormForward(x, { training: true, momentum: null }).y;
    const expected = plainLayerNorm(vals(x.transpose().contiguous()), C, N, 1e-5);
    assertClose(vals(y.transpose().contiguous()), expected, { ...TOL.f64, label: 'y^T' });
  });

  it('eval with the batch statistics as running statistics (biased var) equals training', () => {
    const x = randn([4, 3, 5], { seed: 22, dtype: 'float64' });
    const train = batchNormForward(x, { training: true });
    const runningVar = tensor(
      vals(train.rstd).map((r) => 1 / (r * r) - 1e-5),
      [3],
      { dtype: 'float64' },
    );
    const evalY = batchNormForward(x, { training: false, runningMean: train.mean, runningVar }).y;
    assertClose(vals(evalY), vals(train.y), { ...TOL.f64, label: 'y' });
  });
});
