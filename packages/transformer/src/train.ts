import { noGrad } from '@normkit/autograd';
import type { LrSchedule } from '@normkit/nn';
import { clipGradNorm } from '@normkit/nn';
import { Generator, tidy } from '@normkit/tensor';
import { encodeCheckpoint, restoreCheckpoint, type TrainOptimizer } from './checkpoint.js';
import type { GPT } from './gpt.js';
import { type GradNormRecord, gradientNorms, type LayerRecord } from './instrumentation.js';
import type { TokenBatch } from './tokens.js';

export interface Batch {
  idx: TokenBatch;
  targets: TokenBatch;
}

export interface StepInfo {
  /** The update just taken, counted from 1 (update `step` used schedule.lrAt(step - 1)). */
  step: number;
  loss: number;
  /** Euclidean norm of all gradients together, before clipping. */
  gradNorm: number;
  lr: number;
  tokensPerSecond: number;
  /** Mean loss on evalData, on the steps that are multiples of evalEvery. */
  evalLoss?: number;
  /** With model.instrumentation enabled: per-layer residual and attention statistics, gradient norms. */
  layers?: LayerRecord[];
  gradNorms?: GradNormRecord[];
}

export interface TrainOptions {
  model: GPT;
  /** The batch for the update after `step` completed ones; draw any randomness from `rng` (checkpointed). */
  data: (step: number, rng: Generator) => Batch;
  optimizer: TrainOptimizer;
  /** Sets optimizer.lr before each update (default: leave it). */
  schedule?: LrSchedule;
  /** Run until this many updates are done (counting those before a resume). */
  steps: number;
  evalEvery?: number;
  evalData?: Batch | (() => Batch);
  onStep?: (info: StepInfo) => void | Promise<void>;
  /** Clip the gradients' joint norm to this (default: no clipping). */
  clipGradNorm?: number;
  /** Save a checkpoint every `every` updates (and after the last one). */
  checkpoint?: { every: number; save: (bytes: Uint8Array, step: number) => void | Promise<void> };
  /** Continue from a checkpoint's bytes (model, optimizer, step, generators, initial loss). */
  resume?: Uint8Array;
  /** Seed of the data generator (default 0). */
  seed?: number;
  /** Divergence: a non-finite loss or gradient norm, or loss > divergenceFactor * the first loss (default 5). */
  divergenceFactor?: number;
}

export interface TrainResult {
  status: 'completed' | 'diverged';
  /** Updates completed; when diverged, the update that was refused is step + 1. */
  step: number;
  /** The last loss seen (the diverging one when diverged). */
  loss: number;
  reason?: string;
  history: StepInfo[];
}

function checkCount(arg: string, v: number | undefined, min: number): void {
  if (v !== undefined && (!Number.isSafeInteger(v) || v < min)) {
    throw new RangeError(`train: ${arg} expected an integer >= ${min}, got ${v}`);
  }
}

/**
 * A plain training loop: for each update, lr from the schedule, forward on data(step, rng),
 * divergence check, backward, optional clipping, optimizer step; report through onStep. A
 * diverging run stops before applying the bad update and returns status 'diverged'. Resuming from
 * a checkpoint continues exactly (model, optimizer state, data and dropout generators, step).
 *
 * Memory: each update runs inside tidy() and hands out only numbers, so on the wasm backend every
 * tensor it allocates (the batch from `data`, activations, the graph's saved tensors) is freed when
 * it ends and the next update reuses the same blocks: the memory stays flat however long the run.
 * What outlives an update is kept where it is created: parameters and optimizer state by
 * @normkit/nn, the gradients by @normkit/autograd's backward (so `p.grad` stays readable after the
 * update, as in PyTorch, until the next zeroGrad disposes it). A `data` function that caches
 * tensors it creates must keep() them. Checkpoint encoding and restoring run in tidies of their own.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { model, optimizer, schedule, steps, evalEvery, onStep, checkpoint } = options;
  checkCount('steps', steps, 0);
  checkCount('evalEvery', evalEvery, 1);
  checkCount('checkpoint.every', checkpoint?.every, 1);
  const factor = options.divergenceFactor ?? 5;
  if (!(factor > 1)) throw new RangeError(`train: divergenceFactor expected a number > 1, got ${factor}`);
  if (options.clipGradNorm !== undefined && !(options.clipGradNorm > 0)) {
    throw new RangeError(`train: clipGradNorm expected a number > 0, got ${options.clipGradNorm}`);
  }
  const rng = new Generator(options.seed ?? 0);
  const generators = { data: rng, model: model.generator };
  let step = 0;
  let initialLoss: number | null = null;
  const resume = options.resume;
  if (resume)
    ({ step, initialLoss } = tidy(() => restoreCheckpoint(resume, { model, optimizer, generators })));
  const history: StepInfo[] = [];
  const params = optimizer.params();
  const clip = options.clipGradNorm ?? Number.POSITIVE_INFINITY;
  let loss = Number.NaN;
  model.train();
  const stop = (reason: string): TrainResult => ({ status: 'diverged', step, loss, reason, history });
  while (step < steps) {
    const t0 = performance.now();
    const lr = schedule ? schedule.lrAt(step) : optimizer.lr;
    optimizer.lr = lr;
    // one update; returns numbers only (a reason to stop, or what onStep reports)
    const r = tidy((): { stop: string } | { info: Partial<StepInfo>; gradNorm: number; tokens: number } => {
      const batch = options.data(step, rng);
      optimizer.zeroGrad();
      const out = model.forward(batch.idx, batch.targets);
      loss = out.loss!.item();
      initialLoss ??= loss;
      if (!Number.isFinite(loss)) return { stop: `loss is ${loss} at update ${step + 1}` };
      if (loss > factor * initialLoss) {
        return {
          stop: `loss ${loss} exceeds ${factor} x the initial loss ${initialLoss} at update ${step + 1}`,
        };
      }
      out.loss!.backward();
      const info: Partial<StepInfo> = {};
      if (model.instrumentation.enabled) {
        info.layers = model.instrumentation.layers.map((r) => ({ ...r }));
        info.gradNorms = gradientNorms(model);
      }
      const gradNorm = clipGradNorm(params, clip);
      if (!Number.isFinite(gradNorm)) return { stop: `gradient norm is ${gradNorm} at update ${step + 1}` };
      optimizer.step();
      return { info, gradNorm, tokens: out.logits.shape[0]! * out.logits.shape[1]! };
    });
    if ('stop' in r) return stop(r.stop);
    step++;
    const seconds = (performance.now() - t0) / 1000;
    const { info, gradNorm, tokens } = r;
    Object.assign(info, { step, loss, gradNorm, lr, tokensPerSecond: tokens / Math.max(seconds, 1e-9) });
    if (evalEvery !== undefined && options.evalData !== undefined && step % evalEvery === 0) {
      info.evalLoss = evaluate(model, options.evalData);
    }
    history.push(info as StepInfo);
    await onStep?.(info as StepInfo);
    if (checkpoint && (step % checkpoint.every === 0 || step === steps)) {
      const state = { step, initialLoss, generators };
      await checkpoint.save(
        tidy(() => encodeCheckpoint(model, optimizer, state)),
        step,
      );
    }
  }
  return { status: 'completed', step, loss, history };
}

/**
 * The loss on a batch in eval mode (no dropout), without recording a graph; inside tidy(), so on
 * the wasm backend everything it allocates (a batch `data()` makes too) is freed.
 */
export function evaluate(model: GPT, data: Batch | (() => Batch)): number {
  const wasTraining = model.training;
  model.eval();
  try {
    return tidy(() => {
      const batch = typeof data === 'function' ? data() : data;
      return noGrad(() => model.forward(batch.idx, batch.targets).loss!.item());
    });
  } finally {
    model.train(wasTraining);
  }
}
