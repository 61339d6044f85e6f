import { fileURLToPath } from 'node:url';
import { type DType, ones, type Tensor, tensor, triu } from '@normkit/tensor';
import { assertClose, type FixtureTensor, fixtureTensorData, loadFixture } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import type { Variable } from '../src/index.js';
import * as A from '../src/index.js';

/**
 * A transformer-like computation checked against PyTorch 1.13 (test/gen_composite_fixture.py):
 * embedding, matmul with broadcast bias, causal masked softmax attention, residual, layer norm
 * composed of mean / variance / rsqrt, logSoftmax + gather cross-entropy, weight decay.
 */
const NAMES = ['E', 'W', 'b', 'gamma', 'beta', 'Wout'] as const;
type Name = (typeof NAMES)[number];
interface Part {
  inputs: Record<Name, FixtureTensor>;
  loss: number;
  grads: Record<Name, FixtureTensor>;
}
interface Fixture {
  ids: FixtureTensor;
  targets: FixtureTensor;
  float64: Part;
  float32: Part;
}

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const fx = loadFixture<Fixture>(packageDir, 'composite.json');
const [B, T] = fx.ids.shape as [number, number];

function load(t: FixtureTensor, dtype: DType): Tensor {
  return tensor(fixtureTensorData(t), t.shape, { dtype });
}

function compute(p: Record<Name, Variable>, dtype: DType): Variable {
  const D = p.W.shape[0]!;
  const ids = load(fx.ids, dtype);
  const targets = load(fx.targets, dtype).reshape([B, T, 1]);
  const h0 = A.embedding(p.E, ids); // [B, T, D]
  const h1 = A.tanh(A.add(A.matmul(h0, p.W), p.b));
  const scores = A.div(A.matmul(h1, A.transpose(h1)), Math.sqrt(D));
  const causal = triu(ones([T, T], { dtype }), 1); // 1 above the diagonal
  const att = A.softmax(A.maskedFill(scores, causal, Number.NEGATIVE_INFINITY));
  const h2 = A.add(A.matmul(att, h1), h1);
  const mu = A.mean(h2, -1, { keepdims: true });
  const v = A.variance(h2, -1, { keepdims: true, correction: 0 });
  const xhat = A.mul(A.sub(h2, mu), A.rsqrt(A.add(v, 1e-5)));
  const y = A.add(A.mul(xhat, p.gamma), p.beta);
  const lp = A.logSoftmax(A.matmul(y, p.Wout));
  const nll = A.neg(A.squeeze(A.gather(lp, -1, targets), -1));
  return A.add(A.mean(nll), A.mul(A.sum(A.square(p.W)), 0.01));
}

describe('composite computation vs PyTorch 1.13', () => {
  const cases: [DType, number][] = [
    ['float64', 1e-10],
    ['float32', 1e-5],
  ];
  it.each(cases)('%s: loss and every input gradient match (atol %s)', (dtype, atol) => {
    const part = fx[dtype];
    const params = Object.fromEntries(
      NAMES.map((n) => [n, A.variable(load(part.inputs[n], dtype), { name: n })]),
    ) as Record<Name, Variable>;
    const loss = compute(params, dtype);
    expect(loss.dtype).toBe(dtype);
    assertClose([loss.item()], [part.loss], { atol, label: `${dtype} loss` });
    loss.backward();
    for (const n of NAMES) {
      const g = params[n].grad!;
      expect(g.shape).toEqual(part.grads[n].shape);
      expect(g.dtype).toBe(dtype);
      assertClose(g.toFlatArray(), fixtureTensorData(part.grads[n]), { atol, label: `${dtype} d${n}` });
    }
  });
});
