import { assertClose } from '@normkit/test-utils';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { randn, zeros } from '../create.js';
import { add } from '../elementwise.js';
import { mayOverlap } from '../internal/broadcast.js';
import { elementwiseWasmCalls } from '../internal/wasm/elementwise-wasm.js';
import { matmul } from '../matmul.js';
import { sum } from '../reduce.js';
import { softmax } from '../softmax.js';
import { Tensor } from '../tensor.js';
import { setBackend } from './backend.js';
import { configureWasm, getWasmMemory, isWasmBuffer, isWasmMemoryShared, wasmByteOffset } from './memory.js';
import { dispose, tidy, wasmMemoryStats } from './storage.js';

// This file owns its worker's wasm memory: shared, 4 MiB to start, growable to 256 MiB, so a few
// MB of tensors make it grow. Node always has shared wasm memory.
const MIB = 2 ** 20;

beforeAll(() => {
  configureWasm({ shared: true, memoryMiB: 4, maxMemoryMiB: 256 });
  setBackend('wasm');
});
afterAll(() => setBackend('js'));

/** float64 matmul of row-major copies: the oracle, within float32 rounding of the wasm sums. */
function product(a: Tensor, b: Tensor): Float64Array {
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const A = a.toTypedArray();
  const B = b.toTypedArray();
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) c[i * n + j]! += A[i * k + p]! * B[p * n + j]!;
  }
  return c;
}

describe('a shared wasm memory that grows', () => {
  let old: Tensor;
  let oldValues: number[];
  let grown: Tensor;

  it('grows when full, by a large step, and keeps old tensors valid and on the wasm path', () => {
    expect(isWasmMemoryShared()).toBe(true);
    const firstBuffer = getWasmMemory().buffer;
    expect(firstBuffer.byteLength).toBe(4 * MIB);
    old = randn([64, 1024], { seed: 1 }); // 256 KiB
    oldValues = Array.from(old.data);
    expect(wasmByteOffset(old)).not.toBeNull();
    const before = wasmMemoryStats();
    grown = zeros([1024, 1024]); // 4 MiB: cannot fit in a 4 MiB memory
    const after = wasmMemoryStats();
    expect(after.grows).toBe(before.grows + 1);
    // the step: at least twice the size and at least 64 MiB more
    expect(after.capacityBytes).toBe(68 * MIB);
    expect(after.heapFallbacks).toBe(0);
    expect(getWasmMemory().buffer).not.toBe(firstBuffer); // a new buffer generation ...
    expect(grown.data.buffer).not.toBe(old.data.buffer);
    expect(old.data.buffer).toBe(firstBuffer);
    expect(isWasmBuffer(old.data.buffer) && isWasmBuffer(grown.data.buffer)).toBe(true);
    // ... of the same memory: nothing was detached or copied, old views read and write in place
    expect(old.data.byteLength).toBe(64 * 1024 * 4);
    expect(Array.from(old.data)).toEqual(oldValues);
    expect(wasmByteOffset(old)).toBe(old.data.byteOffset);
    const sameBytes = new Float32Array(getWasmMemory().buffer, old.data.byteOffset, old.size);
    old.data[5] = 42;
    expect(sameBytes[5]).toBe(42);
    old.data[5] = oldValues[5]!;
    expect(wasmByteOffset(grown)! + grown.data.byteLength).toBeGreaterThan(4 * MIB);
  });

  it('kernels run in wasm on tensors of two generations together', () => {
    const calls = elementwiseWasmCalls.binary;
    const b = randn([64, 1024], { seed: 2 }); // allocated after the growth: newest generation
    expect(b.data.buffer).not.toBe(old.data.buffer);
    const s = add(old, b);
    expect(elementwiseWasmCalls.binary).toBeGreaterThan(calls); // took the wasm kernel
    expect(wasmByteOffset(s)).not.toBeNull();
    // float32 a + b is one correctly rounded addition: exact oracle
    const bv = b.toTypedArray();
    expect(Array.from(s.data)).toEqual(oldValues.map((v, i) => Math.fround(v + bv[i]!)));
    // matmul reads A from the old generation and B from the new one, writes C in the new one
    const w = randn([1024, 48], { seed: 3 });
    const c = matmul(old, w);
    expect(wasmByteOffset(c)).not.toBeNull();
    assertClose(c.toTypedArray(), product(old, w), { atol: 1e-3, rtol: 1e-4 });
    dispose([b, s, w, c]);
  });

  it('detects aliasing between views of the same bytes from two generations', () => {
    const x = randn([1000], { seed: 4 }); // in the newest generation
    const values = Array.from(x.data);
    dispose(grown);
    // force another generation, then view x's bytes shifted by one element through it
    const big = zeros([40 * 1024 * 1024]); // 160 MiB: grows 68 -> at least 164 MiB
    expect(big.data.buffer).not.toBe(x.data.buffer);
    const shifted = new Tensor(new Float32Array(getWasmMemory().buffer, x.data.byteOffset + 4, 999), [999]);
    expect(shifted.data.buffer).not.toBe(x.data.buffer);
    expect(mayOverlap(shifted, x)).toBe(true);
    expect(mayOverlap(shifted, old)).toBe(false);
    // x[1:] = x[:-1] + 0 must read every input before writing (NumPy's rule): no smearing
    add(x.slice(0, 0, 999), 0, shifted);
    expect(Array.from(x.data)).toEqual([values[0], ...values.slice(0, 999)]);
    dispose([x, big]);
  });

  it('a training-like loop does not grow once warmed up', () => {
    const w = randn([512, 512], { seed: 5 });
    const step = () =>
      tidy(() => {
        const x = randn([256, 512], { seed: 6 });
        const h = softmax(matmul(x, w));
        return sum(add(h, x));
      });
    dispose(step()); // warm-up: may grow
    const warmed = wasmMemoryStats();
    let total = 0;
    for (let i = 0; i < 30; i++) {
      const s = step();
      total += s.item();
      dispose(s);
    }
    const after = wasmMemoryStats();
    expect(after.grows).toBe(warmed.grows);
    expect(after.capacityBytes).toBe(warmed.capacityBytes);
    expect(after.highWaterBytes).toBe(warmed.highWaterBytes);
    expect(Number.isFinite(total)).toBe(true);
    dispose(w);
  });

  it('at its maximum it falls back to the JS heap, warning once', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const huge = zeros([80 * 1024 * 1024]); // 320 MiB > the 256 MiB maximum
    expect(wasmByteOffset(huge)).toBeNull();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(
      /^normkit: the \d+ MiB wasm memory is full and cannot grow to hold it \(maximum 256 MiB; 83886080 float32 elements requested\)/,
    );
    expect(wasmMemoryStats().capacityBytes).toBeLessThanOrEqual(256 * MIB);
    warn.mockRestore();
  });
});
