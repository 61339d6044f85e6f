/**
 * Worker-thread entry (dist/worker.js). Two roles, chosen by workerData.role:
 * - 'jobs': runs experiment jobs sent by the runner's pool (runner/job-worker.ts);
 * - 'peer': hosts one peer library for the kernel tables (peers/peer-worker.ts), in its own isolate
 *   so that whatever it does to ArrayBuffers cannot slow normkit's loops in the main thread.
 */
import './wasm-memory.js';
import { parentPort, workerData } from 'node:worker_threads';
import { servePeer } from './peers/peer-worker.js';
import { serveJobs } from './runner/job-worker.js';

if (parentPort) {
  if (workerData?.role === 'peer') await servePeer(parentPort, workerData);
  else if (workerData?.role === 'jobs') await serveJobs(parentPort, workerData);
  else throw new Error(`worker: unknown role ${JSON.stringify(workerData?.role)}`);
}
