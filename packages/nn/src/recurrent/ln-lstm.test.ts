import { gradcheck, type Variable, variable } from '@normkit/autograd';
import { mean, tensor, variance } from '@normkit/tensor';
import { assertClose, fixtureTensorData } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { fixtureLoss, lstmFixture, tensors } from '../../test/lstm-fixture.js';
import { toTensor } from '../../test/optim-fixture.js';
import { LayerNormLSTM, LayerNormLSTMCell } from './ln-lstm.js';
import { runLSTM } from './lstm.js';

const { I, H, B, T } = lstmFixture.sizes;
const fx = lstmFixture.lnlstm;

function torchCell(): LayerNormLSTMCell {
  const cell = new LayerNormLSTMCell(I, H, { dtype: 'float64', eps: fx.eps, seed: 5 });
  cell.loadStateDict(tensors(fx.params));
  return cell;
}

describe('LayerNormLSTMCell vs the LN-LSTM composed in torch (test/gen_lstm_fixtures.py)', () => {
  it('outputs, h_T and c_T over 3 steps', () => {
    const r = runLSTM(torchCell(), toTensor(fx.xs), toTensor(fx.h0), toTensor(fx.c0));
    assertClose(r.outputs.data.toTypedArray(), fixtureTensorData(fx.outputs), {
      atol: 1e-13,
      label: 'outputs',
    });
    assertClose(r.h.data.toTypedArray(), fixtureTensorData(fx.h), { atol: 1e-13, label: 'h' });
    assertClose(r.c.data.toTypedArray(), fixtureTensorData(fx.c), { atol: 1e-13, label: 'c' });
  });

  it('gradients of every parameter (the LayerNorms included) and of xs, h0, c0', () => {
    const cell = torchCell();
    const [xs, h0, c0] = [fx.xs, fx.h0, fx.c0].map((t) => variable(toTensor(t)));
    const loss = fixtureLoss(fx, runLSTM(cell, xs!, h0, c0));
    expect(loss.item()).toBeCloseTo(fx.loss, 12);
    loss.backward();
    const got: Record<string, Variable> = {
      ...Object.fromEntries(cell.namedParameters()),
      xs: xs!,
      h0: h0!,
      c0: c0!,
    };
    expect(Object.keys(got).sort()).toEqual(Object.keys(fx.grads).sort());
    for (const [name, want] of Object.entries(fx.grads)) {
      assertClose(got[name]!.grad!.toTypedArray(), fixtureTensorData(want), { atol: 1e-12, label: name });
    }
  });

  it('LayerNormLSTM runs the same cell over the sequence (batchFirst too)', () => {
    const m = new LayerNormLSTM(I, H, { dtype: 'float64', eps: fx.eps, batchFirst: true });
    m.cell.loadStateDict(tensors(fx.params));
    const xs = toTensor(fx.xs).transpose(0, 1).contiguous();
    const r = m.forward(xs, { h: toTensor(fx.h0), c: toTensor(fx.c0) });
    expect(r.outputs.shape).toEqual([B, T, H]);
    const outputs = r.outputs.data.transpose(0, 1).toTypedArray();
    assertClose(outputs, fixtureTensorData(fx.outputs), { atol: 1e-13, label: 'outputs' });
    expect(m.namedParameters()[0]![0]).toBe('cell.weight_ih');
  });
});

describe('LayerNormLSTMCell structure and properties', () => {
  it('has weight_ih, weight_hh and three LayerNorms (ones, zeros), no bias', () => {
    const cell = new LayerNormLSTMCell(5, 7, { seed: 0 });
    expect(cell.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['weight_ih', [28, 5]],
      ['weight_hh', [28, 7]],
      ['layernorm_i.weight', [28]],
      ['layernorm_i.bias', [28]],
      ['layernorm_h.weight', [28]],
      ['layernorm_h.bias', [28]],
      ['layernorm_c.weight', [7]],
      ['layernorm_c.bias', [7]],
    ]);
    expect(cell.layernormC.weight!.data.toFlatArray()).toEqual(new Array(7).fill(1));
    expect(cell.layernormH.bias!.data.toFlatArray()).toEqual(new Array(28).fill(0));
    expect(cell.layernormI.eps).toBe(1e-5);
  });

  it('is invariant to the scale of x and of h (each pre-activation is normalized), up to eps', () => {
    // LN(s z) = LN(z) for s > 0 when eps is negligible: scaling the input or the hidden state by
    // 1000 leaves the next state unchanged; the plain LSTM saturates instead
    const cell = new LayerNormLSTMCell(3, 4, { dtype: 'float64', seed: 2, eps: 0 });
    const x = tensor([0.3, -1.2, 0.8, 0.5, 0.1, -0.4], [2, 3], { dtype: 'float64' });
    const h = tensor([0.2, -0.1, 0.4, 0.3, -0.5, 0.6, 0.1, -0.2], [2, 4], { dtype: 'float64' });
    const c = tensor([1, -1, 0.5, 0, 0.3, 0.2, -0.7, 0.9], [2, 4], { dtype: 'float64' });
    const base = cell.forward(x, { h, c });
    const scaled = cell.forward(
      tensor(
        x.toFlatArray().map((v) => v * 1000),
        [2, 3],
        { dtype: 'float64' },
      ),
      {
        h: tensor(
          h.toFlatArray().map((v) => v * 1000),
          [2, 4],
          { dtype: 'float64' },
        ),
        c,
      },
    );
    assertClose(scaled.h.data.toTypedArray(), base.h.data.toTypedArray(), { atol: 1e-12, label: 'h' });
    assertClose(scaled.c.data.toTypedArray(), base.c.data.toTypedArray(), { atol: 1e-12, label: 'c' });
  });

  it('carries the un-normalized cell state: c is not LN(c)', () => {
    const cell = new LayerNormLSTMCell(3, 4, { dtype: 'float64', seed: 9 });
    const x = tensor([3, -2, 1], [1, 3], { dtype: 'float64' });
    const c0 = tensor([4, -3, 2, 5], [1, 4], { dtype: 'float64' });
    const { c } = cell.forward(x, { h: tensor([0, 0, 0, 0], [1, 4], { dtype: 'float64' }), c: c0 });
    // a LayerNormed row (ones, zeros) would have mean 0 and variance 1
    expect(
      Math.abs(mean(c.data).item()) + Math.abs(variance(c.data, undefined, { correction: 0 }).item() - 1),
    ).toBeGreaterThan(0.1);
  });

  it('float64 gradcheck through 3 timesteps, all parameters and inputs', () => {
    const g = new LayerNormLSTMCell(2, 3, { dtype: 'float64', seed: 4 });
    // move the LayerNorm parameters off ones/zeros so their gradients are exercised generically
    g.layernormI.weight!.data.data.set([1.1, 0.9, 1.2, 0.8, 1, 1.3, 0.7, 1.05, 0.95, 1.15, 0.85, 1]);
    g.layernormC.bias!.data.data.set([0.1, -0.2, 0.3]);
    const named = g.namedParameters();
    const owner = (name: string) => (name.includes('.') ? g.getModule(name.split('.')[0]!)! : g);
    const data = [
      tensor([0.5, -1, 0.3, 0.8, -0.2, 0.1, 1.2, -0.7, 0.4, 0.9, -1.1, 0.6], [3, 2, 2], { dtype: 'float64' }),
      tensor([0.1, -0.2, 0.3, -0.4, 0.5, -0.6], [2, 3], { dtype: 'float64' }),
      tensor([0.7, 0.2, -0.3, 0.4, -0.5, 0.9], [2, 3], { dtype: 'float64' }),
      ...named.map(([, p]) => p.data),
    ];
    gradcheck(
      (xs, h0, c0, ...ps) => {
        ps.forEach((p, i) => {
          const name = named[i]![0];
          owner(name).registerParameter(name.split('.').pop()!, p);
        });
        const r = runLSTM(g, xs!, h0, c0);
        return r.outputs;
      },
      data,
      { atol: 1e-8, rtol: 1e-6 },
    );
  });

  it('constructor errors name the argument', () => {
    expect(() => new LayerNormLSTMCell(3, 0)).toThrow(
      /LayerNormLSTMCell: hiddenSize expected a positive integer, got 0/,
    );
    expect(() => new LayerNormLSTMCell(3, 4, { eps: -1 })).toThrow(
      /LayerNorm: eps must be a finite number >= 0, got -1/,
    );
  });
});
