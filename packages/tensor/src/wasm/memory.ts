import type { Tensor } from '../tensor.js';
import { type WasmMemory, webAssembly } from './webassembly.js';

/**
 * The one WebAssembly.Memory every normkit wasm module imports (as `env.memory`) and every
 * wasm-backed tensor views.
 *
 * Growth policy: the memory is created once, at its full configured size, and NEVER grows.
 * `memory.grow()` replaces `memory.buffer` and detaches the old one, and with it the `data` of
 * every tensor living there (a Tensor's data is a fixed typed-array view; nothing could re-point
 * them), and in V8 a detach slows every typed-array loop in the process by ~1.4x for good. So
 * instead of growing, an allocation that does not fit falls back to the JS heap (warning once;
 * such tensors simply take the JS kernels), and `configureWasm({ memoryMiB })` sets the size
 * before first use. Untouched pages cost no RAM: the engine maps them zero-filled on demand, so a
 * generous size is cheap: the default is 1 GiB (measured in Node 20: creating it takes ~3 ms and
 * adds nothing to the resident set until tensors touch it). Where the engine refuses that much
 * (32-bit browsers, strict overcommit), the default halves until it is granted, down to 64 MiB; a
 * size set with configureWasm is taken exactly or refused with a RangeError. Consequence other modules may rely on: `getWasmMemory().buffer` is
 * the same ArrayBuffer for the life of the process, so views of it can be cached.
 *
 * Layout: [0, RESERVED) is never handed out (address 0 stays a null pointer; modules are built
 * without data segments, see scripts/build-wasm.mjs), the rest belongs to the block allocator.
 */
export const PAGE_BYTES = 65536;
export const RESERVED_BYTES = PAGE_BYTES;
const MIB = 1024 * 1024;
/** wasm32 addresses 4 GiB at most. */
const MAX_MIB = 4096;

export interface WasmConfig {
  /**
   * Size of the wasm memory in MiB (default 1024, halved down to 64 where the engine refuses it).
   * Fixed once the memory exists.
   */
  memoryMiB?: number;
  /**
   * What an allocation does when the memory is full: 'heap' (default) returns an ordinary JS
   * array (the tensor takes the JS kernels) and warns once; 'throw' throws a RangeError.
   */
  onFull?: 'heap' | 'throw';
}

const DEFAULT_MIB = 1024;
const SMALLEST_DEFAULT_MIB = 64;
const config: Required<WasmConfig> = { memoryMiB: DEFAULT_MIB, onFull: 'heap' };
/** Whether memoryMiB came from configureWasm (then it is taken exactly, never halved). */
let sizeConfigured = false;
let memory: WasmMemory | null = null;
let simd: boolean | null = null;

/** Set the memory size and the full-memory policy. The size can only change before first use. */
export function configureWasm(options: WasmConfig): void {
  const { memoryMiB, onFull } = options;
  if (memoryMiB !== undefined) {
    if (!Number.isInteger(memoryMiB) || memoryMiB < 1 || memoryMiB > MAX_MIB) {
      throw new RangeError(
        `configureWasm: memoryMiB must be an integer in [1, ${MAX_MIB}], got ${memoryMiB}`,
      );
    }
    if (memory && memoryMiB !== config.memoryMiB) {
      throw new Error(
        `configureWasm: the wasm memory already exists with ${config.memoryMiB} MiB and never grows ` +
          `(growing would detach every tensor in it); call configureWasm({ memoryMiB: ${memoryMiB} }) ` +
          'before the first wasm allocation',
      );
    }
    config.memoryMiB = memoryMiB;
    sizeConfigured = true;
  }
  if (onFull !== undefined) {
    if (onFull !== 'heap' && onFull !== 'throw') {
      throw new RangeError(`configureWasm: onFull must be 'heap' or 'throw', got ${String(onFull)}`);
    }
    config.onFull = onFull;
  }
}

export function wasmConfig(): Readonly<Required<WasmConfig>> {
  return config;
}

/**
 * Whether this runtime runs WebAssembly with 128-bit SIMD (Node >= 16.4, Chrome 91, Firefox 89,
 * Safari 16.4): validates the smallest module that uses a v128 value.
 */
export function wasmSupported(): boolean {
  if (simd === null) {
    // (module (func (result v128) (v128.const i32x4 0 0 0 0)))
    const bytes = new Uint8Array([
      0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
    ]);
    try {
      simd = webAssembly()?.validate(bytes) === true;
    } catch {
      simd = false;
    }
  }
  return simd;
}

/** The shared memory, created at its configured size on the first call. */
export function getWasmMemory(): WasmMemory {
  if (memory) return memory;
  if (!wasmSupported()) {
    throw new Error('getWasmMemory: this runtime has no WebAssembly SIMD support; use the js backend');
  }
  const Memory = webAssembly()!.Memory;
  for (;;) {
    const pages = (config.memoryMiB * MIB) / PAGE_BYTES;
    try {
      memory = new Memory({ initial: pages, maximum: pages });
      break;
    } catch (error) {
      if (!sizeConfigured && config.memoryMiB > SMALLEST_DEFAULT_MIB) {
        config.memoryMiB /= 2;
        continue;
      }
      throw new RangeError(
        `getWasmMemory: could not reserve ${config.memoryMiB} MiB for the wasm memory ` +
          `(${(error as Error).message}); call configureWasm({ memoryMiB }) with a smaller size first`,
      );
    }
  }
  return memory;
}

/** The memory if it was created already (never creates it). */
export function existingWasmMemory(): WasmMemory | null {
  return memory;
}

/**
 * Byte address of t's first element (data[offset]) in the wasm memory, or null when t.data is not
 * a view of the wasm memory (a JS-heap tensor, or no wasm memory yet). Kernels pass this address
 * to wasm; the element (i0, i1, ...) is at address + 4 or 8 * sum(i_k * strides[k]).
 */
export function wasmByteOffset(t: Tensor): number | null {
  if (memory === null || t.data.buffer !== memory.buffer) return null;
  return t.data.byteOffset + t.offset * t.data.BYTES_PER_ELEMENT;
}
