import type { DType, TypedArray } from './dtype.js';
import { dtypeMismatch, formatShape, ShapeError } from './errors.js';
import { gemm } from './internal/gemm.js';
import { coalesce } from './internal/strided.js';
import { gemmWasm, inWasmMemory } from './internal/wasm/gemm-wasm.js';
import { gemm64Wasm, inWasmMemory64 } from './internal/wasm/gemm64-wasm.js';
import { copyData, fillData } from './internal/wasm/memops-wasm.js';
import { sameShape, sizeOf } from './shape.js';
import { allocateUninit } from './storage.js';
import { Tensor } from './tensor.js';
import { getBackend } from './wasm/backend.js';
import { sameWasmMemory } from './wasm/memory.js';

type Gemm = typeof gemm;

/** The WebAssembly SIMD kernels, or the JS one when they cannot run (no room for the scratch). */
const gemmF32Wasm: Gemm = (m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc) => {
  if (!gemmWasm(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc)) {
    gemm(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc);
  }
};
const gemmF64Wasm: Gemm = (m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc) => {
  if (!gemm64Wasm(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc)) {
    gemm(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc);
  }
};

/** The kernel for a result c of the given dtype. */
function pickKernel(dtype: DType, c: TypedArray): Gemm {
  if (getBackend() !== 'wasm') return gemm;
  if (dtype === 'float32') return inWasmMemory(c) ? gemmF32Wasm : gemm;
  return inWasmMemory64(c) ? gemmF64Wasm : gemm;
}

/**
 * Matrix product with numpy.matmul / torch.matmul semantics:
 * - [..., M, K] @ [..., K, N] -> [..., M, N], the batch dims (all but the last two) broadcast
 *   (NumPy rules; a missing or size-1 batch dim is read with stride 0, never copied);
 * - a 1-D `a` of shape [K] is treated as [1, K] and a 1-D `b` of shape [K] as [K, 1]; the added
 *   axis is removed from the result ([K] @ [K] gives a 0-d tensor);
 * - operands may be any strided views: `b.transpose()` (a linear layer's x @ W^T) is read in place.
 *   Each call packs only small blocks of A and B into reusable scratch (see internal/gemm.ts).
 * - K = 0 gives zeros, any other size-0 dim an empty result.
 *
 * Kernels: the WebAssembly SIMD kernels (float32: internal/wasm/gemm-wasm.ts, float64:
 * internal/wasm/gemm64-wasm.ts) when the backend is 'wasm' and the result lives in the wasm memory
 * (a fresh result does under that backend; an `out` on the JS heap keeps the JS kernel), else the
 * JS kernel (internal/gemm.ts), which also runs when the wasm memory has no room for a kernel's
 * scratch. The operands may live anywhere: wasm packs heap operands from the JS heap.
 *
 * Numerics: the JS kernel's products and sums are float64 and the result is rounded to the
 * operands' dtype once, so a float32 result is the float64 dot product rounded to float32. The
 * float32 wasm kernel sums in float32, as BLAS sgemm and torch on CPU do: relative error
 * ~sqrt(K) * 2^-24 per element (scaled by sum|a b| when terms cancel) instead of 2^-24. The
 * float64 wasm kernel gives exactly the float64 running sum s = s + a_ip * b_pj over p in order;
 * the JS kernel sums K in slices of 256 and adds the slices, so for K > 256 the two may differ in
 * the last bits (both within gamma_K sum_p |a_ip b_pj|, gamma_K ~ K 2^-53).
 *
 * `out` (optional) must be contiguous with exactly the result's shape and dtype; it may share
 * memory with `a` or `b` (the product is then computed into a temporary first).
 */
export function matmul(a: Tensor, b: Tensor, out?: Tensor): Tensor {
  checkOperand(a, 'a');
  checkOperand(b, 'b');
  if (b.dtype !== a.dtype) throw dtypeMismatch('matmul', 'b', a.dtype, b.dtype);
  const product = `(${formatShape(a.shape)} @ ${formatShape(b.shape)})`;

  // 1-D promotion: [K] -> [1, K] for a, [K] -> [K, 1] for b (the added axis gets stride 0)
  const aShape = a.ndim === 1 ? [1, a.shape[0]!] : a.shape;
  const aStrides = a.ndim === 1 ? [0, a.strides[0]!] : a.strides;
  const bShape = b.ndim === 1 ? [b.shape[0]!, 1] : b.shape;
  const bStrides = b.ndim === 1 ? [b.strides[0]!, 0] : b.strides;
  const ra = aShape.length;
  const rb = bShape.length;
  const m = aShape[ra - 2]!;
  const k = aShape[ra - 1]!;
  const n = bShape[rb - 1]!;
  if (bShape[rb - 2] !== k) {
    const aWhat = a.ndim === 1 ? 'elements' : 'columns';
    const bWhat = b.ndim === 1 ? 'elements' : 'rows';
    throw new ShapeError(
      'matmul',
      'b',
      `${k} ${bWhat}`,
      `${bShape[rb - 2]} ${bWhat}`,
      `matmul: a has K=${k} ${aWhat} but b has ${bShape[rb - 2]} ${bWhat} ${product}`,
    );
  }

  // broadcast the batch dims; each operand reads a broadcast axis with stride 0
  const nb = Math.max(ra, rb) - 2;
  const batch = new Array<number>(nb);
  const aBatchStrides = new Array<number>(nb);
  const bBatchStrides = new Array<number>(nb);
  for (let i = 0; i < nb; i++) {
    const ia = i - (nb - (ra - 2));
    const ib = i - (nb - (rb - 2));
    const da = ia >= 0 ? aShape[ia]! : 1;
    const db = ib >= 0 ? bShape[ib]! : 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        'matmul',
        'b',
        `batch dims that broadcast with ${formatShape(aShape.slice(0, ra - 2))}`,
        formatShape(bShape.slice(0, rb - 2)),
        `matmul: batch dims ${formatShape(aShape.slice(0, ra - 2))} of a and ` +
          `${formatShape(bShape.slice(0, rb - 2))} of b do not broadcast ${product}`,
      );
    }
    batch[i] = da === 1 ? db : da;
    aBatchStrides[i] = da === 1 ? 0 : aStrides[ia]!;
    bBatchStrides[i] = db === 1 ? 0 : bStrides[ib]!;
  }
  const shape = [...batch];
  if (a.ndim > 1) shape.push(m);
  if (b.ndim > 1) shape.push(n);

  // a fresh result is overwritten whole: both GEMMs store C (beta = 0), K = 0 fills it with 0
  const result = out ?? new Tensor(allocateUninit(a.dtype, sizeOf(shape)), shape);
  if (out) {
    checkOut(out, shape, a.dtype);
    if (sharesMemory(out.data, a.data) || sharesMemory(out.data, b.data)) {
      const tmp = matmul(a, b);
      copyData(out.data, tmp.data.subarray(0, tmp.size), out.offset);
      return out;
    }
  }
  const c = result.data;
  const size = sizeOf(shape);
  if (size === 0) return result;
  if (k === 0) {
    fillData(c, 0, result.offset, result.offset + size);
    return result;
  }
  const kernel = pickKernel(a.dtype, c);
  const aRs = aStrides[ra - 2]!;
  const aCs = aStrides[ra - 1]!;
  const bRs = bStrides[rb - 2]!;
  const bCs = bStrides[rb - 1]!;

  // One shared B (all its batch strides 0, e.g. x[B,T,C] @ W^T): when a's batch and row axes
  // collapse to one strided axis, run a single GEMM with M' = batch * M, so B is packed once.
  const folded = bBatchStrides.every((s) => s === 0)
    ? coalesce([...batch, m], [...aBatchStrides, aRs])
    : null;
  if (folded && folded.shape.length <= 1) {
    const rowStride = folded.shape.length === 1 ? folded.strides[0]! : aRs;
    kernel(size / n, n, k, a.data, a.offset, rowStride, aCs, b.data, b.offset, bRs, bCs, c, result.offset, n);
    return result;
  }
  batchedGemm(
    kernel,
    batch,
    aBatchStrides,
    bBatchStrides,
    m,
    n,
    k,
    a,
    aRs,
    aCs,
    b,
    bRs,
    bCs,
    c,
    result.offset,
  );
  return result;
}

/** The 2-D kernel once per batch index; an odometer advances both operands' offsets. */
function batchedGemm(
  kernel: Gemm,
  batch: readonly number[],
  aBatchStrides: readonly number[],
  bBatchStrides: readonly number[],
  m: number,
  n: number,
  k: number,
  a: Tensor,
  aRs: number,
  aCs: number,
  b: Tensor,
  bRs: number,
  bCs: number,
  c: TypedArray,
  cOff: number,
): void {
  const nb = batch.length;
  const count = sizeOf(batch);
  const index = new Array<number>(nb).fill(0);
  let aOff = a.offset;
  let bOff = b.offset;
  for (let t = 0; t < count; t++, cOff += m * n) {
    kernel(m, n, k, a.data, aOff, aRs, aCs, b.data, bOff, bRs, bCs, c, cOff, n);
    for (let ax = nb - 1; ax >= 0; ax--) {
      aOff += aBatchStrides[ax]!;
      bOff += bBatchStrides[ax]!;
      if (++index[ax]! < batch[ax]!) break;
      aOff -= aBatchStrides[ax]! * batch[ax]!;
      bOff -= bBatchStrides[ax]! * batch[ax]!;
      index[ax] = 0;
    }
  }
}

function checkOperand(x: Tensor, arg: 'a' | 'b'): void {
  if (!(x instanceof Tensor)) {
    throw new TypeError(`matmul: ${arg} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  }
  if (x.ndim === 0) {
    throw new ShapeError(
      'matmul',
      arg,
      'at least 1 dimension',
      'a 0-d tensor',
      `matmul: ${arg} must have at least 1 dimension, got a 0-d tensor (use mul for scalars)`,
    );
  }
}

function checkOut(out: Tensor, shape: readonly number[], dtype: DType): void {
  if (!(out instanceof Tensor)) throw new TypeError(`matmul: out must be a Tensor, got ${typeof out}`);
  if (out.dtype !== dtype) throw dtypeMismatch('matmul', 'out', dtype, out.dtype);
  if (!sameShape(out.shape, shape)) {
    throw new ShapeError(
      'matmul',
      'out',
      formatShape(shape),
      formatShape(out.shape),
      `matmul: out has shape ${formatShape(out.shape)}, expected ${formatShape(shape)}`,
    );
  }
  if (!out.isContiguous()) {
    throw new ShapeError(
      'matmul',
      'out',
      'a contiguous tensor',
      `strides ${formatShape(out.strides)}`,
      `matmul: out must be contiguous, got strides ${formatShape(out.strides)} for shape ${formatShape(out.shape)}`,
    );
  }
}

/** Whether two arrays view overlapping bytes of one memory (then out would clobber an input). */
function sharesMemory(x: TypedArray, y: TypedArray): boolean {
  return (
    sameWasmMemory(x.buffer, y.buffer) &&
    x.byteOffset < y.byteOffset + y.byteLength &&
    y.byteOffset < x.byteOffset + x.byteLength
  );
}
