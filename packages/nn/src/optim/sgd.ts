import type { Variable } from '@normkit/autograd';
import { addInPlace, axpy, copyInto, keep, mulInPlace, type Tensor } from '@normkit/tensor';
import { nonNegative } from './checks.js';
import { type BaseHyper, Optimizer, type OptimizerSpec, type ParamsInput } from './optimizer.js';

export interface SGDHyper extends BaseHyper {
  momentum: number;
  dampening: number;
  /** L2 penalty added to the gradient: d = grad + weightDecay * param. */
  weightDecay: number;
  nesterov: boolean;
}

/** lr is required, as in torch 1.13; the rest default to 0 / false. */
export type SGDOptions = Pick<SGDHyper, 'lr'> & Partial<SGDHyper>;

interface SGDState {
  /** Allocated on the first step with momentum (torch's clone of the first update direction). */
  momentum_buffer: Tensor | null;
}

const spec: OptimizerSpec<SGDHyper, SGDState> = {
  name: 'SGD',
  hyper: [
    { key: 'lr', dictKey: 'lr', kind: 'number' },
    { key: 'momentum', dictKey: 'momentum', kind: 'number' },
    { key: 'dampening', dictKey: 'dampening', kind: 'number' },
    { key: 'weightDecay', dictKey: 'weight_decay', kind: 'number' },
    { key: 'nesterov', dictKey: 'nesterov', kind: 'boolean' },
  ],
  // null until the first step with momentum; a saved null restarts it from the next direction
  buffers: [{ key: 'momentum_buffer', required: () => false }],
  counts: false,
  validate(h, where) {
    nonNegative(where, 'lr', h.lr);
    nonNegative(where, 'momentum', h.momentum);
    nonNegative(where, 'weightDecay', h.weightDecay);
    if (typeof h.dampening !== 'number' || !Number.isFinite(h.dampening)) {
      throw new RangeError(`${where}: dampening expected a finite number, got ${h.dampening}`);
    }
    if (typeof h.nesterov !== 'boolean') {
      throw new TypeError(`${where}: nesterov expected a boolean, got ${String(h.nesterov)}`);
    }
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new RangeError(
        `${where}: nesterov expected momentum > 0 and dampening = 0, got momentum ${h.momentum} and dampening ${h.dampening}`,
      );
    }
  },
  init: () => ({ momentum_buffer: null }),
};

/**
 * Stochastic gradient descent with momentum, exactly torch.optim.SGD (1.13, single-tensor path):
 *   d = grad + weightDecay * param
 *   b = d on the first step, then b = momentum * b + (1 - dampening) * d       (momentum != 0)
 *   d = d + momentum * b if nesterov, else d = b
 *   param = param - lr * d
 * Each line is one in-place op on the parameter's own buffers (Sutskever et al. 2013 momentum as
 * torch writes it: lr multiplies the whole velocity, so changing lr mid-run rescales past steps).
 */
export class SGD extends Optimizer<SGDHyper, SGDState> {
  constructor(params: ParamsInput<SGDHyper>, options: SGDOptions) {
    const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false } = options ?? {};
    super(spec, params, { lr, momentum, dampening, weightDecay, nesterov }, options);
  }

  protected override update(param: Variable, grad: Tensor, state: SGDState, h: SGDHyper): void {
    const p = param.data;
    let d = grad;
    if (h.weightDecay !== 0) {
      d = copyInto(this.temp(param, 0), grad);
      addInPlace(d, p, h.weightDecay);
    }
    if (h.momentum !== 0) {
      let buf = state.momentum_buffer;
      if (buf === null) {
        state.momentum_buffer = buf = keep(d.clone()); // state: outlives the step's tidy
      } else {
        mulInPlace(buf, h.momentum);
        addInPlace(buf, d, 1 - h.dampening);
      }
      if (h.nesterov) {
        if (d === grad) d = copyInto(this.temp(param, 0), grad);
        addInPlace(d, buf, h.momentum);
      } else {
        d = buf;
      }
    }
    axpy(-h.lr, d, p);
  }
}
