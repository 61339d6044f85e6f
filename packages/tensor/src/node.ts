import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  type TransferListItem,
  Worker,
} from 'node:worker_threads';
// by the package's own name, not './wasm/...': the CJS build bundles each entry whole, and a
// second copy of memory.ts / pool.ts would hold a second memory and a pool nobody reads
import {
  compiledWasm,
  getKernelPool,
  getWasmMemory,
  instantiateWasm,
  isWasmMemoryShared,
  type KernelPool,
  setKernelPool,
} from '@normkit/tensor';

/**
 * Node entry (@normkit/tensor/node): a worker_threads pool for row-parallel wasm kernels on the
 * shared wasm memory (wasm/pool.ts). Experimental, off until startKernelPool() is called.
 *
 * Protocol, per worker: a MessagePort carries the task (function, arguments, and on first use the
 * module this thread compiled, compiledWasm, which the worker instantiates on the shared memory
 * without compiling it again); a 3-slot Int32Array on a SharedArrayBuffer is the doorbell: the
 * main thread posts the task, bumps slot 0 (posted) and notifies; the worker, blocked in
 * Atomics.wait on slot 0, stores the task number in slot 2 (taken), takes the task with
 * receiveMessageOnPort (synchronous), runs it, stores the task number in slot 1 (done) and
 * notifies; the main thread runs its own share meanwhile, then waits on slot 1. No event loop turn
 * on either side; still, waking a sleeping worker makes a round trip cost ~60 us (norms'
 * bench/pool.bench.ts), so only calls of a few hundred microseconds or more are split.
 */
/** Doorbell slots: task number posted (main), done (worker), taken (worker). */
const POSTED = 0;
const DONE = 1;
const TAKEN = 2;

const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { memory, port, doorbell } = workerData;
const bell = new Int32Array(doorbell);
const modules = new Map();
let seen = 0;
for (;;) {
  Atomics.wait(bell, ${POSTED}, seen);
  seen = Atomics.load(bell, ${POSTED});
  if (seen < 0) break;
  Atomics.store(bell, ${TAKEN}, seen);
  let received = receiveMessageOnPort(port);
  while (received === undefined) received = receiveMessageOnPort(port); // posted before the bell
  const message = received.message;
  try {
    let exports = modules.get(message.key);
    if (!exports) {
      exports = new WebAssembly.Instance(message.module, { env: { memory } }).exports;
      modules.set(message.key, exports);
    }
    exports[message.fn](...message.args);
  } catch (error) {
    port.postMessage({ error: String(error && error.message || error) }); // before the bell
  }
  Atomics.store(bell, ${DONE}, seen);
  Atomics.notify(bell, ${DONE});
}
`;

/** Longest sleep of the main thread between checks of a worker's reply (see run). */
const RECHECK_MS = 20;

interface Slot {
  worker: Worker;
  port: MessagePort;
  bell: Int32Array;
  known: Set<string>;
}

export interface NodeKernelPool extends KernelPool {
  /** Calls run by a worker and by this thread since the start (as the Web Worker pool's). */
  stats(): { worker: number; local: number };
  /** Stop the workers and uninstall the pool. */
  stop(): Promise<void>;
}

/**
 * Start `threads - 1` workers (default 2 threads: this one and one worker) and install the pool.
 * Throws where the wasm memory is not shared.
 */
export function startKernelPool(options: { threads?: number } = {}): NodeKernelPool {
  const threads = options.threads ?? 2;
  if (!Number.isInteger(threads) || threads < 2 || threads > 64) {
    throw new RangeError(`startKernelPool: threads must be an integer in [2, 64], got ${threads}`);
  }
  if (!isWasmMemoryShared()) {
    throw new Error('startKernelPool: the wasm memory is not shared, so workers cannot run kernels on it');
  }
  const memory = getWasmMemory();
  const slots: Slot[] = [];
  const keys = new Map<string, string>();
  let task = 0;
  const counts = { worker: 0, local: 0 };
  for (let i = 1; i < threads; i++) {
    const { port1, port2 } = new MessageChannel();
    const doorbell = new SharedArrayBuffer(4 * 3);
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { memory, port: port2, doorbell },
      transferList: [port2 as TransferListItem],
    });
    worker.unref();
    slots.push({ worker, port: port1, bell: new Int32Array(doorbell), known: new Set() });
  }
  const pool: NodeKernelPool = {
    threads,
    run(module, fn, calls) {
      if (calls.length > threads)
        throw new RangeError(`KernelPool.run: ${calls.length} calls for ${threads} threads`);
      let key = keys.get(module);
      if (key === undefined) keys.set(module, (key = String(keys.size)));
      task++;
      for (let i = 1; i < calls.length; i++) {
        const slot = slots[i - 1]!;
        const first = !slot.known.has(key);
        slot.known.add(key);
        slot.port.postMessage({ key, module: first ? compiledWasm(module) : null, fn, args: calls[i] });
        Atomics.store(slot.bell, POSTED, task);
        Atomics.notify(slot.bell, POSTED);
      }
      (instantiateWasm(module)[fn] as (...a: readonly number[]) => void)(...calls[0]!);
      let failure: string | null = null;
      for (let i = 1; i < calls.length; i++) {
        const { bell, port } = slots[i - 1]!;
        // One load per test: the first version waited on a second load, which could expect the
        // reply already stored (and notified) after the first and then sleep forever (3 runs of 14
        // of norms' bench/pool-stress.ts hung). The waits are also bounded, and a task the worker
        // has not taken is rung again: a notify that is ever lost costs RECHECK_MS, not the process.
        for (let done = Atomics.load(bell, DONE); done !== task; done = Atomics.load(bell, DONE)) {
          const woken = Atomics.wait(bell, DONE, done, RECHECK_MS);
          if (woken === 'timed-out' && Atomics.load(bell, TAKEN) !== task) Atomics.notify(bell, POSTED);
        }
        const reply = receiveMessageOnPort(port) as { message: { error: string } } | undefined;
        if (reply) failure = reply.message.error;
      }
      counts.local++;
      counts.worker += calls.length - 1;
      if (failure !== null) throw new Error(`KernelPool.run: ${fn} failed in a worker: ${failure}`);
    },
    stats: () => ({ ...counts }),
    async stop() {
      if (getKernelPool() === pool) setKernelPool(null);
      for (const slot of slots) {
        Atomics.store(slot.bell, POSTED, -1);
        Atomics.notify(slot.bell, POSTED);
        slot.port.close();
      }
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
  setKernelPool(pool);
  return pool;
}
