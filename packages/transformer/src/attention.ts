import {
  maskedFill,
  matmul,
  mul,
  reshape,
  softmax,
  split,
  transpose,
  type Variable,
} from '@normkit/autograd';
import { Dropout, Linear, Module } from '@normkit/nn';
import {
  type DType,
  formatShape,
  Generator,
  keep,
  max,
  ones,
  ShapeError,
  type Tensor,
  triu,
  where,
} from '@normkit/tensor';
import { type NormSpec, resolveNorm } from './config.js';
import { Instrumentation } from './instrumentation.js';
import { checkDropout, checkDtype, checkSize } from './internal/checks.js';
import { applyNorm, makeNorm, type NormModule } from './norm.js';

/** Sizes and options shared by the attention, the MLP and the block. */
export interface SublayerOptions {
  nEmbd: number;
  /** Biases in the Linears (and LayerNorm/DyT), default true (GPT-2; nanoGPT's bias=False drops them). */
  bias?: boolean;
  /** Dropout probability (default 0). */
  dropout?: number;
  dtype?: DType;
  /** Draws dropout masks (advancing it); default a Generator(0) per module. */
  generator?: Generator;
}

export interface AttentionOptions extends SublayerOptions {
  nHead: number;
  /** The longest sequence (the causal mask is built once for it). */
  blockSize: number;
  /** Normalize each head's queries and keys over headDim before the dot product (QK-norm); default none. */
  qkNorm?: NormSpec | null;
  /** Where max attention logits are recorded, and the 1-based layer number to record them under. */
  instrumentation?: Instrumentation;
  layer?: number;
}

/**
 * Multi-head causal self-attention as nanoGPT's CausalSelfAttention, for x [B, T, C]:
 *   q, k, v = split(c_attn(x), C)                  c_attn.weight [3C, C]: rows q, then k, then v
 *   q, k, v -> [B, H, T, hd]                       hd = C / H
 *   q, k = q_norm(q), k_norm(k)                    optional QK-norm over hd, weights shared by heads
 *   att = softmax(mask(q k^T / sqrt(hd)))          -inf above the diagonal: token t sees 0..t
 *   y = c_proj(dropout(att) v -> [B, T, C]), then dropout
 */
export class CausalSelfAttention extends Module {
  readonly nEmbd: number;
  readonly nHead: number;
  readonly headDim: number;
  readonly blockSize: number;
  readonly layer: number;
  readonly instrumentation: Instrumentation;
  readonly c_attn: Linear;
  readonly c_proj: Linear;
  readonly q_norm: NormModule | null;
  readonly k_norm: NormModule | null;
  readonly attn_dropout: Dropout;
  readonly resid_dropout: Dropout;
  /** [blockSize, blockSize]: 1 above the diagonal (the masked pairs), in the module's dtype. */
  readonly #mask: Tensor;

  constructor(options: AttentionOptions) {
    super();
    const op = 'CausalSelfAttention';
    const C = checkSize(op, 'nEmbd', options.nEmbd);
    const H = checkSize(op, 'nHead', options.nHead);
    if (C % H !== 0)
      throw new RangeError(`${op}: nEmbd must be divisible by nHead, got nEmbd=${C}, nHead=${H}`);
    this.nEmbd = C;
    this.nHead = H;
    this.headDim = C / H;
    this.blockSize = checkSize(op, 'blockSize', options.blockSize);
    this.layer = options.layer ?? 1;
    this.instrumentation = options.instrumentation ?? new Instrumentation();
    const dtype = checkDtype(op, options.dtype);
    const bias = options.bias ?? true;
    const p = checkDropout(op, options.dropout ?? 0);
    const generator = options.generator ?? new Generator(0);
    // weights are drawn by the model's initialiser (gpt-init.ts); seed 0 only fills them meanwhile
    this.c_attn = this.registerModule('c_attn', new Linear(C, 3 * C, { bias, dtype, seed: 0 }));
    this.c_proj = this.registerModule('c_proj', new Linear(C, C, { bias, dtype, seed: 0 }));
    const qk = options.qkNorm ? resolveNorm(options.qkNorm, op) : null;
    if (qk && qk.kind !== 'layer' && qk.kind !== 'rms') {
      throw new RangeError(`${op}: qkNorm.kind expected 'layer' or 'rms', got '${qk.kind}'`);
    }
    this.q_norm = this.registerModule('q_norm', qk ? makeNorm(qk, this.headDim, { dtype, bias }) : null);
    this.k_norm = this.registerModule('k_norm', qk ? makeNorm(qk, this.headDim, { dtype, bias }) : null);
    this.attn_dropout = this.registerModule('attn_dropout', new Dropout(p, { generator }));
    this.resid_dropout = this.registerModule('resid_dropout', new Dropout(p, { generator }));
    // kept: a model built inside tidy() must not lose its mask when the scope ends
    this.#mask = keep(triu(ones([this.blockSize, this.blockSize], { dtype }), 1));
  }

  forward(x: Variable): Variable {
    const [B, T, C] = this.#check(x);
    const H = this.nHead;
    const hd = this.headDim;
    const heads = (t: Variable) => transpose(reshape(t, [B, T, H, hd]), 1, 2); // [B, H, T, hd]
    let [q, k, v] = split(this.c_attn.forward(x), C, 2).map(heads) as [Variable, Variable, Variable];
    q = applyNorm(this.q_norm, q);
    k = applyNorm(this.k_norm, k);
    const mask = T === this.blockSize ? this.#mask : this.#mask.slice(0, 0, T).slice(1, 0, T);
    let att = mul(matmul(q, transpose(k, -2, -1)), 1 / Math.sqrt(hd)); // [B, H, T, T]
    if (this.instrumentation.enabled) {
      const logit = max(where(mask, Number.NEGATIVE_INFINITY, att.data)).item();
      this.instrumentation.recordAttentionLogit(this.layer, logit);
    }
    att = this.attn_dropout.forward(softmax(maskedFill(att, mask, Number.NEGATIVE_INFINITY), -1));
    const y = reshape(transpose(matmul(att, v), 1, 2), [B, T, C]);
    return this.resid_dropout.forward(this.c_proj.forward(y));
  }

  #check(x: Variable): [number, number, number] {
    const s = x.shape;
    if (s.length !== 3 || s[2] !== this.nEmbd) {
      throw new ShapeError('CausalSelfAttention', 'x', `shape [B, T, ${this.nEmbd}]`, formatShape(s));
    }
    if (s[1]! > this.blockSize || s[1]! < 1) {
      throw new ShapeError(
        'CausalSelfAttention',
        'x',
        `1 to blockSize = ${this.blockSize} tokens (axis 1)`,
        formatShape(s),
      );
    }
    return s as [number, number, number];
  }

  override extraRepr(): string {
    return `nEmbd=${this.nEmbd}, nHead=${this.nHead}, blockSize=${this.blockSize}`;
  }
}
