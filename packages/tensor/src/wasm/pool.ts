/**
 * A pool of threads that run wasm kernels on the one shared wasm memory (Phase 2 of Issue 9,
 * experimental). Core code only knows this interface, so it stays browser-safe: Node registers a
 * worker_threads pool from `@normkit/tensor/node` (startKernelPool); browsers a Web Worker pool
 * (wasm/web-pool.ts, startWebKernelPool; they need crossOriginIsolated for a shared memory).
 *
 * A kernel that splits its rows calls `run(module, fn, calls)`: calls[0] runs on this thread,
 * calls[i] on worker i - 1, each as `exports[fn](...calls[i])` of the module instantiated on the
 * same memory; run returns when all are done (the calling thread blocks, or in a page spins).
 * Every call must write disjoint memory and use its own scratch. Off by default: no pool, no
 * threads; a pool is only used when the memory is shared (workers cannot see a plain one).
 */
export interface KernelPool {
  /** Threads a kernel may split over, this one included. */
  readonly threads: number;
  run(module: string, fn: string, calls: readonly (readonly number[])[]): void;
}

let current: KernelPool | null = null;

/** Install (or with null remove) the pool; returns the previous one. */
export function setKernelPool(pool: KernelPool | null): KernelPool | null {
  const previous = current;
  current = pool;
  return previous;
}

export function getKernelPool(): KernelPool | null {
  return current;
}
