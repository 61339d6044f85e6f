import type { RunReporter, StepReport } from '../experiments/types.js';

/** What a running job tells the display (forwarded from a worker by postMessage, as plain data). */
export type RunEvent =
  | { type: 'step'; jobId: string; report: StepReport; tokensPerSec: number | null }
  | { type: 'log'; jobId: string; message: string };

/**
 * The reporter an experiment's training loop calls every step. step() must cost next to nothing in a
 * hot loop, so it forwards at most one event per `intervalMs` (and always the last step); tokens/s is
 * the average since the first reported step: total tokens / elapsed time.
 */
export function createReporter(
  jobId: string,
  emit: (event: RunEvent) => void,
  intervalMs = 200,
  now: () => number = () => performance.now(),
): RunReporter {
  let start = Number.NaN;
  let tokens = 0;
  let last = Number.NEGATIVE_INFINITY;
  return {
    step(report: StepReport) {
      const t = now();
      if (Number.isNaN(start)) start = t;
      tokens += report.tokens ?? 0;
      if (t - last < intervalMs && report.step < report.totalSteps) return;
      last = t;
      const elapsed = (t - start) / 1000;
      const tokensPerSec = report.tokens === undefined || elapsed <= 0 ? null : tokens / elapsed;
      emit({ type: 'step', jobId, report: { ...report }, tokensPerSec });
    },
    log(message: string) {
      emit({ type: 'log', jobId, message });
    },
  };
}

function num(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(digits - 1) : x.toPrecision(digits);
}

function rate(perSec: number): string {
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)}M`;
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(1)}k`;
  return perSec.toFixed(0);
}

/** The live line of a training run: "<label> step 120/500 loss 3.214 lr 3.00e-4 12.3k tok/s". */
export function formatStepLine(label: string, report: StepReport, tokensPerSec: number | null): string {
  const parts = [`${label} step ${report.step}/${report.totalSteps}`, `loss ${num(report.loss, 4)}`];
  if (report.lr !== undefined) parts.push(`lr ${report.lr.toExponential(2)}`);
  if (tokensPerSec !== null) parts.push(`${rate(tokensPerSec)} tok/s`);
  return parts.join(' ');
}
