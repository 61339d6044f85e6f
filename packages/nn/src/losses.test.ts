import { backward, gradcheck, noGrad, Variable } from '@normkit/autograd';
import { type DType, randn, ShapeError, tensor } from '@normkit/tensor';
import { type FixtureTensor, fixtureTensorData, loadFixture } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { expectFixture, fromFixture, packageDir } from '../test/fixture-tensors.js';
import { type CrossEntropyOptions, crossEntropy, mse, type Reduction } from './losses.js';

interface CeCase {
  logits: FixtureTensor;
  targets: FixtureTensor;
  ignoreIndex: number;
  labelSmoothing: number;
  reduction: Reduction;
  loss: FixtureTensor;
  dy: FixtureTensor;
  grad: FixtureTensor;
}

interface MseCase {
  reduction: Reduction;
  input: FixtureTensor;
  target: FixtureTensor;
  loss: FixtureTensor;
  dy: FixtureTensor;
  gradInput: FixtureTensor;
  gradTarget: FixtureTensor;
}

const fx = loadFixture<{
  crossEntropy: CeCase[];
  crossEntropyAllIgnored: {
    logits: FixtureTensor;
    targets: FixtureTensor;
    loss: FixtureTensor;
    grad: FixtureTensor;
  };
  mse: MseCase[];
}>(packageDir, 'losses.json');

describe('crossEntropy against torch.nn.functional.cross_entropy', () => {
  for (const dtype of ['float64', 'float32'] as DType[]) {
    fx.crossEntropy.forEach((c, i) => {
      const what = `[${c.logits.shape}] ignoreIndex ${c.ignoreIndex} smoothing ${c.labelSmoothing} ${c.reduction}`;
      it(`${dtype} case ${i}: ${what}`, () => {
        const logits = new Variable(fromFixture(c.logits, dtype));
        const opts: CrossEntropyOptions = {
          reduction: c.reduction,
          ignoreIndex: c.ignoreIndex,
          labelSmoothing: c.labelSmoothing,
        };
        // targets as a Tensor shaped like the leading dims, and as a flat number[]
        const loss = crossEntropy(logits, fromFixture(c.targets), opts);
        const flat = noGrad(() => crossEntropy(logits, Array.from(fixtureTensorData(c.targets)), opts));
        expectFixture(loss.data, c.loss, dtype, 'loss');
        expectFixture(flat.data, c.loss, dtype, 'loss (number[] targets)');
        backward(loss, fromFixture(c.dy, dtype));
        expectFixture(logits.grad, c.grad, dtype, 'dlogits');
      });
    });
  }

  it('every target ignored: mean is NaN (0/0) as torch, gradients are zero', () => {
    const c = fx.crossEntropyAllIgnored;
    const logits = new Variable(fromFixture(c.logits));
    const loss = crossEntropy(logits, fromFixture(c.targets));
    expect(Number.isNaN(loss.item())).toBe(true);
    expect(fixtureTensorData(c.loss)[0]).toBeNaN();
    backward(loss);
    expectFixture(logits.grad, c.grad, 'float64', 'grad');
  });

  it('is stable for huge logits (logsumexp with the row max)', () => {
    const loss = crossEntropy(tensor([[1000, 0, -1000]], undefined, { dtype: 'float64' }), [1]);
    // log(e^1000 + 1 + e^-1000) - 0 = 1000 + log1p(e^-1000 + e^-2000)
    expect(loss.item()).toBeCloseTo(1000, 12);
    const loss2 = crossEntropy(tensor([[1000, 999]], undefined, { dtype: 'float64' }), [1]);
    expect(loss2.item()).toBeCloseTo(Math.log1p(Math.E), 12);
  });

  it('passes float64 gradcheck for every reduction, with ignoreIndex and label smoothing', () => {
    const x = randn([3, 2, 5], { seed: 3, dtype: 'float64' });
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      for (const labelSmoothing of [0, 0.3]) {
        const t = tensor([
          [0, 4],
          [2, 1],
          [3, 2],
        ]);
        gradcheck((l) => crossEntropy(l, t, { reduction, labelSmoothing, ignoreIndex: 2 }), [x], {
          atol: 1e-7,
          rtol: 1e-6,
        });
      }
    }
  });

  it('rejects bad targets, options and shapes with messages that name them', () => {
    const x = randn([2, 3], { seed: 1 });
    expect(() => crossEntropy(x, [0, 3])).toThrow(
      'crossEntropy: targets[1] = 3 is not a class index in [0, 3) nor ignoreIndex (-100)',
    );
    expect(() => crossEntropy(x, [0, 1.5])).toThrow('targets[1] = 1.5 is not a class index');
    expect(() => crossEntropy(x, [0, -1])).toThrow('targets[1] = -1 is not a class index');
    expect(() => crossEntropy(x, [0])).toThrow(ShapeError);
    expect(() => crossEntropy(x, [0])).toThrow('crossEntropy: targets expected 2 indices');
    expect(() => crossEntropy(x, tensor([[0, 1]]))).toThrow(
      "crossEntropy: targets expected shape [2] (the logits' without the class axis), got [1,2]",
    );
    expect(() => crossEntropy(x, [0, 1], { reduction: 'avg' as Reduction })).toThrow(
      "crossEntropy: reduction must be 'mean', 'sum' or 'none', got avg",
    );
    expect(() => crossEntropy(x, [0, 1], { labelSmoothing: 1.5 })).toThrow(
      'crossEntropy: labelSmoothing must be a number in [0, 1], got 1.5',
    );
    expect(() => crossEntropy(x, [0, 1], { ignoreIndex: 0.5 })).toThrow(
      'crossEntropy: ignoreIndex must be an integer, got 0.5',
    );
    expect(() => crossEntropy(randn([2, 0]), [])).toThrow(
      'crossEntropy: logits expected shape [*, C] with C >= 1',
    );
    expect(() => crossEntropy(x, 'ab' as unknown as number[])).toThrow(
      'crossEntropy: targets must be a Tensor, an Int32Array or an array of class indices',
    );
  });
});

describe('mse against torch.nn.functional.mse_loss', () => {
  for (const dtype of ['float64', 'float32'] as DType[]) {
    for (const c of fx.mse) {
      it(`${dtype} ${c.reduction}: loss and gradients of input and target`, () => {
        const a = new Variable(fromFixture(c.input, dtype));
        const b = new Variable(fromFixture(c.target, dtype));
        const loss = mse(a, b, { reduction: c.reduction });
        expectFixture(loss.data, c.loss, dtype, 'loss');
        backward(loss, fromFixture(c.dy, dtype));
        expectFixture(a.grad, c.gradInput, dtype, 'dinput');
        expectFixture(b.grad, c.gradTarget, dtype, 'dtarget');
      });
    }
  }

  it('passes float64 gradcheck', () => {
    const a = randn([2, 3], { seed: 5, dtype: 'float64' });
    const b = randn([2, 3], { seed: 6, dtype: 'float64' });
    for (const reduction of ['mean', 'sum', 'none'] as const)
      gradcheck((x, y) => mse(x, y, { reduction }), [a, b]);
  });

  it('rejects mismatched shapes and unknown reductions', () => {
    expect(() => mse(randn([2, 3]), randn([3]))).toThrow(
      "mse: target expected shape [2,3] (the input's), got [3]",
    );
    expect(() => mse(randn([2]), randn([2]), { reduction: 'max' as Reduction })).toThrow(
      "mse: reduction must be 'mean', 'sum' or 'none', got max",
    );
  });
});
