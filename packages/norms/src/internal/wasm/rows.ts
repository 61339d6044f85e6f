import { getNormPrecision } from '../../precision.js';
import type { RowsBackwardArgs } from '../rows-backward.js';
import type { RowsForwardArgs } from '../rows-forward.js';
import { wasmBase64 } from './row-norms.wasm.generated.js';
import { backwardRowsHigh, forwardRowsHigh } from './rows-f32.js';
import { splitBackward, splitForward, splitPool } from './rows-split.js';
import { addr, lazyKernels, scratch64, wasmEligible } from './runtime.js';

/**
 * LayerNorm/RMSNorm row kernels in WebAssembly SIMD (wasm/row-norms.ts), with the same arguments
 * as forwardRows/backwardRows. Each returns false, having done nothing, when the call must take the
 * JS kernel: another backend, float64 data (the wasm kernels are float32), an array outside the
 * wasm memory, an empty tensor, or a full memory. With setNormPrecision('high') the float32 lane
 * kernels of rows-f32.ts run instead (same arguments and outputs; docs/wasm.md, "Precision 'high'").
 */
type RowKernels = {
  rowsForward(
    x: number,
    y: number,
    M: number,
    N: number,
    w: number,
    b: number,
    flags: number,
    eps: number,
    mean: number,
    rstd: number,
    scratch: number,
  ): void;
  rowsBackward(
    dy: number,
    x: number,
    M: number,
    N: number,
    w: number,
    mean: number,
    rstd: number,
    dx: number,
    dW: number,
    dB: number,
    flags: number,
    scratch: number,
  ): void;
};

const kernels = lazyKernels<RowKernels>(wasmBase64);

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
  const split = splitPool(a.M, a.N, 'forward');
  const threads = split === null ? 1 : split.threads;
  const work = scratch64(6 * a.N * threads);
  if (work === null) return false;
  if (split !== null) {
    splitForward(split, wasmBase64, 'rowsForward', kernels, a, flags, work.addr, 6 * a.N);
    return true;
  }
  kernels().rowsForward(
    addr(a.x),
    addr(a.y),
    a.M,
    a.N,
    addr(a.w),
    addr(a.b),
    flags,
    a.eps,
    addr(a.mean),
    addr(a.rstd),
    work.addr,
  );
  return true;
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
  const split = splitPool(a.M, a.N, 'backward');
  const work = scratch64(7 * a.N * (split === null ? 1 : split.threads));
  if (work === null) return false;
  if (split !== null) {
    // float64 [7N] per call; its dW/dB totals at [3N, 5N)
    splitBackward(split, wasmBase64, 'rowsBackward', kernels, a, flags, work, 7 * a.N, 3 * a.N);
    return true;
  }
  kernels().rowsBackward(
    addr(a.dy),
    addr(a.x),
    a.M,
    a.N,
    addr(a.w),
    addr(a.mean),
    addr(a.rstd),
    addr(a.dx),
    addr(a.dW),
    addr(a.dB),
    flags,
    work.addr,
  );
  return true;
}
