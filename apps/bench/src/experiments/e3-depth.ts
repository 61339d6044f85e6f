import type { PlacementSpec } from '@normkit/transformer';
import { corpusFor, type ReferenceLevels } from '../data/corpus.js';
import type { Chart } from '../report/chart-types.js';
import { buildGpt, type ModelSpec } from './common/model.js';
import { countText, levelsOf, lossChart, majority, outcomes, thresholdText } from './common/outcomes.js';
import { type TrainRecord, type TrainSpec, trainOnCorpus } from './common/train.js';
import { defineExperiment } from './types.js';
import { claim, decide, premise } from './verdicts.js';

/**
 * E3: deep models (12 to 24 layers) trained without warmup. Post-LN fails to train deep models
 * without warmup (Liu et al. 2020; Wang et al. 2022, DeepNet, section 2: the update of a Post-LN
 * model explodes early in training); DeepNorm (x = LN(alpha x + f(x)) with its down-scaled init,
 * Wang et al. 2022), B2T (a skip connection over all of a layer's norms, Takase et al. 2022) and
 * Pre-LN train. Post-LN, B2T and Pre-LN start from the Xavier initialisation those papers' baselines
 * use (fairseq's); DeepNorm from its own (Xavier with gain beta). The learning rate is constant from
 * the first update.
 */

export type E3Config = {
  depths: number[];
  model: Omit<ModelSpec, 'nLayer'>;
  train: TrainSpec;
  seeds: number;
};

export type E3Measurements = {
  placement: string;
  depth: number;
  levels: ReferenceLevels | null;
  floor: number | null;
  train: TrainRecord;
};

const PLACEMENTS = ['post', 'deepnorm', 'b2t', 'pre'] as const;
const variant = (p: string, depth: number) => `${p}/L${depth}`;

export const e3 = defineExperiment<E3Config, E3Measurements>({
  id: 'E3',
  title: 'Depth without warmup: Post-LN vs DeepNorm, B2T and Pre-LN',
  claim:
    'Without warmup, a deep (12-24 layer) Post-LN Transformer fails to train while DeepNorm (Wang et al. 2022), ' +
    'B2T (Takase et al. 2022) and Pre-LN train (Liu et al. 2020; Wang et al. 2022, section 2).',
  configs: {
    quick: {
      depths: [6],
      model: { nEmbd: 32, nHead: 4, blockSize: 32 },
      train: { steps: 100, batchSize: 8, lr: 0.001, warmupSteps: 0, decay: 'constant' },
      seeds: 1,
    },
    full: {
      depths: [12, 24],
      model: { nEmbd: 32, nHead: 4, blockSize: 32 },
      train: { steps: 400, batchSize: 8, lr: 0.001, warmupSteps: 0, decay: 'constant' },
      seeds: 3,
    },
  },
  variants: (c) => c.depths.flatMap((d) => PLACEMENTS.map((p) => variant(p, d))),
  seeds: (c) => c.seeds,
  async run(c, ctx) {
    const [placement, depthText] = ctx.variant.split('/L') as [(typeof PLACEMENTS)[number], string];
    const depth = Number(depthText);
    const corpus = corpusFor(ctx);
    const spec: ModelSpec = { ...c.model, nLayer: depth };
    const init = placement === 'deepnorm' ? 'gpt2' : 'xavier'; // 'gpt2' = the model's own (DeepNorm's) init
    const model = buildGpt(spec, { placement: placement as PlacementSpec, init }, corpus.vocabSize, ctx.seed);
    const train = await trainOnCorpus(model, corpus, c.train, ctx);
    return { placement, depth, levels: corpus.levels, floor: corpus.lossFloor(c.model.blockSize), train };
  },
  verdict(runs, c) {
    const at = (p: string) => c.depths.map((d) => majority(outcomes(runs, variant(p, d))));
    const text = (p: string) =>
      c.depths.map((d) => `L${d} ${countText(outcomes(runs, variant(p, d)))}`).join(', ');
    const trainsAll = (p: string) => at(p).every((o) => o === 'trained');
    const someTrains = c.depths.every((d) =>
      PLACEMENTS.some((p) => majority(outcomes(runs, variant(p, d))) === 'trained'),
    );
    const v = decide([
      premise('some placement trains at every depth', someTrains),
      claim(
        `Post-LN fails (${text('post')})`,
        at('post').every((o) => o !== 'trained'),
      ),
      claim(`DeepNorm trains (${text('deepnorm')})`, trainsAll('deepnorm')),
      claim(`B2T trains (${text('b2t')})`, trainsAll('b2t')),
      claim(`Pre-LN trains (${text('pre')})`, trainsAll('pre')),
    ]);
    const finals = PLACEMENTS.map((p) =>
      c.depths
        .map((d) => {
          const r = runs.find((x) => x.variant === variant(p, d) && x.measurements);
          return `${p} L${d} ${r ? r.measurements!.train.finalLoss.toFixed(3) : 'failed'}`;
        })
        .join(', '),
    );
    return {
      verdict: v.verdict,
      summary: `${v.summary} Final losses (seed 0): ${finals.join('; ')}. ${thresholdText(levelsOf(runs))}.`,
    };
  },
  charts(runs, c) {
    const floor = runs.find((r) => r.measurements)?.measurements?.floor ?? null;
    const charts: Chart[] = c.depths.map((d) =>
      lossChart(`E3: training loss, ${d} layers, no warmup`, runs, floor, (r) => r.measurements!.depth === d),
    );
    return charts;
  },
});
