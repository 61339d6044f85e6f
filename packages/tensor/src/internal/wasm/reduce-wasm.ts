import { allocateUninit } from '../../storage.js';
import { Tensor } from '../../tensor.js';
import { getBackend } from '../../wasm/backend.js';
import { instantiateWasm } from '../../wasm/instantiate.js';
import { isWasmBuffer } from '../../wasm/memory.js';
import type { ReducePlan } from '../reduce-kernels.js';
import { wasmBase64 } from './reduce.wasm.generated.js';

/**
 * The wasm path of sum and mean (wasm/reduce.ts) for a contiguous float32 tensor in the wasm
 * memory, on the wasm backend, with at least WASM_MIN elements, when the reduced axes are
 *   - the trailing ones (rows: [R, N] -> [R], the last-axis sum; all axes: [1, N] -> [1]), or
 *   - the leading ones ([R, N] -> [N]: the bias gradient, sumTo's un-broadcast).
 * (Size-1 axes count as either.) Any other layout, float64, a heap tensor or the js backend
 * returns null and the JS kernel runs. The kernels sum in the JS kernel's order: same bits.
 */
const WASM_MIN = 64;

/** Calls per kernel in this process (tests check that the wasm path really ran). */
export const reduceWasmCalls = { rows: 0, cols: 0 };

interface ReduceExports {
  sumRows(x: number, o: number, rows: number, n: number, divisor: number): void;
  sumCols(x: number, o: number, rows: number, cols: number, divisor: number): void;
}

let kernels: ReduceExports | null = null;

/**
 * sum (divisor 1) or mean (divisor plan.count) of x as planned, or null when the wasm path does
 * not apply. The output is written whole by the kernel, so it is allocated without zero-filling.
 */
export function sumWasm(x: Tensor, plan: ReducePlan, divisor: number): Tensor | null {
  if (x.dtype !== 'float32' || x.size < WASM_MIN || getBackend() !== 'wasm') return null;
  if (!isWasmBuffer(x.data.buffer) || !x.isContiguous()) return null;
  const layout = splitAxes(x.shape, plan.reduced);
  if (layout === 0) return null;
  const out = allocateUninit('float32', plan.outSize);
  if (!isWasmBuffer(out.buffer)) return null; // the memory is full: JS kernel, heap output
  kernels ??= instantiateWasm<ReduceExports & Record<string, unknown>>(wasmBase64);
  const px = x.data.byteOffset + 4 * x.offset;
  if (layout === ROWS) {
    reduceWasmCalls.rows++;
    kernels.sumRows(px, out.byteOffset, plan.outSize, plan.count, divisor);
  } else {
    reduceWasmCalls.cols++;
    kernels.sumCols(px, out.byteOffset, plan.count, plan.outSize, divisor);
  }
  return new Tensor(out, plan.outShape);
}

const ROWS = 1;
const COLS = 2;

/**
 * ROWS when every reduced axis (ignoring size-1 axes) comes after every kept one, COLS when every
 * reduced one comes before, 0 otherwise (a middle axis: the JS kernel's strided walk).
 */
function splitAxes(shape: readonly number[], reduced: readonly number[]): 0 | 1 | 2 {
  let seenKept = false;
  let seenReduced = false;
  let rowsOk = true; // no kept axis after a reduced one
  let colsOk = true; // no reduced axis after a kept one
  let r = 0;
  for (let i = 0; i < shape.length; i++) {
    const isReduced = reduced[r] === i;
    if (isReduced) r++;
    if (shape[i] === 1) continue;
    if (isReduced) {
      if (seenKept) colsOk = false;
      seenReduced = true;
    } else {
      if (seenReduced) rowsOk = false;
      seenKept = true;
    }
  }
  return rowsOk ? ROWS : colsOk ? COLS : 0;
}
