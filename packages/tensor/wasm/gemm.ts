// float32 GEMM kernels for @normkit/tensor (AssemblyScript, 128-bit SIMD; written once for float32
// and float64 in wasm/lib/gemm-blocks.ts and gemm-pack.ts, wasm/gemm64.ts is the float64 module). Built by
// scripts/build-wasm.mjs into src/internal/wasm/gemm.wasm.generated.ts; driven by
// src/internal/wasm/gemm-wasm.ts, which runs the cache-blocking loops (Goto & van de Geijn):
//
//   for jc in N by NC:  for pc in K by KC:  packB(B[pc:+kc, jc:+nc])          -> bp
//                                           for ic in M by MC: packA(A[ic:+mc, pc:+kc]) -> ap
//                                                              kernel(ap, bp -> C[ic:+mc, jc:+nc])
//
// Every pointer is a byte address in the shared memory; strides are in elements (>= 0). Nothing
// here allocates: ap, bp and the edge tile are scratch blocks the driver owns.
//
// Packed layouts (zero-padded to whole slivers, so the micro-kernel always runs a full tile):
//   ap: slivers of MR rows;    element (i, p) at ap + 4 * ((i / MR) * MR * kc + p * MR + i % MR)
//   bp: slivers of NR columns; element (p, j) at bp + 4 * ((j / NR) * NR * kc + p * NR + j % NR)
//
// Numerics: products and sums in float32 with separate mul and add (wasm SIMD has no FMA; BLAS
// sgemm also accumulates in float32). Each C element is one running float32 sum over p = 0..K-1
// in order (a K-slice continues the sums the previous slice stored in C), i.e. exactly
//   s = 0; for p in 0..K-1: s = f32(s + f32(a_ip * b_pj))
// whatever the blocking, the strides, or which side (JS or wasm) packed the operands.

import { gemm as gemmOf, kernel as kernelOf } from './lib/gemm-blocks';
import { packA as packAOf, packB as packBOf } from './lib/gemm-pack';

// The kernels are lib/gemm-blocks.ts and lib/gemm-pack.ts, written once for f32 and f64; these
// exports are their f32 instances (the names and arguments the JS driver calls).

/** C[mc, nc] (row stride ldc) = (accumulate ? C : 0) + ap . bp over kc; tile: edge-tile scratch. */
export function kernel(
  mc: i32,
  nc: i32,
  kc: i32,
  ap: usize,
  bp: usize,
  c: usize,
  ldc: i32,
  accumulate: i32,
  tile: usize,
): void {
  kernelOf<f32>(mc, nc, kc, ap, bp, c, ldc, accumulate, tile);
}

/** ap <- A[0:mc, 0:kc], A's element (i, p) at a + 4 * (i * rs + p * cs). */
export function packA(ap: usize, a: usize, rs: i32, cs: i32, mc: i32, kc: i32): void {
  packAOf<f32>(ap, a, rs, cs, mc, kc);
}

/** bp <- B[0:kc, 0:nc], B's element (p, j) at b + 4 * (p * rs + j * cs). */
export function packB(bp: usize, b: usize, rs: i32, cs: i32, kc: i32, nc: i32): void {
  packBOf<f32>(bp, b, rs, cs, kc, nc);
}

/** The whole blocked product for a kernel-pool worker (lib/gemm-blocks.ts gemm). */
export function gemm(
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  aRs: i32,
  aCs: i32,
  b: usize,
  bRs: i32,
  bCs: i32,
  c: usize,
  ldc: i32,
  ap: usize,
  bp: usize,
  tile: usize,
): void {
  gemmOf<f32>(m, n, k, a, aRs, aCs, b, bRs, bCs, c, ldc, ap, bp, tile);
}
