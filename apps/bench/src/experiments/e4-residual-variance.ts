import { noGrad } from '@normkit/autograd';
import { tidy } from '@normkit/tensor';
import type { PlacementSpec } from '@normkit/transformer';
import { corpusFor, type ReferenceLevels } from '../data/corpus.js';
import type { Chart } from '../report/chart-types.js';
import { buildGpt, type ModelSpec } from './common/model.js';
import { countText, levelsOf, lossChart, outcomes, thresholdText } from './common/outcomes.js';
import { type TrainRecord, type TrainSpec, trainOnCorpus } from './common/train.js';
import { defineExperiment, type RunRecord } from './types.js';
import { claim, decide, fmt, growthPerLayer, meanProfile, premise } from './verdicts.js';

/**
 * E4: the variance of the residual stream after each layer of a trained model. In a Pre-LN
 * Transformer every block adds its unnormalized output to the stream, so the stream's variance
 * grows with depth (Sun et al. 2025, "The Curse of Depth in Large Language Models": it grows so much
 * that deep layers become near-identities); Peri-LN normalizes each block's output before adding it
 * and keeps the growth in check (Kim et al. 2025, "Peri-LN"); Post-LN normalizes the stream itself.
 * LayerNorm Scaling (the block input scaled by 1/sqrt(l)) is Sun et al.'s fix for Pre-LN.
 * The number compared is the per-layer growth factor g of the variance (exp of the least-squares
 * slope of ln variance against the layer), measured on held-out windows after training.
 */

export type E4Config = {
  model: ModelSpec;
  train: TrainSpec;
  seeds: number;
  /** Variance profiles with a per-layer growth factor >= this "grow"; below it they are "flat". */
  growth: number;
};

export type E4Measurements = {
  placement: string;
  levels: ReferenceLevels | null;
  floor: number | null;
  train: TrainRecord;
  /** Residual-stream variance after each block (layers 1..L), after training and at initialisation. */
  variance: number[];
  varianceInit: number[];
};

const PLACEMENTS: Record<string, PlacementSpec> = {
  pre: 'pre',
  'pre+scaling': { kind: 'pre', depthScaling: true },
  peri: 'peri',
  post: 'post',
};

export const e4 = defineExperiment<E4Config, E4Measurements>({
  id: 'E4',
  title: 'Residual-stream variance per layer after training',
  claim:
    "The residual stream's variance grows with depth in Pre-LN and stays flat in Peri-LN and Post-LN; Pre-LN " +
    'with LayerNorm Scaling (1/sqrt(l)) lies in between (Sun et al. 2025, The Curse of Depth; Kim et al. ' +
    '2025, Peri-LN).',
  configs: {
    quick: {
      model: { nLayer: 6, nEmbd: 32, nHead: 4, blockSize: 32 },
      train: { steps: 150, batchSize: 8, lr: 0.003, warmupSteps: 30, decay: 'cosine' },
      seeds: 1,
      growth: 1.1,
    },
    full: {
      model: { nLayer: 12, nEmbd: 32, nHead: 4, blockSize: 32 },
      train: { steps: 800, batchSize: 8, lr: 0.003, warmupSteps: 80, decay: 'cosine' },
      seeds: 2,
      growth: 1.1,
    },
  },
  variants: () => Object.keys(PLACEMENTS),
  seeds: (c) => c.seeds,
  async run(c, ctx) {
    const corpus = corpusFor(ctx);
    const model = buildGpt(c.model, { placement: PLACEMENTS[ctx.variant]! }, corpus.vocabSize, ctx.seed);
    const held = corpus.evalBatch(16, c.model.blockSize, ctx.seed);
    const profile = () => {
      model.instrumentation.enabled = true;
      model.eval();
      tidy(() => noGrad(() => void model.forward(held.idx)));
      model.train();
      model.instrumentation.enabled = false;
      return model.instrumentation.layers.map((r) => r.residualVariance);
    };
    const varianceInit = profile();
    const train = await trainOnCorpus(model, corpus, c.train, ctx);
    return {
      placement: ctx.variant,
      levels: corpus.levels,
      floor: corpus.lossFloor(c.model.blockSize),
      train,
      variance: profile(),
      varianceInit,
    };
  },
  verdict(runs, c) {
    const g = (v: string) => {
      const p = profileOf(runs, v, 'variance');
      return p ? growthPerLayer(p) : null;
    };
    const [pre, scaled, peri, post] = ['pre', 'pre+scaling', 'peri', 'post'].map(g) as (number | null)[];
    const all = [pre, scaled, peri, post];
    const known = all.every((x) => x !== null);
    const trained = Object.keys(PLACEMENTS).map((v) => `${v} ${countText(outcomes(runs, v))}`);
    const flatMax = Math.max(peri ?? 0, post ?? 0);
    const v = decide([
      premise(
        `every placement trains (${trained.join(', ')})`,
        Object.keys(PLACEMENTS).every((v) => outcomes(runs, v).includes('trained')),
      ),
      claim(
        `Pre-LN variance growth per layer ${fmt(pre)} (grows: >= ${c.growth})`,
        pre === null ? null : pre >= c.growth,
      ),
      claim(
        `Peri-LN ${fmt(peri)} and Post-LN ${fmt(post)} (flat: < ${c.growth})`,
        peri === null || post === null ? null : peri < c.growth && post < c.growth,
      ),
      claim(
        `Pre-LN+scaling ${fmt(scaled)} in between (${fmt(flatMax)} < . < ${fmt(pre)})`,
        known ? scaled! > flatMax && scaled! < pre! : null,
      ),
    ]);
    const ratio = (name: string) => {
      const p = profileOf(runs, name, 'variance');
      return p ? fmt(p[p.length - 1]! / p[0]!) : 'n/a';
    };
    return {
      verdict: v.verdict,
      summary:
        `${v.summary} Last/first layer variance: pre ${ratio('pre')}, pre+scaling ${ratio('pre+scaling')}, ` +
        `peri ${ratio('peri')}, post ${ratio('post')}. ${thresholdText(levelsOf(runs))}.`,
    };
  },
  charts(runs) {
    const chart = (key: 'variance' | 'varianceInit', title: string): Chart => {
      const series = Object.keys(PLACEMENTS)
        .map((v) => ({ name: v, values: profileOf(runs, v, key) }))
        .filter((s): s is { name: string; values: number[] } => s.values !== null);
      return {
        kind: 'profile',
        title,
        yLabel: 'variance of the residual stream (mean over seeds)',
        logY: true,
        layers: (series[0]?.values ?? []).map((_, i) => `${i + 1}`),
        series,
      };
    };
    const floor = runs.find((r) => r.measurements)?.measurements?.floor ?? null;
    return [
      chart('variance', 'E4: residual-stream variance after each layer, trained'),
      chart('varianceInit', 'E4: the same at initialisation'),
      lossChart('E4: training loss', runs, floor),
    ];
  },
});

function profileOf(
  runs: RunRecord<E4Config, E4Measurements>[],
  variant: string,
  key: 'variance' | 'varianceInit',
): number[] | null {
  const ok = runs.filter((r) => r.variant === variant && r.measurements && !r.measurements.train.diverged);
  return ok.length === 0 ? null : meanProfile(ok.map((r) => r.measurements![key]));
}
