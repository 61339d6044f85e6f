/**
 * Learning-rate schedules: pure functions of the step, as objects `{ lrAt(step) }`.
 *
 * Step convention: `step` is the number of optimizer updates already applied (0, 1, 2, ...), and
 * `lrAt(step)` is the learning rate of the next update, update number step + 1. This is PyTorch's
 * convention for a scheduler built before training and stepped after each `optimizer.step()`:
 * after k scheduler steps the optimizer uses LambdaLR's lr * lambda(k), and here lrAt(k).
 *
 * Warmup over W updates ramps linearly to the peak and reaches it on update W:
 *   lrAt(s) = lr * (s + 1) / W  for s < W
 * as llm.c and nanoGPT, and PyTorch's LinearLR(start_factor = 1/W, total_iters = W - 1). No update
 * runs at lr 0 (Hugging Face's get_*_schedule_with_warmup use s / W, whose first update is wasted).
 * The decay then runs from lr at s = W to minLr at s = totalSteps, and stays at minLr after.
 */

export interface LrSchedule {
  /** The learning rate for the update that follows `step` completed updates (step = 0, 1, ...). */
  lrAt(step: number): number;
}

function checkStep(op: string, step: number): void {
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new RangeError(`${op}: step expected a non-negative integer, got ${step}`);
  }
}

function checkRate(op: string, arg: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${op}: ${arg} expected a finite number >= 0, got ${value}`);
  }
}

function checkCount(op: string, arg: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${op}: ${arg} expected an integer >= ${min}, got ${value}`);
  }
}

/** Multiply `lr` by `multiplier(step)`, as torch.optim.lr_scheduler.LambdaLR. */
export function lambdaSchedule(lr: number, multiplier: (step: number) => number): LrSchedule {
  checkRate('lambdaSchedule', 'lr', lr);
  return {
    lrAt(step) {
      checkStep('lambdaSchedule', step);
      return lr * multiplier(step);
    },
  };
}

export function constantSchedule(lr: number): LrSchedule {
  checkRate('constantSchedule', 'lr', lr);
  return {
    lrAt(step) {
      checkStep('constantSchedule', step);
      return lr;
    },
  };
}

export interface WarmupOptions {
  /** Peak learning rate. */
  lr: number;
  /** Updates spent ramping up; 0 means none. */
  warmupSteps: number;
}

/** Linear warmup to lr over warmupSteps updates, then constant. */
export function linearWarmupSchedule({ lr, warmupSteps }: WarmupOptions): LrSchedule {
  const op = 'linearWarmupSchedule';
  checkRate(op, 'lr', lr);
  checkCount(op, 'warmupSteps', warmupSteps, 0);
  return {
    lrAt(step) {
      checkStep(op, step);
      return step < warmupSteps ? (lr * (step + 1)) / warmupSteps : lr;
    },
  };
}

export interface WarmupDecayOptions extends WarmupOptions {
  /** The step at which the decay reaches minLr (>= warmupSteps); later steps stay at minLr. */
  totalSteps: number;
  /** Final learning rate, 0 <= minLr <= lr; default 0. */
  minLr?: number;
}

/**
 * Linear warmup, then half a cosine from lr to minLr (Loshchilov & Hutter's SGDR without restarts;
 * nanoGPT's get_lr):  lrAt(s) = minLr + (lr - minLr) * (1 + cos(pi * p)) / 2,
 * p = (s - warmupSteps) / (totalSteps - warmupSteps). Equals PyTorch's CosineAnnealingLR with
 * T_max = totalSteps - warmupSteps, eta_min = minLr, started after the warmup.
 */
export function warmupCosineSchedule(options: WarmupDecayOptions): LrSchedule {
  return warmupDecay('warmupCosineSchedule', options, (p) => 0.5 * (1 + Math.cos(Math.PI * p)));
}

/** Linear warmup, then linear decay from lr to minLr: lrAt(s) = minLr + (lr - minLr) * (1 - p). */
export function warmupLinearSchedule(options: WarmupDecayOptions): LrSchedule {
  return warmupDecay('warmupLinearSchedule', options, (p) => 1 - p);
}

function warmupDecay(
  op: string,
  options: WarmupDecayOptions,
  shape: (progress: number) => number,
): LrSchedule {
  const { lr, warmupSteps, totalSteps, minLr = 0 } = options;
  checkRate(op, 'lr', lr);
  checkCount(op, 'warmupSteps', warmupSteps, 0);
  checkCount(op, 'totalSteps', totalSteps, warmupSteps);
  checkRate(op, 'minLr', minLr);
  if (minLr > lr) throw new RangeError(`${op}: minLr expected at most lr = ${lr}, got ${minLr}`);
  const decaySteps = totalSteps - warmupSteps;
  return {
    lrAt(step) {
      checkStep(op, step);
      if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
      if (step >= totalSteps) return minLr;
      return minLr + (lr - minLr) * shape((step - warmupSteps) / decaySteps);
    },
  };
}

export interface InverseSqrtOptions {
  /** Model width d_model: the peak lr scales as d_model^-0.5. */
  dModel: number;
  warmupSteps: number;
  /** Overall multiplier (the Annotated Transformer's `factor`); default 1. */
  factor?: number;
}

/**
 * The original Transformer's schedule (Vaswani et al. 2017, eq. 3), with n = step + 1 the number
 * of the update being taken (the paper counts from 1):
 *   lr = factor * dModel^-0.5 * min(n^-0.5, n * warmupSteps^-1.5)
 * Linear growth for n <= warmupSteps, peak factor * (dModel * warmupSteps)^-0.5 at n = warmupSteps
 * (step = warmupSteps - 1, as the warmup above), then decay as n^-0.5.
 */
export function inverseSqrtSchedule({ dModel, warmupSteps, factor = 1 }: InverseSqrtOptions): LrSchedule {
  const op = 'inverseSqrtSchedule';
  if (!Number.isFinite(dModel) || dModel <= 0)
    throw new RangeError(`${op}: dModel expected a number > 0, got ${dModel}`);
  checkCount(op, 'warmupSteps', warmupSteps, 1);
  checkRate(op, 'factor', factor);
  const scale = factor / Math.sqrt(dModel);
  const warm = warmupSteps ** -1.5;
  return {
    lrAt(step) {
      checkStep(op, step);
      const n = step + 1;
      return scale * Math.min(1 / Math.sqrt(n), n * warm);
    },
  };
}
