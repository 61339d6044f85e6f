import { corpusFor, type ReferenceLevels } from '../data/corpus.js';
import type { Chart } from '../report/chart-types.js';
import { buildGpt, type ModelSpec } from './common/model.js';
import { levelsOf, lossChart, thresholdText } from './common/outcomes.js';
import { type TrainRecord, type TrainSpec, trainOnCorpus } from './common/train.js';
import { defineExperiment, type RunRecord } from './types.js';
import { claim, curvePoints, decide, fmt, mean } from './verdicts.js';

/**
 * E6: QK-norm over a learning-rate sweep. Dehghani et al. 2023 (ViT-22B) and Wortsman et al. 2023
 * ("Small-scale proxies for large-scale Transformer training instabilities", section 3.1) find that
 * at high learning rates the attention logits q.k/sqrt(hd) grow until softmax saturates (attention
 * entropy collapse) and the loss degrades, and that LayerNorm on q and k (QK-norm) bounds the logits
 * and makes the final loss far less sensitive to the learning rate. Measured: the largest attention
 * logit over layers, heads and positions during training, and the held-out loss, per lr. The
 * learning-rate sensitivity is Wortsman et al.'s: the mean over lrs of
 * min(loss(lr), initial loss) - min over lrs of loss.
 */

export type E6Config = {
  model: ModelSpec;
  train: Omit<TrainSpec, 'lr'>;
  lrs: number[];
  seeds: number;
  /** "Bounded": the peak logit without QK-norm is at least this many times the peak with it at the top lr. */
  logitFactor: number;
  /** QK-norm must lower the lr sensitivity by more than this many nats (the "no difference" margin). */
  delta: number;
};

export type E6Measurements = {
  qkNorm: boolean;
  lr: number;
  levels: ReferenceLevels | null;
  floor: number | null;
  train: TrainRecord;
  /** [step, max attention logit over layers] during training (at most 150 points), and its peak. */
  logits: [number, number][];
  peakLogit: number;
};

const variant = (qk: boolean, lr: number) => `${qk ? 'qk-norm' : 'plain'}@${lr}`;

export const e6 = defineExperiment<E6Config, E6Measurements>({
  id: 'E6',
  title: 'QK-norm: attention-logit growth and learning-rate sensitivity',
  claim:
    'Without QK-norm, attention logits grow large at high learning rates and the loss degrades; QK-norm keeps ' +
    'the logits bounded and lowers the learning-rate sensitivity of the final loss (Dehghani et al. 2023; ' +
    'Wortsman et al. 2023, section 3.1).',
  configs: {
    quick: {
      model: { nLayer: 2, nEmbd: 32, nHead: 4, blockSize: 32 },
      train: { steps: 150, batchSize: 8, warmupSteps: 30, decay: 'cosine' },
      lrs: [0.003, 0.1],
      seeds: 1,
      logitFactor: 3,
      delta: 0.05,
    },
    full: {
      model: { nLayer: 4, nEmbd: 32, nHead: 4, blockSize: 32 },
      train: { steps: 400, batchSize: 8, warmupSteps: 80, decay: 'cosine' },
      lrs: [0.001, 0.003, 0.01, 0.03, 0.1, 0.3],
      seeds: 2,
      logitFactor: 3,
      delta: 0.05,
    },
  },
  variants: (c) => c.lrs.flatMap((lr) => [variant(false, lr), variant(true, lr)]),
  seeds: (c) => c.seeds,
  async run(c, ctx) {
    const [kind, lrText] = ctx.variant.split('@') as [string, string];
    const qkNorm = kind === 'qk-norm';
    const lr = Number(lrText);
    const corpus = corpusFor(ctx);
    const model = buildGpt(
      c.model,
      { placement: 'pre', qkNorm: qkNorm ? 'layer' : null },
      corpus.vocabSize,
      ctx.seed,
    );
    model.instrumentation.enabled = true;
    const logits: number[] = [];
    const train = await trainOnCorpus(model, corpus, { ...c.train, lr }, ctx, (info) => {
      logits.push(Math.max(...(info.layers ?? []).map((l) => l.maxAttentionLogit)));
    });
    const peakLogit = logits.reduce(
      (m, v) => (Number.isNaN(v) ? m : Math.max(m, v)),
      Number.NEGATIVE_INFINITY,
    );
    return {
      qkNorm,
      lr,
      levels: corpus.levels,
      floor: corpus.lossFloor(c.model.blockSize),
      train,
      logits: curvePoints(logits),
      peakLogit,
    };
  },
  verdict(runs, c) {
    const top = Math.max(...c.lrs);
    const peak = (qk: boolean) => mean(of(runs, variant(qk, top)).map((m) => m.peakLogit));
    const [plain, qk] = [peak(false), peak(true)];
    const sens = (qk: boolean) => sensitivity(runs, c.lrs, qk);
    const [sPlain, sQk] = [sens(false), sens(true)];
    const v = decide([
      claim(
        `peak attention logit at lr ${fmt(top)}: ${fmt(plain)} without QK-norm vs ${fmt(qk)} with (ratio ${fmt(plain / qk)} >= ${c.logitFactor})`,
        Number.isFinite(plain / qk) ? plain / qk >= c.logitFactor : null,
      ),
      claim(
        `lr sensitivity of the held-out loss ${fmt(sQk)} with QK-norm vs ${fmt(sPlain)} without (lower by > ${c.delta})`,
        Number.isFinite(sQk) && Number.isFinite(sPlain) ? sPlain - sQk > c.delta : null,
      ),
    ]);
    const losses = (q: boolean) => c.lrs.map((lr) => fmt(evalMean(runs, variant(q, lr)))).join(', ');
    return {
      verdict: v.verdict,
      summary:
        `${v.summary} Held-out loss at lr ${c.lrs.map((l) => fmt(l)).join(', ')}: plain ${losses(false)}; ` +
        `QK-norm ${losses(true)} (diverged = n/a). ${thresholdText(levelsOf(runs))}.`,
    };
  },
  charts(runs, c) {
    const charts: Chart[] = [
      {
        kind: 'line',
        title: 'E6: held-out loss against learning rate',
        xLabel: 'log10 lr',
        yLabel: 'loss (nats)',
        series: [false, true].map((q) => ({
          name: q ? 'QK-norm' : 'plain',
          points: c.lrs
            .map((lr) => [Math.log10(lr), evalMean(runs, variant(q, lr))] as [number, number | null])
            .filter((p): p is [number, number] => p[1] !== null),
        })),
      },
      {
        kind: 'bar',
        title: 'E6: peak attention logit during training, by learning rate',
        yLabel: 'max q.k / sqrt(hd)',
        logY: true,
        categories: c.lrs.map((lr) => `lr ${fmt(lr)}`),
        series: [false, true].map((q) => ({
          name: q ? 'QK-norm' : 'plain',
          values: c.lrs.map((lr) => {
            const ms = of(runs, variant(q, lr));
            return ms.length ? mean(ms.map((m) => m.peakLogit)) : null;
          }),
        })),
      },
      {
        kind: 'line',
        title: `E6: max attention logit during training at lr ${fmt(Math.max(...c.lrs))} (seed 0)`,
        xLabel: 'step',
        yLabel: 'max logit',
        series: runs
          .filter(
            (r) => r.measurements && r.measurements.lr === Math.max(...c.lrs) && r.seed === runs[0]!.seed,
          )
          .map((r) => ({ name: r.variant, points: r.measurements!.logits })),
      },
    ];
    const floor = runs.find((r) => r.measurements)?.measurements?.floor ?? null;
    charts.push(lossChart('E6: training loss', runs, floor));
    return charts;
  },
});

function of(runs: RunRecord<E6Config, E6Measurements>[], v: string): E6Measurements[] {
  return runs.filter((r) => r.variant === v && r.measurements).map((r) => r.measurements!);
}

/** Mean held-out loss of a variant over seeds; null when any seed diverged (no eval loss). */
function evalMean(runs: RunRecord<E6Config, E6Measurements>[], v: string): number | null {
  const ms = of(runs, v);
  if (ms.length === 0 || ms.some((m) => m.train.evalLoss === null)) return null;
  return mean(ms.map((m) => m.train.evalLoss!));
}

/**
 * Wortsman et al.'s LR sensitivity: E over lrs of [min(loss(lr), L0) - min over lrs loss(lr)],
 * where a diverged run's loss is the initial loss L0 (the cap).
 */
function sensitivity(runs: RunRecord<E6Config, E6Measurements>[], lrs: number[], qk: boolean): number {
  const loss = lrs.map((lr) => {
    const ms = of(runs, variant(qk, lr));
    if (ms.length === 0) return Number.NaN;
    const cap = mean(ms.map((m) => m.train.initialLoss));
    return Math.min(cap, mean(ms.map((m) => m.train.evalLoss ?? cap)));
  });
  const best = Math.min(...loss);
  return mean(loss.map((l) => l - best));
}
