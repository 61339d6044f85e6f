import {
  allocateWasm,
  dispose,
  getBackend,
  instantiateWasm,
  isWasmBuffer,
  keep,
  Tensor,
  type TypedArray,
} from '@normkit/tensor';

/**
 * What every wasm kernel wrapper of this package shares: the decision to take the wasm path, and
 * a float64 work area in the wasm memory.
 *
 * A kernel runs in wasm when the backend is 'wasm' and every array it touches is a view of the
 * wasm memory (then the module reads and writes the tensors where they are: no copy in or out);
 * otherwise the caller runs the JS kernel, which stays the fallback and the oracle. Arrays here are
 * the zero-offset flat views the JS kernels take (view()/flatData()), so a non-contiguous input has
 * already been copied once, as on the JS path, into storage that `allocate` placed in wasm memory.
 */

/** Whether the wasm kernels may run on these arrays (null entries are absent operands). */
export function wasmEligible(arrays: readonly (TypedArray | null)[]): boolean {
  if (getBackend() !== 'wasm') return false;
  for (const a of arrays) if (a !== null && !isWasmBuffer(a.buffer)) return false;
  return true;
}

/**
 * Byte address of a view of the wasm memory (0 for an absent operand; address 0 is never a
 * tensor): its byteOffset, whichever generation of a grown shared memory's buffer it views.
 */
export function addr(a: TypedArray | null): number {
  return a === null ? 0 : a.byteOffset;
}

/**
 * A float64 work area of at least n elements in the wasm memory (weights widened to float64,
 * partial sums), kept across calls and exempt from tidy(); it only grows (in powers of two), and
 * never inside a kernel call. Returns its byte address and a view, or null when the memory is
 * full (the caller then takes the JS path).
 */
let scratch: Tensor | null = null;

export function scratch64(n: number): { addr: number; data: Float64Array } | null {
  if (scratch === null || scratch.size < n) {
    if (scratch !== null) dispose(scratch);
    scratch = null;
    const data = allocateWasm('float64', 2 ** Math.ceil(Math.log2(Math.max(n, 1024))));
    if (data === null) return null;
    scratch = keep(new Tensor(data, [data.length]));
  }
  const data = scratch.data as Float64Array;
  return { addr: data.byteOffset, data };
}

/** Calls per wasm kernel in this process (the conformance suites check that the wasm path ran). */
export const wasmCalls: Record<string, number> = {};

/** The exports of an embedded module, instantiated once with the shared memory, calls counted. */
export function lazyKernels<T extends Record<string, unknown>>(base64: string): () => T {
  let kernels: T | null = null;
  return () => {
    if (kernels === null) {
      const raw = instantiateWasm<T>(base64);
      const counted: Record<string, unknown> = {};
      for (const [name, f] of Object.entries(raw)) {
        if (typeof f !== 'function') continue;
        wasmCalls[name] = 0;
        counted[name] = (...args: unknown[]) => {
          wasmCalls[name]! += 1;
          return (f as (...a: unknown[]) => unknown)(...args);
        };
      }
      kernels = counted as T;
    }
    return kernels;
  };
}
