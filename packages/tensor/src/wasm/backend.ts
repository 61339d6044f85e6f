import { heapAllocator, setAllocator } from '../storage.js';
import { wasmSupported } from './memory.js';
import { wasmAllocator } from './storage.js';

export type Backend = 'js' | 'wasm';

/**
 * The backend decides where new tensors live and so which kernels run:
 * - 'wasm': `allocate` (every tensor normkit creates) hands out views into the shared wasm memory,
 *   and kernels whose operands all live there run their WebAssembly SIMD version;
 * - 'js': ordinary JS-heap arrays and the plain JS kernels (the reference the wasm kernels are
 *   tested against).
 * Switching moves no tensor: each kernel call looks at where its operands actually live, so
 * tensors made under either backend keep working under the other (a wasm tensor under 'js' just
 * takes the JS kernel).
 *
 * Default: DEFAULT_BACKEND, overridden by the environment variable NORMKIT_BACKEND=js|wasm (read
 * through globalThis.process, so browsers, which have none, get the default).
 *
 * Why the default is still 'js': the wasm backend needs freeing discipline. A synchronous
 * training loop that does not run each step in tidy() never lets the garbage collector's
 * finalizers free anything, fills the wasm memory, and from then on allocates on the JS heap
 * (so it runs the JS kernels anyway). Measured with NORMKIT_BACKEND=wasm: the tensor and nn suites
 * pass, the transformer package's training tests fill the 256 MiB memory, and autograd's
 * 10,000-step memory test (no tidy) grows the JS heap by 46 MB. Once the training loops in nn,
 * transformer and the bench app use tidy, switch this to 'wasm'.
 */
const DEFAULT_BACKEND: Backend = 'js';

let current: Backend = 'js';

export function setBackend(name: Backend): void {
  if (name !== 'js' && name !== 'wasm') {
    throw new RangeError(`setBackend: backend must be 'js' or 'wasm', got ${JSON.stringify(name)}`);
  }
  if (name === 'wasm') {
    if (!wasmSupported()) {
      throw new Error(
        "setBackend: 'wasm' needs WebAssembly with 128-bit SIMD, which this runtime does not support; use 'js'",
      );
    }
    // the memory itself is created by the first allocation, so configureWasm still applies
    setAllocator(wasmAllocator);
  } else {
    setAllocator(heapAllocator);
  }
  current = name;
}

export function getBackend(): Backend {
  return current;
}

function environmentBackend(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.NORMKIT_BACKEND;
}

// a runtime without wasm SIMD keeps the js backend whatever was asked
if ((environmentBackend() ?? DEFAULT_BACKEND) === 'wasm' && wasmSupported()) setBackend('wasm');
