import * as T from '@normkit/tensor';
import { ShapeError, type Tensor, tensor } from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import * as A from '../src/index.js';
import { input } from './helpers.js';

const f64 = (values: number[], shape = [values.length]) => tensor(values, shape, { dtype: 'float64' });

/** A fused x * sigmoid(x) with its own VJP: d/dx = s (1 + x (1 - s)). */
const fusedSilu = A.defineOp({
  name: 'fusedSilu',
  inputNames: ['x'],
  forward: (_ctx, [x]: [Tensor]) => {
    const s = T.sigmoid(x);
    return { output: T.mul(x, s), saved: { x, s } };
  },
  backward: (ctx, g) => {
    const { x, s } = ctx.saved;
    return [T.mul(g, T.mul(s, T.add(T.mul(x, T.sub(1, s)), 1)))];
  },
});

/**
 * A LayerNorm-shaped op as the nn package will write one: optional weight and bias (null when
 * absent), options (eps), per-row statistics saved for backward, and skipped gradients.
 * y = xhat * w + b, xhat = (x - mean) * rstd over the last axis; dx from the architecture's formula.
 */
const calls: { needs: boolean[]; computed: string[] }[] = [];
const fusedLayerNorm = A.defineOp({
  name: 'fusedLayerNorm',
  inputNames: ['x', 'weight', 'bias'],
  forward: (ctx, [x, w, b]: [Tensor, Tensor | undefined, Tensor | undefined], o: { eps: number }) => {
    const mean = T.mean(x, -1, { keepdims: true });
    const rstd = T.rsqrt(T.add(T.variance(x, -1, { keepdims: true, correction: 0 }), o.eps));
    const xhat = T.mul(T.sub(x, mean), rstd);
    let y = w ? T.mul(xhat, w) : xhat;
    if (b) y = T.add(y, b);
    // save only when a backward will need it
    return { output: y, saved: ctx.requiresGrad ? { xhat, rstd, w } : null };
  },
  backward: (ctx, dy) => {
    const { xhat, rstd, w } = ctx.saved!;
    const computed: string[] = [];
    const rows = dy.shape.slice(0, -1).map((_, i) => i);
    let dx: Tensor | null = null;
    if (ctx.needsInputGrad[0]) {
      computed.push('dx');
      const g = w ? T.mul(dy, w) : dy;
      const mg = T.mean(g, -1, { keepdims: true });
      const mgx = T.mean(T.mul(g, xhat), -1, { keepdims: true });
      dx = T.mul(rstd, T.sub(T.sub(g, mg), T.mul(xhat, mgx)));
    }
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (ctx.needsInputGrad[1]) {
      computed.push('dw');
      dw = T.sum(T.mul(dy, xhat), rows);
    }
    if (ctx.needsInputGrad[2]) {
      computed.push('db');
      db = T.sum(dy, rows);
    }
    calls.push({ needs: [...ctx.needsInputGrad], computed });
    return [dx, dw, db];
  },
});

describe('defineOp', () => {
  it('a fused silu with a custom VJP passes gradcheck and matches the composed x * sigmoid(x)', () => {
    const x = input([3, 5], 1, 'transposed');
    A.gradcheck((v) => fusedSilu([v]), [x]);
    const a = A.variable(x);
    const b = A.variable(x);
    A.sum(fusedSilu([a])).backward();
    A.sum(A.mul(b, A.sigmoid(b))).backward();
    assertClose(a.grad!.toFlatArray(), b.grad!.toFlatArray(), { atol: 1e-15 });
  });

  it('a layer-norm-like op with options, saved statistics and optional inputs passes gradcheck', () => {
    const ln = (x: A.Variable, w: A.Variable, b: A.Variable) => fusedLayerNorm([x, w, b], { eps: 1e-5 });
    A.gradcheck(ln, [input([2, 3, 4], 2), input([4], 3), input([4], 4)]);
    A.gradcheck((x) => fusedLayerNorm([x, null, undefined], { eps: 1e-5 }), [input([3, 4], 5, 'sliced')]);
  });

  it('needsInputGrad tells the rule which gradients to skip', () => {
    calls.length = 0;
    const x = A.variable(input([2, 4], 6));
    const w = input([4], 7); // a constant Tensor
    const b = A.variable(input([4], 8));
    A.sum(fusedLayerNorm([x, w, b], { eps: 1e-5 })).backward();
    // the constant weight's gradient is neither needed nor computed
    expect(calls).toEqual([{ needs: [true, false, true], computed: ['dx', 'db'] }]);
    const y = fusedLayerNorm([x.detach(), w, null], { eps: 1e-5 });
    expect(y.node).toBeNull(); // nothing requires grad: no node, nothing saved
  });

  it('forward sees requiresGrad false under noGrad (and saves nothing)', () => {
    const seen: boolean[] = [];
    const probe = A.defineOp({
      name: 'probe',
      forward: (ctx, [x]: [Tensor]) => {
        seen.push(ctx.requiresGrad, ...ctx.needsInputGrad);
        return x;
      },
      backward: (_ctx, g) => [g],
    });
    const x = A.variable(f64([1]));
    A.noGrad(() => probe([x]));
    probe([x]);
    expect(seen).toEqual([false, false, true, true]);
  });

  it('contiguousGrad hands backward a contiguous gradient (the gradient of a sum is a stride-0 view)', () => {
    const layouts: boolean[] = [];
    const make = (contiguousGrad: boolean) =>
      A.defineOp({
        name: 'identity',
        contiguousGrad,
        forward: (_c, [x]: [Tensor]) => x,
        backward: (_c, g) => {
          layouts.push(g.isContiguous());
          return [g];
        },
      });
    for (const flag of [false, true]) {
      const x = A.variable(f64([1, 2, 3, 4], [2, 2]));
      A.sum(make(flag)([x])).backward();
      expect(x.grad!.toFlatArray()).toEqual([1, 1, 1, 1]);
    }
    expect(layouts).toEqual([false, true]);
  });

  it('defineMultiOp: several differentiable outputs, nulls for unused ones', () => {
    // (x, y) -> (x + y, x * y)
    const sumProd = A.defineMultiOp({
      name: 'sumProd',
      inputNames: ['x', 'y'],
      forward: (_c, [x, y]: [Tensor, Tensor]) => ({ outputs: [T.add(x, y), T.mul(x, y)], saved: [x, y] }),
      backward: (c, [gs, gp]) => {
        const [x, y] = c.saved;
        const gx = gp ? T.mul(gp, y!) : null;
        const gy = gp ? T.mul(gp, x!) : null;
        return [gs ? (gx ? T.add(gx, gs) : gs) : gx, gs ? (gy ? T.add(gy, gs) : gs) : gy];
      },
    });
    const x = A.variable(f64([1, 2]));
    const y = A.variable(f64([3, 5]));
    const [, p] = sumProd([x, y]);
    A.sum(p!).backward();
    expect(x.grad!.toFlatArray()).toEqual([3, 5]);
    A.gradcheck(
      (a, b) => {
        const [s, q] = sumProd([a!, b!]);
        return A.add(A.square(s!), q!);
      },
      [input([3], 9), input([3], 10)],
    );
  });

  it('a rule returning a gradient of the wrong shape or dtype is reported with the op name', () => {
    const badShape = A.defineOp({
      name: 'badShape',
      inputNames: ['x'],
      forward: (_c, [x]: [Tensor]) => T.sum(x, -1),
      backward: (_c, g) => [g],
    });
    const x = A.variable(f64([1, 2, 3, 4, 5, 6], [2, 3]));
    expect(() => A.sum(badShape([x])).backward()).toThrow(ShapeError);
    expect(() => A.sum(badShape([x])).backward()).toThrow(
      'badShape: backward returned a gradient of shape [2] for x, expected its shape [2,3]',
    );
    const badDtype = A.defineOp({
      name: 'badDtype',
      forward: (_c, [x]: [Tensor]) => x,
      backward: (_c, g) => [g.astype('float32')],
    });
    expect(() => A.sum(badDtype([x])).backward()).toThrow(
      "badDtype: backward returned a float32 gradient for inputs[0], expected float64 (the input's dtype)",
    );
  });

  it('a forward returning something other than a Tensor is reported', () => {
    const bad = A.defineOp({
      name: 'bad',
      forward: (_c, [x]: [Tensor]) => x.toFlatArray() as unknown as Tensor,
      backward: (_c, g) => [g],
    });
    expect(() => bad([f64([1])])).toThrow(
      'bad: forward must return a Tensor or { output, saved }, got an array',
    );
  });

  it('the rules table has one entry per built-in op, each with its forward and backward', () => {
    for (const [name, op] of Object.entries(A.rules)) {
      expect(op.opName).toBe(name);
      expect(typeof op.definition.forward).toBe('function');
      expect(typeof op.definition.backward).toBe('function');
    }
  });
});
