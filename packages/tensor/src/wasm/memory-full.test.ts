import { describe, expect, it, vi } from 'vitest';
import { randn, zeros } from '../create.js';
import { matmul } from '../matmul.js';
import { Tensor } from '../tensor.js';
import { setBackend } from './backend.js';
import { configureWasm, getWasmMemory, RESERVED_BYTES, wasmByteOffset } from './memory.js';
import { allocateWasm, dispose, wasmMemoryStats } from './storage.js';

// This file owns its worker's wasm memory: 4 MiB and no more (maxMemoryMiB), so it fills up quickly
// whether it is shared (then it cannot grow past its maximum) or not.
describe('a full wasm memory', () => {
  it('configureWasm validates its options', () => {
    expect(() => configureWasm({ memoryMiB: 0 })).toThrow(
      'configureWasm: memoryMiB must be an integer in [1, 4096], got 0',
    );
    expect(() => configureWasm({ memoryMiB: 1.5 })).toThrow(RangeError);
    expect(() => configureWasm({ maxMemoryMiB: 8192 })).toThrow(
      'configureWasm: maxMemoryMiB must be an integer in [1, 4096], got 8192',
    );
    expect(() => configureWasm({ shared: 'yes' as unknown as boolean })).toThrow(
      'configureWasm: shared must be a boolean, got yes',
    );
    expect(() => configureWasm({ onFull: 'grow' as 'heap' })).toThrow(
      "configureWasm: onFull must be 'heap' or 'throw', got grow",
    );
  });

  it('falls back to the JS heap (warning once), and is reused once tensors are freed', () => {
    configureWasm({ memoryMiB: 4, maxMemoryMiB: 4 });
    setBackend('wasm');
    expect(getWasmMemory().buffer.byteLength).toBe(4 * 1024 * 1024);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const usable = (4 * 1024 * 1024 - RESERVED_BYTES) / 4;
    const big = zeros([usable]); // exactly the whole allocator region
    expect(wasmByteOffset(big)).toBe(RESERVED_BYTES);
    const spill1 = zeros([10]);
    const spill2 = zeros([10]);
    expect(wasmByteOffset(spill1)).toBeNull(); // a heap tensor: kernels take the JS path
    expect(wasmByteOffset(spill2)).toBeNull();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(
      /^normkit: the 4 MiB wasm memory is full \(10 float32 elements requested\)/,
    );
    expect(wasmMemoryStats().heapFallbacks).toBe(2);
    expect(wasmMemoryStats().grows).toBe(0);
    dispose(big);
    expect(wasmByteOffset(zeros([10]))).toBe(RESERVED_BYTES);
    warn.mockRestore();
  });

  it('matmul falls back to the JS kernel while there is no room for its scratch, then uses wasm', () => {
    const out = zeros([6, 5]);
    const a = randn([6, 700], { seed: 1 });
    const b = randn([700, 5], { seed: 2 });
    const filler: Tensor[] = [];
    for (const n of [4096, 4]) {
      for (let d = allocateWasm('float32', n); d; d = allocateWasm('float32', n))
        filler.push(new Tensor(d, [n]));
    }
    // oracles: the JS kernel's float64 sums rounded once, the wasm kernel's float32 running sums
    const js: number[] = [];
    const f32: number[] = [];
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 5; j++) {
        let s = 0;
        let s32 = 0;
        for (let p = 0; p < 700; p++) {
          s += a.get(i, p) * b.get(p, j);
          s32 = Math.fround(s32 + Math.fround(a.get(i, p) * b.get(p, j)));
        }
        js.push(Math.fround(s));
        f32.push(s32);
      }
    }
    expect(js).not.toEqual(f32); // K = 700 tells the kernels apart
    matmul(a, b, out); // the first wasm matmul of this worker: its 2.3 MB of scratch does not fit
    expect(Array.from(out.data)).toEqual(js);
    dispose(filler);
    matmul(a, b, out);
    expect(Array.from(out.data)).toEqual(f32);
    dispose([a, b, out]);
  });

  it("onFull: 'throw' throws instead; the size cannot change once the memory exists", () => {
    configureWasm({ onFull: 'throw' });
    expect(() => zeros([1024 * 1024])).toThrow(
      /^normkit: the 4 MiB wasm memory is full \(1048576 float32 elements requested\)/,
    );
    expect(() => configureWasm({ memoryMiB: 2 })).toThrow(
      'configureWasm: the wasm memory already exists with memoryMiB 4; call configureWasm({ memoryMiB: 2 }) ' +
        'before the first wasm allocation',
    );
    expect(() => configureWasm({ maxMemoryMiB: 8 })).toThrow(
      'configureWasm: the wasm memory already exists with maxMemoryMiB 4; call configureWasm({ maxMemoryMiB: 8 })',
    );
    configureWasm({ memoryMiB: 4, onFull: 'heap' }); // the same size is fine
    setBackend('js');
  });
});
