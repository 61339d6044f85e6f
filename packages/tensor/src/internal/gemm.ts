import type { TypedArray } from '../dtype.js';

/**
 * C[M,N] = A[M,K] B[K,N] in plain JS, cache-blocked as in Goto & van de Geijn (BLIS/OpenBLAS).
 *
 * A's element (i, p) is a[aOff + i*aRs + p*aCs] and B's (p, j) is b[bOff + p*bRs + j*bCs]: any
 * strides (a transposed view just swaps them), so no operand is ever copied whole. C is row-major
 * at c[cOff + i*ldc + j] and is overwritten (beta = 0).
 *
 * Loops, outermost first (dimension names as in BLIS):
 *   jc: columns of C in panels of NC   pack B[:, jc:jc+nc] into bp, NR-wide slivers, zero-padded
 *   ic: rows of C in blocks of MC      accumulate the MC x NC tile of C in acc (float64)
 *   pc: K in slices of KC              pack A[ic:ic+mc, pc:pc+kc] into ap, MR-tall slivers
 *   jr, ir: MR x NR micro-tiles        micro-kernel: 12 float64 accumulators in locals, kc steps
 * then acc is stored to C once, rounded to C's dtype. Packing turns any layout into unit-stride
 * streams, and the zero padding lets the micro-kernel always run full MR x NR tiles (the padded
 * rows/columns of acc are simply never stored).
 *
 * Numerics: operands are packed as float64 (float32 -> float64 is exact), every product and sum
 * is float64 and C is rounded once at the end, so float32 results are the correctly rounded
 * float64 dot products up to float64 summation error (BLAS sgemm accumulates in float32).
 *
 * Scratch is module-level and reused by every call, so the kernel allocates nothing in steady
 * state: ap and acc are fixed (128 KB each); bp (K x NC doubles, 2 MB at K = 1024) and row grow to
 * the largest call seen. The hot loops touch only Float64Arrays (monomorphic element access); only
 * packing and the final store see the caller's Float32Array or Float64Array.
 */

const MR = 4;
const NR = 3;
/** Rows of A per packed block: MC x KC doubles = 128 KB, L2-resident. */
const MC = 64;
/** K per slice: a KC x NR sliver of B (6 KB) stays in L1 while the ir loop sweeps over it. */
const KC = 256;
/** Columns of C per panel (a multiple of NR): the MC x NC accumulator tile is 128 KB. */
const NC = 255;

const ap = new Float64Array(MC * KC);
let bp = new Float64Array(0);
const acc = new Float64Array(MC * NC);
/** One row of float64 sums for the direct vector-times-matrix loop. */
let row = new Float64Array(0);

export function gemm(
  m: number,
  n: number,
  k: number,
  a: TypedArray,
  aOff: number,
  aRs: number,
  aCs: number,
  b: TypedArray,
  bOff: number,
  bRs: number,
  bCs: number,
  c: TypedArray,
  cOff: number,
  ldc: number,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
    return;
  }
  // Matrix-vector products: packing costs as much as the product itself and a 4 x 3 tile would be
  // 1/4 or 1/3 padding, so plain loops are ~2x faster. Everything else, down to 4 x 4 x 4 and K = 1,
  // measured faster blocked (Node 20, x64).
  if (m === 1 || n === 1) {
    gemmDirect(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc);
    return;
  }
  const ncMax = Math.min(n, NC);
  const ncPadMax = roundUp(ncMax, NR);
  if (bp.length < k * ncPadMax) bp = new Float64Array(k * ncPadMax);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const ncPad = roundUp(nc, NR);
    // bp holds the whole K x nc panel: KC-slice pc starts at pc * ncPad.
    packB(k, nc, b, bOff + jc * bCs, bRs, bCs);
    for (let ic = 0; ic < m; ic += MC) {
      const mc = Math.min(MC, m - ic);
      const mcPad = roundUp(mc, MR);
      acc.fill(0, 0, mcPad * ncPad);
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        packA(mc, kc, a, aOff + ic * aRs + pc * aCs, aRs, aCs);
        for (let jr = 0; jr < ncPad; jr += NR) {
          const bStart = pc * ncPad + jr * kc;
          for (let ir = 0; ir < mcPad; ir += MR) {
            micro(kc, ir * kc, bStart, ir * ncPad + jr, ncPad);
          }
        }
      }
      // store the valid mc x nc part of the tile, rounding to C's dtype
      for (let i = 0; i < mc; i++) {
        const src = i * ncPad;
        const dst = cOff + (ic + i) * ldc + jc;
        for (let j = 0; j < nc; j++) c[dst + j] = acc[src + j]!;
      }
    }
  }
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/**
 * bp <- B[0:k, 0:nc] as slivers of NR columns. Within K-slice pc (kc rows, starting at
 * pc * ncPad), the sliver at column jr holds rows p = 0..kc-1 of NR values: offset pc*ncPad + jr*kc + p*NR.
 * Columns past nc are zero.
 */
function packB(k: number, nc: number, b: TypedArray, bOff: number, bRs: number, bCs: number): void {
  const ncPad = roundUp(nc, NR);
  for (let pc = 0; pc < k; pc += KC) {
    const kc = Math.min(KC, k - pc);
    for (let jr = 0; jr < ncPad; jr += NR) {
      let dst = pc * ncPad + jr * kc;
      const cols = Math.min(NR, nc - jr);
      let src = bOff + pc * bRs + jr * bCs;
      if (cols === NR) {
        for (let p = 0; p < kc; p++, dst += NR, src += bRs) {
          bp[dst] = b[src]!;
          bp[dst + 1] = b[src + bCs]!;
          bp[dst + 2] = b[src + 2 * bCs]!;
        }
      } else {
        for (let p = 0; p < kc; p++, dst += NR, src += bRs) {
          for (let j = 0; j < NR; j++) bp[dst + j] = j < cols ? b[src + j * bCs]! : 0;
        }
      }
    }
  }
}

/** ap <- A[0:mc, 0:kc] as slivers of MR rows: offset ir*kc + p*MR + r. Rows past mc are zero. */
function packA(mc: number, kc: number, a: TypedArray, aOff: number, aRs: number, aCs: number): void {
  const mcPad = roundUp(mc, MR);
  for (let ir = 0; ir < mcPad; ir += MR) {
    let dst = ir * kc;
    const rows = Math.min(MR, mc - ir);
    let src = aOff + ir * aRs;
    if (rows === MR) {
      for (let p = 0; p < kc; p++, dst += MR, src += aCs) {
        ap[dst] = a[src]!;
        ap[dst + 1] = a[src + aRs]!;
        ap[dst + 2] = a[src + 2 * aRs]!;
        ap[dst + 3] = a[src + 3 * aRs]!;
      }
    } else {
      for (let p = 0; p < kc; p++, dst += MR, src += aCs) {
        for (let r = 0; r < MR; r++) ap[dst + r] = r < rows ? a[src + r * aRs]! : 0;
      }
    }
  }
}

/**
 * acc[cP .. 4 rows of stride ldc, 3 columns] += ap sliver (4 x kc) . bp sliver (kc x 3).
 * Twelve accumulators in locals; per step 7 loads and 12 multiply-adds. 4 x 3 measured fastest
 * in V8 (Node 20, x64): 4 x 4 and larger grids spill accumulators to the stack (~12% slower),
 * 2 x 4 does too few multiply-adds per load, unrolling the p loop is slower. Always `+=` (acc is
 * zeroed per tile): a store-or-add branch left one side without type feedback when TurboFan first
 * compiled it, and the kernel then deoptimized over and over (-40% on the first calls).
 */
// biome-ignore format: the accumulator grid reads as the 4 x 3 tile it is
function micro(kc: number, aP: number, bP: number, cP: number, ldc: number): void {
  const A = ap;
  const B = bp;
  let c00 = 0, c01 = 0, c02 = 0;
  let c10 = 0, c11 = 0, c12 = 0;
  let c20 = 0, c21 = 0, c22 = 0;
  let c30 = 0, c31 = 0, c32 = 0;
  for (let p = 0; p < kc; p++, aP += MR, bP += NR) {
    const a0 = A[aP]!;
    const a1 = A[aP + 1]!;
    const a2 = A[aP + 2]!;
    const a3 = A[aP + 3]!;
    const b0 = B[bP]!;
    const b1 = B[bP + 1]!;
    const b2 = B[bP + 2]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2;
  }
  const C = acc;
  C[cP] += c00; C[cP + 1] += c01; C[cP + 2] += c02; cP += ldc;
  C[cP] += c10; C[cP + 1] += c11; C[cP + 2] += c12; cP += ldc;
  C[cP] += c20; C[cP + 1] += c21; C[cP + 2] += c22; cP += ldc;
  C[cP] += c30; C[cP + 1] += c31; C[cP + 2] += c32;
}

/**
 * Unblocked loops for matrix-vector products, still float64 throughout. The loop order follows
 * B's layout: when B's rows are the short stride (row-major B), each row of C is built as
 * sum_p A[i,p] * B[p,:] in a float64 row buffer (unit-stride sweeps over B); otherwise (B
 * transposed, or a column vector) each C[i,j] is a dot product down a contiguous column of B.
 */
function gemmDirect(
  m: number,
  n: number,
  k: number,
  a: TypedArray,
  aOff: number,
  aRs: number,
  aCs: number,
  b: TypedArray,
  bOff: number,
  bRs: number,
  bCs: number,
  c: TypedArray,
  cOff: number,
  ldc: number,
): void {
  if (Math.abs(bCs) <= Math.abs(bRs) && n > 1) {
    if (row.length < n) row = new Float64Array(n);
    const r = row;
    for (let i = 0; i < m; i++) {
      r.fill(0, 0, n);
      let pa = aOff + i * aRs;
      let pb = bOff;
      for (let p = 0; p < k; p++, pa += aCs, pb += bRs) {
        const av = a[pa]!;
        for (let j = 0, q = pb; j < n; j++, q += bCs) r[j]! += av * b[q]!;
      }
      const dst = cOff + i * ldc;
      for (let j = 0; j < n; j++) c[dst + j] = r[j]!;
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    const aRow = aOff + i * aRs;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0, pa = aRow, pb = bOff + j * bCs; p < k; p++, pa += aCs, pb += bRs) s += a[pa]! * b[pb]!;
      c[cOff + i * ldc + j] = s;
    }
  }
}
