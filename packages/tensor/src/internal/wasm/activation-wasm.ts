import type { TypedArray } from '../../dtype.js';
import { getBackend } from '../../wasm/backend.js';
import { instantiateWasm } from '../../wasm/instantiate.js';
import { isWasmBuffer } from '../../wasm/memory.js';
import { wasmBase64 } from './activation.wasm.generated.js';

/**
 * The wasm path of the activation kernels (wasm/activation.ts): GELU (both forms) and tanh forward
 * (called from unary.ts), and the fused backward passes of src/activation-grad.ts. Each function
 * runs the kernel and returns true, or returns false (nothing written) and the JS kernel that called
 * it runs instead. It runs when the backend is 'wasm', every array is a float32 view of the wasm
 * memory and the row has at least WASM_MIN elements (as the other elementwise kernels:
 * elementwise-wasm.ts). Offsets are in elements; the arrays are contiguous from there.
 *
 * Accuracy (src/wasm/activation-wasm.test.ts): float64 arithmetic rounded once to float32, within
 * 1 float32 ulp of the JS kernels' float64 result rounded once (GELU, tanh-form GELU, the backward
 * passes away from the zero of gelu' near x = -0.75, tanh). tanh and sigmoid backward are
 * bit-identical to JS.
 */
const WASM_MIN = 64;

/** The activation kernels' op codes (the values wasm/activation.ts switches on). */
export enum ActOp {
  Gelu = 0,
  GeluTanh = 1,
  Tanh = 2,
}
/** The fused backward passes: dy * f'(x) for GELU, dy * f'(y) for tanh and sigmoid. */
export enum GradOp {
  Gelu = 0,
  GeluTanh = 1,
  Tanh = 2,
  Sigmoid = 3,
}

/** Calls per entry point in this process (tests check that the wasm path really ran). */
export const activationWasmCalls = { forward: 0, grad: 0 };

interface ActivationExports {
  activation(op: number, x: number, o: number, n: number): void;
  activationGrad(op: number, g: number, v: number, o: number, n: number): void;
}

let kernels: ActivationExports | null = null;
function module(): ActivationExports {
  kernels ??= instantiateWasm<ActivationExports & Record<string, unknown>>(wasmBase64);
  return kernels;
}

/** Whether the kernels may write n float32 elements of output o (a view of the wasm memory). */
function wasmOutput(o: TypedArray, n: number): boolean {
  return n >= WASM_MIN && o instanceof Float32Array && getBackend() === 'wasm' && isWasmBuffer(o.buffer);
}

/** o[io + j] = f(x[ix + j]) for j < n. */
export function activationWasm(
  op: ActOp,
  n: number,
  x: TypedArray,
  ix: number,
  o: TypedArray,
  io: number,
): boolean {
  if (!wasmOutput(o, n) || !isWasmBuffer(x.buffer)) return false;
  activationWasmCalls.forward++;
  module().activation(op, x.byteOffset + 4 * ix, o.byteOffset + 4 * io, n);
  return true;
}

/** o[io + j] = g[ig + j] * f'(v[iv + j]) for j < n. */
export function activationGradWasm(
  op: GradOp,
  n: number,
  g: TypedArray,
  ig: number,
  v: TypedArray,
  iv: number,
  o: TypedArray,
  io: number,
): boolean {
  if (!wasmOutput(o, n) || !isWasmBuffer(g.buffer) || !isWasmBuffer(v.buffer)) return false;
  activationWasmCalls.grad++;
  module().activationGrad(op, g.byteOffset + 4 * ig, v.byteOffset + 4 * iv, o.byteOffset + 4 * io, n);
  return true;
}
