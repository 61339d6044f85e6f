import { type DType, randn, type Tensor } from '@normkit/tensor';
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
  randomAffine,
  type TorchCase,
  tolFor,
  vals,
} from '../test/channel-helpers.js';
import {
  instanceNormBackward,
  instanceNormBackwardReference,
  instanceNormForward,
  instanceNormReference,
} from './instance-norm.js';

interface InstanceNormCase extends TorchCase {
  use_input_stats: boolean;
  momentum: number;
  running_mean: TorchCase['x'] | null;
  running_var: TorchCase['x'] | null;
}

describe('instanceNorm against PyTorch 1.13 (test/fixtures/instance_norm.json)', () => {
  for (const c of fixtureCases<InstanceNormCase>('instance_norm.json')) {
    it(`${c.name} ${c.dtype}`, () => {
      const x = fxT(c.x);
      const weight = fx(c.weight);
      const runningMean = fx(c.running_mean);
      const runningVar = fx(c.running_var);
      const useInputStats = c.use_input_stats;
      const fwd = instanceNormForward(x, {
        weight,
        bias: fx(c.bias),
        runningMean,
        runningVar,
        useInputStats,
        momentum: c.momentum,
        eps: c.eps,
      });
      const g = instanceNormBackward(fxT(c.dy), x, fwd, { weight, useInputStats });
      compareWithTorch(c, {
        ...fwd,
        dx: g.dx,
        dweight: g.dWeight,
        dbias: weight ? g.dBias : null,
        running_mean: runningMean,
        running_var: runningVar,
      });
    });
  }

  it('NaN in one plane reaches only that plane, and the running statistics of its channel', () => {
    const c = fixtureCases<InstanceNormCase>('instance_norm.json').find(
      (k) => k.name === 'nan_in_one_plane',
    )!;
    const x = fxT(c.x); // [2, 3, 4], x[0, 1, 2] is NaN
    const runningMean = fx(c.running_mean)!;
    const runningVar = fx(c.running_var)!;
    const { y } = instanceNormForward(x, { runningMean, runningVar });
    const yv = vals(y);
    expect(Array.from(yv, Number.isNaN)).toEqual(Array.from(yv, (_, i) => i >= 4 && i < 8));
    expect(Array.from(vals(runningMean), Number.isNaN)).toEqual([false, true, false]);
    expect(Array.from(vals(runningVar), Number.isNaN)).toEqual([false, true, false]);
  });
});

describe('instanceNorm fast kernels match instanceNormReference on random shapes', () => {
  const arb = fc
    .record({
      N: fc.integer({ min: 1, max: 4 }),
      C: fc.integer({ min: 1, max: 5 }),
      spatial: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 2 }),
      dtype: fc.constantFrom<DType>('float32', 'float64'),
      affine: fc.boolean(),
      running: fc.boolean(),
      useInputStats: fc.boolean(),
      momentum: fc.constantFrom(0.1, 0.7),
      seed: fc.nat(),
    })
    .filter(
      (s) => (s.running || s.useInputStats) && (!s.useInputStats || s.spatial.reduce((a, b) => a * b, 1) > 1),
    );
  it('forward, running statistics and backward', () => {
    fc.assert(
      fc.property(arb, (s) => {
        const shape = [s.N, s.C, ...s.spatial];
        const { dtype } = s;
        const x = randn(shape, { seed: s.seed, dtype, mean: 1.1, std: 0.8 });
        const { weight, bias } = randomAffine(s.C, s.seed, dtype, s.affine);
        const rm = randn([s.C], { seed: s.seed + 3, dtype });
        const rv = randn([s.C], { seed: s.seed + 4, dtype, mean: 2, std: 0.3 });
        const dy = randn(shape, { seed: s.seed + 5, dtype });
        const { useInputStats, momentum } = s;
        const run = (f: typeof instanceNormForward, m: Tensor | null, v: Tensor | null) =>
          f(x, { weight, bias, runningMean: m, runningVar: v, useInputStats, momentum });
        const [m1, v1, m2, v2] = s.running
          ? [rm.clone(), rv.clone(), rm.clone(), rv.clone()]
          : [null, null, null, null];
        const fast = run(instanceNormForward, m1, v1);
        const ref = run(instanceNormReference, m2, v2);
        expectSameForward(fast, ref, tolFor(dtype));
        if (s.running) {
          assertClose(vals(m1), vals(m2), { ...tolFor(dtype), label: 'runningMean' });
          assertClose(vals(v1), vals(v2), { ...tolFor(dtype), label: 'runningVar' });
        }
        const g = instanceNormBackward(dy, x, fast, { weight, useInputStats, needs: { dWeight: true } });
        const r = instanceNormBackwardReference(dy, x, fast, { weight, useInputStats });
        expectSameGrads(g, r, tolFor(dtype));
      }),
      { seed: 20240603, numRuns: 150 },
    );
  });
});

describe('instanceNormBackward: float64 central finite differences of L = sum(y * r)', () => {
  for (const useInputStats of [true, false]) {
    for (const shape of [
      [2, 3, 4],
      [2, 2, 2, 3],
    ]) {
      it(`[${shape}] useInputStats ${useInputStats}`, () => {
        const C = shape[1]!;
        const x = randn(shape, { seed: 51, dtype: 'float64', std: 1.5 });
        const { weight, bias } = randomAffine(C, 51, 'float64');
        const runningMean = randn([C], { seed: 54, dtype: 'float64' });
        const runningVar = randn([C], { seed: 55, dtype: 'float64', mean: 1.5, std: 0.2 });
        const r = randn(shape, { seed: 56, dtype: 'float64' });
        // running statistics only when they are read, not updated (an update would change them between calls)
        const stats = useInputStats ? {} : { runningMean, runningVar };
        const f = () => instanceNormForward(x, { weight, bias, useInputStats, ...stats });
        const L = () => dot(f().y, r);
        const g = instanceNormBackward(r, x, f(), { weight, useInputStats });
        expectFiniteDifferenceGrads(g, L, { x, weight, bias });
      });
    }
  }
});
