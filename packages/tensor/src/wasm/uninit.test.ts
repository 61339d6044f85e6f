import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allocate, allocateUninit, setPoisonUninit } from '../storage.js';
import { getBackend, setBackend } from './backend.js';
import { getWasmMemory } from './memory.js';
import { allocateWasm, tidy, wasmMemoryStats } from './storage.js';

// allocateUninit skips the zero-fill of a reused wasm block (its caller writes every element);
// allocate must still return zeros after reuse; the poison switch fills uninit arrays with NaN.

const initial = getBackend();
// the suite may run with NORMKIT_POISON_UNINIT=1: each test starts with poison off
const initialPoison = setPoisonUninit(false);
beforeEach(() => void setPoisonUninit(false));
afterEach(() => setBackend(initial));
afterAll(() => void setPoisonUninit(initialPoison));

/** A block of n float32 in the wasm memory, filled with 7, freed by the tidy it was made in. */
function dirtyBlock(n: number): number {
  return tidy(() => {
    const d = allocateWasm('float32', n)!;
    d.fill(7);
    return d.byteOffset; // a number: the block is freed when tidy returns
  });
}

describe('allocateUninit', () => {
  it('allocate returns zeros in a reused block; allocateUninit reuses it without zeroing', () => {
    setBackend('wasm');
    const n = 1000;
    const addr = dirtyBlock(n);
    tidy(() => {
      const z = allocate('float32', n);
      expect(z.buffer).toBe(getWasmMemory().buffer);
      expect(z.byteOffset).toBe(addr); // the same block, popped from its free list
      expect(z.every((x) => x === 0)).toBe(true);
      z.fill(7);
    });
    tidy(() => {
      const u = allocateUninit('float32', n);
      expect(u.byteOffset).toBe(addr);
      expect(u.length).toBe(n);
      expect(u[0]).toBe(7); // stale contents: the fill was skipped
    });
    tidy(() => {
      const z = allocate('float64', n / 2); // same bytes, other dtype: zeroed too
      expect(z.byteOffset).toBe(addr);
      expect(z.every((x) => x === 0)).toBe(true);
    });
  });

  it('poison on: every uninit array is NaN (wasm block, reused or fresh, and heap); allocate stays zero', () => {
    setPoisonUninit(true);
    setBackend('wasm');
    const addr = dirtyBlock(333);
    tidy(() => {
      const u = allocateUninit('float32', 333);
      expect(u.byteOffset).toBe(addr);
      expect(u.every((x) => Number.isNaN(x))).toBe(true);
      const fresh = allocateUninit('float64', 1 << 16);
      expect(fresh.every((x) => Number.isNaN(x))).toBe(true);
      expect(allocate('float32', 333).every((x) => x === 0)).toBe(true);
    });
    setBackend('js');
    const h = allocateUninit('float32', 5);
    expect(h).toBeInstanceOf(Float32Array);
    expect(h.buffer).not.toBe(getWasmMemory().buffer);
    expect(Array.from(h)).toEqual([Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
    expect(setPoisonUninit(false)).toBe(true);
    expect(Array.from(allocateUninit('float64', 3))).toEqual([0, 0, 0]);
  });

  it('uninit blocks are tracked like any tensor block (tidy frees them)', () => {
    setBackend('wasm');
    const live = wasmMemoryStats().liveBlocks;
    tidy(() => {
      allocateUninit('float32', 100);
      expect(wasmMemoryStats().liveBlocks).toBe(live + 1);
    });
    expect(wasmMemoryStats().liveBlocks).toBe(live);
  });

  it('rejects a bad length and a non-boolean switch', () => {
    expect(() => allocateUninit('float32', -1)).toThrow(
      new RangeError('allocateUninit: length must be a non-negative integer, got -1'),
    );
    expect(() => allocateUninit('float32', 1.5)).toThrow(/allocateUninit: length must be .* got 1\.5/);
    expect(() => setPoisonUninit('1' as unknown as boolean)).toThrow(
      new TypeError('setPoisonUninit: on must be a boolean, got "1"'),
    );
  });
});
