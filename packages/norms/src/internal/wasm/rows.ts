import { getKernelPool } from '@normkit/tensor';
import { getNormPrecision } from '../../precision.js';
import type { RowsBackwardArgs } from '../rows-backward.js';
import type { RowsForwardArgs } from '../rows-forward.js';
import { wasmBase64 } from './row-norms.wasm.generated.js';
import { backwardRowsHigh, forwardRowsHigh } from './rows-f32.js';
import { addr, lazyKernels, scratch64, wasmCalls, wasmEligible } from './runtime.js';

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

/**
 * Forward calls of at least this many elements split their rows over the kernel pool's threads
 * (@normkit/tensor/node startKernelPool), when one is installed. The hand-off (a message, waking a
 * sleeping worker, waiting for it) costs ~60 us, so splitting pays from about [512, 768]: measured
 * by bench/pool.bench.ts on 2 cores, LayerNorm 2 threads vs 1: [32,768] 0.16x, [128,768] 0.49x,
 * [512,768] 1.10x, [2048,768] 1.62x, [8192,768] 1.91x.
 */
let parallelMinElements = 1 << 19;

/** Set the split threshold (bench, tests); returns the previous one. */
export function setParallelMinElements(n: number): number {
  const previous = parallelMinElements;
  parallelMinElements = n;
  return previous;
}

export function forwardRowsWasm(a: RowsForwardArgs): boolean {
  if (!(a.x instanceof Float32Array) || a.M === 0 || a.N === 0) return false;
  if (!wasmEligible([a.x, a.y, a.w, a.b, a.mean, a.rstd])) return false;
  const flags = (a.w ? HAS_W : 0) | (a.b ? HAS_B : 0) | (a.mean === null ? RMS : 0);
  if (getNormPrecision() === 'high') return forwardRowsHigh(a, flags);
  const pool = getKernelPool();
  const threads = pool !== null && a.M * a.N >= parallelMinElements ? Math.min(pool.threads, a.M) : 1;
  const work = scratch64(6 * a.N * threads);
  if (work === null) return false;
  if (threads > 1) {
    // rows split evenly; each thread its own rows of x, y, mean, rstd and its own scratch
    const calls: number[][] = [];
    for (let t = 0; t < threads; t++) {
      const r0 = Math.floor((a.M * t) / threads);
      const r1 = Math.floor((a.M * (t + 1)) / threads);
      const row = (p: number, bytes: number) => (p === 0 ? 0 : p + bytes * r0);
      calls.push([
        row(addr(a.x), 4 * a.N),
        row(addr(a.y), 4 * a.N),
        r1 - r0,
        a.N,
        addr(a.w),
        addr(a.b),
        flags,
        a.eps,
        row(addr(a.mean), 8),
        row(addr(a.rstd), 8),
        work.addr + 8 * 6 * a.N * t,
      ]);
    }
    kernels(); // instantiated here too (and its call counters made)
    wasmCalls.rowsForward! += 1;
    pool!.run(wasmBase64, 'rowsForward', calls);
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
  const work = scratch64(7 * a.N);
  if (work === null) return false;
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
