import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TypedArray } from '../../dtype.js';
import { Tensor } from '../../tensor.js';
import { setBackend } from '../../wasm/backend.js';
import { configureWasm, isWasmMemoryShared } from '../../wasm/memory.js';
import { allocateWasm, dispose } from '../../wasm/storage.js';
import { copyData, fillData, MIN_BYTES, memopsWasmCalls } from './memops-wasm.js';

// Oracle: the same call through the TypedArray methods on a plain (heap) copy of the array.
beforeAll(() => {
  configureWasm({ shared: true }); // this file's worker: shared even under NORMKIT_WASM_SHARED=0
  setBackend('wasm');
});
afterAll(() => setBackend('js'));

const bits = (a: TypedArray) =>
  Array.from(new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)));

function wasmArray(dtype: 'float32' | 'float64', n: number): TypedArray {
  const data = allocateWasm(dtype, n)!;
  for (let i = 0; i < n; i++) data[i] = i + 0.25;
  return data;
}

describe('fillData / copyData on a shared wasm memory', () => {
  it('the memory in this worker is shared (else these take the TypedArray methods)', () => {
    expect(isWasmMemoryShared()).toBe(true);
  });

  it.each([
    ['float32', 0],
    ['float32', -0],
    ['float32', 1.5],
    ['float32', Number.NaN],
    ['float64', 0],
    ['float64', -0],
    ['float64', 1 / 3],
    ['float64', Number.NaN],
  ] as const)('%s fill with %d over unaligned ranges equals TypedArray.fill', (dtype, value) => {
    for (const [start, end] of [
      [0, 1000],
      [3, 998],
      [1, 130],
      [5, 6],
      [7, 7],
    ] as const) {
      const data = wasmArray(dtype, 1000);
      const plain = data.slice(); // a heap copy
      const before = memopsWasmCalls.fill;
      fillData(data, value, start, end);
      plain.fill(value, start, end);
      expect(bits(data)).toEqual(bits(plain));
      const wasm = (end - start) * data.BYTES_PER_ELEMENT >= MIN_BYTES;
      expect(memopsWasmCalls.fill - before, `[${start}, ${end})`).toBe(wasm ? 1 : 0);
      dispose(new Tensor(data, [data.length]));
    }
  });

  it('copies like TypedArray.set, overlapping ranges included (memmove)', () => {
    const data = wasmArray('float32', 1000);
    const plain = data.slice();
    const before = memopsWasmCalls.copy;
    copyData(data, data.subarray(0, 900), 100); // forward overlap: must not smear
    plain.set(plain.slice(0, 900), 100);
    expect(Array.from(data)).toEqual(Array.from(plain));
    copyData(data, data.subarray(50, 950), 0); // backward overlap
    plain.set(plain.slice(50, 950), 0);
    expect(Array.from(data)).toEqual(Array.from(plain));
    expect(memopsWasmCalls.copy - before).toBe(2);
    // from the heap, or too short: TypedArray.set
    copyData(data, new Float32Array(500).fill(7), 10);
    copyData(data, data.subarray(0, 8), 20);
    plain.set(new Float32Array(500).fill(7), 10);
    plain.set(plain.slice(0, 8), 20);
    expect(Array.from(data)).toEqual(Array.from(plain));
    expect(memopsWasmCalls.copy - before).toBe(2);
    expect(() => copyData(data, data.subarray(0, 600), 500)).toThrow(
      'copyData: source does not fit the target',
    );
    dispose(new Tensor(data, [1000]));
  });
});
