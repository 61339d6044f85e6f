import type { ReferenceLevels } from '../data/corpus.js';
import { corpusFor } from '../data/corpus.js';
import type { Chart } from '../report/chart-types.js';
import { buildGpt, type ModelSpec } from './common/model.js';
import { countText, levelsOf, lossChart, majority, outcomes, thresholdText } from './common/outcomes.js';
import { type TrainRecord, type TrainSpec, trainOnCorpus } from './common/train.js';
import { defineExperiment, type RunRecord } from './types.js';
import { claim, decide, fmt, premise } from './verdicts.js';

/**
 * E2: Post-LN vs Pre-LN, with and without learning-rate warmup, over a learning-rate sweep.
 * Xiong et al. 2020 (section 3, figure 2) find that a Post-LN Transformer trained with Adam
 * without warmup fails at learning rates where it trains with warmup, while a Pre-LN Transformer
 * trains without warmup. As in their analysis (and fairseq's Transformer), the block weights are
 * Xavier-initialised (E1 shows how GPT-2's smaller init changes the gradient profile). Every variant
 * of one seed starts from the same weights and sees the same batches; after warmup the learning rate
 * is constant, so the variants differ only in the first warmupSteps updates.
 */

export type E2Arch = 'post' | 'post+warmup' | 'pre' | 'pre+warmup';

export type E2Config = {
  model: ModelSpec;
  train: Omit<TrainSpec, 'lr' | 'warmupSteps'>;
  warmupSteps: number;
  lrs: number[];
  archs: E2Arch[];
  seeds: number;
};

export type E2Measurements = {
  arch: E2Arch;
  lr: number;
  levels: ReferenceLevels | null;
  floor: number | null;
  train: TrainRecord;
};

const variant = (arch: E2Arch, lr: number) => `${arch}@${lr}`;

/** Mean final training loss over the seeds of a variant (NaN when one diverged). */
function meanFinal(runs: RunRecord<E2Config, E2Measurements>[], v: string): number {
  const ms = runs.filter((r) => r.variant === v).map((r) => r.measurements?.train.finalLoss ?? Number.NaN);
  return ms.length ? ms.reduce((a, b) => a + b, 0) / ms.length : Number.NaN;
}

export const e2 = defineExperiment<E2Config, E2Measurements>({
  id: 'E2',
  title: 'Warmup: Post-LN vs Pre-LN across learning rates',
  claim:
    'Post-LN needs learning-rate warmup: without it, training diverges or stalls at learning rates where ' +
    'it trains with warmup; Pre-LN trains without warmup (Xiong et al. 2020, section 3 and figure 2; ' +
    'Liu et al. 2020).',
  inQuickRun: true,
  configs: {
    quick: {
      model: { nLayer: 4, nEmbd: 32, nHead: 4, blockSize: 32 },
      train: { steps: 400, batchSize: 8, decay: 'constant' },
      warmupSteps: 80,
      lrs: [0.01],
      archs: ['post', 'post+warmup', 'pre'],
      seeds: 1,
    },
    full: {
      model: { nLayer: 6, nEmbd: 32, nHead: 4, blockSize: 32 },
      train: { steps: 400, batchSize: 8, decay: 'constant' },
      warmupSteps: 80,
      lrs: [0.001, 0.003, 0.01],
      archs: ['post', 'post+warmup', 'pre', 'pre+warmup'],
      seeds: 3,
    },
  },
  variants: (c) => c.lrs.flatMap((lr) => c.archs.map((a) => variant(a, lr))),
  seeds: (c) => c.seeds,
  async run(c, ctx) {
    const [arch, lrText] = ctx.variant.split('@') as [E2Arch, string];
    const lr = Number(lrText);
    const corpus = corpusFor(ctx);
    const placement = arch.startsWith('post') ? 'post' : 'pre';
    const model = buildGpt(c.model, { placement, init: 'xavier' }, corpus.vocabSize, ctx.seed);
    const warmupSteps = arch.endsWith('+warmup') ? c.warmupSteps : 0;
    const train = await trainOnCorpus(model, corpus, { ...c.train, lr, warmupSteps }, ctx);
    return { arch, lr, levels: corpus.levels, floor: corpus.lossFloor(c.model.blockSize), train };
  },
  verdict(runs, c) {
    const levels = levelsOf(runs);
    const cell = (a: E2Arch, lr: number) => majority(outcomes(runs, variant(a, lr)));
    const counts = (a: E2Arch) =>
      c.lrs
        .map(
          (lr) =>
            `${fmt(lr)}: ${countText(outcomes(runs, variant(a, lr)))}, loss ${fmt(meanFinal(runs, variant(a, lr)))}`,
        )
        .join('; ');
    // the learning rates at which Post-LN with warmup trains: where the comparison means something
    const usable = c.lrs.filter((lr) => cell('post+warmup', lr) === 'trained');
    const postFails = usable.filter((lr) => cell('post', lr) !== 'trained');
    const preFails = usable.filter((lr) => cell('pre', lr) !== 'trained');
    const preWarmFails = usable.filter((lr) => cell('pre+warmup', lr) !== 'trained');
    const checks = [
      premise(`Post-LN+warmup trains at some lr (${counts('post+warmup')})`, usable.length > 0),
      claim(
        `Post-LN without warmup fails at some of those lrs (${counts('post')}; fails at ${postFails.map((l) => fmt(l)).join(', ') || 'none'})`,
        usable.length > 0 ? postFails.length > 0 : null,
      ),
      claim(
        `Pre-LN without warmup trains at all of them (${counts('pre')}; fails at ${preFails.map((l) => fmt(l)).join(', ') || 'none'})`,
        usable.length > 0 ? preFails.length === 0 : null,
      ),
    ];
    if (c.archs.includes('pre+warmup')) {
      checks.push(
        claim(
          `Pre-LN with warmup trains at all of them (${counts('pre+warmup')}; fails at ${preWarmFails.map((l) => fmt(l)).join(', ') || 'none'})`,
          usable.length > 0 ? preWarmFails.length === 0 : null,
        ),
      );
    }
    const v = decide(checks);
    return { verdict: v.verdict, summary: `${v.summary} ${thresholdText(levels)}, majority over seeds.` };
  },
  charts(runs, c) {
    const floor = runs.find((r) => r.measurements)?.measurements?.floor ?? null;
    const charts: Chart[] = c.lrs.map((lr) =>
      lossChart(`E2: training loss at lr ${fmt(lr)}`, runs, floor, (r) => r.measurements!.lr === lr),
    );
    const finals = (a: E2Arch) =>
      c.lrs.map((lr) => {
        const ok = runs.filter(
          (r) => r.variant === variant(a, lr) && r.measurements && !r.measurements.train.diverged,
        );
        return ok.length === 0
          ? null
          : ok.reduce((s, r) => s + r.measurements!.train.finalLoss, 0) / ok.length;
      });
    charts.push({
      kind: 'bar',
      title: 'E2: final training loss by learning rate (mean over seeds; missing = diverged)',
      yLabel: 'final loss (nats)',
      categories: c.lrs.map((lr) => `lr ${fmt(lr)}`),
      series: c.archs.map((a) => ({ name: a, values: finals(a) })),
    });
    return charts;
  },
});
