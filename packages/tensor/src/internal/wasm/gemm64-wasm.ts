import { createGemmWasm } from './gemm-wasm.js';
import { wasmBase64 } from './gemm64.wasm.generated.js';

/**
 * float64 C[M,N] = A[M,K] B[K,N] with the WebAssembly SIMD kernels of wasm/gemm64.ts: the float32
 * driver of gemm-wasm.ts (createGemmWasm: same operand convention, same loops, same handling of
 * heap operands, same scratch and kernel-pool split) on the float64 module. C must be a
 * Float64Array in the wasm memory; A and B Float64Arrays anywhere (heap ones are packed by JS).
 *
 * Tile and blocking: a 4 x 4 register tile (8 f64x2 accumulators, wasm/lib/gemm-blocks.ts's micro). KC is
 * half the float32 one so the blocks keep their byte sizes: the KC x NR sliver of bp is 8 KB (L1),
 * the MC x KC block ap 256 KB (L2), the KC x NC panel bp 2 MB; 2.3 MB of scratch per thread,
 * allocated from the wasm memory on the first call and kept. Measured by bench/matmul64.bench.ts
 * (Node 20, 2-core Zen 3 VM under load): 3.7-5.0x the JS kernel at 64^3 .. 512^3 and 8192x128x512,
 * 9-15 GFLOP/s, about half the float32 kernel's rate on the same machine (two doubles per vector
 * instead of four floats). KC = 512 measured the same as 256 within the noise (~15 GFLOP/s at
 * 1024^3 and 128x4096x128, unloaded), so the smaller scratch stays.
 *
 * Numerics: each element is exactly the float64 running sum s = 0; s = s + a_ip * b_pj over p in
 * order (separate multiply and add, no FMA), independent of the blocking and of the split over
 * threads; the tests compare bit for bit with that loop. The JS kernel (internal/gemm.ts) sums
 * each KC = 256 slice from 0 and adds the slices, so for K > 256 the two can differ in the last
 * bits (both are float64 sums with error <= gamma_K sum_p |a_ip b_pj|, gamma_K ~ K 2^-53); with
 * integer values whose sums stay below 2^53 both are exact and equal.
 *
 * The pool split threshold is that of float32 in multiply-adds halved: float64 runs at about half
 * the rate, so the ~60 us hand-off is amortized by half as many multiply-adds.
 */
const float64Gemm = createGemmWasm({
  wasmBase64,
  array: Float64Array,
  mr: 4,
  nr: 4,
  mc: 128,
  kc: 256,
  nc: 1024,
  poolMinMacs: 1 << 21,
});

/** Runs the float64 product and returns true, or returns false (nothing written) if it cannot run. */
export const gemm64Wasm = float64Gemm.run;

/** Whether c (the output) is float64 and lives in the wasm memory, i.e. whether gemm64Wasm can run. */
export const inWasmMemory64 = float64Gemm.inWasmMemory;

/** float64 products that were split over the kernel pool (tests check the split really ran). */
export const gemm64PoolCalls = float64Gemm.poolCalls;

/** Set the float64 split threshold in multiply-adds (bench, tests); returns the previous one. */
export const setGemm64PoolMinMacs = float64Gemm.setPoolMinMacs;
