import { type DType, randn, type Tensor, tensor, zeros } from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { TOL, vals } from '../test/channel-helpers.js';
import { batchNormBackward, batchNormForward, batchNormReference } from './batch-norm.js';
import { groupNormBackward, groupNormForward, groupNormReference } from './group-norm.js';
import { instanceNormBackward, instanceNormForward, instanceNormReference } from './instance-norm.js';
import type { BackwardResult } from './internal/common.js';

/**
 * Edge cases shared by BatchNorm, GroupNorm and InstanceNorm, each family written as
 * forward(x, opts) / backward(dy, x, stats, opts) on x [2, 4, 5] with 2 groups for GroupNorm.
 */
interface Family {
  name: string;
  forward(
    x: Tensor,
    o?: { weight?: Tensor; bias?: Tensor; eps?: number; out?: object },
  ): { y: Tensor; mean: Tensor; rstd: Tensor };
  reference(
    x: Tensor,
    o?: { weight?: Tensor; bias?: Tensor; eps?: number },
  ): { y: Tensor; mean: Tensor; rstd: Tensor };
  backward(dy: Tensor, x: Tensor, s: { mean: Tensor; rstd: Tensor }, o?: object): BackwardResult;
  /** flat element indices of x [2, 4, 5] that form statistic 0 */
  group0: number[];
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
const families: Family[] = [
  {
    name: 'batchNorm',
    forward: (x, o) => batchNormForward(x, { training: true, ...o }),
    reference: (x, o) => batchNormReference(x, { training: true, ...o }),
    backward: (dy, x, s, o) => batchNormBackward(dy, x, s, o),
    group0: [...range(0, 5), ...range(20, 25)],
  },
  {
    name: 'groupNorm',
    forward: (x, o) => groupNormForward(x, 2, o),
    reference: (x, o) => groupNormReference(x, 2, o),
    backward: (dy, x, s, o) => groupNormBackward(dy, x, 2, s, o),
    group0: range(0, 10),
  },
  {
    name: 'instanceNorm',
    forward: (x, o) => instanceNormForward(x, o),
    reference: (x, o) => instanceNormReference(x, o),
    backward: (dy, x, s, o) => instanceNormBackward(dy, x, s, o),
    group0: range(0, 5),
  },
];
const SHAPE = [2, 4, 5];

const data = (v: Float64Array, dtype: DType) => tensor(v, SHAPE, { dtype });
const affine = (dtype: DType) => ({
  weight: tensor([0.5, -1, 2, 1.5], [4], { dtype }),
  bias: tensor([3, -2, 0.25, 1], [4], { dtype }),
});

for (const f of families) {
  describe(`${f.name}: hard inputs`, () => {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`constant group with eps = 0 (${dtype}): y = bias, rstd stored as 0 (not +Infinity), finite gradients`, () => {
        const v = vals(randn(SHAPE, { seed: 61, dtype: 'float64' }));
        // 0.1 is not a float32/float64 fraction: a naive mean of its copies is off by an ulp
        for (const i of f.group0) v[i] = 0.1;
        const x = data(v, dtype);
        const { weight, bias } = affine(dtype);
        const fwd = f.forward(x, { weight, bias, eps: 0 });
        const ref = f.reference(x, { weight, bias, eps: 0 });
        expect(fwd.rstd.toFlatArray()[0]).toBe(0);
        const y = vals(fwd.y);
        const b = vals(bias);
        for (const i of f.group0) expect(y[i]).toBe(b[Math.floor(i / 5) % 4]);
        assertClose(y, vals(ref.y), { ...(dtype === 'float32' ? TOL.ref32 : TOL.ref64), label: 'y' });
        const g = f.backward(randn(SHAPE, { seed: 62, dtype }), x, fwd, { weight });
        for (const t of [g.dx!, g.dWeight!, g.dBias!]) expect(vals(t).every(Number.isFinite)).toBe(true);
        for (const i of f.group0) expect(vals(g.dx)[i] === 0).toBe(true);
      });
    }

    it('|x| ~ 1e200 in float64 (squares overflow): scale invariant with eps = 0', () => {
      const x = randn(SHAPE, { seed: 63, dtype: 'float64' });
      const big = tensor(
        vals(x).map((v) => v * 1e200),
        SHAPE,
        { dtype: 'float64' },
      );
      const a = f.forward(x, { eps: 0 });
      const b = f.forward(big, { eps: 0 });
      assertClose(vals(b.y), vals(a.y), { ...TOL.ref64, label: 'y' });
      assertClose(
        vals(b.mean).map((m) => m / 1e200),
        vals(a.mean),
        { ...TOL.ref64, label: 'mean / 1e200' },
      );
      assertClose(
        vals(b.rstd).map((r) => r * 1e200),
        vals(a.rstd),
        { atol: 0, rtol: 1e-14, label: 'rstd * 1e200' },
      );
      // the default eps is negligible next to a variance of 1e400
      assertClose(vals(f.forward(big).y), vals(a.y), { ...TOL.ref64, label: 'y, eps 1e-5' });
      const dy = randn(SHAPE, { seed: 64, dtype: 'float64' });
      const ga = f.backward(dy, x, a, {});
      const gb = f.backward(dy, big, b, {});
      assertClose(
        vals(gb.dx).map((d) => d * 1e200),
        vals(ga.dx),
        { atol: 1e-12, rtol: 1e-12, label: 'dx * 1e200' },
      );
      assertClose(vals(gb.dBias), vals(ga.dBias), { ...TOL.ref64, label: 'dBias' });
      assertClose(vals(f.reference(big, { eps: 0 }).y), vals(b.y), { ...TOL.ref64, label: 'reference y' });
    });

    it('|x| ~ 1e30 in float32 matches the float64 reference', () => {
      const x = tensor(
        vals(randn(SHAPE, { seed: 65, dtype: 'float64' })).map((v) => v * 1e30),
        SHAPE,
        { dtype: 'float32' },
      );
      const { weight, bias } = affine('float32');
      const fwd = f.forward(x, { weight, bias });
      assertClose(vals(fwd.y), vals(f.reference(x, { weight, bias }).y), { ...TOL.ref32, label: 'y' });
    });
  });

  describe(`${f.name}: needs, output buffers, layout`, () => {
    const x = randn(SHAPE, { seed: 66, dtype: 'float64' });
    const dy = randn(SHAPE, { seed: 67, dtype: 'float64' });
    const { weight, bias } = affine('float64');
    const fwd = f.forward(x, { weight, bias });
    const full = f.backward(dy, x, fwd, { weight });

    it('needs skips gradients (null) and leaves the others unchanged', () => {
      expect(full.dWeight).not.toBeNull();
      expect(f.backward(dy, x, fwd, {}).dWeight).toBeNull(); // default: dWeight only with a weight
      const onlyDx = f.backward(dy, x, fwd, { weight, needs: { dWeight: false, dBias: false } });
      expect([onlyDx.dWeight, onlyDx.dBias]).toEqual([null, null]);
      expect(onlyDx.dx!.toFlatArray()).toEqual(full.dx!.toFlatArray());
      const noDx = f.backward(dy, x, fwd, { weight, needs: { dx: false } });
      expect(noDx.dx).toBeNull();
      expect(noDx.dWeight!.toFlatArray()).toEqual(full.dWeight!.toFlatArray());
      expect(noDx.dBias!.toFlatArray()).toEqual(full.dBias!.toFlatArray());
      expect(f.backward(dy, x, fwd, { needs: { dx: false, dWeight: false, dBias: false } })).toEqual({
        dx: null,
        dWeight: null,
        dBias: null,
      });
    });

    it('reuses output buffers across calls (forward and backward)', () => {
      const out = {
        y: zeros(SHAPE, { dtype: 'float64' }),
        mean: zeros(fwd.mean.shape, { dtype: 'float64' }),
        rstd: zeros(fwd.rstd.shape, { dtype: 'float64' }),
      };
      const gout = {
        dx: zeros(SHAPE, { dtype: 'float64' }),
        dWeight: zeros([4], { dtype: 'float64' }),
        dBias: zeros([4], { dtype: 'float64' }),
      };
      for (const seed of [68, 69]) {
        const xi = randn(SHAPE, { seed, dtype: 'float64' });
        const r = f.forward(xi, { weight, bias, out });
        expect([r.y, r.mean, r.rstd]).toEqual([out.y, out.mean, out.rstd]);
        expect(r.y).toBe(out.y);
        const fresh = f.forward(xi, { weight, bias });
        expect(r.y.toFlatArray()).toEqual(fresh.y.toFlatArray());
        expect(r.rstd.toFlatArray()).toEqual(fresh.rstd.toFlatArray());
        const g = f.backward(dy, xi, r, { weight, out: gout });
        expect(g.dx).toBe(gout.dx);
        expect(g.dWeight).toBe(gout.dWeight);
        expect(g.dx!.toFlatArray()).toEqual(f.backward(dy, xi, fresh, { weight }).dx!.toFlatArray());
      }
    });

    it('writes into an output view at an offset and reads a non-contiguous x', () => {
      const big = zeros([2, ...SHAPE], { dtype: 'float64' });
      const r = f.forward(x, { weight, bias, out: { y: big.select(0, 1) } });
      expect(
        big
          .select(0, 0)
          .toFlatArray()
          .every((v) => v === 0),
      ).toBe(true);
      expect(big.select(0, 1).toFlatArray()).toEqual(fwd.y.toFlatArray());
      expect(r.y.toFlatArray()).toEqual(fwd.y.toFlatArray());
      // the same values through a permuted view
      const xt = x.contiguous().permute([2, 1, 0]).contiguous().permute([2, 1, 0]);
      expect(xt.isContiguous()).toBe(false);
      expect(f.forward(xt, { weight, bias }).y.toFlatArray()).toEqual(fwd.y.toFlatArray());
      expect(f.backward(dy, xt, fwd, { weight }).dx!.toFlatArray()).toEqual(full.dx!.toFlatArray());
    });
  });
}

describe('channel norms: empty tensors and one-element groups', () => {
  it('an empty batch: y empty, mean 0, rstd 1/sqrt(eps), running statistics untouched (as torch)', () => {
    const runningMean = tensor([1, 2, 3]);
    const runningVar = tensor([4, 5, 6]);
    const counter = { value: 0 };
    const r = batchNormForward(zeros([0, 3]), {
      training: true,
      runningMean,
      runningVar,
      numBatchesTracked: counter,
    });
    expect(r.y.shape).toEqual([0, 3]);
    expect(r.mean.toFlatArray()).toEqual([0, 0, 0]);
    assertClose(
      vals(r.rstd),
      [1, 1, 1].map(() => 1 / Math.sqrt(1e-5)),
      { ...TOL.ref64, label: 'rstd' },
    );
    expect([runningMean.toFlatArray(), runningVar.toFlatArray(), counter.value]).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      1,
    ]);
    const g = batchNormBackward(zeros([0, 3]), zeros([0, 3]), r, { needs: { dWeight: true } });
    expect([g.dx!.shape, g.dWeight!.toFlatArray(), g.dBias!.toFlatArray()]).toEqual([
      [0, 3],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    const gn = groupNormForward(zeros([2, 4, 0]), 2);
    expect([gn.y.shape, gn.mean.toFlatArray()]).toEqual([
      [2, 4, 0],
      [0, 0, 0, 0],
    ]);
    expect(instanceNormForward(zeros([2, 3, 0])).y.shape).toEqual([2, 3, 0]);
  });

  it('GroupNorm with one element per group: y = bias, dx = 0 (torch 1.13 rejects [1, C] with C groups)', () => {
    const x = tensor([[1, 5, -2]], [1, 3], { dtype: 'float64' });
    const bias = tensor([7, 8, 9], [3], { dtype: 'float64' });
    const r = groupNormForward(x, 3, { bias });
    expect(r.y.toFlatArray()).toEqual([7, 8, 9]);
    expect(r.mean.toFlatArray()).toEqual([1, 5, -2]);
    const g = groupNormBackward(tensor([[0.3, -1, 2]], [1, 3], { dtype: 'float64' }), x, 3, r);
    expect(g.dx!.toFlatArray()).toEqual([0, 0, 0]);
  });

  it('running variance 0 with eps = 0 (eval): rstd stored as 0, y = bias, dx = 0', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [3, 2], { dtype: 'float64' });
    const stats = {
      runningMean: tensor([1, 1], [2], { dtype: 'float64' }),
      runningVar: tensor([0, 4], [2], { dtype: 'float64' }),
    };
    const bias = tensor([7, 8], [2], { dtype: 'float64' });
    const b = batchNormForward(x, { training: false, bias, eps: 0, ...stats });
    expect(b.rstd.toFlatArray()).toEqual([0, 0.5]);
    expect(b.y.toFlatArray()).toEqual([7, 8.5, 7, 9.5, 7, 10.5]);
    const dx = batchNormBackward(x, x, b, { training: false }).dx!.toFlatArray();
    expect(dx).toEqual([0, 1, 0, 2, 0, 3]);
    const i = instanceNormForward(zeros([1, 2, 3], { dtype: 'float64' }), {
      useInputStats: false,
      bias,
      eps: 0,
      ...stats,
    });
    expect(i.y.toFlatArray()).toEqual([7, 7, 7, 7.5, 7.5, 7.5]);
  });

  it('BatchNorm with a single sample and several positions per channel trains', () => {
    const x = randn([1, 2, 6], { seed: 70, dtype: 'float64' });
    const r = batchNormForward(x, { training: true });
    assertClose(vals(r.y), vals(batchNormReference(x, { training: true }).y), { ...TOL.ref64, label: 'y' });
  });
});
