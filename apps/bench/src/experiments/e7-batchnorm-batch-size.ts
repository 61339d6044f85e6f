import { noGrad, type Variable } from '@normkit/autograd';
import { AdamW, BatchNorm1d, crossEntropy, LayerNorm, Linear, ReLU, Sequential } from '@normkit/nn';
import { dispose, Generator, Tensor, tidy } from '@normkit/tensor';
import { type Corpus, corpusFor, type ReferenceLevels } from '../data/corpus.js';
import type { Chart } from '../report/chart-types.js';
import { tidyStep } from './common/step.js';
import { defineExperiment, type RunRecord } from './types.js';
import {
  claim,
  curvePoints,
  decide,
  finalLoss,
  fmt,
  mean,
  pairedDifference,
  premise,
  trainedThreshold,
} from './verdicts.js';

/**
 * E7: BatchNorm against LayerNorm in an MLP, at batch sizes 2, 8 and 64. The task: predict a
 * symbol of the Markov language from the two before it (one-hot, 2V inputs), whose best possible
 * loss is the entropy rate and best accuracy sum_s pi(s) max_x P(x | s), both exact. BatchNorm
 * normalizes with the batch's statistics in training and with running averages in eval, so at a
 * small batch the two disagree (Ioffe & Szegedy 2015, section 3.1; Wu & He 2018, figure 1: BN's
 * error grows quickly as the batch shrinks); LayerNorm normalizes each sample by itself and behaves
 * the same at every batch size and in both modes (Ba et al. 2016). Every variant runs the same
 * number of updates with the same learning rate.
 */

export type E7Config = {
  hidden: number;
  steps: number;
  lr: number;
  batchSizes: number[];
  /** Held-out samples for the eval numbers. */
  evalSamples: number;
  seeds: number;
  /** Loss differences below this many nats count as "no difference". */
  delta: number;
};

export type E7Measurements = {
  norm: 'batch' | 'layer';
  batchSize: number;
  /** Training loss (train mode, fresh batches) over the last 10% of updates. */
  trainLoss: number;
  /** Held-out loss and accuracy in eval mode (BatchNorm: running statistics). */
  evalLoss: number;
  evalAccuracy: number;
  /** Held-out loss in train mode, in batches of batchSize (BatchNorm: batch statistics). */
  trainModeLoss: number;
  levels: ReferenceLevels | null;
  vocabSize: number;
  bayesAccuracy: number | null;
  curve: [number, number][];
};

const variant = (norm: string, bs: number) => `${norm}/bs${bs}`;

export const e7 = defineExperiment<E7Config, E7Measurements>({
  id: 'E7',
  title: 'BatchNorm vs LayerNorm in an MLP at batch sizes 2, 8, 64',
  claim:
    "BatchNorm's behaviour depends on the batch size: at small batches its train-mode (batch statistics) " +
    'and eval-mode (running statistics) outputs disagree and its held-out loss is worse than LayerNorm, ' +
    'which is independent of the batch (Ioffe & Szegedy 2015; Ba et al. 2016; Wu & He 2018, figure 1).',
  configs: {
    quick: {
      hidden: 64,
      steps: 300,
      lr: 0.003,
      batchSizes: [2, 64],
      evalSamples: 1024,
      seeds: 1,
      delta: 0.05,
    },
    full: {
      hidden: 128,
      steps: 3000,
      lr: 0.001,
      batchSizes: [2, 8, 64],
      evalSamples: 4096,
      seeds: 3,
      delta: 0.05,
    },
  },
  variants: (c) => c.batchSizes.flatMap((bs) => [variant('batch', bs), variant('layer', bs)]),
  seeds: (c) => c.seeds,
  run(c, ctx) {
    const [norm, bsText] = ctx.variant.split('/bs') as ['batch' | 'layer', string];
    const bs = Number(bsText);
    const corpus = corpusFor(ctx);
    const V = corpus.vocabSize;
    const seed = ctx.seed;
    const normOf = () => (norm === 'batch' ? new BatchNorm1d(c.hidden) : new LayerNorm(c.hidden));
    const model = new Sequential(
      new Linear(2 * V, c.hidden, { seed }),
      normOf(),
      new ReLU(),
      new Linear(c.hidden, c.hidden, { seed: seed + 1 }),
      normOf(),
      new ReLU(),
      new Linear(c.hidden, V, { seed: seed + 2 }),
    );
    const params = model.parameters();
    const opt = new AdamW(params, { lr: c.lr, weightDecay: 0 });
    const rng = new Generator(seed);
    const losses: number[] = [];
    for (let step = 1; step <= c.steps; step++) {
      const { x, y } = contextBatch(corpus, bs, rng);
      losses.push(tidyStep(opt, () => crossEntropy(model.forward(x), y)));
      ctx.report.step({ step, totalSteps: c.steps, loss: losses[step - 1]!, lr: c.lr, tokens: bs });
    }
    const held = contextBatch(corpus, c.evalSamples, new Generator(0x5eed0000 + seed));
    model.eval();
    const ev = tidy(() => noGrad(() => scores(model.forward(held.x), held.y)));
    model.train();
    const trainModeLoss = trainModeHeldOut(model, held, bs);
    return {
      norm,
      batchSize: bs,
      trainLoss: finalLoss(losses),
      evalLoss: ev.loss,
      evalAccuracy: ev.accuracy,
      trainModeLoss,
      levels: corpus.levels,
      vocabSize: V,
      bayesAccuracy: corpus.source?.bayesAccuracy() ?? null,
      curve: curvePoints(losses),
    };
  },
  verdict(runs, c) {
    const pick = (norm: string, bs: number, key: 'evalLoss' | 'trainModeLoss' | 'evalAccuracy') =>
      runs.filter((r) => r.variant === variant(norm, bs) && r.measurements).map((r) => r.measurements![key]);
    const small = Math.min(...c.batchSizes);
    const large = Math.max(...c.batchSizes);
    const gap = (bs: number) =>
      mean(pick('batch', bs, 'evalLoss')) - mean(pick('batch', bs, 'trainModeLoss'));
    const vsLn = (bs: number) =>
      pairedDifference(pick('batch', bs, 'evalLoss'), pick('layer', bs, 'evalLoss')).mean;
    const lnLoss = c.batchSizes.map((bs) => mean(pick('layer', bs, 'evalLoss')));
    const first = runs.find((r) => r.measurements)?.measurements;
    if (!first) return { verdict: 'inconclusive', summary: 'every run failed' };
    const below = trainedThreshold(first.levels, Math.log(first.vocabSize));
    const d = c.delta;
    const v = decide([
      premise(
        `LayerNorm learns at every batch size (eval loss ${lnLoss.map((l) => fmt(l)).join(', ')} < ${fmt(below)}; entropy rate ${fmt(first.levels?.rate)})`,
        lnLoss.every((l) => l < below),
      ),
      claim(
        `BatchNorm's eval-mode and train-mode held-out losses disagree at batch ${small}: eval minus train mode ${fmt(gap(small))} nats (|.| > ${d})`,
        Math.abs(gap(small)) > d,
      ),
      claim(`agree at batch ${large}: ${fmt(gap(large))} (|.| < ${d})`, Math.abs(gap(large)) < d),
      claim(
        `BatchNorm minus LayerNorm eval loss at batch ${small}: ${fmt(vsLn(small))} (> ${d})`,
        vsLn(small) > d,
      ),
      claim(`at batch ${large}: ${fmt(vsLn(large))} (< ${d})`, vsLn(large) < d),
    ]);
    const acc = (norm: string) =>
      c.batchSizes.map((bs) => `${bs}: ${fmt(mean(pick(norm, bs, 'evalAccuracy')))}`).join(', ');
    const bayes = first.bayesAccuracy;
    return {
      verdict: v.verdict,
      summary: `${v.summary} Eval accuracy BN ${acc('batch')}; LN ${acc('layer')} (Bayes ${fmt(bayes)}). LayerNorm's gap is 0 by construction.`,
    };
  },
  charts(runs, c) {
    const avg = (norm: string, bs: number, key: 'evalLoss' | 'trainModeLoss' | 'evalAccuracy') => {
      const v = runs
        .filter((r) => r.variant === variant(norm, bs) && r.measurements)
        .map((r) => r.measurements![key]);
      return v.length ? mean(v) : null;
    };
    const categories = c.batchSizes.map((bs) => `batch ${bs}`);
    const charts: Chart[] = [
      {
        kind: 'bar',
        title: 'E7: held-out loss by batch size (mean over seeds)',
        yLabel: 'loss (nats)',
        categories,
        series: [
          { name: 'BatchNorm, eval mode', values: c.batchSizes.map((bs) => avg('batch', bs, 'evalLoss')) },
          {
            name: 'BatchNorm, train mode',
            values: c.batchSizes.map((bs) => avg('batch', bs, 'trainModeLoss')),
          },
          { name: 'LayerNorm', values: c.batchSizes.map((bs) => avg('layer', bs, 'evalLoss')) },
        ],
      },
      {
        kind: 'bar',
        title: 'E7: held-out accuracy by batch size (eval mode)',
        yLabel: 'accuracy',
        categories,
        series: [
          { name: 'BatchNorm', values: c.batchSizes.map((bs) => avg('batch', bs, 'evalAccuracy')) },
          { name: 'LayerNorm', values: c.batchSizes.map((bs) => avg('layer', bs, 'evalAccuracy')) },
        ],
      },
    ];
    charts.push({
      kind: 'line',
      title: 'E7: training loss (train mode), seed 0 of each variant',
      xLabel: 'step',
      yLabel: 'loss (nats)',
      series: firstSeed(runs).map((r) => ({ name: r.variant, points: r.measurements!.curve })),
    });
    return charts;
  },
});

function firstSeed(runs: RunRecord<E7Config, E7Measurements>[]) {
  const seen = new Set<string>();
  return runs.filter((r) => r.measurements && !seen.has(r.variant) && seen.add(r.variant));
}

/** B samples (x0, x1) -> x2 as one-hot inputs [B, 2V] and targets. */
function contextBatch(corpus: Corpus, B: number, rng: Generator): { x: Tensor; y: Int32Array } {
  const V = corpus.vocabSize;
  const { idx, targets } = corpus.batch(B, 2, rng);
  const x = new Float32Array(B * 2 * V);
  const y = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    x[b * 2 * V + idx.data[b * 2]!] = 1;
    x[b * 2 * V + V + idx.data[b * 2 + 1]!] = 1;
    y[b] = targets.data[b * 2 + 1]!;
  }
  return { x: new Tensor(x, [B, 2 * V]), y };
}

function scores(logits: Variable, y: Int32Array): { loss: number; accuracy: number } {
  const loss = crossEntropy(logits, y).item();
  const l = logits.data.contiguous();
  const V = l.shape[1]!;
  let correct = 0;
  for (let b = 0; b < y.length; b++) {
    let best = 0;
    for (let j = 1; j < V; j++)
      if (l.data[l.offset + b * V + j]! > l.data[l.offset + b * V + best]!) best = j;
    if (best === y[b]) correct++;
  }
  return { loss, accuracy: correct / y.length };
}

/** Held-out loss in train mode, batch by batch (BatchNorm's running statistics are restored after). */
function trainModeHeldOut(model: Sequential, held: { x: Tensor; y: Int32Array }, bs: number): number {
  const norms = [...model].filter((m): m is BatchNorm1d => m instanceof BatchNorm1d);
  const saved = norms.map((m) => [m.runningMean!.clone(), m.runningVar!.clone()] as const);
  const n = held.y.length - (held.y.length % bs);
  let total = 0;
  noGrad(() => {
    for (let s = 0; s < n; s += bs) {
      const x = held.x.narrow(0, s, bs);
      total += tidy(() => crossEntropy(model.forward(x), held.y.subarray(s, s + bs)).item()) * bs;
    }
  });
  norms.forEach((m, i) => {
    m.runningMean!.data.set(saved[i]![0].data);
    m.runningVar!.data.set(saved[i]![1].data);
  });
  dispose(saved.flat());
  return total / n;
}
