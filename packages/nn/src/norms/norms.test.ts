import { gradcheck, noGrad, Variable } from '@normkit/autograd';
import { rmsNormReference } from '@normkit/norms';
import { ones, rand, randn, ShapeError, type Tensor, tensor } from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { BatchNorm1d, BatchNorm2d, InstanceNorm1d, InstanceNorm2d } from './batch-norm.js';
import { batchNorm, groupNorm, instanceNorm, layerNorm, normOps, rmsNorm } from './differentiable.js';
import { DyT, dyt } from './dyt.js';
import { GroupNorm, LayerNorm, RMSNorm } from './modules.js';

const f64 = { dtype: 'float64' as const };
const values = (t: Tensor) => Array.from(t.toTypedArray());
// positive weights away from 0, so every gradient path is exercised
const weight = (shape: number[], seed: number) => rand(shape, { seed, low: 0.5, high: 1.5, ...f64 });

describe('norm ops pass float64 gradcheck (x, weight and bias)', () => {
  it('layerNorm over one and two trailing dims', () => {
    const x = randn([3, 2, 4], { seed: 1, ...f64 });
    gradcheck(
      (xv, w, b) => layerNorm(xv, 4, { weight: w, bias: b }),
      [x, weight([4], 2), randn([4], { seed: 3, ...f64 })],
    );
    gradcheck((xv, w) => layerNorm(xv, [2, 4], { weight: w, eps: 0.1 }), [x, weight([2, 4], 4)]);
  });

  it('rmsNorm with the default eps and with eps 1e-6', () => {
    const x = randn([4, 5], { seed: 5, ...f64 });
    gradcheck((xv, w) => rmsNorm(xv, 5, { weight: w }), [x, weight([5], 6)]);
    gradcheck((xv) => rmsNorm(xv, [4, 5], { eps: 1e-6 }), [x]);
  });

  it('batchNorm in training (batch statistics) and eval (running statistics as constants)', () => {
    const x = randn([5, 3, 2], { seed: 7, ...f64 });
    const w = weight([3], 8);
    const b = randn([3], { seed: 9, ...f64 });
    gradcheck((xv, wv, bv) => batchNorm(xv, { weight: wv, bias: bv, training: true }), [x, w, b]);
    const runningMean = randn([3], { seed: 10, ...f64 });
    const runningVar = weight([3], 11);
    gradcheck((xv, wv, bv) => batchNorm(xv, { weight: wv, bias: bv, runningMean, runningVar }), [x, w, b]);
  });

  it('groupNorm and instanceNorm (input statistics and running statistics)', () => {
    const x = randn([2, 4, 3], { seed: 12, ...f64 });
    const w = weight([4], 13);
    const b = randn([4], { seed: 14, ...f64 });
    gradcheck((xv, wv, bv) => groupNorm(xv, 2, { weight: wv, bias: bv }), [x, w, b]);
    gradcheck((xv, wv, bv) => instanceNorm(xv, { weight: wv, bias: bv }), [x, w, b]);
    const stats = { runningMean: randn([4], { seed: 15, ...f64 }), runningVar: weight([4], 16) };
    gradcheck((xv, wv) => instanceNorm(xv, { weight: wv, useInputStats: false, ...stats }), [x, w]);
  });

  it('dyt for x, alpha, weight and bias, in the saturated range too', () => {
    const x = randn([3, 2, 4], { seed: 17, std: 3, ...f64 });
    const alpha = tensor([0.7], undefined, f64);
    gradcheck(
      (xv, a, w, b) => dyt(xv, a, { weight: w, bias: b }),
      [x, alpha, weight([4], 18), randn([4], { seed: 19, ...f64 })],
    );
    gradcheck((xv, a, w) => dyt(xv, a, { weight: w }), [x, alpha, weight([2, 4], 20)]);
    gradcheck((xv, a) => dyt(xv, a), [x, alpha]);
  });

  it('modules: gradcheck through forward with respect to the input', () => {
    const cases: [{ forward(x: Variable): Variable }, number[]][] = [
      [new LayerNorm(4, f64), [3, 4]],
      [new RMSNorm(4, f64), [3, 4]],
      [new BatchNorm1d(3, f64), [4, 3]],
      [new BatchNorm2d(2, f64), [2, 2, 2, 2]],
      [new GroupNorm(2, 4, f64), [2, 4, 3]],
      [new InstanceNorm1d(3, f64), [2, 3, 4]],
      [new InstanceNorm2d(2, { affine: true, ...f64 }), [2, 2, 2, 3]],
      [new DyT(4, f64), [3, 4]],
    ];
    cases.forEach(([m, shape], i) => {
      gradcheck((x) => m.forward(x), [randn(shape, { seed: 30 + i, ...f64 })]);
    });
  });
});

describe('the fused backward computes only what is needed', () => {
  it('maps needsInputGrad onto the kernel needs: an unneeded gradient is null', () => {
    const x = randn([2, 3], { seed: 1, ...f64 });
    const w = ones([3], f64);
    const fwd = normOps.layerNorm.definition.forward(
      { name: 'layerNorm', needsInputGrad: [false, true, false], requiresGrad: true },
      [x, w, undefined],
      { normalizedShape: [3] },
    ) as { output: Tensor; saved: unknown };
    const ctx = {
      name: 'layerNorm',
      needsInputGrad: [false, true, false],
      inputShapes: [[2, 3], [3], null],
      saved: fwd.saved,
    };
    const [dx, dW, dB] = normOps.layerNorm.definition.backward(ctx, ones([2, 3], f64), {
      normalizedShape: [3],
    });
    expect(dx).toBeNull();
    expect(dB).toBeNull();
    expect(dW!.shape).toEqual([3]);
  });

  it('saves nothing without a recorded graph (noGrad)', () => {
    const fwd = normOps.rmsNorm.definition.forward(
      { name: 'rmsNorm', needsInputGrad: [false], requiresGrad: false },
      [randn([2, 3]), undefined],
      { normalizedShape: [3] },
    ) as { saved: unknown };
    expect(fwd.saved).toBeNull();
    expect(noGrad(() => layerNorm(new Variable(randn([2, 3])), 3)).requiresGrad).toBe(false);
  });
});

describe('norm modules: defaults and semantics', () => {
  it('RMSNorm without eps uses the machine epsilon of the input dtype (torch >= 2.4)', () => {
    const x = tensor([[1e-7, -2e-7, 3e-7]], undefined, f64); // mean(x^2) = 4.7e-14: eps = 2^-52 shifts y by 0.2%
    const y = new RMSNorm(3, f64).forward(x).data;
    assertClose(values(y), values(rmsNormReference(x, [3], { eps: 2 ** -52 }).y), { atol: 1e-12 });
    expect(Math.abs(values(y)[0]! - values(rmsNormReference(x, [3], { eps: 0 }).y)[0]!)).toBeGreaterThan(
      1e-4,
    );
    expect(Math.abs(values(y)[0]! - values(rmsNormReference(x, [3], { eps: 1e-6 }).y)[0]!)).toBeGreaterThan(
      0.1,
    );
  });

  it('BatchNorm without running statistics normalizes with batch statistics in eval too', () => {
    const bn = new BatchNorm1d(2, { affine: false, trackRunningStats: false, ...f64 }).eval();
    const y = values(
      bn.forward(
        tensor(
          [
            [1, 10],
            [3, 30],
          ],
          undefined,
          f64,
        ),
      ).data,
    );
    const r = 1 / Math.sqrt(1 + 1e-5); // (x - mean) / sqrt(var + eps) with var 1 and 100
    assertClose(y, [-r, -10 / Math.sqrt(100 + 1e-5), r, 10 / Math.sqrt(100 + 1e-5)], { atol: 1e-12 });
    expect(bn.stateDict()).toEqual({});
    expect(bn.numBatchesTracked).toBeNull();
  });

  it('BatchNorm counts steps, resets running statistics, and does not count a failed call', () => {
    const bn = new BatchNorm1d(2, { momentum: null });
    bn.forward(randn([4, 2], { seed: 1 }));
    bn.forward(randn([4, 2], { seed: 2 }));
    expect(bn.numBatchesTracked).toBe(2);
    expect(() => bn.forward(randn([1, 2]))).toThrow(
      'batchNormForward: expected more than 1 value per channel when training, got input size [1, 2]',
    );
    expect(bn.numBatchesTracked).toBe(2);
    bn.resetRunningStats();
    expect([values(bn.runningMean!), values(bn.runningVar!), bn.numBatchesTracked]).toEqual([
      [0, 0],
      [1, 1],
      0,
    ]);
  });

  it('InstanceNorm takes unbatched input as a batch of one', () => {
    const m = new InstanceNorm1d(2, { affine: true, ...f64 });
    const x = randn([2, 5], { seed: 3, ...f64 });
    const y = m.forward(x);
    expect(y.shape).toEqual([2, 5]);
    expect(values(y.data)).toEqual(values(m.forward(x.reshape([1, 2, 5])).data));
    expect(new InstanceNorm2d(2).forward(randn([2, 3, 3])).shape).toEqual([2, 3, 3]);
  });

  it('DyT defaults: alpha 0.5, weight ones, bias zeros; without affine only alpha', () => {
    const m = new DyT([2, 3]);
    expect(m.namedParameters().map(([k, p]) => [k, p.shape])).toEqual([
      ['alpha', [1]],
      ['weight', [2, 3]],
      ['bias', [2, 3]],
    ]);
    expect(m.alpha.item()).toBe(0.5);
    const bare = new DyT(3, { alphaInit: 2, elementwiseAffine: false, ...f64 });
    expect(bare.namedParameters().map((e) => e[0])).toEqual(['alpha']);
    expect(values(bare.forward(tensor([0.5, -1, 0], undefined, f64)).data)).toEqual([
      Math.tanh(1),
      Math.tanh(-2),
      0,
    ]);
  });
});

describe('norm modules: errors name the module, the argument, expected and actual', () => {
  it('construction', () => {
    expect(() => new LayerNorm([])).toThrow(
      'LayerNorm: normalizedShape must be a size or a non-empty list of non-negative integers, got []',
    );
    expect(() => new LayerNorm(4, { eps: -1 })).toThrow(
      'LayerNorm: eps must be a finite number >= 0, got -1',
    );
    expect(() => new RMSNorm(4, { eps: Number.NaN })).toThrow(
      'RMSNorm: eps must be a finite number >= 0, got NaN',
    );
    expect(() => new GroupNorm(4, 6)).toThrow(
      'GroupNorm: numChannels must be divisible by numGroups, got numChannels=6, numGroups=4',
    );
    expect(() => new GroupNorm(0, 6)).toThrow('GroupNorm: numGroups must be a positive integer, got 0');
    expect(() => new BatchNorm1d(0)).toThrow('BatchNorm1d: numFeatures must be a positive integer, got 0');
    expect(() => new BatchNorm2d(3, { momentum: 1.5 })).toThrow(
      'BatchNorm2d: momentum must be a number in [0, 1] or null, got 1.5',
    );
    expect(() => new InstanceNorm1d(3, { momentum: null })).toThrow(
      'InstanceNorm1d: momentum must be a number in [0, 1], got null',
    );
    expect(() => new DyT(4, { alphaInit: Number.POSITIVE_INFINITY })).toThrow(
      'DyT: alphaInit must be a finite number, got Infinity',
    );
  });

  it('forward', () => {
    expect(() => new LayerNorm(4).forward(randn([2, 5]))).toThrow(
      'layerNormForward: given normalizedShape=[4], expected input with shape [*, 4], but got input of size [2,5]',
    );
    expect(() => new BatchNorm1d(3).forward(randn([2, 3, 4, 5]))).toThrow(
      'BatchNorm1d: expected 2D or 3D input (got 4D input of shape [2,3,4,5])',
    );
    expect(() => new BatchNorm2d(3).forward(randn([2, 3, 4]))).toThrow(ShapeError);
    expect(() => new BatchNorm1d(3).forward(randn([2, 4]))).toThrow(
      'BatchNorm1d: expected input of shape [N, 3, *] (numFeatures=3 channels on axis 1), got [2,4]',
    );
    expect(() => new GroupNorm(2, 4).forward(randn([2, 6, 3]))).toThrow(
      'GroupNorm: expected input of shape [N, 4, *] (numChannels=4 channels on axis 1), got [2,6,3]',
    );
    expect(() => new InstanceNorm2d(3).forward(randn([3, 4]))).toThrow(
      'InstanceNorm2d: expected 3D (unbatched) or 4D (batched) input (got 2D input of shape [3,4])',
    );
    // normkit never promotes: a float64 input to a float32 module is a TypeError
    expect(() => new LayerNorm(4).forward(randn([2, 4], f64))).toThrow(TypeError);
    expect(() => new DyT(4).forward(randn([2, 3]))).toThrow(
      'dyt: weight/bias of shape [4] expect input of shape [*, 4], but got input of size [2,3]',
    );
    expect(() => new DyT(4, { elementwiseAffine: false }).forward(randn([2, 3]))).toThrow(
      'DyT: x expected shape [*, 4], got [2,3]',
    );
    expect(() => dyt(randn([2]), randn([2]))).toThrow('dyt: alpha expected one element (shape [1]), got [2]');
    expect(() => dyt(randn([2]), randn([1]), { weight: randn([2]), bias: randn([1]) })).toThrow(
      "dyt: bias expected shape [2] (the weight's), got [1]",
    );
  });
});
