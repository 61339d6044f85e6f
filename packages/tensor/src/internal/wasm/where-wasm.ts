import type { TypedArray } from '../../dtype.js';
import { getBackend } from '../../wasm/backend.js';
import { instantiateWasm } from '../../wasm/instantiate.js';
import { isWasmBuffer } from '../../wasm/memory.js';
import { wasmBase64 } from './where.wasm.generated.js';

/**
 * The wasm path of where() (wasm/where.ts), one call per output row of the JS loop. The caller
 * asks `whereWasmReady` once per where() call (float32 output and every tensor operand in the
 * wasm memory, wasm backend, rows of >= WASM_MIN elements, cond and out contiguous along the row);
 * each operand a / b is then either a tensor contiguous along the row, or one value (a number, or
 * a tensor broadcast along the row: its value at the row's position) passed by value.
 */
export const WASM_MIN = 64;

/** Rows run by the wasm kernel in this process (tests check that the wasm path really ran). */
export const whereWasmCalls = { rows: 0 };

interface WhereExports {
  whereRow(
    c: number,
    a: number,
    av: number,
    aOne: number,
    b: number,
    bv: number,
    bOne: number,
    o: number,
    n: number,
  ): void;
}

let kernels: WhereExports | null = null;

/** The kernel's exports when rows of n elements of these arrays can run in wasm, else null. */
export function whereWasmReady(n: number, o: TypedArray, arrays: readonly TypedArray[]): WhereExports | null {
  if (n < WASM_MIN || !(o instanceof Float32Array) || getBackend() !== 'wasm') return null;
  if (!isWasmBuffer(o.buffer)) return null;
  for (const x of arrays) if (!isWasmBuffer(x.buffer)) return null;
  kernels ??= instantiateWasm<WhereExports & Record<string, unknown>>(wasmBase64);
  return kernels;
}

/**
 * o[io + j] = c[ic + j] != 0 ? a : b for j < n, where a is a[ia + j] (sa = 1) or the value a[ia]
 * (sa = 0), b likewise. Offsets in elements.
 */
export function whereRowWasm(
  k: WhereExports,
  n: number,
  c: TypedArray,
  ic: number,
  a: TypedArray,
  ia: number,
  sa: number,
  b: TypedArray,
  ib: number,
  sb: number,
  o: TypedArray,
  io: number,
): void {
  whereWasmCalls.rows++;
  const aOne = sa === 0 ? 1 : 0;
  const bOne = sb === 0 ? 1 : 0;
  k.whereRow(
    c.byteOffset + 4 * ic,
    a.byteOffset + 4 * ia,
    aOne ? a[ia]! : 0,
    aOne,
    b.byteOffset + 4 * ib,
    bOne ? b[ib]! : 0,
    bOne,
    o.byteOffset + 4 * io,
    n,
  );
}
