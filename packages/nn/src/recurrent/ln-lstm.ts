import { add, mul, type TensorOperand, tanh, type Variable } from '@normkit/autograd';
import { type DType, zeros } from '@normkit/tensor';
import { uniform_ } from '../init.js';
import { linear } from '../layers/linear.js';
import { dtypeOf, generatorOf, type InitOptions, Module, Parameter } from '../module.js';
import { LayerNorm } from '../norms/modules.js';
import { checkSizes, checkStep, type LSTMState, lstmGates, type RecurrentCell, runLSTM } from './lstm.js';

export interface LayerNormLSTMCellOptions extends InitOptions {
  /** eps of the three LayerNorms (default 1e-5, torch's). */
  eps?: number;
}

/**
 * The layer-normalized LSTM of Ba, Kiros & Hinton 2016 ("Layer Normalization", arXiv:1607.06450,
 * the LN-LSTM equations its experiments use), one step, with torch's gate order i, f, g, o:
 *   gates = LN_i(x W_ih^T) + LN_h(h W_hh^T)       each LN over all 4H pre-activations, own gain/bias
 *   i, f, g, o = split(gates, H)
 *   c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
 *   h' = sigmoid(o) * tanh(LN_c(c'))
 * LN(z) = (z - mean(z)) / sqrt(var(z) + eps) * gain + bias, over the last axis, var biased.
 * Normalizing the two pre-activations separately makes each term's scale independent of |x| and
 * |h|, so the recurrence cannot blow up or die through its input scale; that is the paper's claim.
 *
 * Two deliberate choices:
 * - The state carried to the next step is c', not LN_c(c') (the paper's equations). PyTorch's
 *   benchmark LayerNormLSTMCell (benchmarks/fastrnns/custom_lstms.py) carries LN_c(c') instead.
 * - No separate bias b: the paper's b only adds to the LayerNorm biases beta_i + beta_h.
 * Parameters: weight_ih [4H, I], weight_hh [4H, H] drawn from U(-1/sqrt(H), 1/sqrt(H)) as in
 * LSTMCell; layernorm_i and layernorm_h {weight, bias} [4H], layernorm_c {weight, bias} [H],
 * initialised to ones and zeros (the names of the fastrnns reference).
 */
export class LayerNormLSTMCell extends Module implements RecurrentCell {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly dtype: DType;

  constructor(inputSize: number, hiddenSize: number, options: LayerNormLSTMCellOptions = {}) {
    super();
    checkSizes('LayerNormLSTMCell', inputSize, hiddenSize);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    const dtype = (this.dtype = dtypeOf('LayerNormLSTMCell', options));
    const rng = generatorOf(options);
    const k = 1 / Math.sqrt(hiddenSize);
    const param = (shape: number[]) => new Parameter(uniform_(zeros(shape, { dtype }), -k, k, rng));
    this.registerParameter('weight_ih', param([4 * hiddenSize, inputSize]));
    this.registerParameter('weight_hh', param([4 * hiddenSize, hiddenSize]));
    const ln = { dtype, eps: options.eps ?? 1e-5 };
    this.registerModule('layernorm_i', new LayerNorm(4 * hiddenSize, ln));
    this.registerModule('layernorm_h', new LayerNorm(4 * hiddenSize, ln));
    this.registerModule('layernorm_c', new LayerNorm(hiddenSize, ln));
  }

  get weightIh(): Variable {
    return this.getParameter('weight_ih')!;
  }
  get weightHh(): Variable {
    return this.getParameter('weight_hh')!;
  }
  get layernormI(): LayerNorm {
    return this.getModule('layernorm_i') as LayerNorm;
  }
  get layernormH(): LayerNorm {
    return this.getModule('layernorm_h') as LayerNorm;
  }
  get layernormC(): LayerNorm {
    return this.getModule('layernorm_c') as LayerNorm;
  }

  /** One step: x [B, I] (or [I]), state { h, c } [B, H] (zeros when omitted) -> { h', c' }. */
  forward(x: TensorOperand, state?: { h: TensorOperand; c: TensorOperand }): LSTMState {
    const { h, c } = checkStep('LayerNormLSTMCell', this, x, state);
    const gates = add(
      this.layernormI.forward(linear(x, this.weightIh)),
      this.layernormH.forward(linear(h, this.weightHh)),
    );
    const next = lstmGates(gates, c, this.hiddenSize);
    return { h: mul(next.o, tanh(this.layernormC.forward(next.c))), c: next.c };
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}, eps=${this.layernormC.eps}`;
  }
}

export interface LayerNormLSTMOptions extends LayerNormLSTMCellOptions {
  /** Sequences as [B, T, I] (default false: [T, B, I]), as torch's batch_first. */
  batchFirst?: boolean;
}

/**
 * A one-layer LayerNorm-LSTM over whole sequences: a LayerNormLSTMCell (child 'cell') run by
 * runLSTM. forward(xs [T, B, I], state?) -> { outputs [T, B, H], h, c }.
 */
export class LayerNormLSTM extends Module {
  readonly batchFirst: boolean;

  constructor(inputSize: number, hiddenSize: number, options: LayerNormLSTMOptions = {}) {
    super();
    const { batchFirst = false, ...cell } = options;
    this.batchFirst = batchFirst;
    this.registerModule('cell', new LayerNormLSTMCell(inputSize, hiddenSize, cell));
  }

  get cell(): LayerNormLSTMCell {
    return this.getModule('cell') as LayerNormLSTMCell;
  }

  forward(
    xs: TensorOperand,
    state?: { h: TensorOperand; c: TensorOperand },
  ): { outputs: Variable; h: Variable; c: Variable } {
    return runLSTM(this.cell, xs, state?.h, state?.c, { batchFirst: this.batchFirst });
  }

  override extraRepr(): string {
    return `${this.cell.inputSize}, ${this.cell.hiddenSize}, batchFirst=${this.batchFirst}`;
  }
}
