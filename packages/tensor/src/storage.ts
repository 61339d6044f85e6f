import type { DType, TypedArray } from './dtype.js';
import { fillData } from './internal/wasm/memops-wasm.js';

/**
 * The storage boundary: every tensor buffer normkit creates comes from `allocate`. By default that
 * is an ordinary Float32Array/Float64Array on the JS heap. A backend that keeps tensors inside one
 * WebAssembly.Memory (so SIMD kernels run on them without copying) installs its own allocator with
 * `setAllocator`: it returns typed-array views into its memory (wasm/memory.ts: a shared memory
 * grows at allocation time without detaching them; a non-shared one never grows).
 *
 * Kernels never construct typed arrays themselves; they call `allocate`. Nothing else in the
 * package needs to change when storage moves.
 */
export interface Allocator {
  readonly name: string;
  /** A zero-filled array of `length` elements. */
  alloc(dtype: DType, length: number): TypedArray;
  /**
   * An array of `length` elements with unspecified contents (allocateUninit); without it, alloc
   * serves these requests too.
   */
  allocUninit?(dtype: DType, length: number): TypedArray;
}

export const heapAllocator: Allocator = {
  name: 'heap',
  alloc(dtype, length) {
    return dtype === 'float64' ? new Float64Array(length) : new Float32Array(length);
  },
};

let current: Allocator = heapAllocator;

export function allocate(dtype: DType, length: number): TypedArray {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`allocate: length must be a non-negative integer, got ${length}`);
  }
  return current.alloc(dtype, length);
}

let poison =
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.NORMKIT_POISON_UNINIT === '1';

/**
 * An array of `length` elements whose contents are unspecified: the caller writes every element.
 * Only for kernels that provably do (elementwise and matmul outputs, softmax, reductions): the
 * wasm allocator then skips zero-filling a reused block, which a step of a small model pays for
 * every tensor it makes. On the JS heap it is `allocate` (a new array is zero anyway).
 *
 * Debug switch: with NORMKIT_POISON_UNINIT=1 in the environment (read once, at load, as
 * NORMKIT_BACKEND is) or setPoisonUninit(true), every such array is filled with NaN, so a kernel
 * that leaves an element unwritten produces NaN in its output instead of a stale value.
 */
export function allocateUninit(dtype: DType, length: number): TypedArray {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`allocateUninit: length must be a non-negative integer, got ${length}`);
  }
  const data = current.allocUninit ? current.allocUninit(dtype, length) : current.alloc(dtype, length);
  if (poison) fillData(data, Number.NaN);
  return data;
}

/** Turn NaN-filling of allocateUninit's arrays on or off; returns the previous setting. */
export function setPoisonUninit(on: boolean): boolean {
  if (typeof on !== 'boolean') {
    throw new TypeError(`setPoisonUninit: on must be a boolean, got ${JSON.stringify(on)}`);
  }
  const previous = poison;
  poison = on;
  return previous;
}

/** Install an allocator; returns the previous one so callers can restore it. */
export function setAllocator(allocator: Allocator): Allocator {
  const previous = current;
  current = allocator;
  return previous;
}

export function getAllocator(): Allocator {
  return current;
}
