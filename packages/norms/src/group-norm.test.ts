import { type DType, randn, tensor } from '@normkit/tensor';
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
  groupNormBackward,
  groupNormBackwardReference,
  groupNormForward,
  groupNormReference,
} from './group-norm.js';
import { instanceNormBackward, instanceNormForward } from './instance-norm.js';

interface GroupNormCase extends TorchCase {
  num_groups: number;
}

describe('groupNorm against PyTorch 1.13 (test/fixtures/group_norm.json)', () => {
  for (const c of fixtureCases<GroupNormCase>('group_norm.json')) {
    it(`${c.name} ${c.dtype}`, () => {
      const x = fxT(c.x);
      const weight = fx(c.weight);
      const fwd = groupNormForward(x, c.num_groups, { weight, bias: fx(c.bias), eps: c.eps });
      const g = groupNormBackward(fxT(c.dy), x, c.num_groups, fwd, { weight });
      compareWithTorch(c, { ...fwd, dx: g.dx, dweight: g.dWeight, dbias: weight ? g.dBias : null });
    });
  }

  it('NaN in one sample channel reaches only its group (nan_in_one_group: x[1, 2, 1] is NaN, G = 2)', () => {
    const c = fixtureCases<GroupNormCase>('group_norm.json').find((k) => k.name === 'nan_in_one_group')!;
    const x = fxT(c.x);
    const { y, mean, rstd } = groupNormForward(x, 2, { weight: fx(c.weight), bias: fx(c.bias) });
    const yv = vals(y);
    // x [2, 4, 3]: group (n = 1, g = 1) is flat elements 18..23
    expect(Array.from(yv, Number.isNaN)).toEqual(Array.from(yv, (_, i) => i >= 18));
    expect(Array.from(vals(mean), Number.isNaN)).toEqual([false, false, false, true]);
    expect(Array.from(vals(rstd), Number.isNaN)).toEqual([false, false, false, true]);
  });
});

describe('groupNorm fast kernels match groupNormReference on random shapes', () => {
  const arb = fc
    .record({
      N: fc.integer({ min: 1, max: 4 }),
      G: fc.integer({ min: 1, max: 4 }),
      perGroup: fc.integer({ min: 1, max: 3 }),
      spatial: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 2 }),
      dtype: fc.constantFrom<DType>('float32', 'float64'),
      affine: fc.boolean(),
      seed: fc.nat(),
    })
    .map((s) => ({ ...s, C: s.G * s.perGroup }));
  it('forward and backward', () => {
    fc.assert(
      fc.property(arb, (s) => {
        const shape = [s.N, s.C, ...s.spatial];
        const { dtype } = s;
        const x = randn(shape, { seed: s.seed, dtype, mean: -0.4, std: 3 });
        const { weight, bias } = randomAffine(s.C, s.seed, dtype, s.affine);
        const dy = randn(shape, { seed: s.seed + 3, dtype });
        const fast = groupNormForward(x, s.G, { weight, bias });
        const ref = groupNormReference(x, s.G, { weight, bias });
        expectSameForward(fast, ref, tolFor(dtype));
        const g = groupNormBackward(dy, x, s.G, fast, { weight, needs: { dWeight: true } });
        const r = groupNormBackwardReference(dy, x, s.G, fast, { weight });
        expectSameGrads(g, r, tolFor(dtype));
      }),
      { seed: 20240602, numRuns: 150 },
    );
  });
});

describe('groupNormBackward: float64 central finite differences of L = sum(y * r)', () => {
  const cases = [
    { shape: [2, 6, 3], G: 3 },
    { shape: [3, 4], G: 2 },
    { shape: [2, 4, 2, 2], G: 1 },
    { shape: [2, 4, 3], G: 4 },
  ];
  for (const { shape, G } of cases) {
    it(`[${shape}] numGroups ${G}`, () => {
      const C = shape[1]!;
      const x = randn(shape, { seed: 31, dtype: 'float64', std: 1.5 });
      const { weight, bias } = randomAffine(C, 31, 'float64');
      const r = randn(shape, { seed: 34, dtype: 'float64' });
      const L = () => dot(groupNormForward(x, G, { weight, bias }).y, r);
      const g = groupNormBackward(r, x, G, groupNormForward(x, G, { weight, bias }), { weight });
      expectFiniteDifferenceGrads(g, L, { x, weight, bias });
    });
  }
});

describe('groupNorm identities', () => {
  it('one group is LayerNorm over (C, *) before the affine', () => {
    const shape = [3, 4, 5];
    const x = randn(shape, { seed: 41, dtype: 'float64', mean: 2, std: 0.7 });
    const y = groupNormForward(x, 1, { eps: 1e-5 }).y;
    assertClose(vals(y), plainLayerNorm(vals(x), 3, 20, 1e-5), { ...TOL.f64, label: 'y' });
  });

  it('one group with an affine is LayerNorm then a per-channel affine', () => {
    const x = randn([2, 3, 4], { seed: 42, dtype: 'float64' });
    const w = [0.5, -2, 3];
    const b = [1, 0, -1];
    const ln = plainLayerNorm(vals(x), 2, 12, 1e-5);
    const expected = ln.map((v, i) => v * w[Math.floor(i / 4) % 3]! + b[Math.floor(i / 4) % 3]!);
    const weight = tensor(w, [3], { dtype: 'float64' });
    const bias = tensor(b, [3], { dtype: 'float64' });
    assertClose(vals(groupNormForward(x, 1, { weight, bias }).y), expected, { ...TOL.f64, label: 'y' });
  });

  it('C groups is InstanceNorm (forward, statistics and backward)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = randn([3, 4, 6], { seed: 43, dtype });
      const { weight, bias } = randomAffine(4, 43, dtype);
      const dy = randn([3, 4, 6], { seed: 46, dtype });
      const gn = groupNormForward(x, 4, { weight, bias });
      const inorm = instanceNormForward(x, { weight, bias });
      expectSameForward(gn, inorm, tolFor(dtype));
      const a = groupNormBackward(dy, x, 4, gn, { weight });
      const b = instanceNormBackward(dy, x, inorm, { weight });
      expectSameGrads(a, b, tolFor(dtype));
    }
  });

  it('is invariant to a per-group shift and positive scale of x (eps = 0)', () => {
    const x = randn([2, 4, 5], { seed: 47, dtype: 'float64' });
    const xv = vals(x);
    // group (n, g) of x [2, 4, 5] with G = 2: flat elements 10 * (2n + g) .. + 10
    const moved = xv.map((v, i) => v * (1 + Math.floor(i / 10)) - 7 * Math.floor(i / 10));
    const a = groupNormForward(x, 2, { eps: 0 }).y;
    const b = groupNormForward(tensor(moved, [2, 4, 5], { dtype: 'float64' }), 2, { eps: 0 }).y;
    assertClose(vals(b), vals(a), { ...TOL.f64, label: 'y' });
  });
});
