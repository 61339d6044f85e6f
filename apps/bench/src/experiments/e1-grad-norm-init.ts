import { tidy } from '@normkit/tensor';
import { corpusFor } from '../data/corpus.js';
import type { Chart } from '../report/chart-types.js';
import { buildGpt, layerGradNorms, type ModelSpec } from './common/model.js';
import { defineExperiment, type RunRecord } from './types.js';
import { claim, decide, endRatio, fmt, meanProfile } from './verdicts.js';

/**
 * E1: the gradient norm of each layer at initialisation, Post-LN against Pre-LN. Xiong et al.
 * (2020, Theorem 1 and figure 3) show that at initialisation the gradient of the FFN's second
 * weight W^(2) (nanoGPT's mlp.c_proj) grows with the layer index in a Post-LN Transformer, so the
 * layers near the output get the largest updates (hence warmup), while in a Pre-LN Transformer it is
 * the same at every layer. Their analysis assumes Xavier initialisation; GPT-2's small init (0.02,
 * residual projections scaled by 1/sqrt(2L)) shrinks every branch, and the same measurement with it
 * is reported alongside as a contrast.
 */

export type E1Config = {
  model: ModelSpec;
  batchSize: number;
  /** Batches whose gradient norms are averaged per seed. */
  batches: number;
  seeds: number;
  /** A profile "grows" when last/first >= growth, is "flat" when the ratio is within [1/flat, flat]. */
  growth: number;
  flat: number;
};

export type E1Measurements = {
  placement: string;
  init: string;
  /** Per layer (input to output): mean over batches of ||grad mlp.c_proj.weight||. */
  ffn: number[];
  /** Per layer: mean over batches of the joint gradient norm of all the layer's parameters. */
  layer: number[];
  loss: number;
};

const config = (model: ModelSpec, batchSize: number, batches: number, seeds: number): E1Config => ({
  model,
  batchSize,
  batches,
  seeds,
  growth: 1.5,
  flat: 1.5,
});

export const e1 = defineExperiment<E1Config, E1Measurements>({
  id: 'E1',
  title: 'Gradient norm per layer at initialisation: Post-LN vs Pre-LN',
  claim:
    "At initialisation, Post-LN's gradient norm of the FFN weights grows toward the output layer, " +
    "Pre-LN's stays flat across layers (Xiong et al. 2020, On Layer Normalization in the Transformer " +
    'Architecture, Theorem 1 and figure 3).',
  inQuickRun: true,
  configs: {
    quick: config({ nLayer: 6, nEmbd: 64, nHead: 4, blockSize: 32 }, 16, 2, 2),
    full: config({ nLayer: 12, nEmbd: 64, nHead: 4, blockSize: 64 }, 16, 4, 3),
  },
  variants: () => ['post/xavier', 'pre/xavier', 'post/gpt2', 'pre/gpt2'],
  seeds: (c) => c.seeds,
  run(c, ctx) {
    const [placement, init] = ctx.variant.split('/') as ['post' | 'pre', 'xavier' | 'gpt2'];
    const corpus = corpusFor(ctx);
    const model = buildGpt(c.model, { placement, init }, corpus.vocabSize, ctx.seed);
    const ffn: number[][] = [];
    const layer: number[][] = [];
    let loss = 0;
    for (let b = 0; b < c.batches; b++) {
      // batches from a stream of their own, so every variant of a seed sees the same ones
      const batch = corpus.evalBatch(c.batchSize, c.model.blockSize, 1000 * ctx.seed + b);
      // tidy frees the graph (wasm backend); the gradients, kept by backward, are disposed by the
      // zeroGrad after it once their norms are read
      const r = tidy(() => {
        model.zeroGrad();
        const out = model.forward(batch.idx, batch.targets);
        out.loss!.backward();
        return {
          loss: out.loss!.item(),
          ffn: layerGradNorms(model, /\.mlp\.c_proj\.weight$/),
          layer: layerGradNorms(model, /./),
        };
      });
      model.zeroGrad();
      loss += r.loss;
      ffn.push(r.ffn);
      layer.push(r.layer);
      ctx.report.step({ step: b + 1, totalSteps: c.batches, loss: loss / (b + 1) });
    }
    return { placement, init, ffn: meanProfile(ffn), layer: meanProfile(layer), loss: loss / c.batches };
  },
  verdict(runs, c) {
    const ratio = (variant: string) => {
      const p = profileOf(runs, variant, 'ffn');
      return p ? endRatio(p) : null;
    };
    const post = ratio('post/xavier');
    const pre = ratio('pre/xavier');
    const inFlat = (r: number) => r >= 1 / c.flat && r <= c.flat;
    const v = decide([
      claim(
        `Post-LN (Xavier) FFN grad-norm ratio last/first layer ${fmt(post)} (grows: >= ${c.growth})`,
        post === null ? null : post >= c.growth,
      ),
      claim(
        `Pre-LN (Xavier) ratio ${fmt(pre)} (flat: in [${fmt(1 / c.flat)}, ${c.flat}])`,
        pre === null ? null : inFlat(pre),
      ),
    ]);
    const note = ` With GPT-2 init (not the paper's setting): Post-LN ratio ${fmt(ratio('post/gpt2'))}, Pre-LN ${fmt(ratio('pre/gpt2'))}.`;
    return { verdict: v.verdict, summary: v.summary + note };
  },
  charts(runs) {
    const variants = ['post/xavier', 'pre/xavier', 'post/gpt2', 'pre/gpt2'];
    const chart = (key: 'ffn' | 'layer', title: string): Chart => {
      const series = variants
        .map((v) => ({ name: v, values: profileOf(runs, v, key) }))
        .filter((s): s is { name: string; values: number[] } => s.values !== null);
      const L = series[0]?.values.length ?? 0;
      return {
        kind: 'profile',
        title,
        yLabel: 'gradient norm (mean over seeds)',
        logY: true,
        layers: Array.from({ length: L }, (_, i) => `${i + 1}`),
        series,
      };
    };
    return [
      chart('ffn', 'E1: ||grad mlp.c_proj.weight|| per layer at init'),
      chart('layer', 'E1: gradient norm of all parameters of each layer at init'),
    ];
  },
});

/** The mean over seeds of one variant's profile, or null when no run of it succeeded. */
function profileOf(
  runs: RunRecord<E1Config, E1Measurements>[],
  variant: string,
  key: 'ffn' | 'layer',
): number[] | null {
  const ok = runs.filter((r) => r.variant === variant && r.measurements !== null);
  return ok.length === 0 ? null : meanProfile(ok.map((r) => r.measurements![key]));
}
