import type { AnyExperiment, Mode, RunRecord, Verdict } from '../experiments/types.js';
import { type Json, toPlainJson } from '../json.js';
import type { Progress } from '../progress.js';
import type { Chart } from '../report/chart-types.js';
import { executeJob, type Job, planJobs, textLoader } from './jobs.js';
import { runPool } from './pool.js';
import { createReporter, formatStepLine, type RunEvent } from './reporter.js';

export interface ExperimentResult {
  id: string;
  title: string;
  claim: string;
  mode: Mode;
  config: Json;
  runs: RunRecord[];
  verdict: Verdict;
  charts: Chart[];
}

export interface RunExperimentsOptions {
  experiments: readonly AnyExperiment[];
  mode: Mode;
  seed: number;
  /** Parallel worker threads; 1 runs every job in this thread, one after another. */
  jobs: number;
  textPath: string | null;
  progress: Progress;
  /** URL of the module the workers import the experiments from (tests); default the registry. */
  registryModule?: string | null;
}

/**
 * Plan the jobs of the selected experiments, run them (here or on a worker pool), then let each
 * experiment read its runs: verdict and charts are computed in the main thread from plain JSON, so a
 * worker never needs to send anything but its records.
 */
export async function runExperiments(options: RunExperimentsOptions): Promise<ExperimentResult[]> {
  const { experiments, mode, progress } = options;
  const jobs = planJobs(experiments, mode, options.seed);
  const fractions = new Map<string, number>();
  const labels = new Map(jobs.map((j) => [j.id, `${j.experiment}/${j.variant} seed ${j.seed}`]));
  const onEvent = (event: RunEvent) => {
    const label = labels.get(event.jobId) ?? event.jobId;
    if (event.type === 'log') {
      progress.log(`${label}: ${event.message}`);
      return;
    }
    const { step, totalSteps } = event.report;
    fractions.set(event.jobId, totalSteps > 0 ? Math.min(1, step / totalSteps) : 0);
    progress.setPartial(sum(fractions.values()));
    progress.setLive(event.jobId, formatStepLine(label, event.report, event.tokensPerSec));
  };
  const onDone = (job: Job, record: RunRecord) => {
    fractions.delete(job.id);
    progress.setLive(job.id, null);
    if (record.error) progress.log(`${labels.get(job.id)}: FAILED: ${record.error}`);
    progress.advance(1, sum(fractions.values()));
  };

  progress.start('experiments', jobs.length);
  let records: RunRecord[];
  if (options.jobs <= 1 || jobs.length <= 1) {
    const text = textLoader(options.textPath);
    records = [];
    for (const job of jobs) {
      const experiment = experiments.find((e) => e.id === job.experiment)!;
      const record = await executeJob(experiment, job, createReporter(job.id, onEvent), text);
      records.push(record);
      onDone(job, record);
    }
  } else {
    records = await runPool(jobs, {
      size: options.jobs,
      workerData: {
        role: 'jobs',
        registryModule: options.registryModule ?? null,
        textPath: options.textPath,
      },
      onEvent,
      onDone,
    });
  }
  progress.finish();

  return experiments.map((e) => {
    const config = e.configs[mode] as Json;
    const runs = records
      .filter((r) => r.experiment === e.id)
      .map((r) => (r.config === null ? { ...r, config } : r));
    return {
      id: e.id,
      title: e.title,
      claim: e.claim,
      mode,
      config,
      runs,
      verdict: guard(
        () => e.verdict(runs, config),
        (m) => ({ verdict: 'inconclusive', summary: `verdict failed: ${m}` }),
      ),
      charts: guard(
        () => toPlainJson(e.charts?.(runs, config) ?? [], `${e.id} charts`) as unknown as Chart[],
        (m) => {
          progress.log(`${e.id}: charts failed: ${m}`);
          return [];
        },
      ),
    };
  });
}

function guard<T>(fn: () => T, fallback: (message: string) => T): T {
  try {
    return fn();
  } catch (error) {
    return fallback(error instanceof Error ? error.message : String(error));
  }
}

function sum(values: Iterable<number>): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
