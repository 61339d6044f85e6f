import {
  AdamW,
  constantSchedule,
  type LrSchedule,
  linearWarmupSchedule,
  warmupCosineSchedule,
} from '@normkit/nn';
import { evaluate, type GPT, type StepInfo, train } from '@normkit/transformer';
import type { Corpus } from '../../data/corpus.js';
import type { RunContext } from '../types.js';
import { curvePoints, finalLoss } from '../verdicts.js';

/** One training recipe: AdamW (betas 0.9, 0.95, no weight decay, no clipping), as plain JSON. */
export type TrainSpec = {
  steps: number;
  batchSize: number;
  lr: number;
  /** Linear warmup over this many updates (0: none). */
  warmupSteps: number;
  /** After warmup: constant lr, or a half cosine down to lr / 10 at the last step. */
  decay: 'constant' | 'cosine';
};

/** Held-out windows for the final eval loss. */
const EVAL_WINDOWS = 32;

/** What every training run reports: plain JSON. */
export type TrainRecord = {
  /** [step, training loss], at most 150 points. */
  curve: [number, number][];
  initialLoss: number;
  /** Mean training loss over the last 10% of the updates done (NaN after a divergence). */
  finalLoss: number;
  /** Loss on held-out windows after training (null when the run diverged). */
  evalLoss: number | null;
  diverged: boolean;
  reason: string | null;
  stepsDone: number;
  msPerStep: number;
};

function scheduleOf(spec: TrainSpec): LrSchedule {
  if (spec.decay === 'cosine') {
    return warmupCosineSchedule({
      lr: spec.lr,
      warmupSteps: spec.warmupSteps,
      totalSteps: spec.steps,
      minLr: spec.lr / 10,
    });
  }
  return spec.warmupSteps > 0
    ? linearWarmupSchedule({ lr: spec.lr, warmupSteps: spec.warmupSteps })
    : constantSchedule(spec.lr);
}

/**
 * Train `model` on `corpus` with the recipe, reporting each step to the runner. The data stream is
 * seeded with the run's seed (so variants of one seed see identical batches). onStep sees every
 * StepInfo (with per-layer records when the model's instrumentation is on).
 */
export async function trainOnCorpus(
  model: GPT,
  corpus: Corpus,
  spec: TrainSpec,
  ctx: Pick<RunContext, 'seed' | 'report'>,
  onStep?: (info: StepInfo) => void,
): Promise<TrainRecord> {
  const T = model.config.blockSize;
  const B = spec.batchSize;
  const optimizer = new AdamW(model.parameters(), { lr: spec.lr, betas: [0.9, 0.95], weightDecay: 0 });
  const losses: number[] = [];
  const start = performance.now();
  const result = await train({
    model,
    optimizer,
    schedule: scheduleOf(spec),
    steps: spec.steps,
    seed: ctx.seed,
    data: (_step, rng) => corpus.batch(B, T, rng),
    onStep: (info) => {
      losses.push(info.loss);
      ctx.report.step({
        step: info.step,
        totalSteps: spec.steps,
        loss: info.loss,
        lr: info.lr,
        tokens: B * T,
      });
      onStep?.(info);
    },
  });
  const ms = performance.now() - start;
  const diverged = result.status === 'diverged';
  if (diverged) losses.push(result.loss);
  const curve = curvePoints(losses);
  let evalLoss: number | null = null;
  if (!diverged) {
    evalLoss = evaluate(model, corpus.evalBatch(EVAL_WINDOWS, T, ctx.seed));
  }
  return {
    curve,
    initialLoss: losses[0] ?? Number.NaN,
    finalLoss: diverged ? Number.NaN : finalLoss(losses),
    evalLoss,
    diverged,
    reason: result.reason ?? null,
    stepsDone: result.step,
    msPerStep: ms / Math.max(1, result.step),
  };
}
