// Worker bootstrap used only when the bench runs from TypeScript source (vitest, tsx): Node 20
// cannot load .ts files and ignores `--import tsx` in a worker's execArgv, so the worker registers
// tsx's loader itself and then imports the real entry. The built CLI starts dist/worker.js directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
