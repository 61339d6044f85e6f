import type { Json } from '../json.js';
import type { Chart } from '../report/chart-types.js';

/**
 * The experiment interface. An experiment tests one published claim. Each mode (quick, full) has one
 * configuration; a configuration expands into independent jobs, one per (variant, seed), which the
 * runner may run in parallel on worker threads. Everything an experiment returns is plain JSON.
 */
export type Mode = 'quick' | 'full';

export interface Verdict {
  verdict: 'reproduced' | 'not reproduced' | 'inconclusive';
  /** One or two sentences with the numbers that decided it. */
  summary: string;
}

/** One training step, as shown on the live line: step, loss, lr, tokens/s. */
export interface StepReport {
  step: number;
  totalSteps: number;
  loss: number;
  lr?: number;
  /** Tokens (or samples) processed by this step; the reporter turns them into tokens/s. */
  tokens?: number;
}

export interface RunReporter {
  step(report: StepReport): void;
  /** A line of text printed above the live display (kept in the console output). */
  log(message: string): void;
}

export interface RunContext {
  mode: Mode;
  variant: string;
  /** The run's seed; the runner has already called manualSeed(seed) on @normkit/tensor. */
  seed: number;
  report: RunReporter;
  /** The UTF-8 text given with --text, or null for the built-in data (read on first call). */
  text(): string | null;
}

export interface RunRecord<C extends Json = Json, M extends Json = Json> {
  experiment: string;
  variant: string;
  seed: number;
  config: C;
  /** What run() returned, or null when it threw (then `error` holds the message). */
  measurements: M | null;
  wallMs: number;
  error?: string;
}

export interface Experiment<C extends Json = Json, M extends Json = Json> {
  id: string;
  title: string;
  /** The published claim being tested, with its source (paper, section). */
  claim: string;
  configs: { quick: C; full: C };
  /**
   * Part of the quick run (`normkit-bench --quick`, or `experiments --quick` without ids); default
   * false. Only experiments whose quick config still gives a meaningful verdict in seconds set it;
   * the others run with --full, or by naming them (`experiments e5 --quick` uses their quick config).
   */
  inQuickRun?: boolean;
  /** Independent runs per seed (e.g. ['post-ln', 'post-ln+warmup', 'pre-ln']); default ['default']. */
  variants?(config: C): string[];
  /** How many seeds each variant runs with; default 1. Seeds are base, base+1, ... for every variant. */
  seeds?(config: C): number;
  run(config: C, ctx: RunContext): M | Promise<M>;
  /** Reads every run of this experiment (failed runs included, with measurements null). */
  verdict(runs: RunRecord<C, M>[], config: C): Verdict;
  charts?(runs: RunRecord<C, M>[], config: C): Chart[];
}

/** Any experiment, with its config and measurement types erased (what a registry holds). */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds experiments of different config types
export type AnyExperiment = Experiment<any, any>;

/** Identity helper that keeps C and M inferred when declaring an experiment. */
export function defineExperiment<C extends Json, M extends Json>(
  experiment: Experiment<C, M>,
): Experiment<C, M> {
  return experiment;
}
