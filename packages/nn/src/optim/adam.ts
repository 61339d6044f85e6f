import type { Variable } from '@normkit/autograd';
import {
  addInPlace,
  copyInto,
  divInPlace,
  keep,
  maximum,
  mul,
  mulInPlace,
  sqrt,
  type Tensor,
  zerosLike,
} from '@normkit/tensor';
import { type AdamScalars, adamFused, fusable } from './adam-kernel.js';
import { nonNegative } from './checks.js';
import { type BaseHyper, Optimizer, type OptimizerSpec, type ParamsInput } from './optimizer.js';

export interface AdamHyper extends BaseHyper {
  betas: [number, number];
  eps: number;
  /** Adam: L2 penalty added to the gradient. AdamW: decoupled decay, param *= 1 - lr * weightDecay. */
  weightDecay: number;
  /** Normalize by the running maximum of the second moment (Reddi et al. 2018). */
  amsgrad: boolean;
}

export type AdamOptions = Partial<AdamHyper>;

interface AdamState {
  step: number;
  exp_avg: Tensor;
  exp_avg_sq: Tensor;
  max_exp_avg_sq: Tensor | null;
}

function adamSpec(name: string): OptimizerSpec<AdamHyper, AdamState> {
  return {
    name,
    hyper: [
      { key: 'lr', dictKey: 'lr', kind: 'number' },
      { key: 'betas', dictKey: 'betas', kind: 'pair' },
      { key: 'eps', dictKey: 'eps', kind: 'number' },
      { key: 'weightDecay', dictKey: 'weight_decay', kind: 'number' },
      { key: 'amsgrad', dictKey: 'amsgrad', kind: 'boolean' },
    ],
    buffers: [
      { key: 'exp_avg', required: () => true },
      { key: 'exp_avg_sq', required: () => true },
      { key: 'max_exp_avg_sq', required: (h) => h.amsgrad },
    ],
    counts: true,
    validate(h, where) {
      nonNegative(where, 'lr', h.lr);
      nonNegative(where, 'eps', h.eps);
      nonNegative(where, 'weightDecay', h.weightDecay);
      if (!Array.isArray(h.betas) || h.betas.length !== 2) {
        throw new RangeError(`${where}: betas expected a pair [beta1, beta2], got ${String(h.betas)}`);
      }
      h.betas.forEach((b, i) => {
        if (typeof b !== 'number' || !(b >= 0 && b < 1)) {
          throw new RangeError(`${where}: betas[${i}] expected a number in [0, 1), got ${b}`);
        }
      });
      if (typeof h.amsgrad !== 'boolean') {
        throw new TypeError(`${where}: amsgrad expected a boolean, got ${String(h.amsgrad)}`);
      }
    },
    init: (p, h) => ({
      step: 0,
      exp_avg: zerosLike(p),
      exp_avg_sq: zerosLike(p),
      max_exp_avg_sq: h.amsgrad ? zerosLike(p) : null,
    }),
  };
}

/**
 * The Adam family: Adam (Kingma & Ba 2015) as torch.optim.Adam (1.13, single-tensor path), step t:
 *   g = grad + weightDecay * param                          (Adam's L2; AdamW skips this and
 *                                                            first does param *= 1 - lr * weightDecay)
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + ((1 - beta2) * g) * g                   (torch's addcmul order)
 *   vmax = max(vmax, v), used in place of v                 (amsgrad)
 *   denom = sqrt(v) / sqrt(1 - beta2^t) + eps
 *   param = param + (-(lr / (1 - beta1^t)) * m) / denom     (torch's addcdiv order)
 * The grouping matches torch's, so float64 results agree with torch to rounding. Contiguous
 * tensors (the usual case) take one fused pass (adam-kernel.ts); any other strides run the same
 * formula as in-place tensor ops, with two shared temporaries (see Scratch). State tensors
 * (m, v, vmax) are allocated on the parameter's first step and kept.
 */
class AdamFamily extends Optimizer<AdamHyper, AdamState> {
  /** AdamW's decoupled weight decay instead of the L2 term in the gradient. */
  private readonly decoupled: boolean;

  protected constructor(
    name: string,
    decoupled: boolean,
    params: ParamsInput<AdamHyper>,
    o: AdamOptions,
    wd: number,
  ) {
    super(adamSpec(name), params, adamDefaults(o, wd), o);
    this.decoupled = decoupled;
  }

  /** The step's scalars, one object reused by every parameter (nothing allocated per step). */
  private readonly k: AdamScalars = {
    keep: 1,
    l2: 0,
    beta1: 0,
    beta2: 0,
    bc2Sqrt: 1,
    eps: 0,
    negStepSize: 0,
  };

  protected override update(param: Variable, grad: Tensor, s: AdamState, h: AdamHyper): void {
    const k = this.k;
    [k.beta1, k.beta2] = h.betas;
    s.step += 1;
    k.keep = this.decoupled ? 1 - h.lr * h.weightDecay : 1;
    k.l2 = this.decoupled ? 0 : h.weightDecay;
    k.negStepSize = -(h.lr / (1 - k.beta1 ** s.step));
    k.bc2Sqrt = Math.sqrt(1 - k.beta2 ** s.step);
    k.eps = h.eps;
    // amsgrad switched on after some steps starts its maximum from zeros
    if (h.amsgrad) s.max_exp_avg_sq ??= keep(zerosLike(param.data));
    const vmax = h.amsgrad ? s.max_exp_avg_sq : null;
    const { exp_avg: m, exp_avg_sq: v } = s;
    if (fusable([param.data, grad, m, v, vmax])) adamFused(param.data, grad, m, v, vmax, k);
    else this.composed(param, grad, m, v, vmax, k);
  }

  /** The update as in-place tensor ops (any strides): the reference the fused kernel matches bit for bit. */
  private composed(
    param: Variable,
    grad: Tensor,
    m: Tensor,
    v: Tensor,
    vmax: Tensor | null,
    k: AdamScalars,
  ): void {
    const p = param.data;
    let g = grad;
    if (k.keep !== 1) mulInPlace(p, k.keep);
    if (k.l2 !== 0) {
      g = copyInto(this.temp(param, 1), grad);
      addInPlace(g, p, k.l2);
    }
    mulInPlace(m, k.beta1);
    addInPlace(m, g, 1 - k.beta1);
    const gg = mul(g, 1 - k.beta2, this.temp(param, 0));
    mulInPlace(gg, g);
    mulInPlace(v, k.beta2);
    addInPlace(v, gg);
    const w = vmax === null ? v : maximum(vmax, v, vmax);
    const denom = sqrt(w, this.temp(param, 0));
    divInPlace(denom, k.bc2Sqrt);
    addInPlace(denom, k.eps);
    const delta = mul(m, k.negStepSize, this.temp(param, 1));
    divInPlace(delta, denom);
    addInPlace(p, delta);
  }
}

/** Adam with the L2 term in the gradient; torch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weightDecay 0. */
export class Adam extends AdamFamily {
  constructor(params: ParamsInput<AdamHyper>, options: AdamOptions = {}) {
    super('Adam', false, params, options, 0);
  }
}

/**
 * AdamW (Loshchilov & Hutter 2019): Adam without the L2 term, with the weight decay applied to the
 * parameter itself before the update, param *= 1 - lr * weightDecay (so it follows the schedule's
 * lr, as torch.optim.AdamW). torch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weightDecay 1e-2.
 */
export class AdamW extends AdamFamily {
  constructor(params: ParamsInput<AdamHyper>, options: AdamOptions = {}) {
    super('AdamW', true, params, options, 1e-2);
  }
}

function adamDefaults(o: AdamOptions, weightDecay: number): AdamHyper {
  return {
    lr: o.lr ?? 1e-3,
    betas: o.betas ? [o.betas[0], o.betas[1]] : [0.9, 0.999],
    eps: o.eps ?? 1e-8,
    weightDecay: o.weightDecay ?? weightDecay,
    amsgrad: o.amsgrad ?? false,
  };
}
