import { assertClose } from '@normkit/test-utils';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { randn, zeros } from '../create.js';
import { add } from '../elementwise.js';
import { activationWasmCalls } from '../internal/wasm/activation-wasm.js';
import { elementwiseWasmCalls } from '../internal/wasm/elementwise-wasm.js';
import { reduceWasmCalls } from '../internal/wasm/reduce-wasm.js';
import { rowsWasmCalls } from '../internal/wasm/rows-wasm.js';
import { matmul } from '../matmul.js';
import { startKernelPool } from '../node.js';
import { sum } from '../reduce.js';
import { softmax } from '../softmax.js';
import { gelu } from '../unary.js';
import { setBackend } from './backend.js';
import { configureWasm, getWasmMemory, isWasmMemoryShared, wasmByteOffset } from './memory.js';
import { wasmMemoryStats } from './storage.js';

// This file owns its worker's wasm memory and forces the path of runtimes without shared wasm
// memory (browsers without cross-origin isolation): an 8 MiB non-shared memory that never grows,
// and kernel modules whose shared memory import is patched (internal/wasm/unshare.ts).
beforeAll(() => {
  configureWasm({ shared: false, memoryMiB: 8 });
  setBackend('wasm');
});
afterAll(() => setBackend('js'));

/** Row softmax in float64, written plainly: the oracle. */
function softmaxRows(x: Float32Array, rows: number, n: number): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) max = Math.max(max, x[r * n + j]!);
    let total = 0;
    for (let j = 0; j < n; j++) total += Math.exp(x[r * n + j]! - max);
    for (let j = 0; j < n; j++) out[r * n + j] = Math.exp(x[r * n + j]! - max) / total;
  }
  return out;
}

describe('a non-shared wasm memory', () => {
  it('is a plain fixed-size ArrayBuffer', () => {
    expect(isWasmMemoryShared()).toBe(false);
    expect(getWasmMemory().buffer).toBeInstanceOf(ArrayBuffer);
    expect(getWasmMemory().buffer.byteLength).toBe(8 * 2 ** 20);
    expect(() => configureWasm({ shared: true })).toThrow(
      'configureWasm: the wasm memory already exists with shared false; call configureWasm({ shared: true })',
    );
  });

  it('runs every kernel module (patched to import a non-shared memory) in wasm', () => {
    const x = randn([64, 96], { seed: 1 });
    const y = randn([64, 96], { seed: 2 });
    const w = randn([96, 32], { seed: 3 });
    const before = {
      binary: elementwiseWasmCalls.binary,
      act: activationWasmCalls.forward,
      rows: rowsWasmCalls.softmax,
      reduce: reduceWasmCalls.rows + reduceWasmCalls.cols,
    };
    const results = [add(x, y), gelu(x), softmax(x), sum(x, 1), matmul(x, w)];
    for (const r of results) expect(wasmByteOffset(r)).not.toBeNull();
    expect(elementwiseWasmCalls.binary).toBeGreaterThan(before.binary);
    expect(activationWasmCalls.forward).toBeGreaterThan(before.act);
    expect(rowsWasmCalls.softmax).toBeGreaterThan(before.rows);
    expect(reduceWasmCalls.rows + reduceWasmCalls.cols).toBeGreaterThan(before.reduce);
    // add is exact in float32: the JS kernel's result bit for bit
    const xs = x.toTypedArray();
    const ys = y.toTypedArray();
    expect(Array.from(results[0]!.data)).toEqual(Array.from(xs, (v, i) => Math.fround(v + ys[i]!)));
    // softmax against a float64 oracle (the kernel's own tests bound it more tightly)
    assertClose(results[2]!.toTypedArray(), softmaxRows(xs as Float32Array, 64, 96), {
      atol: 1e-6,
      rtol: 1e-5,
    });
  });

  it('never grows: when full, allocations go to the JS heap and the buffer stays the same', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const buffer = getWasmMemory().buffer;
    const big = zeros([3 * 2 ** 20]); // 12 MiB > 8 MiB
    expect(wasmByteOffset(big)).toBeNull();
    expect(warn.mock.calls[0]![0]).toMatch(
      /^normkit: the 8 MiB wasm memory is full \(3145728 float32 elements requested\)/,
    );
    expect(getWasmMemory().buffer).toBe(buffer);
    expect(wasmMemoryStats().grows).toBe(0);
    warn.mockRestore();
  });

  it('has no kernel pool: workers cannot see a non-shared memory', () => {
    expect(() => startKernelPool()).toThrow(
      'startKernelPool: the wasm memory is not shared, so workers cannot run kernels on it',
    );
  });
});
