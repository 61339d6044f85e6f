import { Variable } from '@normkit/autograd';
import { randn } from '@normkit/tensor';
import { describe, expect, it } from 'vitest';
import { F } from './functional.js';
import { LayerNorm } from './norms/modules.js';

describe('F (functional forms)', () => {
  it('holds the functional form of every layer, norm and loss', () => {
    expect(Object.keys(F).sort()).toEqual(
      [
        'batchNorm',
        'crossEntropy',
        'dropout',
        'dyt',
        'embedding',
        'gelu',
        'groupNorm',
        'instanceNorm',
        'layerNorm',
        'linear',
        'logSoftmax',
        'mse',
        'relu',
        'rmsNorm',
        'sigmoid',
        'silu',
        'softmax',
        'tanh',
      ].sort(),
    );
    for (const f of Object.values(F)) expect(typeof f).toBe('function');
  });

  it("F.layerNorm with a module's parameters equals the module", () => {
    const m = new LayerNorm(5, { dtype: 'float64' });
    const x = randn([3, 5], { seed: 1, dtype: 'float64' });
    const y = F.layerNorm(x, 5, { weight: m.weight, bias: m.bias });
    expect(y).toBeInstanceOf(Variable);
    expect(y.toArray()).toEqual(m.forward(x).toArray());
  });

  it('F.batchNorm defaults to eval mode, as torch, which needs running statistics', () => {
    expect(() => F.batchNorm(randn([4, 2]))).toThrow(
      'batchNormForward: eval mode (training false) needs runningMean and runningVar, got no runningMean',
    );
  });
});
