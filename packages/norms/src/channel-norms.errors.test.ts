import { ShapeError, type Tensor, tensor, zeros } from '@normkit/tensor';
import { describe, expect, it } from 'vitest';
import { batchNormBackward, batchNormForward } from './batch-norm.js';
import { groupNormBackward, groupNormForward } from './group-norm.js';
import { instanceNormBackward, instanceNormForward } from './instance-norm.js';

/** Bad input to BatchNorm, GroupNorm and InstanceNorm: the error type and its full message. */
const x43 = () =>
  tensor(
    Float32Array.from({ length: 12 }, (_, i) => (i * 7) % 5),
    [4, 3],
  );
const x234 = () =>
  tensor(
    Float32Array.from({ length: 24 }, (_, i) => (i * 5) % 7),
    [2, 3, 4],
  );
const vec = (n: number, dtype: 'float32' | 'float64' = 'float32') => zeros([n], { dtype });

function expectError(fn: () => unknown, type: ErrorConstructor | typeof ShapeError, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(type);
  expect((caught as Error).message).toMatch(message);
}

describe('batchNorm errors', () => {
  it('rank < 2', () => {
    expectError(
      () => batchNormForward(tensor([1, 2, 3]), { training: true }),
      ShapeError,
      /^batchNormForward: x expected a tensor of rank >= 2 with channels on axis 1 \(\[N, C, \*\]\), got \[3\]$/,
    );
    expectError(
      () => batchNormBackward(tensor([1]), tensor([1]), { mean: vec(1), rstd: vec(1) }),
      ShapeError,
      /^batchNormBackward: x expected a tensor of rank >= 2/,
    );
  });

  it("training with one value per channel (PyTorch's message)", () => {
    for (const shape of [
      [1, 3],
      [1, 3, 1, 1],
    ]) {
      expectError(
        () => batchNormForward(zeros(shape), { training: true }),
        ShapeError,
        new RegExp(
          `^batchNormForward: expected more than 1 value per channel when training, got input size \\[${shape.join(', ')}\\]$`,
        ),
      );
    }
    // eval mode normalizes a single sample with running statistics
    expect(
      batchNormForward(zeros([1, 3]), { training: false, runningMean: vec(3), runningVar: vec(3) }).y.shape,
    ).toEqual([1, 3]);
  });

  it('eval without running statistics', () => {
    expectError(
      () => batchNormForward(x43(), { training: false, runningMean: vec(3) }),
      TypeError,
      /^batchNormForward: eval mode \(training false\) needs runningMean and runningVar, got no runningVar$/,
    );
    expectError(() => batchNormForward(x43(), { training: false }), TypeError, /got no runningMean$/);
  });

  it('weight, bias or running statistics of the wrong shape', () => {
    for (const arg of ['weight', 'bias', 'runningMean', 'runningVar']) {
      expectError(
        () => batchNormForward(x43(), { training: true, [arg]: vec(4) }),
        ShapeError,
        new RegExp(`^batchNormForward: ${arg} expected shape \\[3\\], got \\[4\\]$`),
      );
    }
  });

  it('mixed dtypes', () => {
    expectError(
      () => batchNormForward(x43(), { training: true, weight: vec(3, 'float64') }),
      TypeError,
      /^batchNormForward: weight has dtype float64, expected float32 \(the dtype of x\); normkit does not mix dtypes$/,
    );
    const fwd = batchNormForward(x43(), { training: true });
    expectError(
      () => batchNormBackward(x43().astype('float64'), x43(), fwd),
      TypeError,
      /^batchNormBackward: dy has dtype float64, expected float32/,
    );
  });

  it('negative or non-finite eps, bad momentum, bad step counter', () => {
    expectError(
      () => batchNormForward(x43(), { training: true, eps: -1 }),
      RangeError,
      /^batchNormForward: eps must be a finite number >= 0, got -1$/,
    );
    expectError(() => batchNormForward(x43(), { training: true, eps: Number.NaN }), RangeError, /got NaN$/);
    expectError(
      () => batchNormForward(x43(), { training: true, momentum: 1.5 }),
      RangeError,
      /^batchNormForward: momentum must be a number in \[0, 1\] or null, got 1.5$/,
    );
    expectError(
      () =>
        batchNormForward(x43(), { training: true, momentum: null, runningMean: vec(3), runningVar: vec(3) }),
      TypeError,
      /^batchNormForward: momentum null \(cumulative average\) needs numBatchesTracked \(\{ value: number \}\), got undefined$/,
    );
    expectError(
      () => batchNormForward(x43(), { training: true, numBatchesTracked: { value: -1 } }),
      RangeError,
      /^batchNormForward: numBatchesTracked.value must be a non-negative integer, got -1$/,
    );
  });

  it('backward: dy or saved statistics of the wrong shape or dtype', () => {
    const x = x43();
    const fwd = batchNormForward(x, { training: true });
    expectError(
      () => batchNormBackward(zeros([3, 4]), x, fwd),
      ShapeError,
      /^batchNormBackward: dy expected shape \[4,3\] \(the shape of x\), got \[3,4\]$/,
    );
    expectError(
      () => batchNormBackward(x, x, { mean: zeros([4], { dtype: 'float64' }), rstd: fwd.rstd }),
      ShapeError,
      /^batchNormBackward: mean expected shape \[3\] \(one value per group\), got \[4\]$/,
    );
    expectError(
      () => batchNormBackward(x, x, { mean: fwd.mean, rstd: vec(3) }),
      TypeError,
      /^batchNormBackward: rstd has dtype float32, expected float64 \(saved statistics are float64\)$/,
    );
    expectError(
      () => batchNormBackward(x, x, fwd, { weight: vec(2) }),
      ShapeError,
      /^batchNormBackward: weight expected shape \[3\], got \[2\]$/,
    );
  });

  it('output buffers of the wrong shape or dtype', () => {
    expectError(
      () => batchNormForward(x43(), { training: true, out: { y: zeros([3, 4]) } }),
      ShapeError,
      /^batchNormForward: out.y expected shape \[4,3\], got \[3,4\]$/,
    );
    expectError(
      () => batchNormForward(x43(), { training: true, out: { mean: vec(3) } }),
      TypeError,
      /^batchNormForward: out.mean has dtype float32, expected float64$/,
    );
    const fwd = batchNormForward(x43(), { training: true });
    expectError(
      () => batchNormBackward(x43(), x43(), fwd, { out: { dBias: vec(4) } }),
      ShapeError,
      /^batchNormBackward: out.dBias expected shape \[3\], got \[4\]$/,
    );
  });

  it('throws before any work: running statistics and the step counter are untouched', () => {
    const runningMean = tensor([1, 2, 3]);
    const runningVar = tensor([4, 5, 6]);
    const counter = { value: 5 };
    expect(() =>
      batchNormForward(x43(), {
        training: true,
        runningMean,
        runningVar,
        numBatchesTracked: counter,
        out: { y: zeros([4, 4]) },
      }),
    ).toThrow(ShapeError);
    expect(runningMean.toArray()).toEqual([1, 2, 3]);
    expect(runningVar.toArray()).toEqual([4, 5, 6]);
    expect(counter.value).toBe(5);
  });
});

describe('groupNorm errors', () => {
  it('numGroups not a positive integer', () => {
    for (const g of [0, -2, 1.5, Number.NaN]) {
      expectError(
        () => groupNormForward(x234(), g),
        RangeError,
        new RegExp(`^groupNormForward: numGroups must be a positive integer, got ${g}$`),
      );
    }
    expectError(
      () => groupNormBackward(x234(), x234(), 0, { mean: vec(1), rstd: vec(1) }),
      RangeError,
      /^groupNormBackward: numGroups/,
    );
  });

  it("groups not dividing the channels (PyTorch's message)", () => {
    expectError(
      () => groupNormForward(x234(), 2),
      ShapeError,
      /^groupNormForward: expected number of channels in input to be divisible by numGroups, but got input of shape \[2,3,4\] and numGroups=2$/,
    );
  });

  it('rank < 2, weight/bias shape, mixed dtypes, negative eps', () => {
    expectError(
      () => groupNormForward(tensor([1, 2]), 1),
      ShapeError,
      /^groupNormForward: x expected a tensor of rank >= 2/,
    );
    expectError(
      () => groupNormForward(x234(), 3, { bias: vec(6) }),
      ShapeError,
      /^groupNormForward: bias expected shape \[3\], got \[6\]$/,
    );
    expectError(
      () => groupNormForward(x234(), 3, { weight: vec(3, 'float64') }),
      TypeError,
      /^groupNormForward: weight has dtype float64, expected float32/,
    );
    expectError(
      () => groupNormForward(x234(), 3, { eps: -1e-5 }),
      RangeError,
      /^groupNormForward: eps must be a finite number >= 0, got -0.00001$/,
    );
  });

  it('backward: statistics that do not match numGroups', () => {
    const fwd = groupNormForward(x234(), 3);
    expectError(
      () => groupNormBackward(x234(), x234(), 1, fwd),
      ShapeError,
      /^groupNormBackward: mean expected shape \[2,1\] \(one value per group\), got \[2,3\]$/,
    );
  });
});

describe('instanceNorm errors', () => {
  it("one spatial element when using input statistics (PyTorch's check)", () => {
    for (const shape of [
      [2, 3, 1],
      [2, 3],
    ]) {
      expectError(
        () => instanceNormForward(zeros(shape)),
        ShapeError,
        new RegExp(
          `^instanceNormForward: expected more than 1 spatial element when using input statistics, got input size \\[${shape.join(', ')}\\]$`,
        ),
      );
    }
  });

  it('running statistics missing, of the wrong shape or dtype; bad momentum or eps; rank < 2', () => {
    expectError(
      () => instanceNormForward(x234(), { useInputStats: false }),
      TypeError,
      /^instanceNormForward: useInputStats false needs runningMean and runningVar, got no runningMean$/,
    );
    expectError(
      () => instanceNormForward(x234(), { runningVar: vec(2) }),
      ShapeError,
      /^instanceNormForward: runningVar expected shape \[3\], got \[2\]$/,
    );
    expectError(
      () => instanceNormForward(x234(), { runningMean: vec(3, 'float64') }),
      TypeError,
      /^instanceNormForward: runningMean has dtype float64, expected float32/,
    );
    expectError(
      () => instanceNormForward(x234(), { momentum: null as unknown as number }),
      RangeError,
      /^instanceNormForward: momentum must be a number in \[0, 1\], got null$/,
    );
    expectError(
      () => instanceNormForward(x234(), { eps: -1 }),
      RangeError,
      /^instanceNormForward: eps must be a finite number >= 0, got -1$/,
    );
    expectError(
      () => instanceNormForward(tensor([1, 2])),
      ShapeError,
      /^instanceNormForward: x expected a tensor of rank >= 2/,
    );
  });

  it('backward: statistics of the wrong shape', () => {
    const stats: { mean: Tensor; rstd: Tensor } = {
      mean: zeros([3], { dtype: 'float64' }),
      rstd: zeros([3], { dtype: 'float64' }),
    };
    expectError(
      () => instanceNormBackward(x234(), x234(), stats),
      ShapeError,
      /^instanceNormBackward: mean expected shape \[2,3\] \(one value per group\), got \[3\]$/,
    );
  });
});
