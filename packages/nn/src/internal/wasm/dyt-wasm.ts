import {
  allocateWasm,
  dispose,
  getBackend,
  instantiateWasm,
  isWasmBuffer,
  keep,
  Tensor,
  type TypedArray,
} from '@normkit/tensor';
import { wasmBase64 } from './dyt.wasm.generated.js';

/**
 * The wasm path of float32 DyT (wasm/dyt.ts), called from src/norms/dyt.ts. Each function runs the
 * kernel and returns its result, or returns false/null having written nothing, and the JS kernel
 * runs instead: another backend, float64 data, an empty tensor, an array outside the wasm memory
 * (then the kernel could not reach it without a copy) or a full memory (no scratch area).
 *
 * Accuracy (src/norms/dyt-wasm.test.ts): y and dx are bit-identical to the JS kernel's (the same
 * float64 operations in the same order, rounded once; for |alpha x| > 9 the tanh is within 1e-23
 * of Math.tanh's, so the same double except near a rounding tie). dalpha, dWeight and dBias are
 * sums of the same float64 terms in another order (per-lane partials over 64-row blocks), so they
 * differ from JS by at most 2 (n - 1) 2^-53 sum|terms| before the final rounding to float32.
 */
interface DytExports {
  dytForward(x: number, y: number, count: number, N: number, alpha: number, scratch: number): void;
  dytBackward(
    dy: number,
    x: number,
    dx: number,
    count: number,
    N: number,
    alpha: number,
    flags: number,
    scratch: number,
  ): number;
}

// flags of dytBackward
const WANT_DX = 1;
const WANT_PARAMS = 2;

/** Calls per kernel in this process (tests check that the wasm path really ran). */
export const dytWasmCalls = { forward: 0, backward: 0 };

let kernels: DytExports | null = null;
function module(): DytExports {
  kernels ??= instantiateWasm<DytExports & Record<string, unknown>>(wasmBase64);
  return kernels;
}

/**
 * A float64 work area of at least n elements in the wasm memory (weight and bias widened, partial
 * sums), kept across calls and exempt from tidy(); it only grows (in powers of two). Null when the
 * memory is full.
 */
let scratch: Tensor | null = null;
function scratch64(n: number): Float64Array | null {
  if (scratch === null || scratch.size < n) {
    if (scratch !== null) dispose(scratch);
    scratch = null;
    const data = allocateWasm('float64', 2 ** Math.ceil(Math.log2(Math.max(n, 1024))));
    if (data === null) return null;
    scratch = keep(new Tensor(data, [data.length]));
  }
  return scratch.data as Float64Array;
}

/** Whether every array is a float32 view of the wasm memory (null: an absent operand). */
function inWasm(arrays: readonly (TypedArray | null)[]): boolean {
  // any buffer generation of the (grown, shared) wasm memory: isWasmBuffer, not buffer identity
  for (const a of arrays)
    if (a !== null && !(a instanceof Float32Array && isWasmBuffer(a.buffer))) return false;
  return true;
}

/**
 * y[i] = W[j] * tanh(alpha * x[xo + i]) + B[j], j = i mod N, for i < size (y from index 0).
 * W, B: N float64 (ones / zeros when absent).
 */
export function dytForwardWasm(
  x: TypedArray,
  xo: number,
  y: TypedArray,
  size: number,
  N: number,
  alpha: number,
  W: Float64Array,
  B: Float64Array,
): boolean {
  if (getBackend() !== 'wasm' || size === 0) return false;
  // the scratch first: were the memory ever to change, the views below would be checked against it
  const work = scratch64(2 * N);
  if (work === null || !inWasm([x, y])) return false;
  work.set(W, 0);
  work.set(B, N);
  dytWasmCalls.forward++;
  module().dytForward(x.byteOffset + 4 * xo, y.byteOffset, size, N, alpha, work.byteOffset);
  return true;
}

export interface DytBackwardWasmArgs {
  x: TypedArray;
  xo: number;
  dy: TypedArray;
  dyo: number;
  /** written from index 0; null when not wanted */
  dx: TypedArray | null;
  size: number;
  N: number;
  alpha: number;
  W: Float64Array;
  /** float64 sums over rows, written when not null (both or neither) */
  dW: Float64Array | null;
  dB: Float64Array | null;
}

/** The backward of dytForwardWasm: fills dx, dW, dB and returns dalpha, or null (JS runs). */
export function dytBackwardWasm(a: DytBackwardWasmArgs): number | null {
  if (getBackend() !== 'wasm' || a.size === 0) return null;
  const N = a.N;
  const work = scratch64(5 * N + 4);
  if (work === null || !inWasm([a.x, a.dy, a.dx])) return null;
  work.set(a.W, 0);
  const params = a.dW !== null && a.dB !== null;
  const flags = (a.dx ? WANT_DX : 0) | (params ? WANT_PARAMS : 0);
  dytWasmCalls.backward++;
  const dAlpha = module().dytBackward(
    a.dy.byteOffset + 4 * a.dyo,
    a.x.byteOffset + 4 * a.xo,
    a.dx ? a.dx.byteOffset : 0,
    a.size,
    N,
    a.alpha,
    flags,
    work.byteOffset,
  );
  if (params) {
    a.dW!.set(work.subarray(3 * N, 4 * N));
    a.dB!.set(work.subarray(4 * N, 5 * N));
  }
  return dAlpha;
}
