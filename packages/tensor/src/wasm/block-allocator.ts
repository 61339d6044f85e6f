/**
 * The block allocator behind the wasm backend: hands out 16-byte-aligned byte ranges of one
 * region [base, end) of the WebAssembly memory. It knows nothing about typed arrays or tensors
 * (storage.ts wraps it), so its policy is tested on its own.
 *
 * Policy (segregated free lists, as tcmalloc/jemalloc size classes):
 * - a request is rounded up to its size class: multiples of 16 up to 256 bytes, then eight classes
 *   per power of two (288, 320, 352, ..., 512, 576, ...), so rounding wastes at most 12.5% (the
 *   memory is bounded, so waste matters more than in a malloc that can ask the OS for more);
 * - a freed block goes on the free list of its exact size; the next request of that class pops it.
 *   A training loop allocates the same shapes every step, so after the first step every request is
 *   a free-list pop and the high-water mark stops moving;
 * - otherwise the block is bumped from the top of the used range (a block freed at the top lowers
 *   the top instead of going on a list);
 * - when the top reaches the end, the free blocks are coalesced once (sorted by address, adjacent
 *   ones merged, a free run at the top lowers the top), then the smallest free block that fits is
 *   split; as a last resort the request is retried unrounded (16-byte aligned). Only if that fails
 *   too does `alloc` return -1: the caller grows the memory and `extend`s the region (a shared
 *   memory, storage.ts), or falls back to the JS heap.
 * Costs: O(1) for pop, bump and free; coalescing is O(F log F) in the F free blocks and runs only
 * when the region is full and something was freed since the last time.
 */
export const ALIGN = 16;

/** The size class of a request: what a block for it really occupies. */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  const step = 2 ** (Math.floor(Math.log2(bytes - 1)) - 3);
  return Math.ceil(bytes / step) * step;
}

export class BlockAllocator {
  /** Start of the next bump allocation; everything in [top, end) is unused. */
  private top: number;
  /** Highest top ever reached: bytes above it have never been written (still zero). */
  private highWater: number;
  private readonly live = new Map<number, number>();
  private readonly free = new Map<number, number[]>();
  private freeTotal = 0;
  private freedSinceCoalesce = false;
  private liveTotal = 0;
  /** Whether the last block `alloc` returned lies above the old high-water mark (still zero). */
  lastWasFresh = false;

  /** End of the region (exclusive); moves up when the memory grows. */
  private limit: number;

  constructor(
    readonly base: number,
    end: number,
  ) {
    if (base % ALIGN !== 0 || end < base) {
      throw new RangeError(`BlockAllocator: bad region [${base}, ${end})`);
    }
    this.limit = end;
    this.top = base;
    this.highWater = base;
  }

  get end(): number {
    return this.limit;
  }

  /**
   * Move the end of the region up to `end` (the memory grew): the bytes gained are fresh (zero)
   * and lie above the top, so the next bump allocations take them.
   */
  extend(end: number): void {
    if (!(end >= this.limit)) throw new RangeError(`BlockAllocator: cannot shrink ${this.limit} to ${end}`);
    this.limit = end;
  }

  /** Address of a block of at least `bytes`, or -1 when the region cannot hold it. */
  alloc(bytes: number): number {
    let size = sizeClass(bytes);
    this.lastWasFresh = false;
    let addr = this.pop(size);
    if (addr < 0) addr = this.bump(size);
    if (addr < 0 && this.freedSinceCoalesce) {
      this.coalesce();
      addr = this.pop(size);
      if (addr < 0) addr = this.bump(size);
    }
    if (addr < 0) addr = this.split(size);
    if (addr < 0 && size > bytes) {
      size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
      addr = this.bump(size);
      if (addr < 0) addr = this.split(size);
    }
    if (addr < 0) return -1;
    this.live.set(addr, size);
    this.liveTotal += size;
    return addr;
  }

  /** Return a block; freeing an address that is not a live block throws (a double free). */
  release(addr: number): void {
    const size = this.live.get(addr);
    if (size === undefined) throw new Error(`BlockAllocator: ${addr} is not a live block (double free?)`);
    this.live.delete(addr);
    this.liveTotal -= size;
    if (addr + size === this.top) {
      this.top = addr;
      return;
    }
    this.push(addr, size);
    this.freedSinceCoalesce = true;
  }

  /** Bytes occupied by the block at `addr` (its size class), or 0 if it is not live. */
  sizeOf(addr: number): number {
    return this.live.get(addr) ?? 0;
  }

  stats(): {
    liveBlocks: number;
    liveBytes: number;
    freeBytes: number;
    topBytes: number;
    highWaterBytes: number;
  } {
    return {
      liveBlocks: this.live.size,
      liveBytes: this.liveTotal,
      freeBytes: this.freeTotal,
      topBytes: this.top - this.base,
      highWaterBytes: this.highWater - this.base,
    };
  }

  private pop(size: number): number {
    const list = this.free.get(size);
    if (!list || list.length === 0) return -1;
    this.freeTotal -= size;
    return list.pop()!;
  }

  private push(addr: number, size: number): void {
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(addr);
    this.freeTotal += size;
  }

  private bump(size: number): number {
    if (this.top + size > this.limit) return -1;
    const addr = this.top;
    this.lastWasFresh = addr >= this.highWater;
    this.top += size;
    if (this.top > this.highWater) this.highWater = this.top;
    return addr;
  }

  /** Merge address-adjacent free blocks; a free run ending at the top lowers the top. */
  private coalesce(): void {
    const blocks: [number, number][] = [];
    for (const [size, list] of this.free) for (const addr of list) blocks.push([addr, size]);
    blocks.sort((x, y) => x[0] - y[0]);
    this.free.clear();
    this.freeTotal = 0;
    this.freedSinceCoalesce = false;
    const merged: [number, number][] = [];
    for (const [addr, size] of blocks) {
      const last = merged[merged.length - 1];
      if (last && last[0] + last[1] === addr) last[1] += size;
      else merged.push([addr, size]);
    }
    const last = merged[merged.length - 1];
    if (last && last[0] + last[1] === this.top) {
      this.top = last[0];
      merged.pop();
    }
    for (const [addr, size] of merged) this.push(addr, size);
  }

  /** Best fit: carve `size` bytes from the smallest free block that holds them. */
  private split(size: number): number {
    let best = -1;
    for (const [s, list] of this.free) {
      if (s >= size && list.length > 0 && (best < 0 || s < best)) best = s;
    }
    if (best < 0) return -1;
    const addr = this.pop(best);
    if (best > size) this.push(addr + size, best - size);
    return addr;
  }
}
