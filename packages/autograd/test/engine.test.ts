import { axpy, ShapeError, type Tensor, tensor } from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import * as A from '../src/index.js';
import { input } from './helpers.js';

const f64 = (values: number[], shape = [values.length]) => tensor(values, shape, { dtype: 'float64' });
const flat = (t: Tensor | null) => t!.toFlatArray();
const map = (t: Tensor, f: (v: number) => number) => t.toFlatArray().map(f);

describe('accumulation through the graph', () => {
  it('fan-out: a value used three times sums three contributions (d(x*x*x) = 3x^2)', () => {
    const x = A.variable(f64([0.5, -1.5, 2]));
    A.sum(A.mul(A.mul(x, x), x)).backward();
    assertClose(
      flat(x.grad),
      map(x.data, (v) => 3 * v * v),
      { atol: 1e-14 },
    );
  });

  it('diamond: y = sum(exp(2x) * sin(2x)) gives 2 exp(2x) (sin 2x + cos 2x)', () => {
    const x = A.variable(f64([0.1, -0.7, 1.3]));
    const a = A.mul(x, 2);
    A.sum(A.mul(A.exp(a), A.sin(a))).backward();
    const expected = map(x.data, (v) => 2 * Math.exp(2 * v) * (Math.sin(2 * v) + Math.cos(2 * v)));
    assertClose(flat(x.grad), expected, { atol: 1e-13 });
  });

  it('a variable used by two losses accumulates both backward calls (+=)', () => {
    const w = A.variable(f64([1, -2, 3]));
    const c = f64([0.5, 0.25, -1]);
    A.sum(A.mul(w, c)).backward();
    A.sum(A.square(w)).backward();
    assertClose(flat(w.grad), [0.5 + 2, 0.25 - 4, -1 + 6], { atol: 1e-15 });
  });

  it('two losses over a shared trunk: retainGraph on the first, then the second', () => {
    const w = A.variable(f64([0.3, -0.8]));
    const h = A.tanh(w);
    A.sum(h).backward({ retainGraph: true });
    A.sum(A.mul(h, h)).backward();
    // d/dw [tanh + tanh^2] = (1 - t^2)(1 + 2t)
    const expected = map(w.data, (v) => (1 - Math.tanh(v) ** 2) * (1 + 2 * Math.tanh(v)));
    assertClose(flat(w.grad), expected, { atol: 1e-15 });
  });

  it('retainGraph allows a second backward through the same graph', () => {
    const x = A.variable(f64([0.2, 1]));
    const y = A.sum(A.exp(x));
    y.backward({ retainGraph: true });
    y.backward();
    assertClose(
      flat(x.grad),
      map(x.data, (v) => 2 * Math.exp(v)),
      { atol: 1e-14 },
    );
  });

  it('a deep chain (20,000 nodes) runs without recursion', () => {
    const x = A.variable(f64([1]));
    let y: A.Variable = x;
    for (let i = 0; i < 20_000; i++) y = A.add(y, 1e-3);
    A.sum(y).backward();
    expect(flat(x.grad)).toEqual([1]);
  });

  it('gradients of different leaves never alias each other or the seed', () => {
    const x = A.variable(f64([1, 2]));
    const y = A.variable(f64([3, 4]));
    const seed = f64([1, 1]);
    A.add(x, y).backward(seed);
    axpy(10, seed, x.grad!);
    expect(flat(y.grad)).toEqual([1, 1]);
    expect(flat(seed)).toEqual([1, 1]);
  });

  it('retainGrad keeps the gradient of an intermediate; leaves of constants get none', () => {
    const x = A.variable(f64([0.5, 2]));
    const c = A.variable(f64([3, 3]), { requiresGrad: false });
    const h = A.mul(x, c).retainGrad();
    A.sum(A.square(h)).backward();
    assertClose(flat(h.grad), [3, 12], { atol: 1e-15 }); // 2h
    assertClose(flat(x.grad), [9, 36], { atol: 1e-15 }); // 2h * 3
    expect(c.grad).toBeNull();
  });

  it('a non-scalar output takes an explicit seed (a vector-Jacobian product)', () => {
    const x = A.variable(f64([1, 2, 3, 4, 5, 6], [2, 3]));
    const y = A.mul(A.square(x), 0.5); // dy/dx = x elementwise
    y.backward(f64([1, 0, 2, 0, -1, 3], [2, 3]));
    expect(flat(x.grad)).toEqual([1, 0, 6, 0, -5, 18]);
    const z = A.variable(f64([1, 2]));
    A.mul(z, 3).backward(2); // a number seed fills the output's shape
    expect(flat(z.grad)).toEqual([6, 6]);
  });

  it('backward on a leaf adds the seed to its own grad', () => {
    const x = A.variable(f64([1, 2]));
    A.backward(x, f64([0.5, -1]));
    expect(flat(x.grad)).toEqual([0.5, -1]);
  });

  it('0-d and zero-size tensors', () => {
    const s = A.variable(f64([3], []));
    A.mul(s, s).backward();
    expect(s.grad!.shape).toEqual([]);
    expect(s.grad!.item()).toBe(6);
    const e = A.variable(tensor([], [0, 3], { dtype: 'float64' }));
    A.sum(A.exp(e)).backward();
    expect(e.grad!.shape).toEqual([0, 3]);
    const m = A.variable(f64([2], []));
    A.max(m).backward();
    expect(m.grad!.item()).toBe(1);
  });

  it('split outputs share one node; an unused output contributes zeros', () => {
    const x = A.variable(f64([1, 2, 3, 4, 5]));
    const [, b] = A.split(x, [2, 3]);
    A.sum(A.square(b!)).backward();
    expect(flat(x.grad)).toEqual([0, 0, 6, 8, 10]);
  });
});

describe('graph lifetime', () => {
  it('backward releases every node: saved context, options and inputs are dropped', () => {
    const x = A.variable(input([3, 4], 1));
    const h = A.tanh(A.matmul(x, input([4, 2], 2)));
    const loss = A.mean(h);
    expect(h.node!.saved).toBeDefined();
    loss.backward();
    for (const node of [loss.node!, h.node!]) {
      expect(node.freed).toBe(true);
      expect(node.saved).toBeUndefined();
      expect(node.options).toBeUndefined();
      expect(node.inputs).toEqual([]);
    }
  });

  it('backward twice through a freed graph names the op and the fix', () => {
    const x = A.variable(f64([1, 2]));
    const y = A.sum(A.exp(x));
    y.backward();
    expect(() => y.backward()).toThrow(
      'backward: the graph behind sum (output []) was freed by an earlier backward; pass { retainGraph: true } to the first call',
    );
    const h = A.tanh(x);
    A.sum(h).backward();
    // a second loss over the same (now freed) trunk
    expect(() => A.sum(A.mul(h, 2)).backward()).toThrow(/the graph behind tanh \(output \[2\]\) was freed/);
  });

  it('noGrad builds no graph, and restores the mode even when fn throws', () => {
    const x = A.variable(f64([1, 2]));
    const y = A.noGrad(() => A.mul(x, 2));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(() => y.backward()).toThrow(/backward: the output .* does not require grad/);
    expect(() =>
      A.noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(A.isGradEnabled()).toBe(true);
    expect(A.noGrad(() => A.enableGrad(() => A.mul(x, 2))).requiresGrad).toBe(true);
  });

  it('detach shares the data and cuts the graph', () => {
    const x = A.variable(f64([1, 2]));
    const d = A.exp(x).detach();
    expect(d.requiresGrad).toBe(false);
    expect(A.mul(d, x).node!.inputs[0]).toBeNull(); // only x needs a gradient
    expect(A.mul(d, 2).requiresGrad).toBe(false);
  });

  it('a parameter keeps its identity while an optimizer updates data in place', () => {
    // minimize sum((w - t)^2) with SGD; the minimum is w = t
    const w = A.variable(f64([0, 0, 0]), { name: 'w' });
    const data = w.data;
    const t = f64([1, -2, 0.5]);
    for (let step = 0; step < 200; step++) {
      A.zeroGrad([w]);
      A.sum(A.square(A.sub(w, t))).backward();
      axpy(-0.1, w.grad!, w.data);
    }
    expect(w.data).toBe(data);
    assertClose(flat(w.data), [1, -2, 0.5], { atol: 1e-12 });
  });

  it('zeroGrad: setToNone (default) or fill with zeros in place', () => {
    const w = A.variable(f64([1, 2]));
    A.sum(A.mul(w, 3)).backward();
    const g = w.grad!;
    A.zeroGrad([w], { setToNone: false });
    expect(w.grad).toBe(g);
    expect(flat(g)).toEqual([0, 0]);
    A.sum(A.mul(w, 3)).backward();
    expect(flat(w.grad)).toEqual([3, 3]);
    A.zeroGrad([w]);
    expect(w.grad).toBeNull();
  });
});

describe('errors', () => {
  it('backward on a non-scalar output without a seed', () => {
    const y = A.mul(A.variable(f64([1, 2, 3, 4], [2, 2])), 2);
    expect(() => y.backward()).toThrow(
      /backward: the output of mul \[2,2\] float64 has 4 elements; a non-scalar output needs a seed: backward\(y, seed\) with seed of shape \[2,2\]/,
    );
  });

  it('a seed of the wrong shape or dtype', () => {
    const y = A.mul(A.variable(f64([1, 2, 3])), 2);
    expect(() => y.backward(f64([1, 2]))).toThrow(ShapeError);
    expect(() => y.backward(f64([1, 2]))).toThrow("backward: seed expected the output's shape [3], got [2]");
    expect(() => y.backward(tensor([1, 1, 1]))).toThrow(TypeError);
    expect(() => y.backward(tensor([1, 1, 1]))).toThrow(/backward: seed has dtype float32, expected float64/);
  });

  it('an op given mismatched dtypes names the op and the argument', () => {
    const a = A.variable(tensor([1, 2], [2], { dtype: 'float32' }));
    expect(() => A.add(a, f64([1, 2]))).toThrow(TypeError);
    expect(() => A.add(a, f64([1, 2]))).toThrow(/^add: b has dtype float64, expected float32/);
    expect(() => A.matmul(f64([1, 2]), a)).toThrow(/^matmul: b has dtype float32, expected float64/);
    expect(() => A.concat([a, a, f64([1])])).toThrow(
      /^concat: inputs\[2\] has dtype float64, expected float32/,
    );
  });

  it('a non-tensor operand', () => {
    expect(() => A.add([1, 2] as never, 1)).toThrow(
      'add: a must be a Variable, Tensor or number, got an array',
    );
  });
});
