import type { RowsBackwardArgs } from '../rows-backward.js';
import type { RowsForwardArgs } from '../rows-forward.js';
import { wasmBase64 } from './row-norms-f32.wasm.generated.js';
import { splitBackward, splitForward, splitPool } from './rows-split.js';
import { addr, lazyKernels, scratch64 } from './runtime.js';

/**
 * The precision 'high' LayerNorm/RMSNorm kernels (wasm/row-norms-f32.ts: float32 lanes, float64
 * row sums and statistics, float64 fallback rows), with the same arguments as the 'highest' ones.
 * rows.ts calls these after its eligibility test (float32 data in the wasm memory) when
 * getNormPrecision() is 'high'; each returns false only when the work area cannot be allocated.
 */
type HighKernels = {
  rowsForwardHigh(
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
  rowsBackwardHigh(
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

const kernels = lazyKernels<HighKernels>(wasmBase64);

export function forwardRowsHigh(a: RowsForwardArgs, flags: number): boolean {
  const split = splitPool(a.M, a.N, 'forwardHigh');
  const work = scratch64(2 * a.N * (split === null ? 1 : split.threads));
  if (work === null) return false;
  if (split !== null) {
    splitForward(split, wasmBase64, 'rowsForwardHigh', kernels, a, flags, work.addr, 2 * a.N);
    return true;
  }
  kernels().rowsForwardHigh(
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

export function backwardRowsHigh(a: RowsBackwardArgs, flags: number): boolean {
  // float64 [5N]: widened weight, dW/dB totals, a float64 row, float32 partials [2N]
  const split = splitPool(a.M, a.N, 'backward');
  const work = scratch64(5 * a.N * (split === null ? 1 : split.threads));
  if (work === null) return false;
  if (split !== null) {
    // its dW/dB totals at [N, 3N) of each call's [5N]
    splitBackward(split, wasmBase64, 'rowsBackwardHigh', kernels, a, flags, work, 5 * a.N, a.N);
    return true;
  }
  kernels().rowsBackwardHigh(
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
