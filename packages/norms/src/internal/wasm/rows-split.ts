import { getKernelPool, type KernelPool } from '@normkit/tensor';
import type { RowsBackwardArgs } from '../rows-backward.js';
import type { RowsForwardArgs } from '../rows-forward.js';
import { addr, scratch64, wasmCalls } from './runtime.js';

/**
 * The row kernels of rows.ts and rows-f32.ts split over the kernel pool (@normkit/tensor/node
 * startKernelPool): M rows in `threads` even ranges, each range one call of the same kernel with
 * its own rows of every [M, ...] array and its own scratch (KernelPool: disjoint writes).
 */

/**
 * Forward calls of at least this many elements split. The hand-off (a message, waking a sleeping
 * worker, waiting for it) costs ~60 us, so splitting pays from about [512, 768]: measured by
 * bench/pool.bench.ts on 2 cores, LayerNorm 2 threads vs 1: [32,768] 0.16x, [128,768] 0.49x,
 * [512,768] 1.10x, [2048,768] 1.62x, [8192,768] 1.91x.
 */
let forwardMin = 1 << 19;
/**
 * The same at precision 'high', whose RMSNorm forward is ~2x faster, so it pays from twice the
 * size (bench/pool.bench.ts forward high, 2 cores, 2 threads vs 1, LayerNorm / RMSNorm):
 * [512,768] 1.11x / 0.80x, [128,4096] 1.11x / 0.89x, [1024,768] 1.43x / 1.11x,
 * [1366,768] 1.52x / 1.27x, [256,4096] 1.44x / 1.21x, [2048,768] 1.64x / 1.40x.
 */
let forwardHighMin = 1 << 20;
/**
 * Backward calls (both precisions) of at least this many elements split (and have at least two
 * ALIGN-row ranges): bench/pool.bench.ts backward, 2 cores, LayerNorm 'highest' / 'high':
 * [128,768] 0.68x / 0.61x, [256,768] 1.09x / 1.07x, [384,768] 1.32x / 1.23x, [512,768]
 * 1.42x / 1.36x, [128,4096] 1.39x / 1.39x, [2048,768] 2.05x / 1.71x, [8192,768] 1.90x / 1.81x.
 */
let backwardMin = 1 << 18;

/** Set the 'highest' forward split threshold (bench, tests); returns the previous one. */
export function setParallelMinElements(n: number): number {
  const previous = forwardMin;
  forwardMin = n;
  return previous;
}

/** Set the precision 'high' forward split threshold (bench, tests); returns the previous one. */
export function setHighParallelMinElements(n: number): number {
  const previous = forwardHighMin;
  forwardHighMin = n;
  return previous;
}

/** Set the backward split threshold (bench, tests); returns the previous one. */
export function setBackwardParallelMinElements(n: number): number {
  const previous = backwardMin;
  backwardMin = n;
  return previous;
}

/** The pool and its thread count for a call of M rows of N, or null: one thread. */
export function splitPool(
  M: number,
  N: number,
  pass: 'forward' | 'forwardHigh' | 'backward',
): { pool: KernelPool; threads: number } | null {
  const pool = getKernelPool();
  const min = pass === 'forward' ? forwardMin : pass === 'forwardHigh' ? forwardHighMin : backwardMin;
  if (pool === null || M * N < min) return null;
  const threads = Math.min(pool.threads, pass === 'backward' ? Math.ceil(M / ALIGN) : M);
  return threads > 1 ? { pool, threads } : null;
}

/** First row of range t of M rows over `threads`. */
function rowOf(M: number, t: number, threads: number): number {
  return Math.floor((M * t) / threads);
}

/**
 * The backward's ranges start at multiples of ALIGN rows: the kernels' blocks (64 rows of float64
 * partials in row-norms.ts, 8 rows of float32 partials in row-norms-f32.ts) and the pairing of one
 * row's pass B with the next row's pass A restart at each block, so every row and every block
 * partial is computed as on one thread, and only the adding of the blocks' partials is reordered.
 */
const ALIGN = 64;
function alignedRowOf(M: number, t: number, threads: number): number {
  return t === threads ? M : Math.min(M, ALIGN * Math.round((M * t) / threads / ALIGN));
}

/** p advanced by r rows of `bytes` each (0, an absent operand, stays 0). */
function row(p: number, bytes: number, r: number): number {
  return p === 0 ? 0 : p + bytes * r;
}

/** A row kernel: its embedded module, the export's name, and this thread's instance (lazyKernels). */
export interface RowKernel {
  module: string;
  fn: string;
  kernels: () => unknown;
}

/**
 * Runs `k` on one thread, or over the pool when splitPool says so: the same argument lists either
 * way, one per row range. The single-thread call goes through the instance (its call counter
 * counts it); a split counts once here.
 */
function run(k: RowKernel, split: { pool: KernelPool } | null, calls: number[][]): void {
  const instance = k.kernels() as Record<string, (...args: number[]) => void>;
  if (split === null) {
    instance[k.fn]!(...calls[0]!);
    return;
  }
  wasmCalls[k.fn]! += 1;
  split.pool.run(k.module, k.fn, calls);
}

/**
 * A forward kernel (rowsForward, rowsForwardHigh), split by rows when the call is big enough;
 * `per` float64 of scratch per call. False when the scratch cannot be allocated.
 */
export function runForward(
  k: RowKernel,
  a: RowsForwardArgs,
  flags: number,
  per: number,
  pass: 'forward' | 'forwardHigh',
): boolean {
  const split = splitPool(a.M, a.N, pass);
  const threads = split === null ? 1 : split.threads;
  const work = scratch64(per * threads);
  if (work === null) return false;
  const calls: number[][] = [];
  for (let t = 0; t < threads; t++) {
    const r0 = rowOf(a.M, t, threads);
    const r1 = rowOf(a.M, t + 1, threads);
    calls.push([
      row(addr(a.x), 4 * a.N, r0),
      row(addr(a.y), 4 * a.N, r0),
      r1 - r0,
      a.N,
      addr(a.w),
      addr(a.b),
      flags,
      a.eps,
      row(addr(a.mean), 8, r0),
      row(addr(a.rstd), 8, r0),
      work.addr + 8 * per * t,
    ]);
  }
  run(k, split, calls);
  return true;
}

/**
 * A backward kernel (rowsBackward, rowsBackwardHigh), split by rows when the call is big enough;
 * `per` float64 of scratch per call. Split, dx of a row depends on that row only, so it is bit for
 * bit the single-thread dx (ranges: alignedRowOf). With dW/dB wanted each call runs with flag
 * TOTALS and leaves its float64 totals at float64 offset `totals` (dWeight) and totals + N (dBias)
 * of its scratch; they are added here in float64 (range 0 first) and rounded once into dW/dB, so
 * dW/dB differ from one thread only in the order of the float64 additions.
 */
export function runBackward(
  k: RowKernel,
  a: RowsBackwardArgs,
  flags: number,
  per: number,
  totals: number,
): boolean {
  const N = a.N;
  const split = splitPool(a.M, N, 'backward');
  const threads = split === null ? 1 : split.threads;
  const work = scratch64(per * threads);
  if (work === null) return false;
  // one thread writes dW/dB itself; split calls leave float64 totals for the sum below
  const params = split !== null && (a.dW !== null || a.dB !== null);
  const calls: number[][] = [];
  for (let t = 0; t < threads; t++) {
    const r0 = alignedRowOf(a.M, t, threads);
    const r1 = alignedRowOf(a.M, t + 1, threads);
    calls.push([
      row(addr(a.dy), 4 * N, r0),
      row(addr(a.x), 4 * N, r0),
      r1 - r0,
      N,
      addr(a.w),
      row(addr(a.mean), 8, r0),
      row(addr(a.rstd), 8, r0),
      row(addr(a.dx), 4 * N, r0),
      split === null ? addr(a.dW) : 0,
      split === null ? addr(a.dB) : 0,
      params ? flags | TOTALS : flags,
      work.addr + 8 * per * t,
    ]);
  }
  run(k, split, calls);
  if (!params) return true;
  const d = work.data; // views the scratch from work.addr
  for (const [out, off] of [
    [a.dW, totals],
    [a.dB, totals + N],
  ] as const) {
    if (out === null) continue;
    for (let i = 0; i < N; i++) {
      let sum = d[off + i]!;
      for (let t = 1; t < threads; t++) sum += d[per * t + off + i]!;
      out[i] = sum;
    }
  }
  return true;
}

/** flag of wasm/lib/row-loops.ts: leave the float64 dW/dB totals in scratch */
const TOTALS = 64;
