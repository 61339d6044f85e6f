import { variable } from '@normkit/autograd';
import { tensor } from '@normkit/tensor';
import { describe, expect, it } from 'vitest';
import { torchCaseTests } from '../../test/optim-cases.js';
import { fixture } from '../../test/optim-fixture.js';
import { SGD } from './sgd.js';

describe('SGD vs torch.optim.SGD (test/gen_optim_fixtures.py)', () => {
  for (const c of fixture.optimizers.filter((c) => c.optimizer === 'SGD')) torchCaseTests(c);
});

describe('SGD by hand', () => {
  it('first momentum step uses buf = d, not (1 - dampening) d; later ones m b + (1 - dampening) d', () => {
    const p = variable(tensor([1], undefined, { dtype: 'float64' }));
    const opt = new SGD([p], { lr: 0.5, momentum: 0.9, dampening: 0.5 });
    p.grad = tensor([2], undefined, { dtype: 'float64' });
    opt.step(); // buf = 2; p = 1 - 0.5 * 2 = 0
    expect(p.data.item()).toBe(0);
    p.grad = tensor([4], undefined, { dtype: 'float64' });
    opt.step(); // buf = 0.9 * 2 + 0.5 * 4 = 3.8; p = 0 - 0.5 * 3.8
    expect(p.data.item()).toBeCloseTo(-1.9, 15);
  });

  it('does not touch the gradient tensor (weight decay and nesterov work in a temporary)', () => {
    const p = variable(tensor([1, 2], undefined, { dtype: 'float64' }));
    const g = tensor([0.5, -0.5], undefined, { dtype: 'float64' });
    p.grad = g;
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 });
    opt.step();
    opt.step();
    expect(g.toFlatArray()).toEqual([0.5, -0.5]);
  });
});

describe('SGD argument errors', () => {
  const p = variable(tensor([1, 2]));
  it.each([
    [{ lr: -1 }, /SGD: lr expected a finite number >= 0, got -1/],
    [{} as { lr: number }, /SGD: lr expected a finite number >= 0, got undefined/],
    [{ lr: 0.1, momentum: -0.5 }, /SGD: momentum expected a finite number >= 0, got -0.5/],
    [{ lr: 0.1, weightDecay: Number.NaN }, /SGD: weightDecay expected a finite number >= 0, got NaN/],
    [
      { lr: 0.1, dampening: Number.POSITIVE_INFINITY },
      /SGD: dampening expected a finite number, got Infinity/,
    ],
    [{ lr: 0.1, nesterov: true }, /SGD: nesterov expected momentum > 0 and dampening = 0, got momentum 0/],
    [{ lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }, /dampening 0.1/],
  ])('%o', (options, message) => {
    expect(() => new SGD([p], options)).toThrow(RangeError);
    expect(() => new SGD([p], options)).toThrow(message);
  });

  it('nesterov must be a boolean', () => {
    expect(() => new SGD([p], { lr: 1, momentum: 1, nesterov: 1 as unknown as boolean })).toThrow(
      /SGD: nesterov expected a boolean, got 1/,
    );
  });
});
