import type { MessagePort } from 'node:worker_threads';
import { experiments as builtin } from '../experiments/registry.js';
import type { AnyExperiment } from '../experiments/types.js';
import { executeJob, textLoader } from './jobs.js';
import type { JobReply, JobRequest, JobWorkerData } from './pool.js';
import { createReporter } from './reporter.js';

/**
 * The worker side of the job protocol: import the registry once, then run each job it is sent and
 * post back its events and its record (plain JSON, no transfer list).
 */
export async function serveJobs(port: MessagePort, data: JobWorkerData): Promise<void> {
  const list: readonly AnyExperiment[] =
    data.registryModule === null ? builtin : (await import(data.registryModule)).experiments;
  const text = textLoader(data.textPath);
  const post = (reply: JobReply) => port.postMessage(reply);
  port.on('message', async (msg: JobRequest) => {
    const experiment = list.find((e) => e.id === msg.job.experiment);
    if (!experiment) throw new Error(`worker: no experiment with id ${msg.job.experiment} in the registry`);
    const record = await executeJob(experiment, msg.job, createReporter(msg.job.id, post), text);
    post({ type: 'done', jobId: msg.job.id, record });
  });
}
