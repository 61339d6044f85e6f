// float64 GEMM kernels for @normkit/tensor (AssemblyScript, 128-bit SIMD): the float64 twin of
// wasm/gemm.ts. Built by scripts/build-wasm.mjs into src/internal/wasm/gemm64.wasm.generated.ts;
// driven by src/internal/wasm/gemm64-wasm.ts (the driver of gemm-wasm.ts with this module's sizes),
// which runs the cache-blocking loops (Goto & van de Geijn):
//
//   for jc in N by NC:  for pc in K by KC:  packB(B[pc:+kc, jc:+nc])          -> bp
//                                           for ic in M by MC: packA(A[ic:+mc, pc:+kc]) -> ap
//                                                              kernel(ap, bp -> C[ic:+mc, jc:+nc])
//
// Every pointer is a byte address in the shared memory; strides are in elements (>= 0). Nothing
// here allocates: ap, bp and the edge tile are scratch blocks the driver owns.
//
// Packed layouts (zero-padded to whole slivers, so the micro-kernel always runs a full tile):
//   ap: slivers of MR rows;    element (i, p) at ap + 8 * ((i / MR) * MR * kc + p * MR + i % MR)
//   bp: slivers of NR columns; element (p, j) at bp + 8 * ((j / NR) * NR * kc + p * NR + j % NR)
//
// Numerics: every product and every sum is one IEEE float64 operation (f64x2.mul, then f64x2.add:
// wasm SIMD has no FMA, so nothing is fused). Each C element is one running float64 sum over
// p = 0..K-1 in order (a K-slice continues the sums the previous slice stored in C), i.e. exactly
//   s = 0; for p in 0..K-1: s = s + a_ip * b_pj        (JS number arithmetic)
// whatever the blocking, the strides, or which side (JS or wasm) packed the operands.

const MR = 4;
const NR = 4;

/**
 * C[mc, nc] (row stride ldc elements) = (accumulate ? C : 0) + ap . bp over kc. tile: 128 bytes of
 * scratch for the edge tiles, whose valid part is then copied into C.
 */
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
  const ldcBytes = (<usize>ldc) << 3;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const bSliver = bp + ((<usize>(jr * kc)) << 3);
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = min(MR, mc - ir);
      const aSliver = ap + ((<usize>(ir * kc)) << 3);
      const cTile = c + (<usize>ir * ldcBytes + ((<usize>jr) << 3));
      if (mr === MR && nr === NR) {
        micro(kc, aSliver, bSliver, cTile, ldcBytes, accumulate);
      } else {
        // edge tile: run the full tile on a copy of C's valid part, then copy that part back
        if (accumulate) copyTile(tile, NR << 3, cTile, ldcBytes, mr, nr);
        micro(kc, aSliver, bSliver, tile, NR << 3, accumulate);
        copyTile(cTile, ldcBytes, tile, NR << 3, mr, nr);
      }
    }
  }
}

function copyTile(dst: usize, dstRow: usize, src: usize, srcRow: usize, rows: i32, cols: i32): void {
  for (let i = 0; i < rows; i++) {
    const d = dst + <usize>i * dstRow;
    const s = src + <usize>i * srcRow;
    for (let j = 0; j < cols; j++) store<f64>(d + ((<usize>j) << 3), load<f64>(s + ((<usize>j) << 3)));
  }
}

/**
 * The 4 x 4 register tile: 8 f64x2 accumulators; per step p one 4-wide row of B (two loads) and
 * four broadcast elements of A (v128.load64_splat), 8 mul + 8 add = 32 flops. With the B row, one
 * A broadcast and a product temporary that is 12 xmm registers, as in the float32 kernel; a 6 x 4
 * or 4 x 6 tile would need 16 or 17 of the 16 and spill (counted, not measured). Two 128-bit
 * multiplies and two adds per cycle cap it at half the float32 kernel's rate (2 doubles per vector
 * instead of 4 floats): measured ~15 GFLOP/s on a Zen 3 VM core, where gemm.ts runs ~27.
 */
// biome-ignore format: the accumulator grid reads as the 4 x 4 tile it is
function micro(kc: i32, a: usize, b: usize, c: usize, ldcBytes: usize, accumulate: i32): void {
  let c00 = f64x2.splat(0), c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0), c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0), c31 = f64x2.splat(0);
  if (accumulate) {
    // continue C's running sums (not sum the slice, then add): the order of the float64 additions
    // stays p = 0, 1, ..., K-1 whatever KC is
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + ldcBytes); c11 = v128.load(c + ldcBytes, 16);
    c20 = v128.load(c + 2 * ldcBytes); c21 = v128.load(c + 2 * ldcBytes, 16);
    c30 = v128.load(c + 3 * ldcBytes); c31 = v128.load(c + 3 * ldcBytes, 16);
  }
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load64_splat(a);
    c00 = f64x2.add(c00, f64x2.mul(av, b0)); c01 = f64x2.add(c01, f64x2.mul(av, b1));
    av = v128.load64_splat(a, 8);
    c10 = f64x2.add(c10, f64x2.mul(av, b0)); c11 = f64x2.add(c11, f64x2.mul(av, b1));
    av = v128.load64_splat(a, 16);
    c20 = f64x2.add(c20, f64x2.mul(av, b0)); c21 = f64x2.add(c21, f64x2.mul(av, b1));
    av = v128.load64_splat(a, 24);
    c30 = f64x2.add(c30, f64x2.mul(av, b0)); c31 = f64x2.add(c31, f64x2.mul(av, b1));
    a += MR << 3;
    b += NR << 3;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  c += ldcBytes;
  v128.store(c, c10); v128.store(c, c11, 16);
  c += ldcBytes;
  v128.store(c, c20); v128.store(c, c21, 16);
  c += ldcBytes;
  v128.store(c, c30); v128.store(c, c31, 16);
}

/** ap <- A[0:mc, 0:kc], A's element (i, p) at a + 8 * (i * rs + p * cs). */
export function packA(ap: usize, a: usize, rs: i32, cs: i32, mc: i32, kc: i32): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const dst = ap + ((<usize>(ir * kc)) << 3);
    const src = a + ((<usize>(ir * rs)) << 3);
    if (rows === MR && cs === 1) packLinesTransposed4(dst, src, rs, kc);
    else if (rows === MR && rs === 1) packContiguous4(dst, src, cs, kc);
    else packStrided(dst, src, rs, cs, rows, kc, MR);
  }
}

/** bp <- B[0:kc, 0:nc], B's element (p, j) at b + 8 * (p * rs + j * cs). */
export function packB(bp: usize, b: usize, rs: i32, cs: i32, kc: i32, nc: i32): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const dst = bp + ((<usize>(jr * kc)) << 3);
    const src = b + ((<usize>(jr * cs)) << 3);
    // row-major B: each packed row is 4 contiguous elements of a row of B
    if (cols === NR && cs === 1) packContiguous4(dst, src, rs, kc);
    // B = W^T with W row-major (a linear layer): columns of B are contiguous rows of W
    else if (cols === NR && rs === 1) packLinesTransposed4(dst, src, cs, kc);
    else packStrided(dst, src, cs, rs, cols, kc, NR);
  }
}

/**
 * Four unit-stride source lines (line r at src + 8 * r * lineStride, elements p = 0..kc-1) go to
 * dst + 8 * (4 * p + r): two steps p at a time, as 2 x 2 blocks transposed in registers.
 */
function packLinesTransposed4(dst: usize, src: usize, lineStride: i32, kc: i32): void {
  const ls = (<usize>lineStride) << 3;
  let p = 0;
  for (; p + 2 <= kc; p += 2) {
    const s = src + ((<usize>p) << 3);
    const r0 = v128.load(s); // r0p0 r0p1
    const r1 = v128.load(s + ls);
    const r2 = v128.load(s + 2 * ls);
    const r3 = v128.load(s + 3 * ls);
    const d = dst + ((<usize>p) << 5);
    v128.store(d, v128.shuffle<i64>(r0, r1, 0, 2)); // r0p0 r1p0
    v128.store(d, v128.shuffle<i64>(r2, r3, 0, 2), 16); // r2p0 r3p0
    v128.store(d, v128.shuffle<i64>(r0, r1, 1, 3), 32); // r0p1 r1p1
    v128.store(d, v128.shuffle<i64>(r2, r3, 1, 3), 48);
  }
  if (p < kc) {
    const s = src + ((<usize>p) << 3);
    const d = dst + ((<usize>p) << 5);
    for (let r = 0; r < 4; r++) store<f64>(d + ((<usize>r) << 3), load<f64>(s + <usize>r * ls));
  }
}

/** Four elements contiguous in the source at each step p (stride pStride) -> one packed row. */
function packContiguous4(dst: usize, src: usize, pStride: i32, kc: i32): void {
  const ps = (<usize>pStride) << 3;
  for (let p = 0; p < kc; p++) {
    const s = src + <usize>p * ps;
    const d = dst + ((<usize>p) << 5);
    v128.store(d, v128.load(s));
    v128.store(d, v128.load(s, 16), 16);
  }
}

/**
 * Any strides: count (<= width) lines, line r's element p at src + 8 * (r * lineStride + p * pStride),
 * to dst + 8 * (p * width + r); lines count..width-1 are zero.
 */
function packStrided(
  dst: usize,
  src: usize,
  lineStride: i32,
  pStride: i32,
  count: i32,
  kc: i32,
  width: i32,
): void {
  const ls = (<usize>lineStride) << 3;
  const ps = (<usize>pStride) << 3;
  for (let p = 0; p < kc; p++) {
    const d = dst + ((<usize>(p * width)) << 3);
    const s = src + <usize>p * ps;
    let r = 0;
    for (; r < count; r++) store<f64>(d + ((<usize>r) << 3), load<f64>(s + <usize>r * ls));
    for (; r < width; r++) store<f64>(d + ((<usize>r) << 3), 0);
  }
}

// Blocking of the driver below: the same as src/internal/wasm/gemm64-wasm.ts's (keep them equal).
const MC = 128;
const KC = 256;
const NC = 1024;

/**
 * The whole blocked product, loops included, for A and B in the memory: C[m, n] = A[m, k] B[k, n]
 * with A element (i, p) at a + 8 * (i * aRs + p * aCs), B's likewise, C row-major with stride ldc.
 * gemm64-wasm.ts runs these loops in JS; a kernel-pool worker runs this, on its own rows of A and
 * C and its own scratch (ap: MC * KC doubles, bp: KC * NC, tile: MR * NR). Same sums, same order.
 */
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
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(bp, b + 8 * (<usize>(pc * bRs) + <usize>(jc * bCs)), bRs, bCs, kc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(ap, a + 8 * (<usize>(ic * aRs) + <usize>(pc * aCs)), aRs, aCs, mc, kc);
        kernel(mc, nc, kc, ap, bp, c + 8 * (<usize>(ic * ldc) + <usize>jc), ldc, pc > 0 ? 1 : 0, tile);
      }
    }
  }
}
