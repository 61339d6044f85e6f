import { decodeBase64 } from '../internal/wasm/base64.js';
import { getWasmMemory } from './memory.js';
import { type WasmExports, webAssembly } from './webassembly.js';

const instances = new Map<string, WasmExports>();

/**
 * The exports of an embedded kernel module (the `wasmBase64` string of a *.wasm.generated.ts
 * file, see scripts/build-wasm.mjs), instantiated once per process with the shared memory as
 * `env.memory`. Compilation is synchronous: the modules are a few KB, far below the size at
 * which browsers refuse synchronous compilation on the main thread (8 MB in Chrome).
 */
export function instantiateWasm<T extends WasmExports = WasmExports>(wasmBase64: string): T {
  let exports = instances.get(wasmBase64);
  if (!exports) {
    const memory = getWasmMemory(); // also checks that the runtime has wasm SIMD
    const api = webAssembly()!;
    exports = new api.Instance(new api.Module(decodeBase64(wasmBase64)), { env: { memory } }).exports;
    instances.set(wasmBase64, exports);
  }
  return exports as T;
}
