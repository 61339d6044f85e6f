import { readFileSync } from 'node:fs';
import { manualSeed } from '@normkit/tensor';
import type { AnyExperiment, Mode, RunRecord, RunReporter } from '../experiments/types.js';
import { type Json, toPlainJson } from '../json.js';

/** One independent unit of work: an experiment's configuration run once with one variant and seed. */
export interface Job {
  id: string;
  experiment: string;
  mode: Mode;
  variant: string;
  seed: number;
}

/**
 * Expand experiments into jobs. Every variant runs with the same seeds (base, base+1, ...), so
 * variants are compared on identical initialisations and data orders (paired comparisons).
 */
export function planJobs(list: readonly AnyExperiment[], mode: Mode, baseSeed: number): Job[] {
  const jobs: Job[] = [];
  for (const e of list) {
    const config = e.configs[mode];
    const variants = e.variants?.(config) ?? ['default'];
    const seeds = e.seeds?.(config) ?? 1;
    if (!Number.isInteger(seeds) || seeds < 1) {
      throw new RangeError(`experiment ${e.id}: seeds() must be a positive integer, got ${seeds}`);
    }
    for (const variant of variants) {
      for (let s = 0; s < seeds; s++) {
        const seed = baseSeed + s;
        jobs.push({ id: `${e.id}/${variant}/seed${seed}`, experiment: e.id, mode, variant, seed });
      }
    }
  }
  return jobs;
}

/** Loads the --text file once per process (workers read it themselves: no 10 MB messages). */
export function textLoader(path: string | null): () => string | null {
  let cached: string | null = null;
  return () => {
    if (path === null) return null;
    cached ??= readFileSync(path, 'utf8');
    return cached;
  };
}

/**
 * Run one job where we are (main thread or worker): seed the default generator, time the run,
 * reduce what it returns to plain JSON, and turn an exception into a recorded failure.
 */
export async function executeJob(
  experiment: AnyExperiment,
  job: Job,
  report: RunReporter,
  text: () => string | null,
): Promise<RunRecord> {
  const config = experiment.configs[job.mode] as Json;
  manualSeed(job.seed);
  const start = performance.now();
  try {
    const raw = await experiment.run(config, {
      mode: job.mode,
      variant: job.variant,
      seed: job.seed,
      report,
      text,
    });
    const measurements = toPlainJson(raw, `${job.id} result`);
    return {
      experiment: job.experiment,
      variant: job.variant,
      seed: job.seed,
      config,
      measurements,
      wallMs: performance.now() - start,
    };
  } catch (error) {
    const message = error instanceof Error ? `${error.message}` : String(error);
    return {
      experiment: job.experiment,
      variant: job.variant,
      seed: job.seed,
      config,
      measurements: null,
      wallMs: performance.now() - start,
      error: message,
    };
  }
}
