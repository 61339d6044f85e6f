import type { Verdict } from './types.js';

/**
 * Pure helpers the experiments use to turn measurements into a verdict. Nothing here knows an
 * experiment: curves are arrays of losses, profiles arrays of per-layer values, and a verdict is
 * decided from a list of checks, each stating its measured number and its threshold.
 */

/** A number for a summary: 3 significant digits, exponent form for tiny or huge values. */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return 'n/a';
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(digits - 1);
  return Number(x.toPrecision(digits)).toString();
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Mean, sample standard deviation (0 for one value) and count. */
export function meanSd(values: readonly number[]): { mean: number; sd: number; n: number } {
  const m = mean(values);
  const n = values.length;
  if (n < 2) return { mean: m, sd: 0, n };
  let ss = 0;
  for (const v of values) ss += (v - m) ** 2;
  return { mean: m, sd: Math.sqrt(ss / (n - 1)), n };
}

/** Mean of the paired differences a_i - b_i and its standard error sd / sqrt(n). */
export function pairedDifference(
  a: readonly number[],
  b: readonly number[],
): { mean: number; se: number; n: number } {
  if (a.length !== b.length) {
    throw new RangeError(
      `pairedDifference: a and b expected the same length, got ${a.length} and ${b.length}`,
    );
  }
  const d = meanSd(a.map((v, i) => v - b[i]!));
  return { mean: d.mean, se: d.n > 1 ? d.sd / Math.sqrt(d.n) : Number.NaN, n: d.n };
}

/**
 * The loss a run ended at: the mean of its last `fraction` of values (at least one), so one noisy
 * batch does not decide. NaN when any of those values is not finite.
 */
export function finalLoss(losses: readonly number[], fraction = 0.1): number {
  if (losses.length === 0) return Number.NaN;
  const k = Math.max(1, Math.round(losses.length * fraction));
  const tail = losses.slice(-k);
  return tail.every(Number.isFinite) ? mean(tail) : Number.NaN;
}

export type RunOutcome = 'trained' | 'stalled' | 'diverged';

/**
 * A run's outcome: 'diverged' when training stopped on a non-finite or exploding loss (or its final
 * loss is not finite), 'stalled' when it finished with a final loss at or above `threshold`, else
 * 'trained'.
 */
export function classifyRun(run: { diverged: boolean; finalLoss: number }, threshold: number): RunOutcome {
  if (run.diverged || !Number.isFinite(run.finalLoss)) return 'diverged';
  return run.finalLoss >= threshold ? 'stalled' : 'trained';
}

/**
 * The loss a run must get below to count as trained. With the exact levels of the synthetic
 * language: H0 - fraction * (H0 - H1), i.e. the run has learned at least `fraction` of what one
 * symbol of context is worth (a stalled Transformer sits at the unigram entropy H0, ignoring its
 * context). Without levels (a user's text): (1 - 0.4 fraction) of the initial loss (90% at 1/4).
 */
export function trainedThreshold(
  levels: { unigram: number; bigram: number } | null,
  initialLoss: number,
  fraction = 0.25,
): number {
  return levels
    ? levels.unigram - fraction * (levels.unigram - levels.bigram)
    : (1 - 0.4 * fraction) * initialLoss;
}

/** profile[last] / profile[first]. */
export function endRatio(profile: readonly number[]): number {
  if (profile.length < 2)
    throw new RangeError(`endRatio: profile expected at least 2 values, got ${profile.length}`);
  return profile[profile.length - 1]! / profile[0]!;
}

/**
 * Growth per layer: exp of the least-squares slope of ln(profile) against the layer index, so a
 * profile v_l = c g^l gives g exactly, and a flat one 1. Needs positive values.
 */
export function growthPerLayer(profile: readonly number[]): number {
  const n = profile.length;
  if (n < 2) throw new RangeError(`growthPerLayer: profile expected at least 2 values, got ${n}`);
  if (profile.some((v) => !(v > 0))) {
    throw new RangeError(
      `growthPerLayer: profile expected positive values, got ${profile.map((v) => fmt(v)).join(', ')}`,
    );
  }
  const xm = (n - 1) / 2;
  const ym = mean(profile.map(Math.log));
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - xm) * (Math.log(profile[i]!) - ym);
    sxx += (i - xm) ** 2;
  }
  return Math.exp(sxy / sxx);
}

/** Element-wise mean of equal-length profiles (one per seed). */
export function meanProfile(profiles: readonly (readonly number[])[]): number[] {
  if (profiles.length === 0) return [];
  const n = profiles[0]!.length;
  if (profiles.some((p) => p.length !== n)) {
    throw new RangeError(
      `meanProfile: profiles expected equal lengths, got ${profiles.map((p) => p.length).join(', ')}`,
    );
  }
  return Array.from({ length: n }, (_, i) => mean(profiles.map((p) => p[i]!)));
}

/**
 * The smallest k such that k or more successes out of n fair coin flips has probability <= alpha
 * (a one-sided sign test: "A beat B in k of n paired runs" is significant from this k on), or null
 * when even n of n is not significant (n < 5 at alpha 0.05).
 */
export function signTestMinimum(n: number, alpha = 0.05): number | null {
  let tail = 0;
  let binom = 1; // C(n, k), from k = n down
  for (let k = n; k >= 0; k--) {
    tail += binom / 2 ** n;
    if (tail > alpha) return k === n ? null : k + 1;
    binom = (binom * k) / (n - k + 1);
  }
  return 0;
}

/**
 * The first step at which the running mean of the last `window` losses is at or below target, or
 * null when the curve never gets there. points are [step, loss] in step order.
 */
export function stepsToTarget(
  points: readonly (readonly [number, number])[],
  target: number,
  window = 5,
): number | null {
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    sum += points[i]![1];
    if (i >= window) sum -= points[i - window]![1];
    const k = Math.min(i + 1, window);
    if (i + 1 >= window && sum / k <= target) return points[i]![0];
  }
  return null;
}

/**
 * One condition of a verdict. kind 'claim': what the paper says (false -> not reproduced).
 * kind 'premise': what must hold for the test to mean anything, e.g. the reference model trains
 * (false -> inconclusive). pass null: could not be measured (-> inconclusive).
 */
export interface Check {
  kind: 'claim' | 'premise';
  /** The measured numbers and the threshold, e.g. "Post-LN last/first grad-norm ratio 7.9 (>= 2)". */
  text: string;
  pass: boolean | null;
}

export const claim = (text: string, pass: boolean | null): Check => ({ kind: 'claim', text, pass });
export const premise = (text: string, pass: boolean | null): Check => ({ kind: 'premise', text, pass });

/**
 * reproduced: every check passed. inconclusive: a premise failed or a check could not be measured
 * (the data cannot decide). not reproduced: the premises hold and a claim failed. The summary lists
 * every check with its outcome, so the verdict can be read back from its numbers.
 */
export function decide(checks: readonly Check[]): Verdict {
  if (checks.length === 0) return { verdict: 'inconclusive', summary: 'no checks could be made' };
  const mark = (c: Check) => (c.pass === null ? 'not measured' : c.pass ? 'yes' : 'no');
  const summary = `${checks.map((c) => `${c.text}: ${mark(c)}`).join('; ')}.`;
  const blocked = checks.some((c) => c.pass === null || (c.kind === 'premise' && c.pass === false));
  if (blocked) return { verdict: 'inconclusive', summary };
  const ok = checks.every((c) => c.pass === true);
  return { verdict: ok ? 'reproduced' : 'not reproduced', summary };
}

/**
 * Keep at most `max` points of a curve (every k-th, plus the last), so results.json stays small
 * while the chart keeps its shape.
 */
export function downsample<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return points.slice();
  const k = Math.ceil(points.length / max);
  const out = points.filter((_, i) => i % k === 0);
  if ((points.length - 1) % k !== 0) out.push(points[points.length - 1]!);
  return out;
}

/**
 * A curve for results.json: [step, value] for steps 1..n, values rounded to 5 significant digits
 * (a chart needs no more, and the file shrinks by two thirds), at most `max` points.
 */
export function curvePoints(values: readonly number[], max = 150): [number, number][] {
  return downsample(
    values.map((v, i) => [i + 1, Number.isFinite(v) ? Number(v.toPrecision(5)) : v] as [number, number]),
    max,
  );
}
