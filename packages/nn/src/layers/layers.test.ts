import { backward, gradcheck, Variable } from '@normkit/autograd';
import { ones, randn, ShapeError, type Tensor, tensor } from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { Dropout, GELU, Identity } from './activation.js';
import { Embedding, Linear, linear } from './linear.js';

const values = (t: Tensor) => Array.from(t.toTypedArray());

function stats(xs: number[]): { mean: number; variance: number; maxAbs: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, variance, maxAbs: Math.max(...xs.map(Math.abs)) };
}

describe('Linear', () => {
  it('has torch default init: weight [out, in] and bias inside U(-1/sqrt(in), 1/sqrt(in)), filling the range', () => {
    const inF = 400;
    const m = new Linear(inF, 300, { seed: 11 });
    const bound = 1 / Math.sqrt(inF);
    expect(m.weight.shape).toEqual([300, 400]);
    expect(m.bias!.shape).toEqual([300]);
    const w = stats(values(m.weight.data));
    expect(w.maxAbs).toBeLessThanOrEqual(bound);
    expect(w.maxAbs).toBeGreaterThan(0.999 * bound);
    // U(-b, b): mean 0, variance b^2 / 3; 120000 samples: standard errors ~1e-4 b and ~0.3% of the variance
    expect(Math.abs(w.mean)).toBeLessThan(0.01 * bound);
    expect(w.variance / ((bound * bound) / 3)).toBeCloseTo(1, 1);
    const b = stats(values(m.bias!.data));
    expect(b.maxAbs).toBeLessThanOrEqual(bound);
    expect(b.maxAbs).toBeGreaterThan(0.9 * bound);
  });

  it('computes x W^T + b over the last axis of any leading shape', () => {
    const m = new Linear(3, 2, { dtype: 'float64', seed: 0 });
    m.loadStateDict({
      weight: tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        undefined,
        { dtype: 'float64' },
      ),
      bias: tensor([0.5, -1], undefined, { dtype: 'float64' }),
    });
    const y = m.forward(
      tensor(
        [
          [
            [1, 0, 0],
            [0, 1, 1],
          ],
        ],
        undefined,
        { dtype: 'float64' },
      ),
    );
    expect(y.shape).toEqual([1, 2, 2]);
    expect(values(y.data)).toEqual([1.5, 3, 5.5, 10]);
    expect(values(m.forward(tensor([1, 1, 1], undefined, { dtype: 'float64' })).data)).toEqual([6.5, 14]);
  });

  it('passes float64 gradcheck for x, weight and bias, and skips gradients nobody needs', () => {
    const x = randn([2, 3, 4], { seed: 1, dtype: 'float64' });
    const w = randn([5, 4], { seed: 2, dtype: 'float64' });
    const b = randn([5], { seed: 3, dtype: 'float64' });
    gradcheck((xv, wv, bv) => linear(xv, wv, bv), [x, w, b]);
    gradcheck((xv, wv) => linear(xv, wv), [x, w]);
    const wv = new Variable(w);
    backward(linear(x, wv, b), ones([2, 3, 5], { dtype: 'float64' }));
    expect(wv.grad!.shape).toEqual([5, 4]);
  });

  it('rejects wrong shapes and sizes with messages naming them', () => {
    const m = new Linear(4, 2);
    expect(() => m.forward(randn([3, 5]))).toThrow(ShapeError);
    expect(() => m.forward(randn([3, 5]))).toThrow(
      'linear: x of shape [3,5] cannot be multiplied by weight of shape [2,4]; expected x of shape [*, 4]',
    );
    expect(() => linear(randn([3, 4]), randn([4]))).toThrow(
      'linear: weight expected shape [out, in], got [4]',
    );
    expect(() => linear(randn([3, 4]), randn([2, 4]), randn([3]))).toThrow(
      'linear: bias expected shape [2], got [3]',
    );
    expect(() => linear(randn([3, 4]), randn([2, 4], { dtype: 'float64' }))).toThrow(TypeError);
    expect(() => new Linear(-1, 2)).toThrow('Linear: inFeatures must be a non-negative integer, got -1');
    expect(() => new Linear(2, 2.5)).toThrow('Linear: outFeatures must be a non-negative integer, got 2.5');
    expect(() => new Linear(2, 2, { dtype: 'int32' as 'float32' })).toThrow(
      "Linear: dtype must be 'float32' or 'float64', got int32",
    );
  });
});

describe('Embedding', () => {
  it('initialises N(0, 1) and looks rows up for ids of any shape', () => {
    const e = new Embedding(1000, 64, { seed: 5 });
    const s = stats(values(e.weight.data));
    // 64000 samples: standard error of the mean 0.004, of the variance ~0.006
    expect(Math.abs(s.mean)).toBeLessThan(0.02);
    expect(s.variance).toBeCloseTo(1, 1);
    const y = e.forward(tensor([[3, 1]]));
    expect(y.shape).toEqual([1, 2, 64]);
    expect(values(y.data).slice(0, 64)).toEqual(values(e.weight.data).slice(3 * 64, 4 * 64));
  });

  it('accumulates the gradient of a repeated id', () => {
    const e = new Embedding(3, 2, { dtype: 'float64', seed: 0 });
    backward(e.forward([2, 0, 2]), ones([3, 2], { dtype: 'float64' }));
    expect(values(e.weight.grad!)).toEqual([1, 1, 0, 0, 2, 2]);
  });

  it('rejects out-of-range ids', () => {
    expect(() => new Embedding(3, 2).forward([3])).toThrow(
      'indexSelect: index 3 is out of range for axis 0 of size 3',
    );
  });
});

describe('Dropout and activations', () => {
  it('draws seeded masks: same seed same mask, new masks on later calls, identity in eval', () => {
    const x = ones([1000]);
    const a = new Dropout(0.3, { seed: 4 });
    const b = new Dropout(0.3, { seed: 4 });
    const ya = values(a.forward(x).data);
    expect(values(b.forward(x).data)).toEqual(ya);
    expect(values(a.forward(x).data)).not.toEqual(ya);
    // survivors scaled by 1 / (1 - p); about 30% dropped (binomial sd ~1.4%)
    const kept = ya.filter((v) => v !== 0);
    assertClose(kept, new Array(kept.length).fill(1 / 0.7), { atol: 1e-6, label: 'survivors' });
    expect(1 - kept.length / 1000).toBeCloseTo(0.3, 1);
    a.eval();
    const xv = new Variable(x);
    expect(a.forward(xv)).toBe(xv);
  });

  it('p = 0 is the identity and p = 1 zeroes everything; other p are rejected', () => {
    expect(values(new Dropout(0).forward(ones([4])).data)).toEqual([1, 1, 1, 1]);
    expect(values(new Dropout(1, { seed: 0 }).forward(ones([4])).data)).toEqual([0, 0, 0, 0]);
    expect(() => new Dropout(1.5)).toThrow('Dropout: p must be a probability in [0, 1], got 1.5');
    expect(() => new Dropout(Number.NaN)).toThrow('Dropout: p must be a probability in [0, 1], got NaN');
  });

  it('GELU validates approximate; Identity passes its input through', () => {
    expect(() => new GELU({ approximate: 'erf' as 'none' })).toThrow(
      "GELU: approximate must be 'none' or 'tanh', got erf",
    );
    const x = new Variable(ones([2]));
    expect(new Identity().forward(x)).toBe(x);
    expect(values(new Identity().forward(ones([2])).data)).toEqual([1, 1]);
  });
});
