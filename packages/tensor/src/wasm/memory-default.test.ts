import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WasmMemory } from './webassembly.js';

// Stands in an engine that reserves at most 256 MiB for a wasm memory (as a 32-bit browser or
// strict overcommit would): it refuses a memory whose reservation (its maximum: the engine
// reserves a shared memory's whole maximum up front) is larger, by wrapping WebAssembly.Memory;
// each test imports a fresh memory.js.
type Descriptor = { initial: number; maximum?: number; shared?: boolean };
type MemoryCtor = new (descriptor: Descriptor) => WasmMemory;
const api = (globalThis as unknown as { WebAssembly: { Memory: MemoryCtor } }).WebAssembly;
const RealMemory = api.Memory;
/** [initial, maximum] in MiB of every memory asked for. */
const askedMiB: [number, number][] = [];

function refuseAbove256MiB(): void {
  askedMiB.length = 0;
  // a subclass, not a function: biome rewrites function expressions to arrows, which `new` rejects
  api.Memory = class RefusingMemory extends RealMemory {
    constructor(descriptor: Descriptor) {
      const maximum = descriptor.maximum ?? descriptor.initial;
      askedMiB.push([descriptor.initial / 16, maximum / 16]);
      if (maximum > 256 * 16) throw new RangeError('could not allocate memory');
      super(descriptor);
    }
  };
}

async function freshMemoryModule(): Promise<typeof import('./memory.js')> {
  vi.resetModules();
  return import('./memory.js');
}

afterEach(() => {
  vi.unstubAllEnvs();
  api.Memory = RealMemory;
});

describe('the wasm memory size', () => {
  it('defaults to 1 GiB growable to 4 GiB (shared), the maximum then the size halved while refused', async () => {
    const { configureWasm, getWasmMemory, isWasmMemoryShared, wasmConfig } = await freshMemoryModule();
    expect(wasmConfig().memoryMiB).toBe(1024);
    expect(wasmConfig().maxMemoryMiB).toBe(4096);
    configureWasm({ shared: true }); // the default in Node (also under NORMKIT_WASM_SHARED=0)
    refuseAbove256MiB();
    expect(getWasmMemory().buffer.byteLength).toBe(256 * 1024 * 1024);
    expect(isWasmMemoryShared()).toBe(true); // Node has shared wasm memory
    // the headroom goes first (it is what a shared memory reserves), then the size
    expect(askedMiB).toEqual([
      [1024, 4096],
      [1024, 2048],
      [1024, 1024],
      [512, 1024],
      [512, 512],
      [256, 512],
      [256, 256],
    ]);
    expect(wasmConfig().memoryMiB).toBe(256);
    expect(wasmConfig().maxMemoryMiB).toBe(256);
    // the size it got is the size from now on
    expect(() => configureWasm({ memoryMiB: 512 })).toThrow(
      'configureWasm: the wasm memory already exists with memoryMiB 256',
    );
  });

  it('not shared: defaults to 1 GiB, halved while the engine refuses it, never grows', async () => {
    const { configureWasm, getWasmMemory, isWasmMemoryShared, wasmConfig } = await freshMemoryModule();
    configureWasm({ shared: false });
    refuseAbove256MiB();
    expect(getWasmMemory().buffer.byteLength).toBe(256 * 1024 * 1024);
    expect(isWasmMemoryShared()).toBe(false);
    expect(askedMiB).toEqual([
      [1024, 1024],
      [512, 512],
      [256, 256],
    ]);
    expect(wasmConfig().maxMemoryMiB).toBe(256);
  });

  it('falls back to the non-shared memory where the engine will not make a shared one', async () => {
    vi.stubEnv('NORMKIT_WASM_SHARED', undefined); // the automatic choice, whatever the suite runs with
    const { getWasmMemory, isWasmMemoryShared } = await freshMemoryModule();
    askedMiB.length = 0;
    api.Memory = class NoSharedMemory extends RealMemory {
      constructor(descriptor: Descriptor) {
        askedMiB.push([descriptor.initial / 16, (descriptor.maximum ?? 0) / 16]);
        if (descriptor.shared) throw new TypeError('shared memory is disabled');
        super(descriptor);
      }
    };
    expect(getWasmMemory().buffer.byteLength).toBe(1024 * 1024 * 1024);
    expect(isWasmMemoryShared()).toBe(false);
    expect(askedMiB).toEqual([
      [1024, 4096],
      [1024, 1024],
    ]);
  });

  it('set with configureWasm, is taken exactly or refused with a RangeError, never halved', async () => {
    const { configureWasm, getWasmMemory } = await freshMemoryModule();
    refuseAbove256MiB();
    configureWasm({ memoryMiB: 512, shared: true });
    expect(() => getWasmMemory()).toThrow(
      /^getWasmMemory: could not reserve 512 MiB for the wasm memory \(could not allocate memory\); call configureWasm/,
    );
    expect(askedMiB).toEqual([
      [512, 4096],
      [512, 2048],
      [512, 1024],
      [512, 512],
    ]);
    configureWasm({ memoryMiB: 128 });
    expect(getWasmMemory().buffer.byteLength).toBe(128 * 1024 * 1024);
  });
});
