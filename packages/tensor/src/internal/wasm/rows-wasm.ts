import type { TypedArray } from '../../dtype.js';
import { getBackend } from '../../wasm/backend.js';
import { instantiateWasm } from '../../wasm/instantiate.js';
import { isWasmBuffer } from '../../wasm/memory.js';
import { allocateScratch } from '../../wasm/storage.js';
import { wasmBase64 } from './rows.wasm.generated.js';

/**
 * The wasm path of softmax along the last axis (wasm/rows.ts): contiguous float32 input and output
 * in the wasm memory, wasm backend, at least WASM_MIN elements, rows of at most ROW_MAX (the
 * kernel keeps a row's exp values in a float64 scratch block, allocated once per process and never
 * freed). Returns false (nothing written) when it cannot run; the JS kernel then runs.
 */
const ROW_MAX = 4096;
const WASM_MIN = 64;

/** Calls of the softmax kernel in this process (tests check that the wasm path ran). */
export const rowsWasmCalls = { softmax: 0 };

interface RowsExports {
  softmaxRows(x: number, o: number, rows: number, n: number, e: number): void;
}

let kernels: RowsExports | null = null;
let scratch = -1;

export function softmaxWasm(x: TypedArray, ix: number, o: TypedArray, rows: number, n: number): boolean {
  if (n > ROW_MAX || rows * n < WASM_MIN || !(o instanceof Float32Array) || getBackend() !== 'wasm') {
    return false;
  }
  if (!isWasmBuffer(o.buffer) || !isWasmBuffer(x.buffer)) return false;
  if (scratch < 0) {
    scratch = allocateScratch(8 * ROW_MAX);
    if (scratch < 0) return false; // memory full: JS now, try again next call
  }
  kernels ??= instantiateWasm<RowsExports & Record<string, unknown>>(wasmBase64);
  rowsWasmCalls.softmax++;
  kernels.softmaxRows(x.byteOffset + 4 * ix, o.byteOffset, rows, n, scratch);
  return true;
}
