import type { TypedArray } from '../../dtype.js';
import { instantiateWasm } from '../../wasm/instantiate.js';
import { currentWasmBuffer, isWasmBuffer } from '../../wasm/memory.js';
import { getKernelPool } from '../../wasm/pool.js';
import { allocateScratch } from '../../wasm/storage.js';
import type { gemm } from '../gemm.js';
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
 *
 * The driver (createGemmWasm) is written once for both element types: gemm64-wasm.ts runs it on
 * the float64 module wasm/gemm64.ts with that module's tile and blocking.
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

/**
 * One wasm GEMM module and the blocking its `gemm` export uses (the two must agree): this file's
 * float32 module (wasm/gemm.ts) and the float64 one (wasm/gemm64.ts, gemm64-wasm.ts) share the
 * driver below, which depends on the element type only through `array` (its byte size, and the
 * type C, the operands it runs on and the scratch are views of).
 */
export interface GemmWasmSpec {
  wasmBase64: string;
  array: Float32ArrayConstructor | Float64ArrayConstructor;
  /** Register tile of the micro-kernel (packed sliver heights). */
  mr: number;
  nr: number;
  /** Cache blocking: rows of A per packed block, K per slice, columns of B per packed panel. */
  mc: number;
  kc: number;
  nc: number;
  /** Products of at least this many multiply-adds split over the kernel pool (see below). */
  poolMinMacs: number;
}

/** The driver of one module (createGemmWasm). */
export interface GemmWasm {
  /**
   * Runs the product and returns true, or returns false (nothing written) if it cannot run; the
   * arguments are those of the JS kernel (internal/gemm.ts).
   */
  run(...args: Parameters<typeof gemm>): boolean;
  /** Whether c (the output) is of this module's type and lives in the wasm memory, i.e. whether run can. */
  inWasmMemory(c: TypedArray): boolean;
  /** Products that were split over the pool (tests check the split really ran). */
  readonly poolCalls: { split: number };
  /** Set the split threshold (bench, tests); returns the previous one. */
  setPoolMinMacs(n: number): number;
}

/** Scratch of one thread: the packed blocks ap (MC x KC), bp (KC x NC) and the MR x NR edge tile. */
interface Scratch {
  ap: number;
  bp: number;
  tile: number;
}

export function createGemmWasm(spec: GemmWasmSpec): GemmWasm {
  const { wasmBase64: module, array, mr, nr, mc: MCb, kc: KCb, nc: NCb } = spec;
  const bytes = array.BYTES_PER_ELEMENT;
  const scratchBytes = bytes * (MCb * KCb + KCb * NCb + mr * nr);
  let poolMinMacs = spec.poolMinMacs;
  const poolCalls = { split: 0 };

  /**
   * This thread's kernels and scratch, and a view of the memory for JS-side packing made when the
   * scratch was allocated (it covers the scratch, and a grown shared memory leaves it valid,
   * memory.ts); null while the memory has no room for the scratch (the caller then runs the JS
   * kernel; the next call tries again).
   */
  let main: (Scratch & { wasm: GemmExports; view: Float32Array | Float64Array }) | null = null;
  /** Scratch for each pool worker, allocated once per worker and kept. */
  const workerScratch: Scratch[] = [];

  const allocate = (): Scratch | null => {
    const base = allocateScratch(scratchBytes);
    if (base < 0) return null;
    const bp = base + bytes * MCb * KCb;
    return { ap: base, bp, tile: bp + bytes * KCb * NCb };
  };

  const setup = () => {
    if (main !== null) return main;
    const s = allocate();
    if (s === null) return null;
    const wasm = instantiateWasm<GemmExports & Record<string, unknown>>(module);
    const buffer = currentWasmBuffer();
    const view = array === Float64Array ? new Float64Array(buffer) : new Float32Array(buffer);
    main = { ...s, wasm, view };
    return main;
  };

  const scratchFor = (workers: number): boolean => {
    while (workerScratch.length < workers) {
      const s = allocate();
      if (s === null) return false;
      workerScratch.push(s);
    }
    return true;
  };

  /** Byte address of data[off] when data is a view of the wasm memory, else -1. */
  const addressOf = (data: TypedArray, off: number): number =>
    isWasmBuffer(data.buffer) ? data.byteOffset + off * bytes : -1;

  const run: GemmWasm['run'] = (m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc) => {
    const cAddr = addressOf(c, cOff);
    if (cAddr < 0 || !(c instanceof array) || !(a instanceof array) || !(b instanceof array)) return false;
    const s = setup();
    if (s === null) return false;
    const aAddr = addressOf(a, aOff);
    const bAddr = addressOf(b, bOff);
    const { wasm, ap, bp, tile, view } = s;
    const pool = getKernelPool();
    if (pool !== null && aAddr >= 0 && bAddr >= 0 && m * n * k >= poolMinMacs && m >= 2 * mr) {
      const threads = Math.min(pool.threads, Math.floor(m / mr));
      if (scratchFor(threads - 1)) {
        const calls: number[][] = [];
        for (let t = 0; t < threads; t++) {
          const r0 = Math.floor((m * t) / threads);
          const rows = Math.floor((m * (t + 1)) / threads) - r0;
          const own = t === 0 ? s : workerScratch[t - 1]!;
          const aRow = aAddr + bytes * r0 * aRs;
          const cRow = cAddr + bytes * r0 * ldc;
          calls.push([rows, n, k, aRow, aRs, aCs, bAddr, bRs, bCs, cRow, ldc, own.ap, own.bp, own.tile]);
        }
        poolCalls.split++;
        pool.run(module, 'gemm', calls);
        return true;
      }
    }
    for (let jc = 0; jc < n; jc += NCb) {
      const nc = Math.min(NCb, n - jc);
      for (let pc = 0; pc < k; pc += KCb) {
        const kc = Math.min(KCb, k - pc);
        if (bAddr >= 0) wasm.packB(bp, bAddr + bytes * (pc * bRs + jc * bCs), bRs, bCs, kc, nc);
        else packPanel(view, bp / bytes, b, bOff + pc * bRs + jc * bCs, bCs, bRs, nc, kc, nr);
        for (let ic = 0; ic < m; ic += MCb) {
          const mc = Math.min(MCb, m - ic);
          if (aAddr >= 0) wasm.packA(ap, aAddr + bytes * (ic * aRs + pc * aCs), aRs, aCs, mc, kc);
          else packPanel(view, ap / bytes, a, aOff + ic * aRs + pc * aCs, aRs, aCs, mc, kc, mr);
          wasm.kernel(mc, nc, kc, ap, bp, cAddr + bytes * (ic * ldc + jc), ldc, pc > 0 ? 1 : 0, tile);
        }
      }
    }
    return true;
  };

  return {
    run,
    inWasmMemory: (c) => c instanceof array && addressOf(c, 0) >= 0,
    poolCalls,
    setPoolMinMacs(n) {
      const previous = poolMinMacs;
      poolMinMacs = n;
      return previous;
    },
  };
}

/**
 * Products of at least this many multiply-adds split their rows of A and C over the kernel pool's
 * threads (@normkit/tensor/node), when one is installed and A and B live in the wasm memory; each
 * worker runs the wasm driver `gemm` (the loops above, in wasm) with its own scratch and packs B
 * itself. The hand-off costs ~60 us (~1.5M multiply-adds at 50 GFLOP/s). Measured on 2 cores by
 * bench/matmul-pool.bench.ts, 2 threads vs 1: 64^3 0.22x, 128^3 0.93x, 256^3 1.69x, 512^3 1.92x,
 * 8192x128x384 1.95x; the threshold sits between 128^3 and 256^3.
 */
const float32Gemm = createGemmWasm({
  wasmBase64,
  array: Float32Array,
  mr: MR,
  nr: NR,
  mc: MC,
  kc: KC,
  nc: NC,
  poolMinMacs: 1 << 22,
});

/** Runs the float32 product and returns true, or returns false (nothing written) if it cannot run. */
export const gemmWasm = float32Gemm.run;

/** Whether c (the output) is float32 and lives in the wasm memory, i.e. whether gemmWasm can run. */
export const inWasmMemory = float32Gemm.inWasmMemory;

/** Products that were split over the pool (tests check the split really ran). */
export const gemmPoolCalls = float32Gemm.poolCalls;

/** Set the float32 split threshold (bench, tests); returns the previous one. */
export const setGemmPoolMinMacs = float32Gemm.setPoolMinMacs;

/**
 * JS-side packing of a heap operand, the layout of wasm/gemm.ts and wasm/gemm64.ts: `count` lines
 * (rows of A, or columns of B) of `kc` elements each, line r's element p at
 * src[off + r*lineStride + p*pStride], go in slivers of `width` lines to
 * dst[at + sliver*width*kc + p*width + r % width], zero-padded. dst and src have the same type.
 */
function packPanel(
  dst: Float32Array | Float64Array,
  at: number,
  src: TypedArray,
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
