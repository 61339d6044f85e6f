import { noGrad } from '@normkit/autograd';
import { xavierNormal_ } from '@normkit/nn';
import { Generator } from '@normkit/tensor';
import { GPT, type NormSpec, type PlacementSpec } from '@normkit/transformer';

/**
 * The small GPTs every transformer experiment trains. Plain JSON, so a spec sits in an experiment's
 * config (and so in results.json).
 */
export type ModelSpec = {
  nLayer: number;
  nEmbd: number;
  nHead: number;
  /** Context length T. */
  blockSize: number;
};

export type Architecture = {
  placement: PlacementSpec;
  norm?: NormSpec;
  qkNorm?: NormSpec | null;
  /**
   * 'gpt2' (default): the model's own init, N(0, 0.02^2) with c_proj scaled by 1/sqrt(2L) (or
   * DeepNorm's). 'xavier': every Linear weight in the blocks redrawn Xavier-normal with gain 1, the
   * setting of the original Transformer and of Xiong et al. 2020's analysis, where a residual branch
   * is as large as the stream it adds to; embeddings keep N(0, 0.02^2).
   */
  init?: 'gpt2' | 'xavier';
};

export function buildGpt(spec: ModelSpec, arch: Architecture, vocabSize: number, seed: number): GPT {
  const model = new GPT({
    vocabSize,
    blockSize: spec.blockSize,
    nLayer: spec.nLayer,
    nHead: spec.nHead,
    nEmbd: spec.nEmbd,
    placement: arch.placement,
    norm: arch.norm ?? 'layer',
    qkNorm: arch.qkNorm ?? null,
    seed,
  });
  if (arch.init === 'xavier') {
    const rng = new Generator(seed + 0x1000);
    noGrad(() => {
      for (const [name, p] of model.namedParameters()) {
        if (/^transformer\.h\.\d+\.(attn|mlp)\.\w+\.weight$/.test(name))
          xavierNormal_(p.data, { gain: 1, rng });
      }
    });
  }
  return model;
}

/** Per-layer sums of squared gradients of the parameters whose name matches `pattern`, as norms. */
export function layerGradNorms(model: GPT, pattern: RegExp): number[] {
  const L = model.config.nLayer;
  const ss = new Float64Array(L);
  for (const [name, p] of model.namedParameters()) {
    const m = /^transformer\.h\.(\d+)\./.exec(name);
    if (!m || !pattern.test(name) || p.grad === null) continue;
    const g = p.grad.contiguous();
    let s = 0;
    for (let i = g.offset; i < g.offset + g.size; i++) s += g.data[i]! * g.data[i]!;
    ss[Number(m[1])]! += s;
  }
  return Array.from(ss, Math.sqrt);
}
