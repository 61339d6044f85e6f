import type { ReferenceLevels } from '../../data/corpus.js';
import type { Json } from '../../json.js';
import type { LineChart } from '../../report/chart-types.js';
import type { RunRecord } from '../types.js';
import { classifyRun, fmt, type RunOutcome, trainedThreshold } from '../verdicts.js';
import type { TrainRecord } from './train.js';

/**
 * Shared reading of training runs: each run is trained, stalled or diverged (verdicts.ts:
 * trainedThreshold with fraction 1/4), and a variant over seeds takes the majority outcome.
 */

/** What a training experiment's measurements must hold for these helpers. */
export type HasTraining = {
  train: TrainRecord;
  /** The corpus's exact levels (null for a --text corpus). */
  levels: ReferenceLevels | null;
};

export function thresholdText(levels: ReferenceLevels | null): string {
  return levels
    ? `trained = final loss < H0 - (H0 - H1)/4 = ${fmt(trainedThreshold(levels, 0), 4)} nats ` +
        `(H0 ${fmt(levels.unigram, 4)}, H1 ${fmt(levels.bigram, 4)}, entropy rate ${fmt(levels.rate, 4)})`
    : 'trained = final loss < 0.9 x initial loss';
}

export function outcomeOf(m: HasTraining): RunOutcome {
  return classifyRun(
    { diverged: m.train.diverged, finalLoss: m.train.finalLoss },
    trainedThreshold(m.levels, m.train.initialLoss),
  );
}

type Runs<M> = readonly RunRecord<Json, M & Json>[];

/** The outcome of every seed of a variant (a failed run, measurements null, counts as diverged). */
export function outcomes<M extends HasTraining>(runs: Runs<M>, variant: string): RunOutcome[] {
  return runs
    .filter((r) => r.variant === variant)
    .map((r) => (r.measurements ? outcomeOf(r.measurements) : 'diverged'));
}

/** The majority outcome ('trained' needs more than half of the seeds), or null without runs. */
export function majority(list: readonly RunOutcome[]): RunOutcome | null {
  if (list.length === 0) return null;
  const trained = list.filter((o) => o === 'trained').length;
  if (trained * 2 > list.length) return 'trained';
  const diverged = list.filter((o) => o === 'diverged').length;
  return diverged >= list.length - trained - diverged ? 'diverged' : 'stalled';
}

/** "trained 2/3" for summaries. */
export function countText(list: readonly RunOutcome[]): string {
  return `trained ${list.filter((o) => o === 'trained').length}/${list.length}`;
}

/** The levels recorded by the first successful run (every run of an experiment uses one corpus). */
export function levelsOf<M extends HasTraining>(runs: Runs<M>): ReferenceLevels | null {
  return runs.find((r) => r.measurements !== null)?.measurements?.levels ?? null;
}

/** One loss curve per run, plus the exact entropy floor of the window as a flat reference line. */
export function lossChart<M extends HasTraining>(
  title: string,
  runs: Runs<M>,
  floor: number | null,
  filter: (r: RunRecord<Json, M & Json>) => boolean = () => true,
): LineChart {
  const series = runs
    .filter((r) => r.measurements !== null && filter(r))
    .map((r) => ({ name: `${r.variant} s${r.seed}`, points: r.measurements!.train.curve }));
  if (floor !== null && series.length > 0) {
    const last = Math.max(...series.map((s) => s.points[s.points.length - 1]?.[0] ?? 1));
    series.push({
      name: 'entropy floor',
      points: [
        [1, floor],
        [last, floor],
      ],
    });
  }
  return { kind: 'line', title, xLabel: 'step', yLabel: 'training loss (nats)', series };
}
