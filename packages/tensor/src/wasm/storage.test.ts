import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randn, zeros } from '../create.js';
import { add, mul } from '../elementwise.js';
import { axpy } from '../inplace.js';
import { sum } from '../reduce.js';
import { Tensor } from '../tensor.js';
import { setBackend } from './backend.js';
import { getWasmMemory, isWasmBuffer, wasmByteOffset } from './memory.js';
import { allocateWasm, dispose, keep, tidy, wasmMemoryStats } from './storage.js';

// a gc() callable inside vitest's worker (the flag must be set before the context is made)
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMB = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const inWasm = (t: Tensor) => isWasmBuffer(t.data.buffer);
const live = () => wasmMemoryStats().liveBlocks;

beforeEach(() => setBackend('wasm'));
afterEach(() => setBackend('js'));

describe('wasm storage', () => {
  it('tensors are 16-byte aligned zero-filled views of the wasm memory, also when a block is reused', () => {
    const a = randn([3, 5], { seed: 1 }); // 60 bytes: class 64
    expect(inWasm(a)).toBe(true);
    expect(a.data.byteOffset % 16).toBe(0);
    const addr = a.data.byteOffset;
    dispose(a);
    const b = zeros([4, 4]); // 64 bytes: the same class, so the same (dirty) block
    expect(b.data.byteOffset).toBe(addr);
    expect(Array.from(b.data)).toEqual(new Array(16).fill(0));
    const c = zeros([7], { dtype: 'float64' });
    expect(c.data).toBeInstanceOf(Float64Array);
    expect(c.data.byteOffset % 16).toBe(0);
    dispose([b, c]);
  });

  it('wasmByteOffset is the address of the first element, null for heap tensors', () => {
    const t = zeros([4, 6]);
    const base = t.data.byteOffset;
    expect(wasmByteOffset(t)).toBe(base);
    expect(wasmByteOffset(t.slice(0, 1).slice(1, 2))).toBe(base + (6 + 2) * 4);
    expect(wasmByteOffset(new Tensor(new Float32Array(4), [4]))).toBeNull();
    dispose(t);
  });

  it('tidy frees what fn allocated except what its result reaches, views included', () => {
    const before = live();
    const outside = zeros([8]);
    const { view, sums } = tidy(() => {
      const a = randn([16, 4], { seed: 2 });
      const b = mul(a, 2); // freed
      const c = add(a, b); // reached through a view
      return { view: c.transpose().slice(0, 1, 3), sums: [sum(c, 0)] };
    });
    expect(live()).toBe(before + 3); // outside, c (via its view), the sum
    expect(inWasm(view)).toBe(true);
    expect(outside.data[0]).toBe(0); // untouched: allocated before the tidy
    dispose([view, sums[0]!, outside]);
    expect(live()).toBe(before);
  });

  it('a subarray or DataView of a block in the result keeps the block', () => {
    const before = live();
    const { sub, dv, plain } = tidy(() => {
      const a = zeros([64]);
      const b = zeros([64]);
      a.data[10] = 5;
      return {
        sub: a.data.subarray(8, 12),
        dv: new DataView(b.data.buffer, b.data.byteOffset + 16, 8),
        plain: 1,
      };
    });
    expect(live()).toBe(before + 2);
    expect(sub[2]).toBe(5);
    expect(dv.byteLength).toBe(8);
    expect(plain).toBe(1);
  });

  it('nested tidies hand kept results to the outer scope; keep() exempts a tensor', () => {
    const before = live();
    let kept: Tensor | null = null;
    const result = tidy(() => {
      const inner = tidy(() => {
        kept = keep(zeros([2]));
        zeros([3]); // freed by the inner tidy
        return zeros([4]);
      });
      expect(live()).toBe(before + 2);
      return inner.shape; // the inner result is not reached here: freed by the outer tidy
    });
    expect(result).toEqual([4]);
    expect(live()).toBe(before + 1);
    dispose(kept!);
    expect(live()).toBe(before);
  });

  it('an exception frees everything allocated inside; a returned Promise is refused', () => {
    const before = live();
    expect(() =>
      tidy(() => {
        zeros([10]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(live()).toBe(before);
    expect(() => tidy(() => Promise.resolve(zeros([2])))).toThrow(
      'tidy: fn returned a Promise; tidy is synchronous (await outside it)',
    );
    expect(live()).toBe(before);
  });

  it('dispose is idempotent, ignores heap tensors, and never frees a block reused by someone else', () => {
    const a = zeros([32]);
    dispose(a);
    const b = zeros([32]); // reuses a's block
    expect(b.data.byteOffset).toBe(a.data.byteOffset);
    dispose(a); // a's block record is dead: b is not freed
    expect(wasmMemoryStats().liveBytes).toBeGreaterThanOrEqual(128);
    const c = zeros([32]);
    expect(c.data.byteOffset).not.toBe(b.data.byteOffset);
    dispose(new Tensor(new Float32Array(3), [3]));
    dispose([b, c]);
  });

  it('a 10,000-step training loop inside tidy keeps memory flat (wasm and JS heap)', () => {
    const w = randn([32, 16], { seed: 3 });
    const x = randn([64, 32], { seed: 4 });
    const step = () =>
      tidy(() => {
        const h = mul(add(x, 1), 0.5); // activations: [64, 32]
        const g = sum(mul(h, h), 0).reshape([32, 1]); // a "gradient" [32, 1]
        axpy(-1e-9, g.expand([32, 16]), w); // in-place update of the persistent parameter
        return sum(g).item();
      });
    const body = () => sum(mul(add(x, 1), 0.5));
    const untidy = live();
    body();
    body();
    expect(live()).toBe(untidy + 6); // the control: without tidy every step leaves its temporaries
    for (let i = 0; i < 100; i++) step();
    const after1 = wasmMemoryStats();
    const heapBefore = heapMB();
    for (let i = 0; i < 10_000; i++) step();
    // no bookkeeping left behind either: tidy unregisters what it frees from the finalizer
    expect(heapMB() - heapBefore).toBeLessThan(2);
    const after = wasmMemoryStats();
    expect(after.highWaterBytes).toBe(after1.highWaterBytes);
    expect(after.liveBlocks).toBe(after1.liveBlocks);
    expect(after.heapFallbacks).toBe(0);
    expect(getWasmMemory().buffer.byteLength).toBe(after1.capacityBytes);
    dispose([w, x]);
  });

  it('the garbage collector frees an unreachable block (FinalizationRegistry backstop)', async () => {
    const collect = async () => {
      for (let i = 0; i < 5; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    await collect(); // settle: earlier tests dropped tensors without freeing them
    const before = live();
    (() => {
      zeros([1000]).reshape([10, 100]); // tensor and view both dropped
    })();
    expect(live()).toBe(before + 1);
    await collect();
    expect(live()).toBe(before);
  });

  it('allocateWasm gives wasm storage whatever the backend', () => {
    setBackend('js');
    const data = allocateWasm('float64', 5)!;
    expect(isWasmBuffer(data.buffer)).toBe(true);
    expect(isWasmBuffer(zeros([2]).data.buffer)).toBe(false);
    dispose(new Tensor(data, [5]));
  });
});
