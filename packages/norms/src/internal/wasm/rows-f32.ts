import type { RowsBackwardArgs } from '../rows-backward.js';
import type { RowsForwardArgs } from '../rows-forward.js';
import { wasmBase64 } from './row-norms-f32.wasm.generated.js';
import { type RowKernel, runBackward, runForward } from './rows-split.js';
import { lazyKernels } from './runtime.js';

/**
 * The precision 'high' LayerNorm/RMSNorm kernels (wasm/row-norms-f32.ts: float32 lanes, float64
 * row sums and statistics, float64 fallback rows), with the same arguments as the 'highest' ones.
 * rows.ts calls these after its eligibility test (float32 data in the wasm memory) when
 * getNormPrecision() is 'high'; each returns false only when the work area cannot be allocated.
 */
const kernels =
  lazyKernels<Record<'rowsForwardHigh' | 'rowsBackwardHigh', (...args: number[]) => void>>(wasmBase64);
const FORWARD: RowKernel = { module: wasmBase64, fn: 'rowsForwardHigh', kernels };
const BACKWARD: RowKernel = { module: wasmBase64, fn: 'rowsBackwardHigh', kernels };

export function forwardRowsHigh(a: RowsForwardArgs, flags: number): boolean {
  // float64 [2N] per call: widened weight and bias
  return runForward(FORWARD, a, flags, 2 * a.N, 'forwardHigh');
}

export function backwardRowsHigh(a: RowsBackwardArgs, flags: number): boolean {
  // float64 [5N] per call: widened weight, dW/dB totals (at [N, 3N)), a float64 row, float32 partials [2N]
  return runBackward(BACKWARD, a, flags, 5 * a.N, a.N);
}
