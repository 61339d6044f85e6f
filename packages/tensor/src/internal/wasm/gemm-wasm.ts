import type { TypedArray } from '../../dtype.js';
import { instantiateWasm } from '../../wasm/instantiate.js';
import { currentWasmBuffer, isWasmBuffer } from '../../wasm/memory.js';
import { getKernelPool } from '../../wasm/pool.js';
import { allocateScratch } from '../../wasm/storage.js';
import { wasmBase64 } from './gemm.wasm.generated.js';

/**
 * float32 C[M,N] = A[M,K] B[K,N] with the WebAssembly SIMD kernels of wasm/gemm.ts (same
 * operand convention as internal/gemm.ts: element (i, p) of A at a[aOff + i*aRs + p*aCs], C
 * row-major at c[cOff + i*ldc + j]). C must live in the wasm memory; A and B may live anywhere:
 * - in the wasm memory they are packed by the wasm packers (SIMD fast paths for row-major and
 *   transposed operands, any strides otherwise), read in place;
 * - on the JS heap they are packed by the JS loops below straight into the wasm scratch panels.
 *   Packing reads every element of an operand anyway (A once per NC-column panel, B once), so no
 *   operand is ever copied whole into the wasm memory; the scalar JS packing is just slower than
 *   the SIMD one (measured: +8% time at 512^3, +28% at 65536 x 64 x 64).
 *
 * Blocking (the loops of wasm/gemm.ts's header): a KC x NR sliver of bp (16 KB) stays in L1
 * while the micro-kernel sweeps the MC x KC block ap (256 KB, L2) under it; the KC x NC panel bp
 * (2 MB) is reused by every MC row block. Measured on Zen 5 (Node 20): KC = 512 beat 256 by 1.5x
 * at K = 4096 and ties elsewhere; MC in 64..192 and NC >= 512 are within noise. The scratch (ap,
 * bp, the edge tile) is allocated from the wasm memory on the first call and kept for the life of
 * the process.
 *
 * Numerics: each element is exactly the float32 running sum s = f32(s + f32(a_ip b_pj)), p in
 * order (BLAS sgemm accumulates in float32 too; the tests compare bit for bit). Unlike the JS
 * kernel's float64 sums rounded once (error <= 2^-24 |c|), its error is bounded by
 * gamma_K sum_p |a_ip b_pj| with gamma_K ~ K 2^-24, and typically grows like sqrt(K) 2^-24 sum|a b|.
 */
const MR = 4;
const NR = 8;
const MC = 128;
const KC = 512;
const NC = 1024;

interface GemmExports {
  kernel(
    mc: number,
    nc: number,
    kc: number,
    ap: number,
    bp: number,
    c: number,
    ldc: number,
    accumulate: number,
    tile: number,
  ): void;
  packA(ap: number, a: number, rs: number, cs: number, mc: number, kc: number): void;
  packB(bp: number, b: number, rs: number, cs: number, kc: number, nc: number): void;
  gemm(...args: number[]): void;
}

interface Scratch {
  wasm: GemmExports;
  ap: number;
  bp: number;
  tile: number;
  /**
   * A float32 view of the memory for JS-side packing, made when the scratch was allocated: it
   * covers the scratch, and a grown shared memory leaves it valid (memory.ts).
   */
  f32: Float32Array;
}

let scratch: Scratch | null = null;

/**
 * The kernels and their scratch, or null while the wasm memory has no room for the scratch (the
 * caller then runs the JS kernel; the next call tries again). One block holds ap, bp and the tile.
 */
function setup(): Scratch | null {
  if (scratch !== null) return scratch;
  const base = allocateScratch(4 * (MC * KC + KC * NC + MR * NR));
  if (base < 0) return null;
  const wasm = instantiateWasm<GemmExports & Record<string, unknown>>(wasmBase64);
  const bp = base + 4 * MC * KC;
  scratch = { wasm, ap: base, bp, tile: bp + 4 * KC * NC, f32: new Float32Array(currentWasmBuffer()) };
  return scratch;
}

/**
 * Products of at least this many multiply-adds split their rows of A and C over the kernel pool's
 * threads (@normkit/tensor/node), when one is installed and A and B live in the wasm memory; each
 * worker runs the wasm driver `gemm` (the loops below, in wasm) with its own scratch and packs B
 * itself. The hand-off costs ~60 us (~1.5M multiply-adds at 50 GFLOP/s). Measured on 2 cores by
 * bench/matmul-pool.bench.ts, 2 threads vs 1: 64^3 0.22x, 128^3 0.93x, 256^3 1.69x, 512^3 1.92x,
 * 8192x128x384 1.95x; the threshold sits between 128^3 and 256^3.
 */
let poolMinMacs = 1 << 22;

/** Products that were split over the pool (tests check the split really ran). */
export const gemmPoolCalls = { split: 0 };

/** Set the split threshold (bench, tests); returns the previous one. */
export function setGemmPoolMinMacs(n: number): number {
  const previous = poolMinMacs;
  poolMinMacs = n;
  return previous;
}

/** Scratch (ap, bp, tile) for each pool worker, allocated once per worker and kept. */
const workerScratch: { ap: number; bp: number; tile: number }[] = [];

function scratchFor(workers: number): boolean {
  while (workerScratch.length < workers) {
    const base = allocateScratch(4 * (MC * KC + KC * NC + MR * NR));
    if (base < 0) return false;
    const bp = base + 4 * MC * KC;
    workerScratch.push({ ap: base, bp, tile: bp + 4 * KC * NC });
  }
  return true;
}

/** Byte address of data[off] when data is a view of the wasm memory, else -1. */
function addressOf(data: TypedArray, off: number): number {
  return isWasmBuffer(data.buffer) ? data.byteOffset + off * 4 : -1;
}

/** Whether c (the output) lives in the wasm memory, i.e. whether gemmWasm can run. */
export function inWasmMemory(c: TypedArray): boolean {
  return c instanceof Float32Array && addressOf(c, 0) >= 0;
}

/** Runs the product and returns true, or returns false (nothing written) if it cannot run. */
export function gemmWasm(
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
): boolean {
  const cAddr = addressOf(c, cOff);
  if (cAddr < 0 || !(a instanceof Float32Array) || !(b instanceof Float32Array)) return false;
  const s = setup();
  if (s === null) return false;
  const aAddr = addressOf(a, aOff);
  const bAddr = addressOf(b, bOff);
  const { wasm, ap, bp, tile, f32 } = s;
  const pool = getKernelPool();
  if (pool !== null && aAddr >= 0 && bAddr >= 0 && m * n * k >= poolMinMacs && m >= 2 * MR) {
    const threads = Math.min(pool.threads, Math.floor(m / MR));
    if (scratchFor(threads - 1)) {
      const calls: number[][] = [];
      for (let t = 0; t < threads; t++) {
        const r0 = Math.floor((m * t) / threads);
        const rows = Math.floor((m * (t + 1)) / threads) - r0;
        const own = t === 0 ? { ap, bp, tile } : workerScratch[t - 1]!;
        const aRow = aAddr + 4 * r0 * aRs;
        const cRow = cAddr + 4 * r0 * ldc;
        calls.push([rows, n, k, aRow, aRs, aCs, bAddr, bRs, bCs, cRow, ldc, own.ap, own.bp, own.tile]);
      }
      gemmPoolCalls.split++;
      pool.run(wasmBase64, 'gemm', calls);
      return true;
    }
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      if (bAddr >= 0) wasm.packB(bp, bAddr + 4 * (pc * bRs + jc * bCs), bRs, bCs, kc, nc);
      else packPanel(f32, bp >> 2, b, bOff + pc * bRs + jc * bCs, bCs, bRs, nc, kc, NR);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        if (aAddr >= 0) wasm.packA(ap, aAddr + 4 * (ic * aRs + pc * aCs), aRs, aCs, mc, kc);
        else packPanel(f32, ap >> 2, a, aOff + ic * aRs + pc * aCs, aRs, aCs, mc, kc, MR);
        wasm.kernel(mc, nc, kc, ap, bp, cAddr + 4 * (ic * ldc + jc), ldc, pc > 0 ? 1 : 0, tile);
      }
    }
  }
  return true;
}

/**
 * JS-side packing of a heap operand, the layout of wasm/gemm.ts: `count` lines (rows of A, or
 * columns of B) of `kc` elements each, line r's element p at src[off + r*lineStride + p*pStride],
 * go in slivers of `width` lines to dst[at + sliver*width*kc + p*width + r % width], zero-padded.
 */
function packPanel(
  dst: Float32Array,
  at: number,
  src: Float32Array,
  off: number,
  lineStride: number,
  pStride: number,
  count: number,
  kc: number,
  width: number,
): void {
  for (let r0 = 0; r0 < count; r0 += width) {
    const lines = Math.min(width, count - r0);
    const base = at + r0 * kc;
    for (let r = 0; r < width; r++) {
      let d = base + r;
      if (r >= lines) {
        for (let p = 0; p < kc; p++, d += width) dst[d] = 0;
        continue;
      }
      let q = off + (r0 + r) * lineStride;
      for (let p = 0; p < kc; p++, d += width, q += pStride) dst[d] = src[q]!;
    }
  }
}
