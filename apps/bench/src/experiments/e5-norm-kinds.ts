import type { NormKind } from '@normkit/transformer';
import { corpusFor, type ReferenceLevels } from '../data/corpus.js';
import type { Chart } from '../report/chart-types.js';
import { buildGpt, type ModelSpec } from './common/model.js';
import { type TimedNorm, timeNorms } from './common/norm-timing.js';
import { countText, levelsOf, lossChart, majority, outcomes, thresholdText } from './common/outcomes.js';
import { type TrainRecord, type TrainSpec, trainOnCorpus } from './common/train.js';
import { defineExperiment } from './types.js';
import { claim, decide, fmt, mean, pairedDifference, premise, signTestMinimum } from './verdicts.js';

/**
 * E5: RMSNorm, LayerNorm, DyT and no norm in the same Pre-LN GPT (every norm of the model, the
 * final one included, of the one kind), trained with identical seeds, data and schedule. Zhang &
 * Sennrich 2019 (RMSNorm, section 6) report RMSNorm matches LayerNorm's quality while being faster
 * (no mean to subtract); Zhu et al. 2025 (Transformers without Normalization) report that DyT,
 * y = w * tanh(alpha x) + b, matches LayerNorm. Compared: the held-out loss after training (paired
 * over seeds) and the time of one norm forward + backward, timed round-robin in every run.
 */

export type E5Config = {
  model: ModelSpec;
  train: TrainSpec;
  seeds: number;
  /** Loss differences within this many nats count as "matches". */
  delta: number;
  /** Shapes [rows, d] at which the norm ops are timed, and the reps per median. */
  timing: { shapes: [number, number][]; reps: number };
};

export type E5Measurements = {
  norm: NormKind;
  levels: ReferenceLevels | null;
  floor: number | null;
  train: TrainRecord;
  /** Median forward + backward ms per norm kind, one entry per timing shape. */
  timings: { rows: number; d: number; ms: Record<TimedNorm, number> }[];
};

const NORMS: NormKind[] = ['layer', 'rms', 'dyt', 'none'];

export const e5 = defineExperiment<E5Config, E5Measurements>({
  id: 'E5',
  title: 'RMSNorm vs LayerNorm vs DyT vs no norm: loss and norm-op time',
  claim:
    'RMSNorm matches LayerNorm and is cheaper (Zhang & Sennrich 2019); DyT matches LayerNorm (Zhu et al. ' +
    '2025); without normalization the model trains worse.',
  configs: {
    quick: {
      model: { nLayer: 4, nEmbd: 32, nHead: 4, blockSize: 32 },
      train: { steps: 150, batchSize: 8, lr: 0.003, warmupSteps: 30, decay: 'cosine' },
      seeds: 1,
      delta: 0.05,
      timing: { shapes: [[256, 32]], reps: 5 },
    },
    full: {
      model: { nLayer: 6, nEmbd: 32, nHead: 4, blockSize: 32 },
      train: { steps: 500, batchSize: 8, lr: 0.003, warmupSteps: 50, decay: 'cosine' },
      seeds: 3,
      delta: 0.05,
      timing: {
        shapes: [
          [256, 32],
          [2048, 512],
        ],
        reps: 15,
      },
    },
  },
  variants: () => NORMS,
  seeds: (c) => c.seeds,
  async run(c, ctx) {
    const norm = ctx.variant as NormKind;
    const corpus = corpusFor(ctx);
    const model = buildGpt(c.model, { placement: 'pre', norm }, corpus.vocabSize, ctx.seed);
    const train = await trainOnCorpus(model, corpus, c.train, ctx);
    const timings = c.timing.shapes.map(([rows, d]) => ({
      rows,
      d,
      ms: timeNorms(rows, d, c.timing.reps, ctx.seed),
    }));
    return { norm, levels: corpus.levels, floor: corpus.lossFloor(c.model.blockSize), train, timings };
  },
  verdict(runs, c) {
    // the eval loss of each seed, in seed order; a diverged run counts as +Infinity (never "matches")
    const losses = (n: string) =>
      runs
        .filter((r) => r.variant === n)
        .sort((a, b) => a.seed - b.seed)
        .map((r) => r.measurements?.train.evalLoss ?? Number.POSITIVE_INFINITY);
    const vsLayer = (n: string) => pairedDifference(losses(n), losses('layer'));
    const d = c.delta;
    const rms = vsLayer('rms');
    const dyt = vsLayer('dyt');
    const none = vsLayer('none');
    const shapes = c.timing.shapes;
    const [rows, dim] = shapes[shapes.length - 1]!;
    const ratio = timeRatio(runs, rows, dim);
    // "cheaper" beyond timing noise: RMSNorm faster in significantly many runs (one-sided sign test)
    const pairs = timingsAt(runs, rows, dim);
    const faster = pairs.filter((t) => t.ms.rms < t.ms.layer).length;
    const needed = signTestMinimum(pairs.length);
    const se = (p: { se: number }) => (Number.isFinite(p.se) ? ` +- ${fmt(p.se)}` : '');
    const v = decide([
      premise(
        `LayerNorm trains (${countText(outcomes(runs, 'layer'))})`,
        majority(outcomes(runs, 'layer')) === 'trained',
      ),
      claim(
        `RMSNorm minus LayerNorm eval loss ${fmt(rms.mean)}${se(rms)} nats (|.| <= ${d})`,
        Math.abs(rms.mean) <= d,
      ),
      claim(
        `RMSNorm forward+backward faster than LayerNorm at [${rows}, ${dim}] in ${faster}/${pairs.length} runs ` +
          `(median ratio ${fmt(ratio)}; needs >= ${needed ?? 'n/a'}, one-sided sign test p <= 0.05)`,
        needed === null ? null : faster >= needed,
      ),
      claim(`DyT minus LayerNorm ${fmt(dyt.mean)}${se(dyt)} (|.| <= ${d})`, Math.abs(dyt.mean) <= d),
      claim(`no norm minus LayerNorm ${fmt(none.mean)}${se(none)} (> ${d}, or diverged)`, none.mean > d),
    ]);
    const times = shapes.map(([r, dd]) => {
      const t = (k: TimedNorm) => fmt(medianOver(runs, r, dd, k));
      return `[${r}, ${dd}]: LN ${t('layer')} ms, RMS ${t('rms')}, DyT ${t('dyt')}`;
    });
    return {
      verdict: v.verdict,
      summary: `${v.summary} Norm fwd+bwd medians ${times.join('; ')}. ${thresholdText(levelsOf(runs))}.`,
    };
  },
  charts(runs, c) {
    const floor = runs.find((r) => r.measurements)?.measurements?.floor ?? null;
    const evalMean = (n: string) => {
      const v = runs.filter((r) => r.variant === n && r.measurements?.train.evalLoss != null);
      return v.length ? mean(v.map((r) => r.measurements!.train.evalLoss!)) : null;
    };
    const charts: Chart[] = [
      lossChart('E5: training loss per norm kind', runs, floor),
      {
        kind: 'bar',
        title: 'E5: held-out loss after training (mean over seeds)',
        yLabel: 'loss (nats)',
        categories: NORMS,
        series: [{ name: 'eval loss', values: NORMS.map(evalMean) }],
      },
      {
        kind: 'bar',
        title: 'E5: norm forward + backward time (median over runs)',
        yLabel: 'ms',
        logY: true,
        categories: c.timing.shapes.map(([r, d]) => `[${r}, ${d}]`),
        series: (['layer', 'rms', 'dyt'] as TimedNorm[]).map((k) => ({
          name: k,
          values: c.timing.shapes.map(([r, d]) => medianOver(runs, r, d, k)),
        })),
      },
    ];
    return charts;
  },
});

type Runs = { measurements: E5Measurements | null }[];

function timingsAt(runs: Runs, rows: number, d: number) {
  return runs.flatMap((r) => r.measurements?.timings.filter((t) => t.rows === rows && t.d === d) ?? []);
}

function medianOver(runs: Runs, rows: number, d: number, k: TimedNorm): number | null {
  const v = timingsAt(runs, rows, d)
    .map((t) => t.ms[k])
    .sort((a, b) => a - b);
  return v.length ? v[v.length >> 1]! : null;
}

/** Median over runs of each run's RMSNorm / LayerNorm time ratio (timed side by side in one run). */
function timeRatio(runs: Runs, rows: number, d: number): number | null {
  const r = timingsAt(runs, rows, d)
    .map((t) => t.ms.rms / t.ms.layer)
    .sort((a, b) => a - b);
  return r.length ? r[r.length >> 1]! : null;
}
