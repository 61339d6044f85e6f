import {
  add,
  mul,
  select,
  sigmoid,
  split,
  stack,
  type TensorOperand,
  tanh,
  tensorOf,
  type Variable,
} from '@normkit/autograd';
import { type DType, formatShape, ShapeError, Tensor, zeros } from '@normkit/tensor';
import { uniform_ } from '../init.js';
import { linear } from '../layers/linear.js';
import { dtypeOf, generatorOf, type InitOptions, Module, Parameter } from '../module.js';

/**
 * Dimension names: B batch, T time, I input size, H hidden size. Gates are stacked in torch's
 * order i, f, g, o along the 4H axis (rows 0..H-1 of weight_ih are the input gate's, H..2H-1 the
 * forget gate's, then the cell candidate g, then the output gate), so weights move between
 * normkit, torch.nn.LSTMCell and torch.nn.LSTM (weight_ih_l0, ...) unchanged.
 */

/** The hidden and cell state of an LSTM: h, c [B, H] (or [H] for an unbatched input). */
export interface LSTMState {
  h: Variable;
  c: Variable;
}

/** What runLSTM needs of a cell: its sizes, dtype and one step. */
export interface RecurrentCell {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly dtype: DType;
  forward(x: TensorOperand, state?: { h: TensorOperand; c: TensorOperand }): LSTMState;
}

/**
 * The LSTM's pointwise part (Hochreiter & Schmidhuber 1997, with forget gate, as torch):
 *   i, f, g, o = split(gates, H)
 *   c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
 * Returns c' and the output gate sigmoid(o); the caller forms h' = o * tanh(c') (or of LN(c')).
 */
export function lstmGates(
  gates: Variable,
  c: TensorOperand,
  hiddenSize: number,
): { c: Variable; o: Variable } {
  const [i, f, g, o] = split(gates, hiddenSize, -1) as [Variable, Variable, Variable, Variable];
  const next = add(mul(sigmoid(f), c), mul(sigmoid(i), tanh(g)));
  return { c: next, o: sigmoid(o) };
}

/** Check x [B, I] or [I], and h, c [B, H] (or [H]) of the cell's dtype; zeros for a missing state. */
export function checkStep(
  op: string,
  cell: RecurrentCell,
  x: TensorOperand,
  state: { h: TensorOperand; c: TensorOperand } | undefined,
): { h: TensorOperand; c: TensorOperand } {
  const { inputSize: I, hiddenSize: H, dtype } = cell;
  const xt = tensorOf(x);
  if ((xt.ndim !== 1 && xt.ndim !== 2) || xt.shape[xt.ndim - 1] !== I) {
    throw new ShapeError(op, 'x', `[B, ${I}] or [${I}]`, formatShape(xt.shape));
  }
  if (xt.dtype !== dtype)
    throw new TypeError(`${op}: x has dtype ${xt.dtype}, expected ${dtype} (the cell's)`);
  const want = [...xt.shape.slice(0, -1), H];
  if (state === undefined) {
    const z = zeros(want, { dtype });
    return { h: z, c: z };
  }
  for (const [arg, v] of [
    ['h', state.h],
    ['c', state.c],
  ] as const) {
    const t = tensorOf(v);
    if (!(t instanceof Tensor))
      throw new TypeError(`${op}: state.${arg} expected a Variable or Tensor, got ${String(t)}`);
    if (formatShape(t.shape) !== formatShape(want)) {
      throw new ShapeError(op, `state.${arg}`, formatShape(want), formatShape(t.shape));
    }
    if (t.dtype !== dtype) throw new TypeError(`${op}: state.${arg} has dtype ${t.dtype}, expected ${dtype}`);
  }
  return state;
}

export function checkSizes(op: string, inputSize: number, hiddenSize: number): void {
  for (const [arg, v] of [
    ['inputSize', inputSize],
    ['hiddenSize', hiddenSize],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new RangeError(`${op}: ${arg} expected a positive integer, got ${v}`);
  }
}

export interface LSTMCellOptions extends InitOptions {
  /** Learn bias_ih and bias_hh (default true). */
  bias?: boolean;
}

/**
 * torch.nn.LSTMCell: one step
 *   gates = x W_ih^T + b_ih + h W_hh^T + b_hh        [B, 4H]
 *   c' = sigmoid(f) c + sigmoid(i) tanh(g),   h' = sigmoid(o) tanh(c')
 * Parameters weight_ih [4H, I], weight_hh [4H, H], bias_ih [4H], bias_hh [4H], each drawn from
 * U(-1/sqrt(H), 1/sqrt(H)) in that order from one generator, as torch's reset_parameters.
 */
export class LSTMCell extends Module implements RecurrentCell {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly dtype: DType;

  constructor(inputSize: number, hiddenSize: number, options: LSTMCellOptions = {}) {
    super();
    checkSizes('LSTMCell', inputSize, hiddenSize);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.dtype = dtypeOf('LSTMCell', options);
    const rng = generatorOf(options);
    const k = 1 / Math.sqrt(hiddenSize);
    const param = (shape: number[]) =>
      new Parameter(uniform_(zeros(shape, { dtype: this.dtype }), -k, k, rng));
    this.registerParameter('weight_ih', param([4 * hiddenSize, inputSize]));
    this.registerParameter('weight_hh', param([4 * hiddenSize, hiddenSize]));
    const bias = options.bias ?? true;
    this.registerParameter('bias_ih', bias ? param([4 * hiddenSize]) : null);
    this.registerParameter('bias_hh', bias ? param([4 * hiddenSize]) : null);
  }

  get weightIh(): Variable {
    return this.getParameter('weight_ih')!;
  }
  get weightHh(): Variable {
    return this.getParameter('weight_hh')!;
  }
  get biasIh(): Variable | null {
    return this.getParameter('bias_ih');
  }
  get biasHh(): Variable | null {
    return this.getParameter('bias_hh');
  }

  /** One step: x [B, I] (or [I]), state { h, c } [B, H] (zeros when omitted) -> { h', c' }. */
  forward(x: TensorOperand, state?: { h: TensorOperand; c: TensorOperand }): LSTMState {
    const { h, c } = checkStep('LSTMCell', this, x, state);
    const gates = add(linear(x, this.weightIh, this.biasIh), linear(h, this.weightHh, this.biasHh));
    const next = lstmGates(gates, c, this.hiddenSize);
    return { h: mul(next.o, tanh(next.c)), c: next.c };
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}, bias=${this.biasIh !== null}`;
  }
}

export interface RunLSTMOptions {
  /** xs is [B, T, I] and outputs [B, T, H] (torch's batch_first); default false: [T, B, I]. */
  batchFirst?: boolean;
}

/**
 * Run a cell over a sequence, as torch.nn.LSTM with one layer: xs [T, B, I] (or [B, T, I] with
 * batchFirst), h0, c0 [B, H] (zeros when omitted) -> outputs [T, B, H] (every step's h, or
 * [B, T, H]), and the last step's h and c. Gradients flow back through every step (BPTT).
 */
export function runLSTM(
  cell: RecurrentCell,
  xs: TensorOperand,
  h0?: TensorOperand | null,
  c0?: TensorOperand | null,
  options: RunLSTMOptions = {},
): { outputs: Variable; h: Variable; c: Variable } {
  const xt = tensorOf(xs);
  const timeAxis = options.batchFirst ? 1 : 0;
  if (xt.ndim !== 3 || xt.shape[2] !== cell.inputSize) {
    const want = options.batchFirst ? `[B, T, ${cell.inputSize}]` : `[T, B, ${cell.inputSize}]`;
    throw new ShapeError('runLSTM', 'xs', want, formatShape(xt.shape));
  }
  const steps = xt.shape[timeAxis]!;
  if (steps === 0) throw new RangeError('runLSTM: xs expected at least one timestep, got T = 0');
  if ((h0 == null) !== (c0 == null)) {
    throw new TypeError('runLSTM: pass both h0 and c0, or neither (zeros)');
  }
  let state: { h: TensorOperand; c: TensorOperand } | undefined = h0 == null ? undefined : { h: h0, c: c0! };
  const outs: Variable[] = [];
  for (let t = 0; t < steps; t++) {
    const next = cell.forward(select(xs, timeAxis, t), state);
    outs.push(next.h);
    state = next;
  }
  const last = state as LSTMState;
  return { outputs: stack(outs, timeAxis), h: last.h, c: last.c };
}
