import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockAllocator, sizeClass } from './block-allocator.js';

describe('sizeClass', () => {
  it('multiples of 16 up to 256, then eight classes per power of two', () => {
    const table: [number, number][] = [
      [0, 16],
      [1, 16],
      [16, 16],
      [17, 32],
      [250, 256],
      [256, 256],
      [257, 288],
      [320, 320],
      [321, 352],
      [513, 576],
      [1 << 20, 1 << 20],
      [(1 << 20) + 1, (1 << 20) + (1 << 17)],
      [3 * 1024 * 1024, 3 * 1024 * 1024],
    ];
    for (const [bytes, size] of table) expect(sizeClass(bytes), `${bytes}`).toBe(size);
  });

  it('property: aligned, never smaller than asked, wastes at most 12.5% above 256 bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (bytes) => {
        const size = sizeClass(bytes);
        expect(size % 16).toBe(0);
        expect(size).toBeGreaterThanOrEqual(bytes);
        if (bytes > 256) expect(size).toBeLessThanOrEqual(1.125 * bytes);
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});

describe('BlockAllocator', () => {
  it('bumps aligned blocks and reuses a freed block of the same class first', () => {
    const heap = new BlockAllocator(1024, 1024 + 4096);
    const a = heap.alloc(100); // class 112
    const b = heap.alloc(10); // class 16
    expect(a).toBe(1024);
    expect(b).toBe(1024 + 112);
    expect(heap.lastWasFresh).toBe(true);
    heap.release(a);
    expect(heap.alloc(97)).toBe(a); // same class: the freed block, not fresh memory
    expect(heap.lastWasFresh).toBe(false);
    expect(heap.stats()).toMatchObject({ liveBlocks: 2, liveBytes: 128, freeBytes: 0, topBytes: 128 });
  });

  it('a block freed at the top lowers the top instead of going on a free list', () => {
    const heap = new BlockAllocator(0, 4096);
    heap.alloc(64);
    const b = heap.alloc(64);
    heap.release(b);
    expect(heap.stats()).toMatchObject({ topBytes: 64, freeBytes: 0, highWaterBytes: 128 });
    expect(heap.alloc(32)).toBe(64); // bumped again, below the high-water mark: not fresh
    expect(heap.lastWasFresh).toBe(false);
  });

  it('when full, coalesces neighbours and splits the smallest block that fits', () => {
    const heap = new BlockAllocator(0, 1024);
    const blocks = Array.from({ length: 16 }, () => heap.alloc(64));
    expect(heap.alloc(16)).toBe(-1);
    // free 4 neighbours (256 contiguous bytes) and 2 separate ones
    for (const i of [3, 4, 5, 6, 9, 12]) heap.release(blocks[i]!);
    const big = heap.alloc(200); // class 208: only the merged run holds it
    expect(big).toBe(blocks[3]);
    expect(heap.alloc(48)).toBe(blocks[3]! + 208); // the 48-byte rest of the split run
    expect(heap.alloc(64)).toBeGreaterThanOrEqual(0);
    expect(heap.alloc(64)).toBeGreaterThanOrEqual(0);
    expect(heap.alloc(16)).toBe(-1);
  });

  it('a free run at the top is returned to the bump region by coalescing', () => {
    const heap = new BlockAllocator(0, 512);
    const a = heap.alloc(128);
    const b = heap.alloc(128);
    const c = heap.alloc(128);
    heap.alloc(128);
    heap.release(b);
    heap.release(c); // b, c free in the middle: lists
    expect(heap.alloc(256)).toBe(b); // merged b+c
    heap.release(a);
    expect(heap.stats().liveBlocks).toBe(2);
  });

  it('a request whose class does not fit is retried unrounded', () => {
    const heap = new BlockAllocator(0, 15_008);
    expect(sizeClass(15_000)).toBe(15_360);
    expect(heap.alloc(15_000)).toBe(0); // 15_000 rounded to 16 bytes: the whole region
    expect(heap.stats().liveBytes).toBe(15_008);
    expect(heap.alloc(1)).toBe(-1);
  });

  it('double free and foreign addresses throw', () => {
    const heap = new BlockAllocator(0, 256);
    const a = heap.alloc(16);
    heap.alloc(16);
    heap.release(a);
    expect(() => heap.release(a)).toThrow('BlockAllocator: 0 is not a live block (double free?)');
    expect(() => heap.release(8)).toThrow('BlockAllocator: 8 is not a live block (double free?)');
    expect(() => new BlockAllocator(8, 100)).toThrow('BlockAllocator: bad region [8, 100)');
  });

  it('property: live blocks never overlap, stay in the region, are aligned; freeing everything empties it', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('alloc' as const), bytes: fc.integer({ min: 0, max: 3000 }) }),
      fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const base = 4096;
        const end = base + 32 * 1024;
        const heap = new BlockAllocator(base, end);
        const live: [number, number][] = [];
        for (const o of ops) {
          if (o.kind === 'alloc') {
            const addr = heap.alloc(o.bytes);
            if (addr < 0) continue;
            const size = sizeClass(o.bytes);
            expect(addr % 16).toBe(0);
            expect(addr >= base && addr + size <= end).toBe(true);
            for (const [a, s] of live) expect(addr + size <= a || a + s <= addr).toBe(true);
            live.push([addr, size]);
          } else if (live.length > 0) {
            const [addr] = live.splice(o.pick % live.length, 1)[0]!;
            heap.release(addr);
          }
        }
        expect(heap.stats().liveBytes).toBe(live.reduce((t, [, s]) => t + s, 0));
        for (const [addr] of live) heap.release(addr);
        // with everything free, one allocation of the whole region must succeed (full coalescing)
        expect(heap.alloc(end - base)).toBe(base);
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});
