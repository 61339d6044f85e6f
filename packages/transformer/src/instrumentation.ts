import type { Module } from '@normkit/nn';
import type { Tensor } from '@normkit/tensor';

/** What one layer's forward recorded (layers counted from 1, as the papers do). */
export interface LayerRecord {
  layer: number;
  /** Population variance of every element of the residual stream x [B, T, C] after the block. */
  residualVariance: number;
  /** Mean over the B*T tokens of the token's Euclidean norm ||x_t||_2, after the block. */
  residualNorm: number;
  /**
   * Largest pre-softmax attention logit q.k / sqrt(headDim) over the batch, the heads and the
   * causal (unmasked) query-key pairs, after QK-norm if any: the quantity QK-norm keeps bounded.
   */
  maxAttentionLogit: number;
}

export interface GradNormRecord {
  /** The parameter's state-dict name. */
  name: string;
  /** 1-based layer for transformer.h.<i>.*, null for embeddings and the final norm. */
  layer: number | null;
  /** Euclidean norm of its gradient (0 when it has none), accumulated in float64. */
  norm: number;
}

/**
 * Measurements a model takes during forward, for the experiments (variance growth across depth,
 * attention-logit growth). Off by default: a disabled instance costs one boolean test per layer.
 * Shared by reference between a GPT, its blocks and their attention modules.
 */
export class Instrumentation {
  enabled: boolean;
  /** One record per layer, overwritten by every forward while enabled. */
  layers: LayerRecord[] = [];

  constructor(enabled = false) {
    this.enabled = enabled;
  }

  /** Start a forward through numLayers layers (fresh records, NaN until measured). */
  begin(numLayers: number): void {
    this.layers = Array.from({ length: numLayers }, (_, i) => emptyRecord(i + 1));
  }

  /** The record of `layer`, created (with those below it) when a block runs outside a GPT. */
  #record(layer: number): LayerRecord {
    while (this.layers.length < layer) this.layers.push(emptyRecord(this.layers.length + 1));
    return this.layers[layer - 1]!;
  }

  /** Record the residual stream x [..., C] leaving layer `layer`. */
  recordResidual(layer: number, x: Tensor): void {
    const r = this.#record(layer);
    const c = x.contiguous();
    const d = c.data;
    const n = c.size;
    const C = c.shape[c.ndim - 1] ?? 1;
    const o = c.offset;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += d[o + i]!;
    mean /= n;
    let ss = 0;
    let norms = 0;
    for (let row = 0; row < n; row += C) {
      let sq = 0;
      for (let j = 0; j < C; j++) {
        const v = d[o + row + j]!;
        sq += v * v;
        ss += (v - mean) * (v - mean);
      }
      norms += Math.sqrt(sq);
    }
    r.residualVariance = ss / n;
    r.residualNorm = norms / (n / C);
  }

  /** Record the largest unmasked attention logit of layer `layer`. */
  recordAttentionLogit(layer: number, value: number): void {
    this.#record(layer).maxAttentionLogit = value;
  }
}

function emptyRecord(layer: number): LayerRecord {
  return { layer, residualVariance: Number.NaN, residualNorm: Number.NaN, maxAttentionLogit: Number.NaN };
}

const LAYER_NAME = /^transformer\.h\.(\d+)\./;

/**
 * The gradient norm of every parameter of `model` (after a backward), with its layer: the
 * per-layer gradient profile that separates Post-LN (gradients largest near the output) from
 * Pre-LN (largest near the input) (Xiong et al. 2020).
 */
export function gradientNorms(model: Module): GradNormRecord[] {
  return model.namedParameters().map(([name, p]) => {
    const m = LAYER_NAME.exec(name);
    let norm = 0;
    if (p.grad !== null) {
      const g = p.grad.contiguous();
      let s = 0;
      for (let i = g.offset; i < g.offset + g.size; i++) s += g.data[i]! * g.data[i]!;
      norm = Math.sqrt(s);
    }
    return { name, layer: m ? Number(m[1]) + 1 : null, norm };
  });
}
