import { variable } from '@normkit/autograd';
import { type DType, randn, type Tensor, tensor, zeros } from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { torchCaseTests } from '../../test/optim-cases.js';
import { fixture } from '../../test/optim-fixture.js';
import { Adam, AdamW } from './adam.js';

describe('Adam and AdamW vs torch.optim (test/gen_optim_fixtures.py)', () => {
  for (const c of fixture.optimizers.filter((c) => c.optimizer !== 'SGD')) torchCaseTests(c);
});

describe('Adam by hand', () => {
  it("step 1 moves each weight by lr * g / (|g| + eps'), eps' = eps / sqrt(1 - beta2): the sign step", () => {
    // m = (1 - b1) g, v = (1 - b2) g^2; mhat = g, sqrt(vhat) = |g|: update = -lr g / (|g| + eps)
    const p = variable(zeros([3], { dtype: 'float64' }));
    p.grad = tensor([2, -0.5, 1e-3], undefined, { dtype: 'float64' });
    new Adam([p], { lr: 0.1, eps: 0 }).step();
    expect(p.data.toFlatArray().map((x) => Number(x.toFixed(14)))).toEqual([-0.1, 0.1, -0.1]);
  });

  it('AdamW decays the weight by lr * wd before the update; Adam adds wd * p to the gradient', () => {
    const make = () => {
      const p = variable(tensor([4], undefined, { dtype: 'float64' }));
      p.grad = tensor([0], undefined, { dtype: 'float64' });
      return p;
    };
    const pw = make();
    new AdamW([pw], { lr: 0.1, weightDecay: 0.5 }).step();
    // zero gradient: m = v = 0, so only the decay acts: 4 * (1 - 0.05)
    expect(pw.data.item()).toBeCloseTo(3.8, 15);
    const pa = make();
    new Adam([pa], { lr: 0.1, weightDecay: 0.5, eps: 0 }).step();
    // L2: g = 0.5 * 4 = 2, first step moves by lr * sign(g)
    expect(pa.data.item()).toBeCloseTo(3.9, 15);
  });

  it("has torch's defaults: Adam weight decay 0, AdamW 1e-2", () => {
    const p = variable(zeros([1]));
    const a = new Adam([p]).paramGroups[0]!;
    const w = new AdamW([p]).paramGroups[0]!;
    expect(a).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false });
    expect(w).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false });
  });

  it('amsgrad switched on after some steps starts its maximum then', () => {
    const p = variable(zeros([2], { dtype: 'float64' }));
    const opt = new Adam([p], { lr: 0.1 });
    p.grad = tensor([1, 2], undefined, { dtype: 'float64' });
    opt.step();
    opt.paramGroups[0]!.amsgrad = true;
    opt.step();
    expect(opt.stateDict().state[0]!.max_exp_avg_sq).toBeDefined();
  });
});

describe('fused kernel (contiguous) = composed in-place ops (strided): float64 bit for bit, float32 to ulps', () => {
  const variants = [
    ['Adam', { lr: 0.01 }],
    ['Adam', { lr: 0.02, weightDecay: 0.1, amsgrad: true }],
    ['AdamW', { lr: 0.01, weightDecay: 0.3 }],
    ['AdamW', { lr: 0.05, betas: [0.5, 0.9] as [number, number], eps: 1e-3, amsgrad: true }],
  ] as const;
  for (const dtype of ['float64', 'float32'] as DType[]) {
    for (const [kind, options] of variants) {
      it(`${kind} ${JSON.stringify(options)} ${dtype}`, () => {
        const init = randn([4, 6], { seed: 1, dtype });
        // the same values as a contiguous tensor and as a transposed view of a [6, 4] buffer
        const fused = variable(init.clone());
        const strided = variable(init.transpose().contiguous().transpose());
        expect(strided.data.isContiguous()).toBe(false);
        const Opt = kind === 'Adam' ? Adam : AdamW;
        const [a, b] = [new Opt([fused], options), new Opt([strided], options)];
        for (let t = 0; t < 6; t++) {
          // widely varying magnitudes so amsgrad's maximum and the eps term both matter
          const g = randn([4, 6], { seed: 10 + t, dtype });
          g.data.forEach((x, i) => {
            g.data[i] = x * 10 ** ((i % 7) - 4);
          });
          fused.grad = g;
          strided.grad = g;
          a.step();
          b.step();
        }
        // float32: the composed path rounds after every op, the fused one once per stored value; m
        // and v sum terms up to |g| = 100 (ulp 8e-6), so they agree to a few ulps of that
        const same = (x: Tensor, y: Tensor, label: string) => {
          if (dtype === 'float64')
            expect(Array.from(y.toTypedArray()), label).toEqual(Array.from(x.toTypedArray()));
          else assertClose(y.toTypedArray(), x.toTypedArray(), { rtol: 1e-6, atol: 3e-5, label });
        };
        same(fused.data, strided.data, 'param');
        const [sa, sb] = [a.stateDict().state[0]!, b.stateDict().state[0]!];
        for (const key of Object.keys(sa)) {
          const [x, y] = [sa[key]!, sb[key]!];
          if (typeof x === 'number') expect(y).toBe(x);
          else same(x, y as Tensor, key);
        }
      });
    }
  }
});

describe('Adam argument errors', () => {
  const p = variable(zeros([2]));
  it.each([
    [{ lr: -0.1 }, /Adam: lr expected a finite number >= 0, got -0.1/],
    [{ eps: -1e-8 }, /Adam: eps expected a finite number >= 0, got -1e-8/],
    [{ weightDecay: -1 }, /Adam: weightDecay expected a finite number >= 0, got -1/],
    [{ betas: [1, 0.999] as [number, number] }, /Adam: betas\[0\] expected a number in \[0, 1\), got 1/],
    [{ betas: [0.9, -0.1] as [number, number] }, /Adam: betas\[1\] expected a number in \[0, 1\), got -0.1/],
  ])('%o', (options, message) => {
    expect(() => new Adam([p], options)).toThrow(RangeError);
    expect(() => new Adam([p], options)).toThrow(message);
  });

  it('names AdamW in its own messages', () => {
    expect(() => new AdamW([p], { lr: Number.NaN })).toThrow(
      /^AdamW: lr expected a finite number >= 0, got NaN/,
    );
  });

  it('rejects a non-boolean amsgrad and a betas that is not a pair', () => {
    expect(() => new Adam([p], { amsgrad: 'yes' as unknown as boolean })).toThrow(
      /Adam: amsgrad expected a boolean, got yes/,
    );
    const opt = new Adam([p]);
    (opt.paramGroups[0] as { betas: unknown }).betas = [0.9];
    p.grad = zeros([2]);
    expect(() => opt.step()).toThrow(
      /Adam.step: param group 0: betas expected a pair \[beta1, beta2\], got 0.9/,
    );
  });
});
