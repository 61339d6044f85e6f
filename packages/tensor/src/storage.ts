import type { DType, TypedArray } from './dtype.js';

/**
 * The storage boundary: every tensor buffer normkit creates comes from `allocate`. By default that
 * is an ordinary Float32Array/Float64Array on the JS heap. A backend that keeps tensors inside one
 * WebAssembly.Memory (so SIMD kernels run on them without copying) installs its own allocator with
 * `setAllocator`: it returns typed-array views into its memory, grown once up front in large steps
 * (growing detaches every existing view, and in V8 it slows every typed-array loop in the process).
 *
 * Kernels never construct typed arrays themselves; they call `allocate`. Nothing else in the
 * package needs to change when storage moves.
 */
export interface Allocator {
  readonly name: string;
  /** A zero-filled array of `length` elements. */
  alloc(dtype: DType, length: number): TypedArray;
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

/** Install an allocator; returns the previous one so callers can restore it. */
export function setAllocator(allocator: Allocator): Allocator {
  const previous = current;
  current = allocator;
  return previous;
}

export function getAllocator(): Allocator {
  return current;
}
