import type { TypedArray } from '../../dtype.js';
import { getBackend } from '../../wasm/backend.js';
import { instantiateWasm } from '../../wasm/instantiate.js';
import { isWasmBuffer } from '../../wasm/memory.js';
import { wasmBase64 as binaryBase64 } from './elementwise.wasm.generated.js';
import { wasmBase64 as unaryBase64 } from './unary.wasm.generated.js';

/**
 * The wasm path of the elementwise kernels (wasm/elementwise.ts, wasm/unary.ts): each function
 * runs the op and returns true, or returns false (nothing written) and the JS kernel that called
 * it runs instead. It runs when
 * - the backend is 'wasm' and every array is a float32 view of the wasm memory (the module reads
 *   and writes the tensors where they are), and
 * - the op has a wasm kernel, and the row has at least WASM_MIN elements: below that the call and
 *   the checks cost more than the JS loop (bench/elementwise.bench.ts: at 64 elements the two tie).
 * Offsets are in elements (the JS kernels' convention); contiguity is the caller's business.
 */
export const WASM_MIN = 64;

/** Calls per wasm entry point in this process (tests check that the wasm path really ran). */
export const elementwiseWasmCalls = { binary: 0, scalar: 0, broadcast: 0, unary: 0 };

interface BinaryExports {
  binary(op: number, a: number, b: number, o: number, n: number, p: number): void;
  binaryScalar(op: number, a: number, s: number, o: number, n: number, p: number): void;
  binaryBroadcast(op: number, a: number, b: number, o: number, rows: number, n: number, cols: number): void;
}
interface UnaryExports {
  unary(op: number, x: number, o: number, n: number, p0: number, p1: number): void;
  exp64(x: number, o: number, n: number): void;
}

let binaryKernels: BinaryExports | null = null;
let unaryKernels: UnaryExports | null = null;

function bin(): BinaryExports {
  binaryKernels ??= instantiateWasm<BinaryExports & Record<string, unknown>>(binaryBase64);
  return binaryKernels;
}
export function unaryModule(): UnaryExports {
  unaryKernels ??= instantiateWasm<UnaryExports & Record<string, unknown>>(unaryBase64);
  return unaryKernels;
}

// BinOp values with a wasm kernel: Add Sub Mul Div, Max Min, Axpy, RSub RDiv
const BINARY_OPS = new Uint8Array(32);
for (const op of [0, 1, 2, 3, 5, 6, 13, 15, 16]) BINARY_OPS[op] = 1;
// UnOp values with a wasm kernel: Neg Abs Square Reciprocal Exp Sqrt Rsqrt Relu Clamp
const UNARY_OPS = new Uint8Array(32);
for (const op of [0, 1, 3, 4, 5, 9, 10, 15, 20]) UNARY_OPS[op] = 1;

/**
 * Whether the wasm kernels may run on float32 output o. Callers check their inputs with
 * isWasmBuffer too; inputs share o's dtype (every public op checks that).
 */
function wasmOutput(o: TypedArray): boolean {
  return o instanceof Float32Array && getBackend() === 'wasm' && isWasmBuffer(o.buffer);
}

/** o[io + j] = a[ia + j] op b[ib + j] for j < n (all contiguous); p is Axpy's factor. */
export function binaryWasm(
  op: number,
  n: number,
  a: TypedArray,
  ia: number,
  b: TypedArray,
  ib: number,
  o: TypedArray,
  io: number,
  p: number,
): boolean {
  if (n < WASM_MIN || BINARY_OPS[op] !== 1) return false;
  if (!wasmOutput(o) || !isWasmBuffer(a.buffer) || !isWasmBuffer(b.buffer)) return false;
  elementwiseWasmCalls.binary++;
  bin().binary(op, a.byteOffset + 4 * ia, b.byteOffset + 4 * ib, o.byteOffset + 4 * io, n, p);
  return true;
}

/** o[io + j] = a[ia + j] op s for j < n (s already rounded to float32). */
export function scalarWasm(
  op: number,
  n: number,
  a: TypedArray,
  ia: number,
  s: number,
  o: TypedArray,
  io: number,
  p: number,
): boolean {
  if (n < WASM_MIN || BINARY_OPS[op] !== 1) return false;
  if (!wasmOutput(o) || !isWasmBuffer(a.buffer)) return false;
  elementwiseWasmCalls.scalar++;
  bin().binaryScalar(op, a.byteOffset + 4 * ia, s, o.byteOffset + 4 * io, n, p);
  return true;
}

/**
 * a, o contiguous [rows, n] from ia / io; b contiguous from ib: [n] (cols false: o[r, j] = a[r, j]
 * op b[j]) or [rows] (cols true: o[r, j] = a[r, j] op b[r]).
 */
export function broadcastWasm(
  op: number,
  rows: number,
  n: number,
  cols: boolean,
  a: TypedArray,
  ia: number,
  b: TypedArray,
  ib: number,
  o: TypedArray,
  io: number,
): boolean {
  if (rows * n < WASM_MIN || op === 13 || BINARY_OPS[op] !== 1) return false;
  if (!wasmOutput(o) || !isWasmBuffer(a.buffer) || !isWasmBuffer(b.buffer)) return false;
  elementwiseWasmCalls.broadcast++;
  const pa = a.byteOffset + 4 * ia;
  bin().binaryBroadcast(op, pa, b.byteOffset + 4 * ib, o.byteOffset + 4 * io, rows, n, cols ? 1 : 0);
  return true;
}

/** o[io + j] = f(x[ix + j]) for j < n; p0, p1 are clamp's bounds. */
export function unaryWasm(
  op: number,
  n: number,
  x: TypedArray,
  ix: number,
  o: TypedArray,
  io: number,
  p0: number,
  p1: number,
): boolean {
  if (n < WASM_MIN || UNARY_OPS[op] !== 1) return false;
  if (!wasmOutput(o) || !isWasmBuffer(x.buffer)) return false;
  elementwiseWasmCalls.unary++;
  unaryModule().unary(op, x.byteOffset + 4 * ix, o.byteOffset + 4 * io, n, p0, p1);
  return true;
}
