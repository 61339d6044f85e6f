// Packing for the GEMM kernels (lib/gemm-blocks.ts), over the element type T (f32 or f64):
//   ap: slivers of MR rows;    element (i, p) at ap + size * ((i / MR) * MR * kc + p * MR + i % MR)
//   bp: slivers of NR columns; element (p, j) at bp + size * ((j / NR) * NR * kc + p * NR + j % NR)
// zero-padded to whole slivers. SIMD fast paths for the layouts matmul meets (row-major operands,
// transposed ones such as a linear layer's W^T), a strided scalar path for the rest.

/** Rows of the register tile (lib/gemm-blocks.ts micro); its columns are NR<T>(): two vectors. */
export const MR = 4;

export function NR<T>(): i32 {
  return 32 / sizeof<T>();
}

/** ap <- A[0:mc, 0:kc], A's element (i, p) at a + size * (i * rs + p * cs). */
export function packA<T>(ap: usize, a: usize, rs: i32, cs: i32, mc: i32, kc: i32): void {
  const size = <usize>sizeof<T>();
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const dst = ap + <usize>(ir * kc) * size;
    const src = a + <usize>(ir * rs) * size;
    if (rows === MR && cs === 1) packLinesTransposed<T>(dst, src, rs, kc, MR);
    // MR elements contiguous at each step p: one (f32) or two (f64) vectors
    else if (rows === MR && rs === 1) packContiguous(dst, src, <usize>cs * size, kc, MR * sizeof<T>());
    else packStrided<T>(dst, src, rs, cs, rows, kc, MR);
  }
}

/** bp <- B[0:kc, 0:nc], B's element (p, j) at b + size * (p * rs + j * cs). */
export function packB<T>(bp: usize, b: usize, rs: i32, cs: i32, kc: i32, nc: i32): void {
  const size = <usize>sizeof<T>();
  const nr = NR<T>();
  for (let jr = 0; jr < nc; jr += nr) {
    const cols = min(nr, nc - jr);
    const dst = bp + <usize>(jr * kc) * size;
    const src = b + <usize>(jr * cs) * size;
    // row-major B: each packed row is NR contiguous elements of a row of B (two vectors)
    if (cols === nr && cs === 1) packContiguous(dst, src, <usize>rs * size, kc, 32);
    // B = W^T with W row-major (a linear layer): columns of B are contiguous rows of W
    else if (cols === nr && rs === 1) packLinesTransposed<T>(dst, src, cs, kc, nr);
    else packStrided<T>(dst, src, cs, rs, cols, kc, nr);
  }
}

/** `bytes` (16 or 32) contiguous bytes at src + p * pStride -> dst + p * bytes, p = 0..kc-1. */
function packContiguous(dst: usize, src: usize, pStride: usize, kc: i32, bytes: i32): void {
  for (let p = 0; p < kc; p++) {
    const s = src + <usize>p * pStride;
    const d = dst + <usize>(p * bytes);
    v128.store(d, v128.load(s));
    if (bytes === 32) v128.store(d, v128.load(s, 16), 16);
  }
}

/**
 * `width` (MR or NR) unit-stride source lines (line r at src + size * r * lineStride, elements
 * p = 0..kc-1) go to dst + size * (p * width + r), transposed in registers: float32 in 4 x 4
 * blocks (four lines at a time), float64 in 2 x 2 blocks of four lines, two steps at a time.
 */
function packLinesTransposed<T>(dst: usize, src: usize, lineStride: i32, kc: i32, width: i32): void {
  const size = <usize>sizeof<T>();
  for (let r0 = 0; r0 < width; r0 += 4) {
    const s = src + <usize>(r0 * lineStride) * size;
    const d = dst + <usize>r0 * size;
    if (sizeof<T>() === 4) transposed4x4(d, s, lineStride, kc, width);
    else transposed4x2(d, s, lineStride, kc, width);
  }
}

/** float32: four lines into columns 0..3 of rows of `width` floats, 4 x 4 blocks. */
function transposed4x4(dst: usize, src: usize, lineStride: i32, kc: i32, width: i32): void {
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

/** float64: four lines into columns 0..3 of rows of `width` doubles, 2 x 2 blocks, two steps at a time. */
function transposed4x2(dst: usize, src: usize, lineStride: i32, kc: i32, width: i32): void {
  const ls = (<usize>lineStride) << 3;
  const step = (<usize>width) << 3;
  let p = 0;
  for (; p + 2 <= kc; p += 2) {
    const s = src + ((<usize>p) << 3);
    const r0 = v128.load(s); // r0p0 r0p1
    const r1 = v128.load(s + ls);
    const r2 = v128.load(s + 2 * ls);
    const r3 = v128.load(s + 3 * ls);
    const d = dst + <usize>p * step;
    v128.store(d, v128.shuffle<i64>(r0, r1, 0, 2)); // r0p0 r1p0
    v128.store(d, v128.shuffle<i64>(r2, r3, 0, 2), 16); // r2p0 r3p0
    v128.store(d + step, v128.shuffle<i64>(r0, r1, 1, 3)); // r0p1 r1p1
    v128.store(d + step, v128.shuffle<i64>(r2, r3, 1, 3), 16);
  }
  if (p < kc) {
    const s = src + ((<usize>p) << 3);
    const d = dst + <usize>p * step;
    for (let r = 0; r < 4; r++) store<f64>(d + ((<usize>r) << 3), load<f64>(s + <usize>r * ls));
  }
}

/**
 * Any strides: count (<= width) lines, line r's element p at src + size * (r * lineStride + p *
 * pStride), to dst + size * (p * width + r); lines count..width-1 are zero.
 */
function packStrided<T>(
  dst: usize,
  src: usize,
  lineStride: i32,
  pStride: i32,
  count: i32,
  kc: i32,
  width: i32,
): void {
  const size = <usize>sizeof<T>();
  const ls = <usize>lineStride * size;
  const ps = <usize>pStride * size;
  for (let p = 0; p < kc; p++) {
    const d = dst + <usize>(p * width) * size;
    const s = src + <usize>p * ps;
    let r = 0;
    for (; r < count; r++) store<T>(d + <usize>r * size, load<T>(s + <usize>r * ls));
    for (; r < width; r++) store<T>(d + <usize>r * size, <T>0);
  }
}
