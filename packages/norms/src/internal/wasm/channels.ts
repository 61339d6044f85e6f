import type { TypedArray } from '@normkit/tensor';
import type { ChannelLayout } from '../channels.js';
import { wasmBase64 } from './channel-norms.wasm.generated.js';
import { addr, lazyKernels, scratch64, wasmEligible } from './runtime.js';

/**
 * BatchNorm/GroupNorm/InstanceNorm kernels in WebAssembly SIMD (wasm/channel-norms.ts), with the
 * arguments of channelNormForward, channelAffine and channelNormBackward. Each returns false,
 * having done nothing, when the JS kernel must run instead (another backend, float64 data, an
 * array outside the wasm memory, an empty tensor, a full memory). The small per-channel float64
 * results the JS callers keep on the heap (the batch variance, the dWeight/dBias accumulators)
 * come back through the wasm work area: C numbers, not tensor data.
 */
type ChannelKernels = {
  groupForward(...args: number[]): void;
  batchForward(...args: number[]): void;
  channelBackward(...args: (number | boolean)[]): void;
};

const kernels = lazyKernels<ChannelKernels>(wasmBase64);

// flags of wasm/channel-norms.ts
const HAS_W = 1;
const HAS_B = 2;
const GIVEN = 4;
const WANT_DX = 8;
const WANT_DW = 16;
const WANT_DB = 32;

function usable(x: TypedArray, L: ChannelLayout, arrays: (TypedArray | null)[]): boolean {
  return x instanceof Float32Array && L.N * L.C * L.S > 0 && wasmEligible([x, ...arrays]);
}

/** channelNormForward in wasm (batch statistics); variance may be a heap array. */
export function channelNormForwardWasm(
  x: TypedArray,
  y: TypedArray,
  L: ChannelLayout,
  eps: number,
  weight: TypedArray | null,
  bias: TypedArray | null,
  mean: Float64Array,
  rstd: Float64Array,
  variance: Float64Array | null,
): boolean {
  if (!usable(x, L, [y, weight, bias, mean, rstd])) return false;
  const stats = L.pooled ? L.C : L.N * L.G;
  const work = scratch64(L.pooled ? 6 * L.C : stats);
  if (work === null) return false;
  const flags = (weight ? HAS_W : 0) | (bias ? HAS_B : 0);
  const { N, C, S, G } = L;
  if (L.pooled) {
    const v = work.addr + 40 * C;
    kernels().batchForward(
      addr(x),
      addr(y),
      N,
      C,
      S,
      addr(weight),
      addr(bias),
      flags,
      eps,
      addr(mean),
      addr(rstd),
      v,
      work.addr,
    );
    variance?.set(work.data.subarray(5 * C, 6 * C));
  } else {
    const v = variance === null ? 0 : work.addr;
    kernels().groupForward(
      addr(x),
      addr(y),
      N,
      C,
      S,
      G,
      addr(weight),
      addr(bias),
      flags,
      eps,
      addr(mean),
      addr(rstd),
      v,
    );
    variance?.set(work.data.subarray(0, stats));
  }
  return true;
}

/** channelAffine in wasm: y = (x - mean) * rstd * weight + bias with given per-channel statistics. */
export function channelAffineWasm(
  x: TypedArray,
  y: TypedArray,
  L: ChannelLayout,
  weight: TypedArray | null,
  bias: TypedArray | null,
  mean: Float64Array,
  rstd: Float64Array,
): boolean {
  if (!L.pooled || !usable(x, L, [y, weight, bias, mean, rstd])) return false;
  const work = scratch64(6 * L.C);
  if (work === null) return false;
  const flags = (weight ? HAS_W : 0) | (bias ? HAS_B : 0) | GIVEN;
  const { N, C, S } = L;
  kernels().batchForward(
    addr(x),
    addr(y),
    N,
    C,
    S,
    addr(weight),
    addr(bias),
    flags,
    0,
    addr(mean),
    addr(rstd),
    0,
    work.addr,
  );
  return true;
}

/** channelNormBackward in wasm; dWeight/dBias are float64 accumulators (heap or not), added to. */
export function channelNormBackwardWasm(
  dy: TypedArray,
  x: TypedArray,
  L: ChannelLayout,
  mean: Float64Array,
  rstd: Float64Array,
  weight: TypedArray | null,
  givenStats: boolean,
  dx: TypedArray | null,
  dWeight: Float64Array | null,
  dBias: Float64Array | null,
): boolean {
  if (!usable(x, L, [dy, mean, rstd, weight, dx])) return false;
  const work = scratch64(9 * L.C);
  if (work === null) return false;
  const flags =
    (weight ? HAS_W : 0) |
    (givenStats ? GIVEN : 0) |
    (dx ? WANT_DX : 0) |
    (dWeight ? WANT_DW : 0) |
    (dBias ? WANT_DB : 0);
  const { N, C, S, G } = L;
  kernels().channelBackward(
    addr(dy),
    addr(x),
    N,
    C,
    S,
    G,
    L.pooled,
    flags,
    addr(weight),
    addr(mean),
    addr(rstd),
    addr(dx),
    work.addr,
  );
  const acc = work.data;
  if (dWeight) for (let c = 0; c < C; c++) dWeight[c] += acc[c]!;
  if (dBias) for (let c = 0; c < C; c++) dBias[c] += acc[C + c]!;
  return true;
}
