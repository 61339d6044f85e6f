import { Worker } from 'node:worker_threads';

/**
 * Start a bench worker thread (src/worker.ts, built as dist/worker.js). From dist the entry sits
 * next to whichever bundle chunk this code ended up in. From TypeScript source (under vitest or tsx)
 * it goes through tsx-boot.mjs, with the @normkit/source export condition so that workspace packages
 * resolve to their source as they do in the parent.
 *
 * Each worker is a separate V8 isolate: a peer that detaches ArrayBuffers (tfjs-wasm growing its
 * memory) slows typed-array loops only in its own isolate, never in the main thread (TOOLCHAIN.md).
 */
export function startWorker(workerData: Record<string, unknown>): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const entry = new URL('../worker.ts', here).href;
    return new Worker(new URL('./tsx-boot.mjs', here), {
      workerData: { ...workerData, entry },
      execArgv: ['--conditions=@normkit/source'],
    });
  }
  return new Worker(new URL('./worker.js', here), { workerData });
}
