import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wasmBase64 } from './internal/wasm/elementwise.wasm.generated.js';
import { startKernelPool } from './node.js';
import { setBackend } from './wasm/backend.js';
import { configureWasm } from './wasm/memory.js';
import { getKernelPool } from './wasm/pool.js';
import { allocateWasm } from './wasm/storage.js';

// The pool's own contract, on a kernel of wasm/elementwise.ts: binary(op, a, b, o, n, p) with op
// 0 (add) writes o[j] = a[j] + b[j]; each thread gets its own part of the arrays.
let pool: ReturnType<typeof startKernelPool>;
beforeAll(() => {
  configureWasm({ shared: true }); // this file's worker: shared even under NORMKIT_WASM_SHARED=0
  setBackend('wasm');
  pool = startKernelPool({ threads: 2 });
});
afterAll(() => setBackend('js'));

describe('startKernelPool', () => {
  it('installs itself, runs calls[0] here and calls[1] on the worker, both on the shared memory', () => {
    expect(getKernelPool()).toBe(pool);
    const f32 = allocateWasm('float32', 3 * 64)!;
    const base = f32.byteOffset;
    for (let j = 0; j < 64; j++) [f32[j], f32[64 + j]] = [j, 1000 * j];
    const at = (i: number) => base + 4 * i;
    pool.run(wasmBase64, 'binary', [
      [0, at(0), at(64), at(128), 32, 0],
      [0, at(32), at(96), at(160), 32, 0],
    ]);
    expect(Array.from(f32.subarray(128))).toEqual(Array.from({ length: 64 }, (_, j) => 1001 * j));
    expect(pool.stats()).toEqual({ worker: 1, local: 1 });
  });

  it('reports a trap in a worker as an error of run, and keeps working', () => {
    expect(() =>
      pool.run(wasmBase64, 'binary', [
        [0, 1 << 16, 1 << 16, 1 << 16, 4, 0],
        [0, 2 ** 32 - 8, 0, 1 << 16, 1024, 0], // reads past the end of the memory
      ]),
    ).toThrow(/^KernelPool\.run: binary failed in a worker: .*out of bounds/);
    pool.run(wasmBase64, 'binary', [
      [0, 1 << 20, 1 << 20, 1 << 20, 4, 0],
      [0, 1 << 20, 1 << 20, 1 << 20, 4, 0],
    ]);
  });

  it('stop() uninstalls it; calls are checked against the thread count', async () => {
    expect(() => pool.run(wasmBase64, 'binary', [[], [], []])).toThrow(
      'KernelPool.run: 3 calls for 2 threads',
    );
    await pool.stop();
    expect(getKernelPool()).toBeNull();
  });
});
