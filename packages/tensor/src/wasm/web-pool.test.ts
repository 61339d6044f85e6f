import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randn, zeros } from '../create.js';
import { wasmBase64 } from '../internal/wasm/elementwise.wasm.generated.js';
import { gemmPoolCalls, setGemmPoolMinMacs } from '../internal/wasm/gemm-wasm.js';
import { matmul } from '../matmul.js';
import { setBackend } from './backend.js';
import { configureWasm } from './memory.js';
import { getKernelPool } from './pool.js';
import { startWebKernelPool, type WebWorkerLike } from './web-pool.js';

// The Web Worker pool's protocol, run in Node: each worker is a worker_threads worker given the
// surface of a Web Worker (self.onmessage, postMessage, close, setTimeout). Browsers run the same
// source from a blob: URL (apps/browser-check covers that in Chromium).
function webLikeWorker(source: string): WebWorkerLike {
  const prelude = `
const { parentPort } = require('node:worker_threads');
globalThis.self = globalThis;
self.close = () => process.exit(0);
parentPort.on('message', (data) => self.onmessage({ data }));
`;
  const worker = new Worker(prelude + source, { eval: true });
  worker.unref();
  return { postMessage: (m) => worker.postMessage(m), terminate: () => void worker.terminate() };
}

beforeAll(() => {
  configureWasm({ shared: true }); // this file's worker: shared even under NORMKIT_WASM_SHARED=0
  setBackend('wasm');
  setGemmPoolMinMacs(0);
});
afterAll(() => {
  setGemmPoolMinMacs(1 << 22);
  setBackend('js');
});

/** the product on this thread alone (no pool) */
function alone(m: number, k: number, n: number): Float32Array {
  const previous = getKernelPool();
  expect(previous).toBeNull();
  return matmul(randn([m, k], { seed: m }), randn([k, n], { seed: n })).data as Float32Array;
}

describe('startWebKernelPool (Web Worker protocol, run on worker_threads)', () => {
  it('runs here until a worker has the module, then splits; the bits equal the one-thread product', async () => {
    const want = alone(96, 200, 130);
    const pool = startWebKernelPool({ threads: 2, createWorker: webLikeWorker });
    try {
      const a = randn([96, 200], { seed: 96 });
      const b = randn([200, 130], { seed: 130 });
      const c = zeros([96, 130]);
      const split = gemmPoolCalls.split;
      matmul(a, b, c); // the module is posted; the worker cannot have it yet: both halves here
      expect(pool.stats()).toEqual({ worker: 0, local: 2 });
      expect(Array.from(c.data)).toEqual(Array.from(want));
      await pool.whenReady();
      for (let i = 0; i < 20; i++) {
        c.data.fill(Number.NaN);
        matmul(a, b, c);
        expect(Array.from(c.data)).toEqual(Array.from(want));
      }
      expect(gemmPoolCalls.split).toBe(split + 21);
      expect(pool.stats()).toEqual({ worker: 20, local: 22 });
    } finally {
      pool.stop();
    }
    expect(getKernelPool()).toBeNull();
  });

  it('three threads: two workers, each with its own rows', async () => {
    const want = alone(150, 64, 70);
    const pool = startWebKernelPool({ threads: 3, createWorker: webLikeWorker });
    try {
      const a = randn([150, 64], { seed: 150 });
      const b = randn([64, 70], { seed: 70 });
      matmul(a, b);
      await pool.whenReady();
      expect(Array.from(matmul(a, b).data)).toEqual(Array.from(want));
      expect(pool.stats().worker).toBe(2);
    } finally {
      pool.stop();
    }
  });

  it('a worker that never answers leaves every call on this thread, still right', async () => {
    const want = alone(64, 32, 48);
    const silent: WebWorkerLike = { postMessage: () => {}, terminate: () => {} };
    const pool = startWebKernelPool({ threads: 2, createWorker: () => silent });
    try {
      for (let i = 0; i < 3; i++) {
        expect(Array.from(matmul(randn([64, 32], { seed: 64 }), randn([32, 48], { seed: 48 })).data)).toEqual(
          Array.from(want),
        );
      }
      expect(pool.stats()).toEqual({ worker: 0, local: 6 });
    } finally {
      pool.stop();
    }
  });

  it('reports a trap in a worker as an error of run, and keeps working', async () => {
    const pool = startWebKernelPool({ threads: 2, createWorker: webLikeWorker });
    try {
      const ok = [0, 1 << 20, 1 << 20, 1 << 20, 4, 0]; // binary add, 4 values in place
      pool.run(wasmBase64, 'binary', [ok, ok]);
      await pool.whenReady();
      const trap = [0, 2 ** 32 - 8, 0, 1 << 16, 1024, 0]; // reads past the end of the memory
      expect(() => pool.run(wasmBase64, 'binary', [ok, trap])).toThrow(
        'KernelPool.run: binary failed in a worker (its console has the error)',
      );
      pool.run(wasmBase64, 'binary', [ok, ok]);
      expect(pool.stats()).toEqual({ worker: 2, local: 4 });
    } finally {
      pool.stop();
    }
  });

  it('rejects bad thread counts and use after stop, naming the function and the value', () => {
    expect(() => startWebKernelPool({ threads: 1 })).toThrow(
      'startWebKernelPool: threads must be an integer in [2, 64], got 1',
    );
    expect(() => startWebKernelPool({ threads: 2.5 })).toThrow('got 2.5');
    const pool = startWebKernelPool({ threads: 2, createWorker: webLikeWorker });
    pool.stop();
    expect(() => pool.run('', 'gemm', [[]])).toThrow('KernelPool.run: the pool was stopped');
  });

  it('a worker that cannot be created stops the ones already started', () => {
    const terminated: number[] = [];
    let made = 0;
    const factory = () => {
      if (made === 2) throw new Error('no more workers');
      const id = made++;
      return { postMessage: () => {}, terminate: () => void terminated.push(id) };
    };
    expect(() => startWebKernelPool({ threads: 4, createWorker: factory })).toThrow('no more workers');
    expect(terminated).toEqual([0, 1]);
    expect(getKernelPool()).toBeNull();
  });

  it('without a worker factory, Node (no DOM Worker) gets a clear error', () => {
    expect(() => startWebKernelPool()).toThrow('startWebKernelPool: this runtime has no Web Workers');
    expect(getKernelPool()).toBeNull();
  });
});
