// The GEMM kernels of wasm/gemm.ts (float32) and wasm/gemm64.ts (float64), written once over the
// element type T (f32 or f64): every branch on T is on sizeof<T>(), a compile-time constant, so
// each module gets its own straight-line copy (AssemblyScript monomorphizes generics). What
// differs by type: the lanes of a v128 (4 floats or 2 doubles), hence the tile's width NR (two
// vectors: 8 or 4 columns), the K slice KC (same bytes: 512 or 256) and the fast packing paths
// (wasm/lib/gemm-pack.ts). Layouts, loops and numerics are stated in the entry files' headers.
import { MR, NR, packA, packB } from './gemm-pack';

// Blocking of gemm() below, the same as the JS drivers' (src/internal/wasm/gemm*-wasm.ts): an MC x
// KC block of A (256 KB) under a KC x NR sliver of B (16 KB for f32, 8 KB for f64) in L1.
const MC = 128;
const NC = 1024;
function KC<T>(): i32 {
  return 2048 / sizeof<T>();
}

function lanes<T>(): v128 {
  return sizeof<T>() === 4 ? f32x4.splat(0) : f64x2.splat(0);
}

function madd<T>(acc: v128, a: v128, b: v128): v128 {
  // separate multiply and add: wasm SIMD has no FMA
  return sizeof<T>() === 4 ? f32x4.add(acc, f32x4.mul(a, b)) : f64x2.add(acc, f64x2.mul(a, b));
}

/**
 * C[mc, nc] (row stride ldc elements) = (accumulate ? C : 0) + ap . bp over kc. tile: MR x NR
 * elements of scratch for the edge tiles, whose valid part is then copied into C.
 */
export function kernel<T>(
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
  const size = <usize>sizeof<T>();
  const nr = NR<T>();
  const ldcBytes = <usize>ldc * size;
  const tileRow = <usize>nr * size;
  for (let jr = 0; jr < nc; jr += nr) {
    const cols = min(nr, nc - jr);
    const bSliver = bp + <usize>(jr * kc) * size;
    for (let ir = 0; ir < mc; ir += MR) {
      const rows = min(MR, mc - ir);
      const aSliver = ap + <usize>(ir * kc) * size;
      const cTile = c + <usize>ir * ldcBytes + <usize>jr * size;
      if (rows === MR && cols === nr) {
        micro<T>(kc, aSliver, bSliver, cTile, ldcBytes, accumulate);
      } else {
        // edge tile: run the full tile on a copy of C's valid part, then copy that part back
        if (accumulate) copyTile<T>(tile, tileRow, cTile, ldcBytes, rows, cols);
        micro<T>(kc, aSliver, bSliver, tile, tileRow, accumulate);
        copyTile<T>(cTile, ldcBytes, tile, tileRow, rows, cols);
      }
    }
  }
}

function copyTile<T>(dst: usize, dstRow: usize, src: usize, srcRow: usize, rows: i32, cols: i32): void {
  const size = <usize>sizeof<T>();
  for (let i = 0; i < rows; i++) {
    const d = dst + <usize>i * dstRow;
    const s = src + <usize>i * srcRow;
    for (let j = 0; j < cols; j++) store<T>(d + <usize>j * size, load<T>(s + <usize>j * size));
  }
}

/**
 * The MR x NR register tile: 8 accumulators (MR rows of two vectors); per step p one row of B
 * (two loads) and MR broadcast elements of A (one load each on x64), 8 mul + 8 add. With the B
 * row, one A broadcast and a product temporary that is 12 of the 16 xmm registers V8 allocates (a
 * 6-row tile would need 16 and spill). float32: measured ~51 GFLOP/s in Node 20 on a Zen 5 core,
 * about what two 128-bit multiplies and two adds per cycle allow; float64 half that (2 lanes).
 */
// biome-ignore format: the accumulator grid reads as the tile it is
function micro<T>(kc: i32, a: usize, b: usize, c: usize, ldcBytes: usize, accumulate: i32): void {
  let c00 = lanes<T>(), c01 = lanes<T>();
  let c10 = lanes<T>(), c11 = lanes<T>();
  let c20 = lanes<T>(), c21 = lanes<T>();
  let c30 = lanes<T>(), c31 = lanes<T>();
  if (accumulate) {
    // continue C's running sums (not sum the slice, then add): the order of the additions stays
    // p = 0, 1, ..., K-1 whatever KC is
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + ldcBytes); c11 = v128.load(c + ldcBytes, 16);
    c20 = v128.load(c + 2 * ldcBytes); c21 = v128.load(c + 2 * ldcBytes, 16);
    c30 = v128.load(c + 3 * ldcBytes); c31 = v128.load(c + 3 * ldcBytes, 16);
  }
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    // element r of the packed A sliver, broadcast (constant offsets: the load's immediate)
    let av = sizeof<T>() === 4 ? v128.load32_splat(a) : v128.load64_splat(a);
    c00 = madd<T>(c00, av, b0); c01 = madd<T>(c01, av, b1);
    av = sizeof<T>() === 4 ? v128.load32_splat(a, 4) : v128.load64_splat(a, 8);
    c10 = madd<T>(c10, av, b0); c11 = madd<T>(c11, av, b1);
    av = sizeof<T>() === 4 ? v128.load32_splat(a, 8) : v128.load64_splat(a, 16);
    c20 = madd<T>(c20, av, b0); c21 = madd<T>(c21, av, b1);
    av = sizeof<T>() === 4 ? v128.load32_splat(a, 12) : v128.load64_splat(a, 24);
    c30 = madd<T>(c30, av, b0); c31 = madd<T>(c31, av, b1);
    a += MR * sizeof<T>();
    b += 32;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  c += ldcBytes;
  v128.store(c, c10); v128.store(c, c11, 16);
  c += ldcBytes;
  v128.store(c, c20); v128.store(c, c21, 16);
  c += ldcBytes;
  v128.store(c, c30); v128.store(c, c31, 16);
}

/**
 * The whole blocked product, loops included, for A and B in the memory: C[m, n] = A[m, k] B[k, n]
 * with A element (i, p) at a + size * (i * aRs + p * aCs), B's likewise, C row-major with stride
 * ldc. The JS drivers run these loops themselves; a kernel-pool worker runs this, on its own rows
 * of A and C and its own scratch (ap: MC * KC elements, bp: KC * NC, tile: MR * NR). Same sums,
 * same order.
 */
export function gemm<T>(
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
  const size = <usize>sizeof<T>();
  const KCt = KC<T>();
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KCt) {
      const kc = min(KCt, k - pc);
      packB<T>(bp, b + size * (<usize>(pc * bRs) + <usize>(jc * bCs)), bRs, bCs, kc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA<T>(ap, a + size * (<usize>(ic * aRs) + <usize>(pc * aCs)), aRs, aCs, mc, kc);
        kernel<T>(mc, nc, kc, ap, bp, c + size * (<usize>(ic * ldc) + <usize>jc), ldc, pc > 0 ? 1 : 0, tile);
      }
    }
  }
}
