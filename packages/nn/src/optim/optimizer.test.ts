import { mul, sum, type Variable, variable } from '@normkit/autograd';
import { ShapeError, type Tensor, tensor, zeros } from '@normkit/tensor';
import { describe, expect, it } from 'vitest';
import { Adam, AdamW } from './adam.js';
import { SGD } from './sgd.js';

const f64 = (values: number[]) => tensor(values, undefined, { dtype: 'float64' });

describe('parameter groups and lr', () => {
  it('a group option overrides the default; the rest fall back to it', () => {
    const [a, b] = [variable(zeros([1])), variable(zeros([1]))];
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.3, momentum: 0.9 }], {
      lr: 0.1,
      weightDecay: 0.5,
    });
    expect(opt.paramGroups[0]).toMatchObject({ lr: 0.1, momentum: 0, weightDecay: 0.5 });
    expect(opt.paramGroups[1]).toMatchObject({ lr: 0.3, momentum: 0.9, weightDecay: 0.5 });
    expect(opt.params()).toEqual([a, b]);
  });

  it('opt.lr reads group 0 and sets every group (what a schedule drives)', () => {
    const opt = new AdamW([{ params: [variable(zeros([1]))] }, { params: [variable(zeros([1]))], lr: 5 }]);
    expect(opt.lr).toBe(1e-3);
    opt.lr = 0.25;
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.25, 0.25]);
    expect(() => {
      opt.lr = -1;
    }).toThrow(/AdamW: lr expected a finite number >= 0, got -1/);
  });

  it('addParamGroup appends a group; a parameter may not be in two', () => {
    const [a, b] = [variable(zeros([1])), variable(zeros([1]))];
    const opt = new Adam([a]);
    opt.addParamGroup({ params: [b], lr: 0.5 });
    expect(opt.paramGroups[1]!.lr).toBe(0.5);
    expect(() => opt.addParamGroup({ params: [a] })).toThrow(
      /Adam: params\[0\] appears in more than one parameter group/,
    );
  });
});

describe('step, zeroGrad and the state', () => {
  it('skips parameters whose grad is null and gives them no state (as torch)', () => {
    const [a, b] = [variable(f64([1, 2])), variable(f64([3]))];
    const opt = new Adam([a, b], { lr: 0.1 });
    a.grad = f64([1, 1]);
    opt.step();
    expect(b.data.toFlatArray()).toEqual([3]);
    expect(Object.keys(opt.stateDict().state)).toEqual(['0']);
  });

  it('zeroGrad sets grads to null, or fills them with zeros when setToNone is false', () => {
    const p = variable(f64([1]));
    const opt = new SGD([p], { lr: 1 });
    const g = f64([5]);
    p.grad = g;
    opt.zeroGrad({ setToNone: false });
    expect(p.grad).toBe(g);
    expect(g.toFlatArray()).toEqual([0]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
  });

  it('updates param.data in place and keeps its state tensors across steps (allocated once)', () => {
    const p = variable(f64([1, -1, 0.5]));
    const data = p.data;
    const opt = new Adam([p], { lr: 0.1, amsgrad: true, weightDecay: 0.1 });
    p.grad = f64([0.1, 0.2, 0.3]);
    opt.step();
    const state = (opt as unknown as { state: Map<Variable, Record<string, Tensor>> }).state.get(p)!;
    const buffers = [state.exp_avg, state.exp_avg_sq, state.max_exp_avg_sq];
    for (let i = 0; i < 3; i++) opt.step();
    expect(p.data).toBe(data);
    expect([state.exp_avg, state.exp_avg_sq, state.max_exp_avg_sq]).toEqual(buffers);
    expect(state.exp_avg).toBe(buffers[0]);
  });

  it('trains: a few hundred SGD steps on sum((w * x - y)^2) reach the least-squares solution', () => {
    const w = variable(f64([0, 0]));
    const x = f64([1, 2]);
    const opt = new SGD([w], { lr: 0.1, momentum: 0.5 });
    for (let i = 0; i < 200; i++) {
      opt.zeroGrad();
      const r = mul(w, x).data; // w_i x_i
      // d/dw_i (w_i x_i - y_i)^2 = 2 x_i (w_i x_i - y_i), y = [3, 4]
      w.grad = f64([2 * 1 * (r.get(0) - 3), 2 * 2 * (r.get(1) - 4)]);
      opt.step();
    }
    expect(w.data.get(0)).toBeCloseTo(3, 10);
    expect(w.data.get(1)).toBeCloseTo(2, 10);
    expect(sum(w).item()).toBeCloseTo(5, 10);
  });

  it('shares temporaries across parameters of growing sizes and of both dtypes', () => {
    // weight decay needs a temporary: d = g + wd p; parameters of 2, then 5 (growth), then float32
    const ps = [variable(f64([1, 2])), variable(f64([1, 2, 3, 4, 5])), variable(tensor([4, 8]))];
    const opt = new SGD(ps, { lr: 0.5, weightDecay: 0.5 });
    for (const p of ps) p.grad = p.dtype === 'float64' ? f64(new Array(p.size).fill(1)) : tensor([1, 1]);
    opt.step();
    opt.step();
    // each step: p <- p - 0.5 (1 + 0.5 p) = 0.75 p - 0.5; twice: 0.5625 p - 0.875
    const initial = [
      [1, 2],
      [1, 2, 3, 4, 5],
      [4, 8],
    ];
    ps.forEach((p, i) => {
      expect(p.data.toFlatArray()).toEqual(initial[i]!.map((x) => 0.5625 * x - 0.875));
    });
  });

  it('step rejects a gradient of another shape or dtype', () => {
    const p = variable(f64([1, 2]));
    const opt = new SGD([p], { lr: 1 });
    p.grad = f64([1]);
    expect(() => opt.step()).toThrow(ShapeError);
    expect(() => opt.step()).toThrow(/SGD.step: grad expected \[2\], got \[1\]/);
    p.grad = tensor([1, 2]);
    expect(() => opt.step()).toThrow(TypeError);
    expect(() => opt.step()).toThrow(/SGD.step: grad has dtype float32, expected float64/);
  });
});

describe('constructor errors', () => {
  const p = variable(zeros([1]));
  it.each([
    [
      () => new SGD([], { lr: 1 }),
      RangeError,
      /SGD: params expected at least one parameter, got an empty list/,
    ],
    [
      () => new SGD([p, 3 as unknown as Variable], { lr: 1 }),
      TypeError,
      /SGD: params\[1\] expected a Variable, got number 3/,
    ],
    [
      () => new SGD([{ params: [p] }, p] as never, { lr: 1 }),
      TypeError,
      /SGD: params\[1\] expected a param group \{ params, ... \} \(params\[0\] is one\), got Variable/,
    ],
    [() => new Adam([p, p]), RangeError, /Adam: params\[1\] appears in more than one parameter group/],
    [() => new Adam([mul(p, 2)]), RangeError, /Adam: params\[0\] is not a leaf Variable/],
    [
      () => new Adam([{ params: [zeros([1]) as unknown as Variable] }]),
      TypeError,
      /Adam: params\[0\] expected a Variable, got a Tensor of shape \[1\]/,
    ],
    [
      () => new AdamW([p], { weight_decay: 0.1 } as object),
      TypeError,
      /AdamW: unknown option 'weight_decay' \(expected one of lr, betas, eps, weightDecay, amsgrad\)/,
    ],
    [
      () => new SGD([{ params: [p], mom: 1 } as { params: Variable[] }], { lr: 1 }),
      TypeError,
      /SGD: unknown param group option 'mom'/,
    ],
    [
      () => new SGD([{ params: [p], lr: -2 }], { lr: 1 }),
      RangeError,
      /SGD: param group 0: lr expected a finite number >= 0, got -2/,
    ],
  ])('%#', (make, cls, message) => {
    expect(make).toThrow(cls);
    expect(make).toThrow(message);
  });
});
