import { setBackend } from '@normkit/tensor';

// Imported first by the *.wasm.test.ts files: every tensor the imported suites create from here on
// is allocated in the wasm memory, so their float32 kernels take the WebAssembly path.
setBackend('wasm');
