import type { Tensor } from '../tensor.js';
import { type WasmMemory, webAssembly } from './webassembly.js';

/**
 * The one WebAssembly.Memory every normkit wasm module imports (as `env.memory`) and every
 * wasm-backed tensor views.
 *
 * Two kinds, chosen once, when the memory is created:
 * - shared (where SharedArrayBuffer-backed wasm memory exists: Node always, browsers when
 *   crossOriginIsolated): `{ shared: true, initial, maximum }`, grown when the block allocator runs
 *   out (storage.ts), in large steps (to at least twice its size, at least 64 MiB more), at
 *   allocation time and so never inside a kernel call. Growing a shared memory detaches nothing:
 *   the engine reserved the address space up to `maximum` at creation, every existing view stays
 *   valid, and no copy happens. But `memory.buffer` is then a NEW SharedArrayBuffer object (of the
 *   new length), so "does this array live in the wasm memory" is `isWasmBuffer(a.buffer)`: is its
 *   buffer one of the generations memory.buffer has returned. All generations start at address 0,
 *   so a view's byteOffset is its address whatever its generation, and two views overlap iff their
 *   byte ranges do (`sameWasmMemory`).
 * - not shared (elsewhere, or configureWasm({ shared: false })): the memory is created at its full
 *   size and NEVER grows: grow() would detach `memory.buffer`, and with it the `data` of every
 *   tensor there, and in V8 a detach slows every typed-array loop in the process by ~1.4x for good.
 * When the memory cannot hold an allocation (not shared, or at its maximum), the allocation falls
 * back to the JS heap (warning once; such tensors take the JS kernels) or throws (onFull).
 *
 * The kernel modules are built once, importing a shared memory (scripts/build-wasm.mjs); on the
 * non-shared path instantiate.ts patches the import's limits flag before compiling.
 *
 * Sizes: untouched pages cost no RAM (mapped zero-filled on demand), so the initial size is
 * generous: 1 GiB by default (creating it takes ~3 ms in Node 20). Where the engine refuses that
 * (32-bit browsers, strict overcommit) the default maximum, then the default size, halve until
 * granted, down to 64 MiB; a size set with configureWasm is taken exactly or refused.
 *
 * Layout: [0, RESERVED) is never handed out (address 0 stays a null pointer; modules are built
 * without data segments, see scripts/build-wasm.mjs), the rest belongs to the block allocator.
 */
export const PAGE_BYTES = 65536;
export const RESERVED_BYTES = PAGE_BYTES;
const MIB = 1024 * 1024;
/** wasm32 addresses 4 GiB at most. */
const MAX_MIB = 4096;
/** Smallest growth step: growing is cheap, but each step is a new buffer generation. */
const GROW_MIN_MIB = 64;

export interface WasmConfig {
  /**
   * Initial size of the wasm memory in MiB (default 1024, halved down to 64 where the engine
   * refuses it); the whole, fixed size when the memory is not shared.
   */
  memoryMiB?: number;
  /** Largest size a shared memory grows to, in MiB (default 4096, the wasm32 limit). */
  maxMemoryMiB?: number;
  /**
   * Whether the memory is a growable shared memory (default: wherever the runtime supports it,
   * unless NORMKIT_WASM_SHARED=0 is in the environment). `false` forces the fixed-size non-shared
   * memory; `true` where unsupported is an error.
   */
  shared?: boolean;
  /**
   * What an allocation does when the memory is full (and cannot grow): 'heap' (default) returns an
   * ordinary JS array (the tensor takes the JS kernels) and warns once; 'throw' throws a RangeError.
   */
  onFull?: 'heap' | 'throw';
}

const DEFAULT_MIB = 1024;
const SMALLEST_DEFAULT_MIB = 64;
const config = { memoryMiB: DEFAULT_MIB, maxMemoryMiB: MAX_MIB, onFull: 'heap' as 'heap' | 'throw' };
/** null: shared wherever supported; NORMKIT_WASM_SHARED=0 in the environment forces non-shared. */
let sharedChoice: boolean | null =
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.NORMKIT_WASM_SHARED === '0'
    ? false
    : null;
/** Which sizes came from configureWasm (then they are taken exactly, never halved). */
const configured = { memoryMiB: false, maxMemoryMiB: false };
let memory: WasmMemory | null = null;
let shared = false;
let simd: boolean | null = null;
let sharedSupport: boolean | null = null;
/** Every object memory.buffer has returned, oldest first (one, unless the memory grew). */
const generations: ArrayBufferLike[] = [];
let newest: ArrayBufferLike | null = null;
let growCount = 0;

function checkMiB(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_MIB) {
    throw new RangeError(`configureWasm: ${name} must be an integer in [1, ${MAX_MIB}], got ${value}`);
  }
}

function fixedOnceCreated(name: string, now: string, asked: string): Error {
  return new Error(
    `configureWasm: the wasm memory already exists with ${name} ${now}; call configureWasm({ ${name}: ${asked} }) ` +
      'before the first wasm allocation',
  );
}

/** Set sizes, kind and the full-memory policy. Sizes and kind can only change before first use. */
export function configureWasm(options: WasmConfig): void {
  const { memoryMiB, maxMemoryMiB, shared: wantShared, onFull } = options;
  if (memoryMiB !== undefined) checkMiB('memoryMiB', memoryMiB);
  if (maxMemoryMiB !== undefined) checkMiB('maxMemoryMiB', maxMemoryMiB);
  if (wantShared !== undefined && typeof wantShared !== 'boolean') {
    throw new TypeError(`configureWasm: shared must be a boolean, got ${String(wantShared)}`);
  }
  if (onFull !== undefined && onFull !== 'heap' && onFull !== 'throw') {
    throw new RangeError(`configureWasm: onFull must be 'heap' or 'throw', got ${String(onFull)}`);
  }
  if (memory) {
    if (memoryMiB !== undefined && memoryMiB !== config.memoryMiB) {
      throw fixedOnceCreated('memoryMiB', String(config.memoryMiB), String(memoryMiB));
    }
    if (maxMemoryMiB !== undefined && maxMemoryMiB !== config.maxMemoryMiB) {
      throw fixedOnceCreated('maxMemoryMiB', String(config.maxMemoryMiB), String(maxMemoryMiB));
    }
    if (wantShared !== undefined && wantShared !== shared) {
      throw fixedOnceCreated('shared', String(shared), String(wantShared));
    }
  }
  if (wantShared === true && !sharedMemorySupported()) {
    throw new Error(
      'configureWasm: shared: true, but this runtime has no shared wasm memory ' +
        '(browsers need cross-origin isolation: COOP/COEP headers)',
    );
  }
  if (memoryMiB !== undefined) {
    config.memoryMiB = memoryMiB;
    configured.memoryMiB = true;
  }
  if (maxMemoryMiB !== undefined) {
    config.maxMemoryMiB = maxMemoryMiB;
    configured.maxMemoryMiB = true;
  }
  if (wantShared !== undefined) sharedChoice = wantShared;
  if (onFull !== undefined) config.onFull = onFull;
}

export function wasmConfig(): Readonly<Required<Omit<WasmConfig, 'shared'>>> {
  return config;
}

/**
 * Whether this runtime runs WebAssembly with 128-bit SIMD (Node >= 16.4, Chrome 91, Firefox 89,
 * Safari 16.4): validates the smallest module that uses a v128 value.
 */
export function wasmSupported(): boolean {
  if (simd === null) {
    // (module (func (result v128) (v128.const i32x4 0 0 0 0)))
    simd = validates([
      1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 11,
    ]);
  }
  return simd;
}

/**
 * Whether a shared wasm memory can be used here: SharedArrayBuffer exists, the page is not a
 * non-isolated browser page, and the engine validates a module importing a shared memory.
 */
export function sharedMemorySupported(): boolean {
  if (sharedSupport === null) {
    const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
    // (module (import "env" "memory" (memory 0 1 shared)))
    sharedSupport =
      typeof g.SharedArrayBuffer === 'function' &&
      g.crossOriginIsolated !== false &&
      validates([2, 16, 1, 3, 101, 110, 118, 6, 109, 101, 109, 111, 114, 121, 2, 3, 0, 1]);
  }
  return sharedSupport;
}

function validates(sections: number[]): boolean {
  try {
    return webAssembly()?.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, ...sections])) === true;
  } catch {
    return false;
  }
}

/** The memory, created on the first call (shared where supported unless configured otherwise). */
export function getWasmMemory(): WasmMemory {
  if (memory) return memory;
  if (!wasmSupported()) {
    throw new Error('getWasmMemory: this runtime has no WebAssembly SIMD support; use the js backend');
  }
  const Memory = webAssembly()!.Memory;
  let wantShared = sharedChoice ?? sharedMemorySupported();
  for (;;) {
    const initial = (config.memoryMiB * MIB) / PAGE_BYTES;
    const maximum = (Math.max(config.memoryMiB, config.maxMemoryMiB) * MIB) / PAGE_BYTES;
    try {
      memory = wantShared
        ? new Memory({ initial, maximum, shared: true })
        : new Memory({ initial, maximum: initial });
      break;
    } catch (error) {
      // an engine that validates shared memories but will not make one (a TypeError, not a lack
      // of address space): the non-shared memory, unless shared was asked for explicitly
      if (wantShared && sharedChoice === null && !(error instanceof RangeError)) {
        wantShared = false;
        continue;
      }
      // the reservation a shared memory makes is its maximum: give up headroom first, then size
      if (wantShared && !configured.maxMemoryMiB && config.maxMemoryMiB > config.memoryMiB) {
        config.maxMemoryMiB = Math.max(config.memoryMiB, config.maxMemoryMiB / 2);
        continue;
      }
      if (!configured.memoryMiB && config.memoryMiB > SMALLEST_DEFAULT_MIB) {
        config.memoryMiB /= 2;
        continue;
      }
      throw new RangeError(
        `getWasmMemory: could not reserve ${config.memoryMiB} MiB for the wasm memory ` +
          `(${(error as Error).message}); call configureWasm({ memoryMiB }) with a smaller size first`,
      );
    }
  }
  shared = wantShared;
  if (!shared) config.maxMemoryMiB = config.memoryMiB;
  currentWasmBuffer();
  return memory;
}

/** Whether the memory (created on demand) is a growable shared memory. */
export function isWasmMemoryShared(): boolean {
  getWasmMemory();
  return shared;
}

/** memory.buffer, recorded as a generation: new views are made on it. */
export function currentWasmBuffer(): ArrayBufferLike {
  const buffer = getWasmMemory().buffer;
  if (buffer !== newest) {
    generations.push(buffer);
    newest = buffer;
  }
  return buffer;
}

/**
 * Whether `buffer` is (a generation of) the wasm memory's buffer, i.e. whether a typed array on it
 * is a view of the wasm memory whose byteOffset is its address. Newest generation first: it holds
 * nearly every tensor, and a memory has a handful of generations at most (each growth doubles).
 */
export function isWasmBuffer(buffer: ArrayBufferLike): boolean {
  if (buffer === newest) return true;
  for (let i = generations.length - 2; i >= 0; i--) if (generations[i] === buffer) return true;
  return false;
}

/** Whether two buffers are the same memory (one buffer, or two generations of the wasm memory). */
export function sameWasmMemory(a: ArrayBufferLike, b: ArrayBufferLike): boolean {
  return a === b || (isWasmBuffer(a) && isWasmBuffer(b));
}

/**
 * Grow a shared memory so it holds at least `bytes` bytes: to twice its size, at least 64 MiB
 * more, at most maxMemoryMiB. Returns false (nothing changed) when it cannot: not shared, the
 * maximum is too small, or the engine refuses. Called by the allocator only, never by a kernel.
 */
export function growWasmMemory(bytes: number): boolean {
  const m = getWasmMemory();
  const have = m.buffer.byteLength / PAGE_BYTES;
  const need = Math.ceil(bytes / PAGE_BYTES);
  if (need <= have) return true;
  const most = (config.maxMemoryMiB * MIB) / PAGE_BYTES;
  if (!shared || need > most) return false;
  const step = Math.max(need, 2 * have, have + (GROW_MIN_MIB * MIB) / PAGE_BYTES);
  const target = Math.min(most, Math.ceil(step / 16) * 16); // whole MiB
  try {
    m.grow(target - have);
  } catch {
    try {
      m.grow(need - have); // the engine refused the large step: take just what is needed
    } catch {
      return false;
    }
  }
  growCount++;
  currentWasmBuffer();
  return true;
}

/** Times the memory grew, and its buffer generations (tests, wasmMemoryStats). */
export function wasmGrowth(): { grows: number; generations: number } {
  return { grows: growCount, generations: generations.length };
}

/**
 * Byte address of t's first element (data[offset]) in the wasm memory, or null when t.data is not
 * a view of the wasm memory (a JS-heap tensor, or no wasm memory yet). Kernels pass this address
 * to wasm; the element (i0, i1, ...) is at address + 4 or 8 * sum(i_k * strides[k]).
 */
export function wasmByteOffset(t: Tensor): number | null {
  if (!isWasmBuffer(t.data.buffer)) return null;
  return t.data.byteOffset + t.offset * t.data.BYTES_PER_ELEMENT;
}
