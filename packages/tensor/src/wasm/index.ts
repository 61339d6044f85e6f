export { type Backend, getBackend, setBackend } from './backend.js';
export { compiledWasm, instantiateWasm } from './instantiate.js';
export {
  configureWasm,
  getWasmMemory,
  isWasmBuffer,
  isWasmMemoryShared,
  sharedMemorySupported,
  type WasmConfig,
  wasmByteOffset,
  wasmSupported,
} from './memory.js';
export { getKernelPool, type KernelPool, setKernelPool } from './pool.js';
export {
  allocateWasm,
  dispose,
  keep,
  tidy,
  type WasmMemoryStats,
  wasmMemoryStats,
} from './storage.js';
export { startWebKernelPool, type WebKernelPool, type WebWorkerLike } from './web-pool.js';
export type { WasmExports, WasmMemory } from './webassembly.js';
