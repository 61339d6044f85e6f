import type { DType, TypedArray } from '../dtype.js';
import { fillData } from '../internal/wasm/memops-wasm.js';
import { heapAllocator } from '../storage.js';
import { Tensor } from '../tensor.js';
import { BlockAllocator, sizeClass } from './block-allocator.js';
import {
  currentWasmBuffer,
  getWasmMemory,
  growWasmMemory,
  isWasmBuffer,
  RESERVED_BYTES,
  wasmConfig,
  wasmGrowth,
} from './memory.js';

/**
 * Tensor storage in the wasm memory, and when it is freed.
 *
 * A block is owned by the typed array (`data`) it was handed out as. Every Tensor view made from
 * a tensor (reshape, transpose, slice, ...) shares that same `data` object, so "no view can reach
 * the block any more" is exactly "the data array is unreachable". Three ways free a block:
 * - `tidy(fn)`: every block allocated while fn runs is freed when it returns, except those whose
 *   data is reachable from fn's return value (walked through arrays, Maps, Sets and the own
 *   properties of objects; a returned Tensor view keeps its base's block, and so does a subarray
 *   or DataView of a block's bytes) or that were `keep()`-ed.
 *   Kept results move to the enclosing tidy, if any. A synchronous training loop never yields to
 *   the event loop, so this is what keeps its memory flat.
 * - `dispose(t)`: frees t's storage now. All views of t share it, so none of them may be used
 *   afterwards (as tf.dispose).
 * - a FinalizationRegistry on the data array: the backstop for anything else, once the garbage
 *   collector has proven no view can reach it. Its callbacks run only when the event loop turns,
 *   so a synchronous loop without tidy fills the memory (a shared memory grows, up to its
 *   maximum); allocations then go to the JS heap (warned once) until the finalizers have run.
 *   Until then each such block also costs a little JS heap (its record and registry cell); tidy
 *   and dispose unregister theirs at once.
 * Tensors referenced only from closures (an autograd graph's saved tensors) are invisible to the
 * tidy walk: run backward inside the same tidy that ran the forward pass.
 */
interface Block {
  readonly addr: number;
  live: boolean;
  kept: boolean;
}

let blocks: BlockAllocator | null = null;
const owners = new WeakMap<TypedArray, Block>();
const registry = new FinalizationRegistry<Block>((block) => {
  if (block.live) freeBlock(block);
});
/** Open tidy scopes, innermost last: the data arrays allocated in each. */
const scopes: TypedArray[][] = [];
let heapFallbacks = 0;

function allocator(): BlockAllocator {
  if (blocks === null) {
    const memory = getWasmMemory();
    blocks = new BlockAllocator(RESERVED_BYTES, memory.buffer.byteLength);
  }
  return blocks;
}

/**
 * A block of `bytes` (its address), growing a shared memory when the region is full; -1 when it
 * cannot grow. The growth asks for room for a whole size class above the top of the used range
 * (alloc failed, so that lies past the end), so the retried bump allocation fits; the memory grows
 * by a large step beyond that (memory.ts). This is the only place the memory grows: at allocation
 * time, never while a kernel runs.
 */
function allocBytes(bytes: number): number {
  const heap = allocator();
  let addr = heap.alloc(bytes);
  if (addr < 0 && growWasmMemory(heap.base + heap.stats().topBytes + sizeClass(bytes))) {
    heap.extend(getWasmMemory().buffer.byteLength);
    addr = heap.alloc(bytes);
  }
  return addr;
}

/**
 * A zero-filled array of `length` elements in the wasm memory, or null when it is full. The
 * block is tracked like any wasm tensor's (tidy scope, dispose, finalizer). With zero = false a
 * reused block keeps whatever its last owner wrote (allocateUninit's contract: the caller
 * overwrites every element); a fresh block, above the high-water mark, is zero either way.
 */
export function allocateWasm(dtype: DType, length: number, zero = true): TypedArray | null {
  const bytes = length * (dtype === 'float64' ? 8 : 4);
  const addr = allocBytes(bytes);
  if (addr < 0) return null;
  const heap = allocator();
  const buffer = currentWasmBuffer();
  const data =
    dtype === 'float64' ? new Float64Array(buffer, addr, length) : new Float32Array(buffer, addr, length);
  if (zero && !heap.lastWasFresh) fillData(data, 0);
  const block: Block = { addr, live: true, kept: false };
  owners.set(data, block);
  registry.register(data, block, block);
  scopes[scopes.length - 1]?.push(data);
  return data;
}

/**
 * A permanent block (kernel scratch): untracked by tidy and the garbage collector, never freed.
 * Returns its byte address, or -1 when the memory is full.
 */
export function allocateScratch(bytes: number): number {
  return allocBytes(bytes);
}

/** The Allocator the wasm backend installs (storage.ts): wasm views, the heap when full. */
export const wasmAllocator = {
  name: 'wasm',
  alloc(dtype: DType, length: number): TypedArray {
    return allocateOrFallBack(dtype, length, true);
  },
  allocUninit(dtype: DType, length: number): TypedArray {
    return allocateOrFallBack(dtype, length, false);
  },
};

function allocateOrFallBack(dtype: DType, length: number, zero: boolean): TypedArray {
  let reason: string | null = null;
  try {
    const data = allocateWasm(dtype, length, zero);
    if (data) return data;
  } catch (error) {
    reason = (error as Error).message; // the memory could not be reserved at all
  }
  const message =
    reason ?? `${fullMessage()} (${fullDetail()}${length} ${dtype} elements requested); ${FULL_HINT}`;
  if (wasmConfig().onFull === 'throw') throw new RangeError(`normkit: ${message}`);
  if (heapFallbacks++ === 0) {
    console.warn(`normkit: ${message}. Allocating on the JS heap (JS kernels) until wasm tensors are freed.`);
  }
  return heapAllocator.alloc(dtype, length);
}

const FULL_HINT =
  'free tensors with tidy()/dispose(), or call configureWasm({ memoryMiB, maxMemoryMiB }) before first use';

function fullMessage(): string {
  const capacity = getWasmMemory().buffer.byteLength / 2 ** 20;
  return capacity < wasmConfig().maxMemoryMiB
    ? `the ${capacity} MiB wasm memory is full and cannot grow to hold it`
    : `the ${capacity} MiB wasm memory is full`;
}

function fullDetail(): string {
  const { memoryMiB, maxMemoryMiB } = wasmConfig();
  return maxMemoryMiB > memoryMiB ? `maximum ${maxMemoryMiB} MiB; ` : '';
}

function freeBlock(block: Block): void {
  block.live = false;
  registry.unregister(block);
  blocks!.release(block.addr);
}

/**
 * Run fn; free every wasm tensor allocated inside that its result does not reach. Nested tidies
 * work as expected; an exception frees everything allocated inside and rethrows.
 *
 * A training step: `tidy(() => { opt.zeroGrad(); const loss = model.forward(x, y).loss;
 * loss.backward(); opt.step(); return [model, opt]; })` keeps every parameter, gradient and
 * optimizer state (reached from model and opt) and frees activations and the graph. A tensor the
 * step replaces (last step's gradient, once zeroGrad drops it) was kept by the previous tidy and
 * is reached by nothing now: dispose() it when replacing it, or only the garbage collector frees it.
 */
export function tidy<T>(fn: () => T): T {
  const scope: TypedArray[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    scopes.pop();
    release(scope, new Set());
    throw error;
  }
  scopes.pop();
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    release(scope, new Set());
    throw new TypeError('tidy: fn returned a Promise; tidy is synchronous (await outside it)');
  }
  const reached = new Set<ArrayBufferView>();
  collect(result, reached, new Set());
  // views that are not a block's own data array (subarrays, DataViews of the wasm memory)
  const foreign = [...reached].filter((v) => !owners.has(v as TypedArray) && isWasmBuffer(v.buffer));
  const keepers = scope.filter(
    (data) => reached.has(data) || (foreign.length > 0 && overlaps(data, foreign)),
  );
  release(scope, new Set(keepers));
  const outer = scopes[scopes.length - 1];
  if (outer) for (const data of keepers) if (owners.get(data)?.live) outer.push(data);
  return result;
}

function release(scope: readonly TypedArray[], keepers: Set<TypedArray>): void {
  for (const data of scope) {
    const block = owners.get(data)!;
    if (block.live && !block.kept && !keepers.has(data)) freeBlock(block);
  }
}

/** Whether any of the views lies (partly) inside data's bytes: then it keeps data's block too. */
function overlaps(data: TypedArray, views: readonly ArrayBufferView[]): boolean {
  const start = data.byteOffset;
  const end = start + data.byteLength;
  return views.some((v) => v.byteOffset < end && start < v.byteOffset + v.byteLength);
}

/** Every typed array or DataView reachable from value (cycles and shared objects visited once). */
function collect(value: unknown, out: Set<ArrayBufferView>, seen: Set<object>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (ArrayBuffer.isView(value)) {
    out.add(value);
    return;
  }
  if (value instanceof ArrayBuffer) return;
  if (value instanceof Tensor) {
    out.add(value.data);
    return;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      collect(k, out, seen);
      collect(v, out, seen);
    }
    return;
  }
  if (value instanceof Set || Array.isArray(value)) {
    for (const v of value) collect(v, out, seen);
    return;
  }
  for (const key of Object.keys(value)) collect((value as Record<string, unknown>)[key], out, seen);
}

/** Free the wasm storage of t (shared by all its views) now; a no-op for heap tensors. */
export function dispose(t: Tensor | readonly Tensor[]): void {
  if (Array.isArray(t)) {
    for (const x of t) dispose(x);
    return;
  }
  const block = owners.get((t as Tensor).data);
  if (block?.live) freeBlock(block);
}

/** Exempt t's storage from every tidy (it stays until dispose or garbage collection). */
export function keep<T extends Tensor>(t: T): T {
  const block = owners.get(t.data);
  if (block) block.kept = true;
  return t;
}

export interface WasmMemoryStats {
  /** Size of the wasm memory (0 before it exists). */
  capacityBytes: number;
  liveBlocks: number;
  /** Bytes in live blocks (rounded up to their size classes). */
  liveBytes: number;
  /** Bytes on the free lists, ready for reuse. */
  freeBytes: number;
  /** Highest address ever handed out, relative to the allocator's start. */
  highWaterBytes: number;
  /** Allocations that found the memory full and went to the JS heap. */
  heapFallbacks: number;
  /** Times the (shared) memory grew; a warmed-up loop that frees its tensors grows it no more. */
  grows: number;
}

export function wasmMemoryStats(): WasmMemoryStats {
  const s = blocks?.stats();
  return {
    capacityBytes: blocks ? getWasmMemory().buffer.byteLength : 0,
    liveBlocks: s?.liveBlocks ?? 0,
    liveBytes: s?.liveBytes ?? 0,
    freeBytes: s?.freeBytes ?? 0,
    highWaterBytes: s?.highWaterBytes ?? 0,
    heapFallbacks,
    grows: wasmGrowth().grows,
  };
}
