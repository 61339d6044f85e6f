import { noGrad, reshape } from '@normkit/autograd';
import {
  AdamW,
  crossEntropy,
  LayerNormLSTMCell,
  Linear,
  LSTMCell,
  type Module,
  type RecurrentCell,
  runLSTM,
} from '@normkit/nn';
import { Generator, Tensor, tidy } from '@normkit/tensor';
import { type Corpus, corpusFor, type ReferenceLevels } from '../data/corpus.js';
import type { Chart } from '../report/chart-types.js';
import { tidyStep } from './common/step.js';
import { defineExperiment, type RunRecord } from './types.js';
import { claim, curvePoints, decide, finalLoss, fmt, mean, premise, stepsToTarget } from './verdicts.js';

/**
 * E8: a LayerNorm-LSTM against a plain LSTM on long sequences of the Markov language. Ba, Kiros &
 * Hinton 2016 (Layer Normalization, sections 3.1 and 6) report that layer normalization makes
 * recurrent networks converge faster and stabilises their hidden-state dynamics. Measured here:
 * the updates needed to bring the training loss (5-step running mean) below a target set from the
 * exact entropies, and the norm of the cell and hidden state over time on sequences 4x longer than
 * those trained on (a recurrence whose state drifts with t shows it there).
 */

export type E8Config = {
  hidden: number;
  /** Training sequence length T (the loss is over every position). */
  seqLen: number;
  batchSize: number;
  steps: number;
  lr: number;
  seeds: number;
  /** Target loss: H0 - targetFraction * (H0 - rate) (with a --text corpus: of the initial loss). */
  targetFraction: number;
  /** LN-LSTM is "faster" when it reaches the target in at most this fraction of the LSTM's steps. */
  speedup: number;
};

export type E8Measurements = {
  cell: 'lstm' | 'ln-lstm';
  levels: ReferenceLevels | null;
  curve: [number, number][];
  finalLoss: number;
  target: number;
  /** First update at which the running mean reaches the target (null: never). */
  stepsToTarget: number | null;
  /** Mean over the batch of ||c_t|| and ||h_t||, t = 1 .. 4 T, after training. */
  cellNorm: number[];
  hiddenNorm: number[];
};

export const e8 = defineExperiment<E8Config, E8Measurements>({
  id: 'E8',
  title: 'LayerNorm-LSTM vs LSTM on long sequences',
  claim:
    'Layer normalization speeds up the training of recurrent networks (fewer updates to a given loss) and ' +
    'stabilises their hidden-state dynamics (Ba, Kiros & Hinton 2016, Layer Normalization, sections 3.1 and 6).',
  configs: {
    quick: {
      hidden: 32,
      seqLen: 32,
      batchSize: 8,
      steps: 100,
      lr: 0.01,
      seeds: 1,
      targetFraction: 0.25,
      speedup: 0.8,
    },
    full: {
      hidden: 64,
      seqLen: 100,
      batchSize: 16,
      steps: 300,
      lr: 0.01,
      seeds: 3,
      targetFraction: 0.5,
      speedup: 0.8,
    },
  },
  variants: () => ['lstm', 'ln-lstm'],
  seeds: (c) => c.seeds,
  run(c, ctx) {
    const kind = ctx.variant as 'lstm' | 'ln-lstm';
    const corpus = corpusFor(ctx);
    const V = corpus.vocabSize;
    const cell: RecurrentCell & Module =
      kind === 'lstm'
        ? new LSTMCell(V, c.hidden, { seed: ctx.seed })
        : new LayerNormLSTMCell(V, c.hidden, { seed: ctx.seed });
    const head = new Linear(c.hidden, V, { seed: ctx.seed + 1 });
    const params = [...cell.parameters(), ...head.parameters()];
    const opt = new AdamW(params, { lr: c.lr, weightDecay: 0 });
    const rng = new Generator(ctx.seed);
    const losses: number[] = [];
    for (let step = 1; step <= c.steps; step++) {
      const { xs, ys } = sequenceBatch(corpus, c.batchSize, c.seqLen, rng);
      const loss = tidyStep(opt, () => {
        const { outputs } = runLSTM(cell, xs);
        return crossEntropy(head.forward(reshape(outputs, [c.seqLen * c.batchSize, c.hidden])), ys);
      });
      losses.push(loss);
      ctx.report.step({
        step,
        totalSteps: c.steps,
        loss: losses[step - 1]!,
        lr: c.lr,
        tokens: c.batchSize * c.seqLen,
      });
      if (!Number.isFinite(losses[step - 1]!)) break;
    }
    const levels = corpus.levels;
    const target = levels
      ? levels.unigram - c.targetFraction * (levels.unigram - levels.rate)
      : (1 - c.targetFraction * 0.4) * (losses[0] ?? Math.log(V));
    const points = losses.map((l, i) => [i + 1, l] as [number, number]);
    const long = sequenceBatch(corpus, c.batchSize, 4 * c.seqLen, new Generator(0x5eed0000 + ctx.seed));
    const norms = stateNorms(cell, long.xs);
    return {
      cell: kind,
      levels,
      curve: curvePoints(losses),
      finalLoss: finalLoss(losses),
      target,
      stepsToTarget: stepsToTarget(points, target),
      ...norms,
    };
  },
  verdict(runs, c) {
    const of = (v: string) =>
      runs.filter((r) => r.variant === v && r.measurements).map((r) => r.measurements!);
    const lstm = of('lstm');
    const ln = of('ln-lstm');
    if (lstm.length === 0 || ln.length === 0)
      return { verdict: 'inconclusive', summary: 'a variant failed every run' };
    // a run that never reaches the target counts as the full budget (a lower bound on its steps)
    const steps = (ms: E8Measurements[]) => ms.map((m) => m.stepsToTarget ?? c.steps);
    const reached = (ms: E8Measurements[]) => ms.filter((m) => m.stepsToTarget !== null).length;
    const sLstm = mean(steps(lstm));
    const sLn = mean(steps(ln));
    // drift: the state norm at the end of a 4T sequence over its norm at t = T (the trained length)
    const drift = (ms: E8Measurements[]) =>
      mean(ms.map((m) => m.cellNorm[m.cellNorm.length - 1]! / m.cellNorm[c.seqLen - 1]!));
    const v = decide([
      premise(
        `LN-LSTM reaches the target loss ${fmt(ln[0]!.target)} (${reached(ln)}/${ln.length} runs)`,
        reached(ln) > 0,
      ),
      claim(
        `LN-LSTM steps to target ${fmt(sLn)} vs LSTM ${fmt(sLstm)} (${reached(lstm)}/${lstm.length} reached; unreached = ${c.steps}) (ratio <= ${c.speedup})`,
        sLn <= c.speedup * sLstm,
      ),
    ]);
    return {
      verdict: v.verdict,
      summary:
        `${v.summary} Final loss LN-LSTM ${fmt(mean(ln.map((m) => m.finalLoss)))}, LSTM ${fmt(mean(lstm.map((m) => m.finalLoss)))}. ` +
        `Cell-state norm at t = 4T over t = T: LN-LSTM ${fmt(drift(ln))}, LSTM ${fmt(drift(lstm))} (descriptive, not scored).`,
    };
  },
  charts(runs) {
    const first = firstSeed(runs);
    const t = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    const line = (key: 'cellNorm' | 'hiddenNorm', title: string): Chart => ({
      kind: 'line',
      title,
      xLabel: 't',
      yLabel: 'mean norm over the batch',
      series: first.map((r) => ({
        name: r.variant,
        points: t(r.measurements![key].length).map(
          (i) => [i, r.measurements![key][i - 1]!] as [number, number],
        ),
      })),
    });
    return [
      {
        kind: 'line',
        title: 'E8: training loss',
        xLabel: 'step',
        yLabel: 'loss (nats)',
        series: runs
          .filter((r) => r.measurements)
          .map((r) => ({ name: `${r.variant} s${r.seed}`, points: r.measurements!.curve })),
      },
      line('cellNorm', 'E8: ||c_t|| over t on sequences 4x the training length (seed 0)'),
      line('hiddenNorm', 'E8: ||h_t|| over t (seed 0)'),
    ];
  },
});

function firstSeed(runs: RunRecord<E8Config, E8Measurements>[]) {
  const seen = new Set<string>();
  return runs.filter((r) => r.measurements && !seen.has(r.variant) && seen.add(r.variant));
}

/** One-hot inputs xs [T, B, V] of B windows and their next symbols ys [T * B] in the same order. */
function sequenceBatch(corpus: Corpus, B: number, T: number, rng: Generator): { xs: Tensor; ys: Int32Array } {
  const V = corpus.vocabSize;
  const { idx, targets } = corpus.batch(B, T, rng);
  const xs = new Float32Array(T * B * V);
  const ys = new Int32Array(T * B);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      xs[(t * B + b) * V + idx.data[b * T + t]!] = 1;
      ys[t * B + b] = targets.data[b * T + t]!;
    }
  }
  return { xs: new Tensor(xs, [T, B, V]), ys };
}

/** Mean over the batch of ||c_t|| and ||h_t|| at every step, without a graph. */
function stateNorms(cell: RecurrentCell, xs: Tensor): { cellNorm: number[]; hiddenNorm: number[] } {
  const T = xs.shape[0]!;
  const cellNorm: number[] = [];
  const hiddenNorm: number[] = [];
  // one tidy for the whole sequence (the state must outlive each step): frees it all at the end
  tidy(() =>
    noGrad(() => {
      let state: { h: Tensor; c: Tensor } | undefined;
      for (let t = 0; t < T; t++) {
        const next = cell.forward(xs.select(0, t), state);
        state = { h: next.h.data, c: next.c.data };
        cellNorm.push(Number(meanRowNorm(state.c).toPrecision(5)));
        hiddenNorm.push(Number(meanRowNorm(state.h).toPrecision(5)));
      }
    }),
  );
  return { cellNorm, hiddenNorm };
}

function meanRowNorm(t: Tensor): number {
  const c = t.contiguous();
  const [B, H] = c.shape as [number, number];
  let total = 0;
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let j = 0; j < H; j++) s += c.data[c.offset + b * H + j]! ** 2;
    total += Math.sqrt(s);
  }
  return total / B;
}
