import type { TypedArray } from '@normkit/tensor';
import type { ChannelLayout } from './channels.js';

/**
 * How the channel-norm kernels walk x [N, C, S] (layout in channels.ts), shared by the forward
 * (channel-kernels.ts) and the backward (channel-backward.ts).
 *
 * Blocks: every statistic of a block is complete when the block is, so the block's passes run
 * back to back while its data is in cache.
 *   unpooled (GroupNorm, InstanceNorm): one block per (n, g), a contiguous run of Cg * S elements.
 *   pooled (BatchNorm, G = C): all N samples of a chunk of channels, sized to stay in L2
 *     (POOLED_BLOCK elements); with S < MIN_PLANE each plane is shorter than a cache line and a
 *     chunk would waste most of every line it reads, so the whole tensor is one block, walked in
 *     memory order ("rows": one element per plane when S = 1).
 * Statistic of (n, g): (pooled ? 0 : n * G) + g.
 */
const POOLED_BLOCK = 1 << 16;
const MIN_PLANE = 16;

/** Calls visit(n0, n1, g0, g1) for every block, in memory order. */
export function forEachBlock(
  L: ChannelLayout,
  visit: (n0: number, n1: number, g0: number, g1: number) => void,
): void {
  const { N, C, S, G } = L;
  if (L.pooled) {
    const step = S < MIN_PLANE ? C : Math.max(1, Math.floor(POOLED_BLOCK / Math.max(1, N * S)));
    for (let c = 0; c < C; c += step) visit(0, N, c, Math.min(C, c + step));
    return;
  }
  for (let n = 0; n < N; n++) for (let g = 0; g < G; g++) visit(n, n + 1, g, g + 1);
}

/**
 * Per-call scratch (allocated once per call, never per element): per-group accumulators and
 * per-channel coefficients of the current block.
 */
export interface Scratch {
  g1: Float64Array;
  g2: Float64Array;
  g3: Float64Array;
  c1: Float64Array;
  c2: Float64Array;
  c3: Float64Array;
  c4: Float64Array;
  c5: Float64Array;
  pair: Float64Array;
}

export function scratch(L: ChannelLayout): Scratch {
  const f = (n: number) => new Float64Array(n);
  return {
    g1: f(L.G),
    g2: f(L.G),
    g3: f(L.G),
    c1: f(L.C),
    c2: f(L.C),
    c3: f(L.C),
    c4: f(L.C),
    c5: f(L.C),
    pair: f(2),
  };
}

/**
 * rstd as the kernels apply it: saved statistics never hold +Infinity (rstdFrom stores 0 for a
 * constant group with eps = 0), but hand-made ones might; xhat = 0 either way, not 0 * Infinity.
 */
export function appliedRstd(r: number): number {
  return r === Number.POSITIVE_INFINITY ? 0 : r;
}

/*
 * Reductions over one contiguous run with independent float64 accumulators: a single chain of
 * dependent adds is bound by the add latency (4 cycles), four chains are not.
 */

/** sum of x[p .. p + len). */
export function sumRun(x: TypedArray, p: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const end = p + len;
  const end4 = p + (len & ~3);
  let i = p;
  for (; i < end4; i += 4) {
    s0 += x[i]!;
    s1 += x[i + 1]!;
    s2 += x[i + 2]!;
    s3 += x[i + 3]!;
  }
  for (; i < end; i++) s0 += x[i]!;
  return s0 + s1 + (s2 + s3);
}

/** out = [sum d, sum d^2] with d = x - m over x[p .. p + len). */
export function deviationRun(x: TypedArray, p: number, len: number, m: number, out: Float64Array): void {
  let a0 = 0;
  let a1 = 0;
  let q0 = 0;
  let q1 = 0;
  const end = p + len;
  const end2 = p + (len & ~1);
  let i = p;
  for (; i < end2; i += 2) {
    const d0 = x[i]! - m;
    const d1 = x[i + 1]! - m;
    a0 += d0;
    a1 += d1;
    q0 += d0 * d0;
    q1 += d1 * d1;
  }
  if (i < end) {
    const d = x[i]! - m;
    a0 += d;
    q0 += d * d;
  }
  out[0] = a0 + a1;
  out[1] = q0 + q1;
}

/** out = [sum dy, sum dy * (x - m)] over [p .. p + len). */
export function gradRun(
  dy: TypedArray,
  x: TypedArray,
  p: number,
  len: number,
  m: number,
  out: Float64Array,
): void {
  let a0 = 0;
  let a1 = 0;
  let b0 = 0;
  let b1 = 0;
  const end = p + len;
  const end2 = p + (len & ~1);
  let i = p;
  for (; i < end2; i += 2) {
    const g0 = dy[i]!;
    const g1 = dy[i + 1]!;
    a0 += g0;
    a1 += g1;
    b0 += g0 * (x[i]! - m);
    b1 += g1 * (x[i + 1]! - m);
  }
  if (i < end) {
    const g = dy[i]!;
    a0 += g;
    b0 += g * (x[i]! - m);
  }
  out[0] = a0 + a1;
  out[1] = b0 + b1;
}
