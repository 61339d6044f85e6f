import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WasmMemory } from './webassembly.js';

// Stands in an engine that refuses wasm memories above 256 MiB (as a 32-bit browser or strict
// overcommit would) by wrapping WebAssembly.Memory; each test imports a fresh memory.js.
type MemoryCtor = new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
const api = (globalThis as unknown as { WebAssembly: { Memory: MemoryCtor } }).WebAssembly;
const RealMemory = api.Memory;
const askedMiB: number[] = [];

function refuseAbove256MiB(): void {
  askedMiB.length = 0;
  // a subclass, not a function: biome rewrites function expressions to arrows, which `new` rejects
  api.Memory = class RefusingMemory extends RealMemory {
    constructor(descriptor: { initial: number; maximum?: number }) {
      askedMiB.push(descriptor.initial / 16);
      if (descriptor.initial > 256 * 16) throw new RangeError('could not allocate memory');
      super(descriptor);
    }
  };
}

async function freshMemoryModule(): Promise<typeof import('./memory.js')> {
  vi.resetModules();
  return import('./memory.js');
}

afterEach(() => {
  api.Memory = RealMemory;
});

describe('the wasm memory size', () => {
  it('defaults to 1 GiB, halved while the engine refuses it', async () => {
    const { configureWasm, getWasmMemory, wasmConfig } = await freshMemoryModule();
    expect(wasmConfig().memoryMiB).toBe(1024);
    refuseAbove256MiB();
    expect(getWasmMemory().buffer.byteLength).toBe(256 * 1024 * 1024);
    expect(askedMiB).toEqual([1024, 512, 256]);
    expect(wasmConfig().memoryMiB).toBe(256);
    // the size it got is the size from now on
    expect(() => configureWasm({ memoryMiB: 512 })).toThrow(
      'configureWasm: the wasm memory already exists with 256 MiB and never grows',
    );
  });

  it('set with configureWasm, is taken exactly or refused with a RangeError, never halved', async () => {
    const { configureWasm, getWasmMemory } = await freshMemoryModule();
    refuseAbove256MiB();
    configureWasm({ memoryMiB: 512 });
    expect(() => getWasmMemory()).toThrow(
      /^getWasmMemory: could not reserve 512 MiB for the wasm memory \(could not allocate memory\); call configureWasm/,
    );
    expect(askedMiB).toEqual([512]);
    configureWasm({ memoryMiB: 128 });
    expect(getWasmMemory().buffer.byteLength).toBe(128 * 1024 * 1024);
  });
});
