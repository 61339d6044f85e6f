import { gradcheck, type Variable, variable } from '@normkit/autograd';
import { ShapeError, tensor, zeros } from '@normkit/tensor';
import { assertClose, fixtureTensorData } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { fixtureLoss, lstmFixture, tensors } from '../../test/lstm-fixture.js';
import { toTensor } from '../../test/optim-fixture.js';
import { LSTMCell, runLSTM } from './lstm.js';

const { I, H, B, T } = lstmFixture.sizes;
const fx = lstmFixture.lstm;
const values = (v: Variable) => v.data.toTypedArray();

function torchCell(params = fx.params, bias = true): LSTMCell {
  const cell = new LSTMCell(I, H, { dtype: 'float64', bias, seed: 1 });
  cell.loadStateDict(tensors(params));
  return cell;
}

describe('LSTMCell vs torch.nn.LSTMCell (test/gen_lstm_fixtures.py)', () => {
  it('outputs, h_T and c_T over 3 steps', () => {
    const r = runLSTM(torchCell(), toTensor(fx.xs), toTensor(fx.h0), toTensor(fx.c0));
    expect(r.outputs.shape).toEqual([T, B, H]);
    assertClose(values(r.outputs), fixtureTensorData(fx.outputs), { atol: 1e-14, label: 'outputs' });
    assertClose(values(r.h), fixtureTensorData(fx.h), { atol: 1e-14, label: 'h' });
    assertClose(values(r.c), fixtureTensorData(fx.c), { atol: 1e-14, label: 'c' });
  });

  it('matches torch.nn.LSTM (one layer, same weights) too', () => {
    const r = runLSTM(torchCell(), toTensor(fx.xs), toTensor(fx.h0), toTensor(fx.c0));
    assertClose(values(r.outputs), fixtureTensorData(fx.nnLSTM.outputs), { atol: 1e-14, label: 'nn.LSTM' });
    assertClose(values(r.c), fixtureTensorData(fx.nnLSTM.c), { atol: 1e-14, label: 'nn.LSTM c' });
  });

  it('gradients of every parameter and of xs, h0, c0 through the 3 steps', () => {
    const cell = torchCell();
    const [xs, h0, c0] = [fx.xs, fx.h0, fx.c0].map((t) => variable(toTensor(t)));
    const loss = fixtureLoss(fx, runLSTM(cell, xs!, h0, c0));
    expect(loss.item()).toBeCloseTo(fx.loss, 13);
    loss.backward();
    const got: Record<string, Variable> = {
      ...Object.fromEntries(cell.namedParameters()),
      xs: xs!,
      h0: h0!,
      c0: c0!,
    };
    for (const [name, want] of Object.entries(fx.grads)) {
      assertClose(got[name]!.grad!.toTypedArray(), fixtureTensorData(want), { atol: 1e-13, label: name });
    }
  });

  it('bias: false has no bias parameters and matches torch', () => {
    const cell = torchCell(fx.noBias.params, false);
    expect(cell.namedParameters().map(([n]) => n)).toEqual(['weight_ih', 'weight_hh']);
    const r = runLSTM(cell, toTensor(fx.xs), toTensor(fx.h0), toTensor(fx.c0));
    assertClose(values(r.outputs), fixtureTensorData(fx.noBias.outputs), { atol: 1e-14, label: 'outputs' });
  });
});

describe('LSTMCell structure and init', () => {
  it("has torch's parameter names and shapes", () => {
    const cell = new LSTMCell(5, 7);
    expect(cell.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['weight_ih', [28, 5]],
      ['weight_hh', [28, 7]],
      ['bias_ih', [28]],
      ['bias_hh', [28]],
    ]);
    expect(cell.dtype).toBe('float32');
    expect(cell.toString()).toBe('LSTMCell(5, 7, bias=true)');
  });

  it('draws every parameter from U(-1/sqrt(H), 1/sqrt(H)), reproducibly from a seed', () => {
    const H2 = 256;
    const cell = new LSTMCell(64, H2, { seed: 3, dtype: 'float64' });
    const k = 1 / Math.sqrt(H2);
    for (const [name, p] of cell.namedParameters()) {
      const v = p.data.toTypedArray();
      let mean = 0;
      let sq = 0;
      let maxAbs = 0;
      for (const x of v) {
        maxAbs = Math.max(maxAbs, Math.abs(x));
        mean += x;
        sq += x * x;
      }
      expect(maxAbs, name).toBeLessThanOrEqual(k);
      expect(maxAbs, name).toBeGreaterThan(0.99 * k);
      mean /= v.length;
      const variance = sq / v.length - mean * mean;
      // U(-k, k): mean 0 (sd k / sqrt(3n)), variance k^2 / 3 (relative sd ~ sqrt(0.8 / n)); 5 sigma
      expect(Math.abs(mean), name).toBeLessThan((5 * k) / Math.sqrt(3 * v.length));
      expect(Math.abs(variance / ((k * k) / 3) - 1), name).toBeLessThan(5 * Math.sqrt(0.8 / v.length));
    }
    const again = new LSTMCell(64, H2, { seed: 3, dtype: 'float64' });
    expect(again.weightHh.data.toFlatArray()).toEqual(cell.weightHh.data.toFlatArray());
  });
});

describe('LSTMCell and runLSTM semantics', () => {
  const cell = torchCell();
  const xs = toTensor(fx.xs);

  it('batchFirst takes [B, T, I] and returns [B, T, H], the same numbers', () => {
    const a = runLSTM(cell, xs, toTensor(fx.h0), toTensor(fx.c0));
    const b = runLSTM(cell, xs.transpose(0, 1).contiguous(), toTensor(fx.h0), toTensor(fx.c0), {
      batchFirst: true,
    });
    expect(b.outputs.shape).toEqual([B, T, H]);
    expect(b.outputs.data.transpose(0, 1).toFlatArray()).toEqual(a.outputs.data.toFlatArray());
  });

  it('zero initial state when h0, c0 are omitted; an unbatched x [I] steps like one batch row', () => {
    const z = zeros([B, H], { dtype: 'float64' });
    expect(runLSTM(cell, xs).outputs.data.toFlatArray()).toEqual(
      runLSTM(cell, xs, z, z).outputs.data.toFlatArray(),
    );
    const row = xs.select(0, 0).select(0, 1);
    const single = cell.forward(row);
    expect(single.h.shape).toEqual([H]);
    const batched = cell.forward(xs.select(0, 0));
    expect(single.h.data.toFlatArray()).toEqual(batched.h.data.select(0, 1).toFlatArray());
  });

  it('float64 gradcheck through 3 timesteps, parameters and inputs', () => {
    const g = new LSTMCell(2, 3, { dtype: 'float64', seed: 11 });
    const params = g.namedParameters();
    const data = [
      tensor([0.5, -1, 0.3, 0.8, -0.2, 0.1, 1.2, -0.7, 0.4, 0.9, -1.1, 0.6], [3, 2, 2], { dtype: 'float64' }),
      tensor([0.1, -0.2, 0.3, -0.4, 0.5, -0.6], [2, 3], { dtype: 'float64' }),
      tensor([0.7, 0.2, -0.3, 0.4, -0.5, 0.9], [2, 3], { dtype: 'float64' }),
      ...params.map(([, p]) => p.data),
    ];
    gradcheck(
      (xs, h0, c0, ...ps) => {
        ps.forEach((p, i) => {
          g.registerParameter(params[i]![0], p);
        });
        const r = runLSTM(g, xs!, h0, c0);
        return r.outputs;
      },
      data,
      { atol: 1e-8, rtol: 1e-6 },
    );
  });
});

describe('LSTMCell and runLSTM errors', () => {
  const cell = new LSTMCell(3, 4);
  it.each([
    [() => new LSTMCell(0, 4), RangeError, /LSTMCell: inputSize expected a positive integer, got 0/],
    [() => new LSTMCell(3, 2.5), RangeError, /LSTMCell: hiddenSize expected a positive integer, got 2.5/],
    [() => cell.forward(zeros([2, 5])), ShapeError, /LSTMCell: x expected \[B, 3\] or \[3\], got \[2,5\]/],
    [
      () => cell.forward(zeros([1, 2, 3])),
      ShapeError,
      /LSTMCell: x expected \[B, 3\] or \[3\], got \[1,2,3\]/,
    ],
    [
      () => cell.forward(zeros([2, 3], { dtype: 'float64' })),
      TypeError,
      /LSTMCell: x has dtype float64, expected float32 \(the cell's\)/,
    ],
    [
      () => cell.forward(zeros([2, 3]), { h: zeros([2, 4]), c: zeros([4]) }),
      ShapeError,
      /LSTMCell: state.c expected \[2,4\], got \[4\]/,
    ],
    [
      () => cell.forward(zeros([2, 3]), { h: zeros([2, 4], { dtype: 'float64' }), c: zeros([2, 4]) }),
      TypeError,
      /LSTMCell: state.h has dtype float64, expected float32/,
    ],
    [
      () => cell.forward(zeros([3]), { h: null as never, c: zeros([4]) }),
      TypeError,
      /LSTMCell: state.h expected a Variable or Tensor, got null/,
    ],
    [() => runLSTM(cell, zeros([2, 3])), ShapeError, /runLSTM: xs expected \[T, B, 3\], got \[2,3\]/],
    [
      () => runLSTM(cell, zeros([2, 1, 4]), null, null, { batchFirst: true }),
      ShapeError,
      /runLSTM: xs expected \[B, T, 3\], got \[2,1,4\]/,
    ],
    [
      () => runLSTM(cell, zeros([0, 2, 3])),
      RangeError,
      /runLSTM: xs expected at least one timestep, got T = 0/,
    ],
    [
      () => runLSTM(cell, zeros([1, 2, 3]), zeros([2, 4])),
      TypeError,
      /runLSTM: pass both h0 and c0, or neither/,
    ],
  ])('%#', (f, cls, message) => {
    expect(f).toThrow(cls);
    expect(f).toThrow(message);
  });
});
