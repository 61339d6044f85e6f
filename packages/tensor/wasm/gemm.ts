// float32 GEMM kernels for @normkit/tensor (AssemblyScript, 128-bit SIMD). Built by
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

const MR = 4;
const NR = 8;

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
  const ldcBytes = (<usize>ldc) << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const bSliver = bp + ((<usize>(jr * kc)) << 2);
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = min(MR, mc - ir);
      const aSliver = ap + ((<usize>(ir * kc)) << 2);
      const cTile = c + (<usize>ir * ldcBytes + ((<usize>jr) << 2));
      if (mr === MR && nr === NR) {
        micro(kc, aSliver, bSliver, cTile, ldcBytes, accumulate);
      } else {
        // edge tile: run the full tile on a copy of C's valid part, then copy that part back
        if (accumulate) copyTile(tile, NR << 2, cTile, ldcBytes, mr, nr);
        micro(kc, aSliver, bSliver, tile, NR << 2, accumulate);
        copyTile(cTile, ldcBytes, tile, NR << 2, mr, nr);
      }
    }
  }
}

function copyTile(dst: usize, dstRow: usize, src: usize, srcRow: usize, rows: i32, cols: i32): void {
  for (let i = 0; i < rows; i++) {
    const d = dst + <usize>i * dstRow;
    const s = src + <usize>i * srcRow;
    for (let j = 0; j < cols; j++) store<f32>(d + ((<usize>j) << 2), load<f32>(s + ((<usize>j) << 2)));
  }
}

/**
 * The 4 x 8 register tile: 8 f32x4 accumulators; per step p one 8-wide row of B (two loads) and
 * four broadcast elements of A (v128.load32_splat, a single load on x64), 8 mul + 8 add. With the
 * B row, one A broadcast and a product temporary that is 12 of the 16 xmm registers V8 allocates
 * (a 6 x 8 tile would need 16 and spill). Measured ~51 GFLOP/s in Node 20 on a Zen 5 core, about
 * what two 128-bit multiplies and two adds per cycle allow, so a larger tile has nothing to gain;
 * only FMA would (relaxed-simd, which Node 20 does not enable by default).
 */
// biome-ignore format: the accumulator grid reads as the 4 x 8 tile it is
function micro(kc: i32, a: usize, b: usize, c: usize, ldcBytes: usize, accumulate: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  if (accumulate) {
    // continue C's running sums (not sum the slice, then add): the order of the float32 additions
    // stays p = 0, 1, ..., K-1 whatever KC is
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + ldcBytes); c11 = v128.load(c + ldcBytes, 16);
    c20 = v128.load(c + 2 * ldcBytes); c21 = v128.load(c + 2 * ldcBytes, 16);
    c30 = v128.load(c + 3 * ldcBytes); c31 = v128.load(c + 3 * ldcBytes, 16);
  }
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(av, b0)); c01 = f32x4.add(c01, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 4);
    c10 = f32x4.add(c10, f32x4.mul(av, b0)); c11 = f32x4.add(c11, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 8);
    c20 = f32x4.add(c20, f32x4.mul(av, b0)); c21 = f32x4.add(c21, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 12);
    c30 = f32x4.add(c30, f32x4.mul(av, b0)); c31 = f32x4.add(c31, f32x4.mul(av, b1));
    a += MR << 2;
    b += NR << 2;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  c += ldcBytes;
  v128.store(c, c10); v128.store(c, c11, 16);
  c += ldcBytes;
  v128.store(c, c20); v128.store(c, c21, 16);
  c += ldcBytes;
  v128.store(c, c30); v128.store(c, c31, 16);
}

/** ap <- A[0:mc, 0:kc], A's element (i, p) at a + 4 * (i * rs + p * cs). */
export function packA(ap: usize, a: usize, rs: i32, cs: i32, mc: i32, kc: i32): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const dst = ap + ((<usize>(ir * kc)) << 2);
    const src = a + ((<usize>(ir * rs)) << 2);
    if (rows === MR && cs === 1) packRowsTransposed(dst, src, rs, kc, MR);
    else if (rows === MR && rs === 1) packContiguous4(dst, src, cs, kc, MR);
    else packStrided(dst, src, rs, cs, rows, kc, MR);
  }
}

/** bp <- B[0:kc, 0:nc], B's element (p, j) at b + 4 * (p * rs + j * cs). */
export function packB(bp: usize, b: usize, rs: i32, cs: i32, kc: i32, nc: i32): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const dst = bp + ((<usize>(jr * kc)) << 2);
    const src = b + ((<usize>(jr * cs)) << 2);
    if (cols === NR && cs === 1) {
      // row-major B: each packed row is 8 contiguous elements
      const rowBytes = (<usize>rs) << 2;
      for (let p = 0; p < kc; p++) {
        const s = src + <usize>p * rowBytes;
        const d = dst + ((<usize>(p * NR)) << 2);
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
      }
    } else if (cols === NR && rs === 1) {
      // B = W^T with W row-major (a linear layer): columns of B are contiguous rows of W
      packRowsTransposed(dst, src, cs, kc, NR);
      packRowsTransposed(dst + 16, src + ((<usize>(4 * cs)) << 2), cs, kc, NR);
    } else {
      packStrided(dst, src, cs, rs, cols, kc, NR);
    }
  }
}

/**
 * Four unit-stride source lines (line r at src + 4 * r * lineStride, elements p = 0..kc-1) go
 * to dst + 4 * (p * width + r): 4 x 4 blocks are transposed in registers.
 */
function packRowsTransposed(dst: usize, src: usize, lineStride: i32, kc: i32, width: i32): void {
  const ls = (<usize>lineStride) << 2;
  const step = (<usize>width) << 2;
  let p = 0;
  for (; p + 4 <= kc; p += 4) {
    const s = src + ((<usize>p) << 2);
    const r0 = v128.load(s);
    const r1 = v128.load(s + ls);
    const r2 = v128.load(s + 2 * ls);
    const r3 = v128.load(s + 3 * ls);
    const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); // r0p0 r1p0 r0p1 r1p1
    const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5); // r2p0 r3p0 r2p1 r3p1
    const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
    const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
    const d = dst + <usize>p * step;
    v128.store(d, v128.shuffle<i64>(t0, t1, 0, 2));
    v128.store(d + step, v128.shuffle<i64>(t0, t1, 1, 3));
    v128.store(d + 2 * step, v128.shuffle<i64>(t2, t3, 0, 2));
    v128.store(d + 3 * step, v128.shuffle<i64>(t2, t3, 1, 3));
  }
  for (; p < kc; p++) {
    const s = src + ((<usize>p) << 2);
    const d = dst + <usize>p * step;
    for (let r = 0; r < 4; r++) store<f32>(d + ((<usize>r) << 2), load<f32>(s + <usize>r * ls));
  }
}

/** Four elements contiguous in the source at each step p (stride pStride) -> 4 of each packed row. */
function packContiguous4(dst: usize, src: usize, pStride: i32, kc: i32, width: i32): void {
  const ps = (<usize>pStride) << 2;
  const step = (<usize>width) << 2;
  for (let p = 0; p < kc; p++) v128.store(dst + <usize>p * step, v128.load(src + <usize>p * ps));
}

/**
 * Any strides: count (<= width) lines, line r's element p at src + 4 * (r * lineStride + p * pStride),
 * to dst + 4 * (p * width + r); lines count..width-1 are zero.
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
  const ls = (<usize>lineStride) << 2;
  const ps = (<usize>pStride) << 2;
  for (let p = 0; p < kc; p++) {
    const d = dst + ((<usize>(p * width)) << 2);
    const s = src + <usize>p * ps;
    let r = 0;
    for (; r < count; r++) store<f32>(d + ((<usize>r) << 2), load<f32>(s + <usize>r * ls));
    for (; r < width; r++) store<f32>(d + ((<usize>r) << 2), 0);
  }
}

// Blocking of the driver below: the same as src/internal/wasm/gemm-wasm.ts's (keep them equal).
const MC = 128;
const KC = 512;
const NC = 1024;

/**
 * The whole blocked product, loops included, for A and B in the memory: C[m, n] = A[m, k] B[k, n]
 * with A element (i, p) at a + 4 * (i * aRs + p * aCs), B's likewise, C row-major with stride ldc.
 * gemm-wasm.ts runs these loops in JS; a kernel-pool worker runs this, on its own rows of A and C
 * and its own scratch (ap: MC * KC floats, bp: KC * NC, tile: MR * NR). Same sums, same order.
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
      packB(bp, b + 4 * (<usize>(pc * bRs) + <usize>(jc * bCs)), bRs, bCs, kc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(ap, a + 4 * (<usize>(ic * aRs) + <usize>(pc * aCs)), aRs, aCs, mc, kc);
        kernel(mc, nc, kc, ap, bp, c + 4 * (<usize>(ic * ldc) + <usize>jc), ldc, pc > 0 ? 1 : 0, tile);
      }
    }
  }
}
