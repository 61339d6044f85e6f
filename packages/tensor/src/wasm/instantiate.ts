import { decodeBase64 } from '../internal/wasm/base64.js';
import { unshareMemoryImport } from '../internal/wasm/unshare.js';
import { getWasmMemory, isWasmMemoryShared } from './memory.js';
import { type WasmExports, webAssembly } from './webassembly.js';

const instances = new Map<string, WasmExports>();
const compiled = new Map<string, object>();

/**
 * The exports of an embedded kernel module (the `wasmBase64` string of a *.wasm.generated.ts
 * file, see scripts/build-wasm.mjs), instantiated once per process with the memory as
 * `env.memory`. The modules import a shared memory; where the memory is not shared, the import is
 * patched to a non-shared one first (internal/wasm/unshare.ts). Compilation is synchronous: the
 * modules are a few KB, far below the size at which browsers refuse synchronous compilation on
 * the main thread (8 MB in Chrome).
 */
export function instantiateWasm<T extends WasmExports = WasmExports>(wasmBase64: string): T {
  let exports = instances.get(wasmBase64);
  if (!exports) {
    const memory = getWasmMemory(); // also checks that the runtime has wasm SIMD
    const api = webAssembly()!;
    const bytes = decodeBase64(wasmBase64);
    const module = new api.Module(isWasmMemoryShared() ? bytes : unshareMemoryImport(bytes));
    exports = new api.Instance(module, { env: { memory } }).exports;
    instances.set(wasmBase64, exports);
    compiled.set(wasmBase64, module);
  }
  return exports as T;
}

/**
 * The compiled module behind instantiateWasm(wasmBase64) (compiled, and instantiated here, on
 * first use): a kernel pool posts it to its workers instead of compiling the bytes again.
 */
export function compiledWasm(wasmBase64: string): object {
  instantiateWasm(wasmBase64);
  return compiled.get(wasmBase64)!;
}
