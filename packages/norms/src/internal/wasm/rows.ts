import { getNormPrecision } from '../../precision.js';
import type { RowsBackwardArgs } from '../rows-backward.js';
import type { RowsForwardArgs } from '../rows-forward.js';
import { wasmBase64 } from './row-norms.wasm.generated.js';
import { backwardRowsHigh, forwardRowsHigh } from './rows-f32.js';
import { type RowKernel, runBackward, runForward } from './rows-split.js';
import { lazyKernels, wasmEligible } from './runtime.js';

/**
 * LayerNorm/RMSNorm row kernels in WebAssembly SIMD (wasm/row-norms.ts), with the same arguments
 * as forwardRows/backwardRows. Each returns false, having done nothing, when the call must take the
 * JS kernel: another backend, float64 data (the wasm kernels are float32), an array outside the
 * wasm memory, an empty tensor, or a full memory. With setNormPrecision('high') the float32 lane
 * kernels of rows-f32.ts run instead (same arguments and outputs; docs/wasm.md, "Precision 'high'").
 *
 * Exports of wasm/row-norms.ts (argument lists: runForward/runBackward in rows-split.ts):
 *   rowsForward(x, y, M, N, w, b, flags, eps, mean, rstd, scratch)
 *   rowsBackward(dy, x, M, N, w, mean, rstd, dx, dW, dB, flags, scratch)
 */
const kernels = lazyKernels<Record<'rowsForward' | 'rowsBackward', (...args: number[]) => void>>(wasmBase64);
const FORWARD: RowKernel = { module: wasmBase64, fn: 'rowsForward', kernels };
const BACKWARD: RowKernel = { module: wasmBase64, fn: 'rowsBackward', kernels };

// flags of wasm/row-norms.ts (and row-norms-f32.ts)
const HAS_W = 1;
const HAS_B = 2;
const RMS = 4;
const WANT_DX = 8;
const WANT_DW = 16;
const WANT_DB = 32;

export {
  setBackwardParallelMinElements,
  setHighParallelMinElements,
  setParallelMinElements,
} from './rows-split.js';

export function forwardRowsWasm(a: RowsForwardArgs): boolean {
  if (!(a.x instanceof Float32Array) || a.M === 0 || a.N === 0) return false;
  if (!wasmEligible([a.x, a.y, a.w, a.b, a.mean, a.rstd])) return false;
  const flags = (a.w ? HAS_W : 0) | (a.b ? HAS_B : 0) | (a.mean === null ? RMS : 0);
  if (getNormPrecision() === 'high') return forwardRowsHigh(a, flags);
  // float64 [6N] per call: widened weight and bias, up to four cached rows
  return runForward(FORWARD, a, flags, 6 * a.N, 'forward');
}

/**
 * Rows shorter than this take the 'highest' backward even at precision 'high': there the per-row
 * work dominates and float32 lanes measured no faster ([65536, 64]: 3.6 vs 3.5 ms LayerNorm, 3.5
 * vs 3.3 ms RMSNorm; [65536, 32]: 15% slower), so the float64 kernel is free accuracy.
 */
const HIGH_BACKWARD_MIN_N = 128;

export function backwardRowsWasm(a: RowsBackwardArgs): boolean {
  if (!(a.x instanceof Float32Array) || a.M === 0 || a.N === 0) return false;
  if (!wasmEligible([a.dy, a.x, a.w, a.mean, a.rstd, a.dx, a.dW, a.dB])) return false;
  const flags =
    (a.w ? HAS_W : 0) |
    (a.mean === null ? RMS : 0) |
    (a.dx ? WANT_DX : 0) |
    (a.dW ? WANT_DW : 0) |
    (a.dB ? WANT_DB : 0);
  if (getNormPrecision() === 'high' && a.N >= HIGH_BACKWARD_MIN_N) return backwardRowsHigh(a, flags);
  // float64 [7N] per call; its dW/dB totals at [3N, 5N)
  return runBackward(BACKWARD, a, flags, 7 * a.N, 3 * a.N);
}
