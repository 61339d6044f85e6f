import { add, mul, type Variable } from '@normkit/autograd';
import { Module } from '@normkit/nn';
import { Generator } from '@normkit/tensor';
import { type AttentionOptions, CausalSelfAttention } from './attention.js';
import {
  type LayerForm,
  layerForm,
  type NormSpec,
  type Placement,
  type PlacementSpec,
  resolveNorm,
  resolvePlacement,
} from './config.js';
import { Instrumentation } from './instrumentation.js';
import { checkDtype, checkSize } from './internal/checks.js';
import { MLP, type MLPOptions } from './mlp.js';
import { applyNorm, makeNorm, type NormModule } from './norm.js';

export interface BlockOptions extends AttentionOptions, MLPOptions {
  /** Where the norms go (default 'pre'); see config.ts for the formulas. */
  placement?: PlacementSpec;
  /** The norm used at every placement position (default LayerNorm, eps 1e-5). */
  norm?: NormSpec;
  /** This block's layer, counted from 1 (default 1): mix and depth scaling depend on it. */
  layer?: number;
  /** The model's depth L (default `layer`): deepnorm's constants and mix's split depend on it. */
  numLayers?: number;
}

/**
 * One transformer layer, nanoGPT's Block with the norm placement as a parameter. Sub-modules keep
 * nanoGPT's names: ln_1, attn, ln_2, mlp (peri adds the output norms ln_1_out, ln_2_out). With
 * A = attn, M = mlp, N1 = ln_1, N2 = ln_2, the forward of each LayerForm:
 *   post      x = N1(x + A(x));               return N2(x + M(x))
 *   pre       x = x + A(s N1(x));             return x + M(s N2(x))      s = 1/sqrt(layer) or 1
 *   peri      x = x + N1o(A(N1(x)));          return x + N2o(M(N2(x)))
 *   deepnorm  x = N1(a x + A(x));             return N2(a x + M(x))
 *   b2t       h = N1(x + A(x));               return N2(x + h + M(h))
 * Norm kind 'none' makes every N the identity (and registers no ln_* module).
 */
export class TransformerBlock extends Module {
  readonly placement: Placement;
  readonly form: LayerForm;
  readonly layer: number;
  readonly numLayers: number;
  /** s: 1/sqrt(layer) for pre with depthScaling (Sun et al. 2025), else 1. */
  readonly inputScale: number;
  /** a: deepnorm's alpha, else 1. */
  readonly residualScale: number;
  readonly instrumentation: Instrumentation;
  readonly ln_1: NormModule | null;
  readonly attn: CausalSelfAttention;
  readonly ln_2: NormModule | null;
  readonly mlp: MLP;
  readonly ln_1_out: NormModule | null = null;
  readonly ln_2_out: NormModule | null = null;

  constructor(options: BlockOptions) {
    super();
    const op = 'TransformerBlock';
    this.layer = checkSize(op, 'layer', options.layer ?? 1);
    this.numLayers = checkSize(op, 'numLayers', options.numLayers ?? this.layer);
    if (this.layer > this.numLayers) {
      throw new RangeError(`${op}: layer expected at most numLayers = ${this.numLayers}, got ${this.layer}`);
    }
    this.placement = resolvePlacement(options.placement ?? 'pre', this.numLayers, op);
    this.form = layerForm(this.placement, this.layer, this.numLayers);
    this.inputScale =
      this.placement.kind === 'pre' && this.placement.depthScaling ? 1 / Math.sqrt(this.layer) : 1;
    this.residualScale = this.placement.kind === 'deepnorm' ? this.placement.alpha : 1;
    this.instrumentation = options.instrumentation ?? new Instrumentation();
    const norm = resolveNorm(options.norm ?? 'layer', op);
    const made = { dtype: checkDtype(op, options.dtype), bias: options.bias ?? true };
    const sub = {
      ...options,
      generator: options.generator ?? new Generator(0),
      instrumentation: this.instrumentation,
      layer: this.layer,
    };
    this.ln_1 = this.registerModule('ln_1', makeNorm(norm, options.nEmbd, made));
    this.attn = this.registerModule('attn', new CausalSelfAttention(sub));
    this.ln_2 = this.registerModule('ln_2', makeNorm(norm, options.nEmbd, made));
    this.mlp = this.registerModule('mlp', new MLP(sub));
    if (this.form === 'peri') {
      this.ln_1_out = this.registerModule('ln_1_out', makeNorm(norm, options.nEmbd, made));
      this.ln_2_out = this.registerModule('ln_2_out', makeNorm(norm, options.nEmbd, made));
    }
  }

  forward(x: Variable): Variable {
    const y = this.#forward(x);
    if (this.instrumentation.enabled) this.instrumentation.recordResidual(this.layer, y.data);
    return y;
  }

  #forward(x: Variable): Variable {
    const A = (h: Variable) => this.attn.forward(h);
    const M = (h: Variable) => this.mlp.forward(h);
    const N1 = (h: Variable) => applyNorm(this.ln_1, h);
    const N2 = (h: Variable) => applyNorm(this.ln_2, h);
    switch (this.form) {
      case 'post':
        x = N1(add(x, A(x)));
        return N2(add(x, M(x)));
      case 'pre': {
        const s = (h: Variable) => (this.inputScale === 1 ? h : mul(h, this.inputScale));
        x = add(x, A(s(N1(x))));
        return add(x, M(s(N2(x))));
      }
      case 'peri':
        x = add(x, applyNorm(this.ln_1_out, A(N1(x))));
        return add(x, applyNorm(this.ln_2_out, M(N2(x))));
      case 'deepnorm': {
        const a = this.residualScale;
        x = N1(add(mul(x, a), A(x)));
        return N2(add(mul(x, a), M(x)));
      }
      case 'b2t': {
        const h = N1(add(x, A(x)));
        return N2(add(add(x, h), M(h)));
      }
    }
  }

  override extraRepr(): string {
    return `placement=${JSON.stringify(this.placement)}, layer=${this.layer}/${this.numLayers}, form=${this.form}`;
  }
}
