import { compiledWasm, instantiateWasm } from './instantiate.js';
import { getWasmMemory, isWasmMemoryShared } from './memory.js';
import { getKernelPool, type KernelPool, setKernelPool } from './pool.js';

/**
 * A kernel pool of Web Workers (browsers; wasm/pool.ts has the interface, @normkit/tensor/node the
 * worker_threads twin). Browsers differ from Node in two ways that shape the protocol:
 *  - the main thread may not block (Atomics.wait throws there), so it spins on the reply slot;
 *  - a worker cannot take a message synchronously, so a task travels in shared memory (a control
 *    block per worker: doorbell slots, module and function numbers, float64 arguments), and a new
 *    module reaches a worker as a message, which it reads only between waits: the main thread
 *    posts the module and rings YIELD; the worker goes back to its event loop (and to its wait
 *    loop by a timer), instantiates the module and marks it ready. Until then the calls meant for
 *    it run here, and an idle worker whose module is not ready is rung YIELD again.
 * A task or a YIELD is posted only to an idle worker (its last one done), so they never share
 * the control block.
 */

/** What the pool needs of a worker (a DOM Worker; tests pass a worker_threads adapter). */
export interface WebWorkerLike {
  postMessage(message: unknown): void;
  terminate(): void;
}

export interface WebKernelPool extends KernelPool {
  /** Calls run by a worker and by this thread since the start. */
  stats(): { worker: number; local: number };
  /** Resolves when every module posted so far is instantiated in every worker (polls). */
  whenReady(): Promise<void>;
  /** Stop the workers and uninstall the pool. */
  stop(): void;
}

/** Control block slots (Int32): the task number posted, done, taken; then the task itself. */
const POSTED = 0;
const DONE = 1;
const TAKEN = 2;
const OP = 3;
const KEY = 4;
const FN = 5;
const ARGC = 6;
const FAILED = 7;
/** OP values */
const RUN = 0;
const YIELD = 1;
/** float64 arguments at byte 64; per-module ready flags (Int32) after them */
const MAX_ARGS = 32;
const ARGS_AT = 64;
const READY_AT = ARGS_AT + 8 * MAX_ARGS;
const MAX_MODULES = 64;
const CONTROL_BYTES = READY_AT + 4 * MAX_MODULES;
/** A worker that has not answered a task in this long is taken for dead (the call throws). */
const DEADLINE_MS = 10_000;

/** The worker's script (classic, no imports): see the protocol above. */
export const WEB_WORKER_SOURCE = `
let memory, ctl, args, ready, seen = 0;
const fns = [];
self.onmessage = (event) => {
  const m = event.data;
  if (m.init) {
    memory = m.init.memory;
    ctl = new Int32Array(m.init.control, 0, ${ARGS_AT / 4});
    args = new Float64Array(m.init.control, ${ARGS_AT}, ${MAX_ARGS});
    ready = new Int32Array(m.init.control, ${READY_AT}, ${MAX_MODULES});
  }
  if (m.module) {
    try {
      const exports = new WebAssembly.Instance(m.module, { env: { memory } }).exports;
      fns[m.key] = m.names.map((name) => exports[name]);
      Atomics.store(ready, m.key, 1);
    } catch (error) {
      console.error('normkit kernel pool: instantiating a module failed', error);
      Atomics.store(ready, m.key, -1);
    }
  }
  if (m.init) serve();
};
function serve() {
  for (;;) {
    Atomics.wait(ctl, ${POSTED}, seen);
    seen = Atomics.load(ctl, ${POSTED});
    if (seen < 0) return self.close();
    if (Atomics.load(ctl, ${OP}) === ${YIELD}) {
      Atomics.store(ctl, ${DONE}, seen);
      setTimeout(serve, 0); // to the event loop for the messages, then back
      return;
    }
    Atomics.store(ctl, ${TAKEN}, seen);
    let failed = 0;
    try {
      const argc = Atomics.load(ctl, ${ARGC});
      fns[Atomics.load(ctl, ${KEY})][Atomics.load(ctl, ${FN})](...Array.from(args.subarray(0, argc)));
    } catch (error) {
      console.error('normkit kernel pool: a kernel failed', error);
      failed = 1;
    }
    Atomics.store(ctl, ${FAILED}, failed);
    Atomics.store(ctl, ${DONE}, seen);
    Atomics.notify(ctl, ${DONE});
  }
}
`;

interface Slot {
  worker: WebWorkerLike;
  ctl: Int32Array;
  args: Float64Array;
  ready: Int32Array;
  /** the last task number posted to it (a YIELD or a task) */
  task: number;
  /** modules posted to it */
  posted: Set<number>;
}

interface PoolModule {
  key: number;
  /** compiled once here, posted to each worker (a WebAssembly.Module is structured-cloneable) */
  module: object;
  names: string[];
}

/** A DOM Worker running WEB_WORKER_SOURCE from a blob: URL. */
function domWorker(source: string): WebWorkerLike {
  const g = globalThis as unknown as {
    Worker?: new (url: string) => WebWorkerLike;
    Blob?: new (parts: string[], options: { type: string }) => unknown;
    URL: { createObjectURL?(blob: unknown): string };
  };
  if (!g.Worker || !g.Blob || !g.URL.createObjectURL)
    throw new Error(
      'startWebKernelPool: this runtime has no Web Workers (in Node use startKernelPool from @normkit/tensor/node)',
    );
  return new g.Worker(g.URL.createObjectURL(new g.Blob([source], { type: 'text/javascript' })));
}

/**
 * Start `threads - 1` Web Workers (default 2 threads: this one and one worker) and install the
 * pool. Needs a shared wasm memory: in browsers, a cross-origin isolated page (COOP same-origin,
 * COEP require-corp). Experimental, off until called.
 */
export function startWebKernelPool(
  options: { threads?: number; createWorker?: (source: string) => WebWorkerLike } = {},
): WebKernelPool {
  const threads = options.threads ?? 2;
  if (!Number.isInteger(threads) || threads < 2 || threads > 64)
    throw new RangeError(`startWebKernelPool: threads must be an integer in [2, 64], got ${threads}`);
  if (!isWasmMemoryShared())
    throw new Error(
      'startWebKernelPool: the wasm memory is not shared (in a browser the page must be cross-origin isolated), so workers cannot run kernels on it',
    );
  const createWorker = options.createWorker ?? domWorker;
  const memory = getWasmMemory();
  const slots: Slot[] = [];
  for (let i = 1; i < threads; i++) {
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    let worker: WebWorkerLike;
    try {
      worker = createWorker(WEB_WORKER_SOURCE);
    } catch (error) {
      for (const s of slots) s.worker.terminate(); // the ones already started
      throw error;
    }
    worker.postMessage({ init: { memory, control } });
    slots.push({
      worker,
      ctl: new Int32Array(control, 0, ARGS_AT / 4),
      args: new Float64Array(control, ARGS_AT, MAX_ARGS),
      ready: new Int32Array(control, READY_AT, MAX_MODULES),
      task: 0,
      posted: new Set(),
    });
  }
  const modules = new Map<string, PoolModule>();
  const counts = { worker: 0, local: 0 };
  let stopped = false;

  const idle = (s: Slot) => Atomics.load(s.ctl, DONE) === s.task;
  const ring = (s: Slot, op: number) => {
    Atomics.store(s.ctl, OP, op);
    Atomics.store(s.ctl, POSTED, ++s.task);
    Atomics.notify(s.ctl, POSTED);
  };
  const moduleOf = (base64: string) => {
    let m = modules.get(base64);
    if (!m) {
      if (modules.size >= MAX_MODULES)
        throw new RangeError(`startWebKernelPool: more than ${MAX_MODULES} modules`);
      const exports = instantiateWasm(base64);
      const names = Object.keys(exports).filter((name) => typeof exports[name] === 'function');
      m = { key: modules.size, module: compiledWasm(base64), names };
      modules.set(base64, m);
    }
    return m;
  };
  /**
   * Whether a module posted to the worker is not instantiated yet; an idle worker with one is rung
   * YIELD, so it leaves its wait loop and reads its messages (again and again if need be: it may
   * reach its wait loop before a message).
   */
  const nudge = (s: Slot) => {
    let waiting = false;
    for (const key of s.posted) if (Atomics.load(s.ready, key) === 0) waiting = true;
    if (waiting && idle(s)) ring(s, YIELD);
    return waiting;
  };
  /** Post the module to a worker that lacks it; true when the worker can run it now. */
  const usable = (s: Slot, m: PoolModule) => {
    if (!s.posted.has(m.key)) {
      s.posted.add(m.key);
      s.worker.postMessage({ module: m.module, key: m.key, names: m.names });
    }
    nudge(s);
    return idle(s) && Atomics.load(s.ready, m.key) === 1;
  };

  const pool: WebKernelPool = {
    threads,
    run(module, fn, calls) {
      if (stopped) throw new Error('KernelPool.run: the pool was stopped');
      if (calls.length > threads)
        throw new RangeError(`KernelPool.run: ${calls.length} calls for ${threads} threads`);
      const m = moduleOf(module);
      const f = m.names.indexOf(fn);
      if (f < 0) throw new Error(`KernelPool.run: the module has no function ${fn}`);
      const sent: Slot[] = [];
      const here: (readonly number[])[] = [calls[0]!];
      for (let i = 1; i < calls.length; i++) {
        const s = slots[i - 1]!;
        const a = calls[i]!;
        if (a.length > MAX_ARGS || !usable(s, m)) {
          here.push(a);
          continue;
        }
        s.args.set(a);
        Atomics.store(s.ctl, KEY, m.key);
        Atomics.store(s.ctl, FN, f);
        Atomics.store(s.ctl, ARGC, a.length);
        ring(s, RUN);
        sent.push(s);
      }
      const kernel = instantiateWasm(module)[fn] as (...a: readonly number[]) => void;
      for (const a of here) kernel(...a);
      counts.local += here.length;
      counts.worker += sent.length;
      let failed = false;
      for (const s of sent) {
        // the main thread of a page may not block: spin, and give up on a worker that is gone
        const start = Date.now();
        for (let spins = 0; Atomics.load(s.ctl, DONE) !== s.task; spins++) {
          if ((spins & 0xfff) === 0 && Date.now() - start > DEADLINE_MS) {
            pool.stop();
            throw new Error(
              `KernelPool.run: a worker did not finish ${fn} in ${DEADLINE_MS} ms; the pool is stopped`,
            );
          }
        }
        if (Atomics.load(s.ctl, FAILED)) failed = true;
      }
      if (failed) throw new Error(`KernelPool.run: ${fn} failed in a worker (its console has the error)`);
    },
    stats: () => ({ ...counts }),
    async whenReady() {
      for (;;) {
        let pending = false;
        for (const s of slots) if (nudge(s)) pending = true;
        if (!pending || stopped) return;
        await new Promise((done) => setTimeout(done, 5));
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (getKernelPool() === pool) setKernelPool(null);
      for (const s of slots) {
        Atomics.store(s.ctl, POSTED, -1);
        Atomics.notify(s.ctl, POSTED);
        s.worker.terminate();
      }
    },
  };
  setKernelPool(pool);
  return pool;
}
