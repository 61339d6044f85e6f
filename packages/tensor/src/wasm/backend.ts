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
 * Default: 'wasm' where the runtime has WebAssembly SIMD (Node >= 16.4 and current browsers),
 * else 'js'; the environment variable NORMKIT_BACKEND=js|wasm overrides it (read through
 * globalThis.process, so browsers, which have none, get the default), and setBackend at any time.
 *
 * What the wasm default asks of a training loop: free what each step allocates. A synchronous loop
 * never lets the garbage collector's finalizers run, so without tidy() it fills the wasm memory
 * and from then on allocates on the JS heap (one warning; correct, but on the JS kernels). So
 * @normkit/transformer's train(), evaluate() and generate() run each step inside tidy(); @normkit/nn
 * keep()s parameters, buffers and optimizer state (they outlive the step that creates them);
 * @normkit/autograd's backward keep()s the leaf gradients it creates (so p.grad survives a user's
 * tidy); and zeroGrad disposes the gradients it drops. Every package's suite passes on both backends
 * (NORMKIT_BACKEND=js runs them on the JS kernels), and each has a wasm-backend test comparing a
 * training run with the js backend's and checking that the wasm memory stays flat.
 */
const DEFAULT_BACKEND: Backend = 'wasm';

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
