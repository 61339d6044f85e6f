import type { Worker } from 'node:worker_threads';
import type { RunRecord } from '../experiments/types.js';
import type { Job } from './jobs.js';
import type { RunEvent } from './reporter.js';
import { startWorker } from './worker-entry.js';

/** Messages of the job protocol (main -> worker: run; worker -> main: events, then done). */
export type JobRequest = { type: 'run'; job: Job };
export type JobReply = RunEvent | { type: 'done'; jobId: string; record: RunRecord };

export interface JobWorkerData {
  role: 'jobs';
  /** URL of a module exporting `experiments`; null = the built-in registry. */
  registryModule: string | null;
  textPath: string | null;
}

export interface PoolOptions {
  size: number;
  workerData: JobWorkerData;
  onEvent(event: RunEvent): void;
  onDone(job: Job, record: RunRecord): void;
}

/**
 * Run jobs on `size` worker threads, each taking the next job when it finishes one. Records come
 * back by structured clone of plain JSON, never with a transfer list: transferring detaches the
 * ArrayBuffer, and once any buffer in an isolate is detached V8 runs its typed-array loops ~1.5x
 * slower for the rest of the process. A worker that dies fails its job and is replaced.
 */
export async function runPool(jobs: readonly Job[], options: PoolOptions): Promise<RunRecord[]> {
  const records: RunRecord[] = new Array(jobs.length);
  let next = 0;
  const size = Math.max(1, Math.min(options.size, jobs.length));

  const lane = async (): Promise<void> => {
    let worker: Worker | null = null;
    try {
      while (next < jobs.length) {
        const index = next++;
        const job = jobs[index]!;
        worker ??= startWorker({ ...options.workerData });
        const record = await runOne(worker, job, options.onEvent).catch((error: Error) => {
          worker?.terminate();
          worker = null;
          return failed(job, `worker failed: ${error.message}`);
        });
        records[index] = record;
        options.onDone(job, record);
      }
    } finally {
      await (worker as Worker | null)?.terminate();
    }
  };
  await Promise.all(Array.from({ length: size }, lane));
  return records;
}

function runOne(worker: Worker, job: Job, onEvent: (e: RunEvent) => void): Promise<RunRecord> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: JobReply) => {
      if (msg.type === 'done') {
        cleanup();
        resolve(msg.record);
      } else {
        onEvent(msg);
      }
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`exited with code ${code} while running ${job.id}`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    const request: JobRequest = { type: 'run', job };
    worker.postMessage(request);
  });
}

function failed(job: Job, error: string): RunRecord {
  return {
    experiment: job.experiment,
    variant: job.variant,
    seed: job.seed,
    config: null,
    measurements: null,
    wallMs: 0,
    error,
  };
}
