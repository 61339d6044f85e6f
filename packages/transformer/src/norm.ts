import type { TensorOperand, Variable } from '@normkit/autograd';
import { DyT, LayerNorm, type Module, RMSNorm } from '@normkit/nn';
import type { DType } from '@normkit/tensor';
import type { NormConfig } from './config.js';

/** A norm module as the blocks use it: one tensor in, one out, over the last axis. */
export type NormModule = Module & { forward(x: TensorOperand): Variable };

/**
 * The norm module of `config` over a last axis of size `dim`, or null for kind 'none' (the block
 * then registers nothing under that name: a checkpoint of a norm-free model has no ln_* keys).
 * `bias: false` (nanoGPT's bias=False) drops LayerNorm's and DyT's additive bias; RMSNorm has none.
 */
export function makeNorm(
  config: Required<NormConfig>,
  dim: number,
  options: { dtype: DType; bias: boolean },
): NormModule | null {
  const { dtype, bias } = options;
  switch (config.kind) {
    case 'layer':
      return new LayerNorm(dim, { eps: config.eps, bias, dtype });
    case 'rms':
      return new RMSNorm(dim, { eps: config.eps, dtype });
    case 'dyt': {
      const m = new DyT(dim, { alphaInit: config.alphaInit, dtype });
      if (!bias) m.registerParameter('bias', null);
      return m;
    }
    case 'none':
      return null;
  }
}

/** norm(x), or x itself when there is no norm. */
export function applyNorm(norm: NormModule | null, x: Variable): Variable {
  return norm === null ? x : norm.forward(x);
}
