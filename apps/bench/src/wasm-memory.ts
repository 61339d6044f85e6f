/**
 * Imported first by the CLI and the worker entry, before anything allocates: the bench trains GPTs
 * whose working set (C 128, 8192 tokens: ~570 MiB high water) needs the library's default 1 GiB
 * wasm memory: insist on that size here (the library's default would silently settle for less
 * where the engine refuses 1 GiB, and a non-shared memory never grows; a shared one, Node's, would
 * grow past it, but growing mid-benchmark is not what a timed run should measure). Untouched
 * pages cost nothing on 64-bit Node; each worker thread has its own memory.
 */
import { isMainThread } from 'node:worker_threads';
import { configureWasm } from '@normkit/tensor';
import { startKernelPool } from '@normkit/tensor/node';

export const BENCH_WASM_MIB = 1024;
configureWasm({ memoryMiB: BENCH_WASM_MIB });

/**
 * Experimental (Issue 9, phase 2): NORMKIT_KERNEL_THREADS=2 runs the main isolate's big
 * LayerNorm/RMSNorm forward calls on a 2-thread kernel pool (@normkit/tensor/node). Off by
 * default: the kernels table then measures single-threaded normkit, as its rows are labelled.
 */
const kernelThreads = Number(process.env.NORMKIT_KERNEL_THREADS ?? 1);
if (isMainThread && kernelThreads > 1) {
  startKernelPool({ threads: kernelThreads });
  console.log(`normkit kernel pool: ${kernelThreads} threads (NORMKIT_KERNEL_THREADS)`);
}
