import { fileURLToPath } from 'node:url';
import { assertClose, type FixtureTensor, fixtureTensorData, loadFixture } from '@normkit/test-utils';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { randn, tensor, zeros } from './create.js';
import type { DType } from './dtype.js';
import { ShapeError } from './errors.js';
import { matmul } from './matmul.js';
import { Tensor } from './tensor.js';
import { type Backend, setBackend } from './wasm/backend.js';
import { isWasmBuffer } from './wasm/memory.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

// float64: the kernel and the oracle both sum K products in float64 (K <= 300 here).
const F64_TOL = { rtol: 1e-12, atol: 1e-12 };
// float32, JS kernel: the result is the float64 sum rounded once to float32 (relative error <= 2^-24).
const F32_TOL = { rtol: 1e-6, atol: 1e-6 };
const tol = (dtype: DType) => (dtype === 'float64' ? F64_TOL : F32_TOL);

/**
 * float32, wasm kernel: a running float32 sum of float32 products. Higham (Accuracy and Stability
 * of Numerical Algorithms, eq. 3.4) bounds every element of such a dot product of length K by
 * |c - fl(c)| <= gamma_K * sum_p |a_ip b_pj|, gamma_K = K u / (1 - K u), u = 2^-24. We check
 * against the largest finite sum|a b| of the product (a scalar atol for assertClose).
 */
function f32SumTolerance(k: number, absSums: Float64Array) {
  const u = 2 ** -24;
  let worst = 0;
  for (const v of absSums) if (Number.isFinite(v)) worst = Math.max(worst, v); // NaN/Inf: matched exactly
  return { rtol: 0, atol: ((k * u) / (1 - k * u)) * worst };
}

interface Reference {
  shape: number[];
  /** The float64 product. */
  data: Float64Array;
  /** sum_p |a_ip b_pj| per element, the scale of float32 rounding errors. */
  abs: Float64Array;
  /** s = f32(s + f32(a_ip b_pj)) for p = 0..K-1: what a float32-accumulating kernel must give exactly. */
  f32: Float32Array;
  k: number;
}

/**
 * The oracle: numpy.matmul semantics as plain float64 loops, written independently of the kernel.
 * Operands are first copied to row-major float64 arrays; each output element is its own K loop.
 */
function reference(a: Tensor, b: Tensor): Reference {
  const A = Float64Array.from(a.toTypedArray());
  const B = Float64Array.from(b.toTypedArray());
  const aS = a.ndim === 1 ? [1, a.shape[0]!] : [...a.shape];
  const bS = b.ndim === 1 ? [b.shape[0]!, 1] : [...b.shape];
  const M = aS[aS.length - 2]!;
  const K = aS[aS.length - 1]!;
  const N = bS[bS.length - 1]!;
  const nb = Math.max(aS.length, bS.length) - 2;
  const pad = (s: number[]) => [...new Array<number>(nb - (s.length - 2)).fill(1), ...s.slice(0, -2)];
  const pa = pad(aS);
  const pb = pad(bS);
  const batch = pa.map((d, i) => (d === 1 ? pb[i]! : d));
  const count = batch.reduce((x, y) => x * y, 1);
  const data = new Float64Array(count * M * N);
  const abs = new Float64Array(count * M * N);
  const f32 = new Float32Array(count * M * N);
  for (let t = 0; t < count; t++) {
    // unravel t into a batch index; a broadcast (size-1) axis always reads index 0
    let rem = t;
    let ia = 0;
    let ib = 0;
    let sa = 1;
    let sb = 1;
    for (let ax = nb - 1; ax >= 0; ax--) {
      const idx = rem % batch[ax]!;
      rem = Math.floor(rem / batch[ax]!);
      ia += (pa[ax] === 1 ? 0 : idx) * sa;
      ib += (pb[ax] === 1 ? 0 : idx) * sb;
      sa *= pa[ax]!;
      sb *= pb[ax]!;
    }
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        let sa = 0;
        let s32 = 0;
        for (let p = 0; p < K; p++) {
          const x = A[(ia * M + i) * K + p]!;
          const y = B[(ib * K + p) * N + j]!;
          s += x * y;
          sa += Math.abs(x * y);
          s32 = Math.fround(s32 + Math.fround(x * y));
        }
        const at = (t * M + i) * N + j;
        data[at] = s;
        abs[at] = sa;
        f32[at] = s32;
      }
    }
  }
  const shape = [...batch, ...(a.ndim > 1 ? [M] : []), ...(b.ndim > 1 ? [N] : [])];
  return { shape, data, abs, f32, k: K };
}

/** Equal as float32 bit patterns (+0 and -0 differ), any NaN matching any NaN. */
function expectSameFloats(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  expect(got.length, label).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const same = Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i]));
    if (!same) expect(`${label}[${i}] = ${got[i]}`).toBe(`${label}[${i}] = ${want[i]}`);
  }
}

/**
 * The result against the oracle. JS kernel (and every float64 product): the float64 product within
 * tol(dtype). wasm kernel (float32 result in wasm memory): bit for bit the float32 running sum,
 * and within Higham's float32 bound of the float64 product.
 */
function checkResult(got: Tensor, want: Reference, label: string): void {
  if (wasmKernelRuns(got)) {
    expectSameFloats(got.toTypedArray(), want.f32, `${label} (float32 sum)`);
    assertClose(got.toTypedArray(), want.data, { ...f32SumTolerance(want.k, want.abs), label });
  } else {
    assertClose(got.toTypedArray(), want.data, { ...tol(got.dtype), label });
  }
}

let backend: Backend = 'js';
const wasmKernelRuns = (result: Tensor) =>
  backend === 'wasm' && result.dtype === 'float32' && isWasmBuffer(result.data.buffer);

function checkAgainstReference(a: Tensor, b: Tensor, label: string): void {
  const got = matmul(a, b);
  const want = reference(a, b);
  expect(got.shape, label).toEqual(want.shape);
  expect(got.dtype).toBe(a.dtype);
  checkResult(got, want, label);
}

// Every test runs under both backends: 'js' (the float64 JS kernel, the oracle's twin) and
// 'wasm' (tensors allocated in the wasm memory, float32 products on the SIMD kernel).
describe.each(['js', 'wasm'] as const)('%s backend', (name) => {
  beforeEach(() => {
    backend = name;
    setBackend(name);
  });
  afterEach(() => setBackend('js'));

  interface Case {
    name: string;
    dtype: DType;
    a: FixtureTensor;
    b: FixtureTensor;
    transpose_a: boolean;
    transpose_b: boolean;
    expected: FixtureTensor;
  }

  describe('matmul against numpy.matmul fixtures', () => {
    const { cases } = loadFixture<{ cases: Case[] }>(packageDir, 'matmul.json');
    const operand = (f: FixtureTensor, dtype: DType, transposed: boolean) => {
      const t = tensor(fixtureTensorData(f), f.shape, { dtype });
      return transposed ? t.transpose() : t; // as the script: stored.swapaxes(-1, -2)
    };
    it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
      const a = operand(c.a, c.dtype, c.transpose_a);
      const b = operand(c.b, c.dtype, c.transpose_b);
      const got = matmul(a, b);
      expect(got.shape).toEqual(c.expected.shape);
      expect(got.dtype).toBe(c.dtype);
      expect(got.isContiguous()).toBe(true);
      // numpy's float64 product (float32 cases: computed in float64 from the float32 inputs)
      checkResult(
        got,
        { ...reference(a, b), data: Float64Array.from(fixtureTensorData(c.expected)) },
        c.name,
      );
    });
  });

  describe('matmul against the float64 reference', () => {
    it('small exact products', () => {
      const a = tensor([
        [1, 2],
        [3, 4],
      ]);
      expect(matmul(a, a).toArray()).toEqual([
        [7, 10],
        [15, 22],
      ]);
      expect(matmul(a, a.transpose()).toArray()).toEqual([
        [5, 11],
        [11, 25],
      ]);
      expect(matmul(tensor([1, 2]), tensor([3, 4])).toArray()).toBe(11);
    });

    it('shapes that cross the MC/KC/NC block and 4 x 3 tile boundaries, every transpose', () => {
      for (const [M, K, N] of [
        [130, 257, 65],
        [65, 130, 257],
      ] as const) {
        for (const dtype of ['float64', 'float32'] as const) {
          for (const [ta, tb] of [
            [false, false],
            [true, false],
            [false, true],
            [true, true],
          ]) {
            const a = ta ? randn([K, M], { seed: M, dtype }).transpose() : randn([M, K], { seed: M, dtype });
            const b = tb ? randn([N, K], { seed: N, dtype }).transpose() : randn([K, N], { seed: N, dtype });
            checkAgainstReference(a, b, `${M}x${K}x${N} ${dtype} ta=${ta} tb=${tb}`);
          }
        }
      }
    });

    it('K = 1 and K = 2 in the blocked path overwrite the scratch tile a previous call left behind', () => {
      checkAgainstReference(randn([70, 40], { seed: 20 }), randn([40, 80], { seed: 21 }), 'dirty scratch');
      for (const k of [1, 2]) {
        const a = randn([70, k], { seed: 22, dtype: 'float64' });
        checkAgainstReference(a, randn([k, 80], { seed: 23, dtype: 'float64' }), `K=${k}`);
      }
    });

    it('shared b (x @ W^T, one GEMM over batch * M rows) and a batch that cannot be folded', () => {
      const w = randn([70, 65], { seed: 1, dtype: 'float64' });
      const x = randn([3, 50, 65], { seed: 2, dtype: 'float64' });
      checkAgainstReference(x, w.transpose(), 'folded');
      const xs = randn([3, 60, 65], { seed: 3, dtype: 'float64' }).slice(1, 5, 55); // batch stride 60*65
      checkAgainstReference(xs, w.transpose(), 'sliced batch');
      checkAgainstReference(x.transpose(0, 1), w.transpose(), 'permuted batch');
    });

    it('strided, offset and expanded (stride-0) operands', () => {
      const big = randn([6, 9, 14], { seed: 4, dtype: 'float64' });
      const a = big.slice(2, 1, undefined, 2).slice(1, 2, 8); // [6,6,7], column stride 2, offset
      const b = randn([7, 5], { seed: 5, dtype: 'float64' }).unsqueeze(0).expand([6, 7, 5]);
      checkAgainstReference(a, b, 'strided a, expanded b');
      checkAgainstReference(b.transpose(), a.transpose(), 'expanded a, strided b');
      const row = randn([1, 7], { seed: 6, dtype: 'float64' }).expand([4, 7]); // every row the same
      checkAgainstReference(row, randn([7, 3], { seed: 7, dtype: 'float64' }), 'stride-0 rows');
    });

    it('a float32 result is the float64 dot product rounded once (js) / the float32 running sum (wasm), K = 3000', () => {
      const a = randn([6, 3000], { seed: 8 });
      const b = randn([3000, 5], { seed: 9 });
      const result = matmul(a, b);
      const got = result.toTypedArray();
      const want = reference(a, b).data;
      if (wasmKernelRuns(result)) {
        checkResult(result, reference(a, b), 'K = 3000');
        return;
      }
      for (let i = 0; i < want.length; i++) {
        const ulp = 2 ** (Math.floor(Math.log2(Math.abs(want[i]!))) - 23);
        expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(ulp);
      }
    });

    it.each(['float64', 'float32'] as const)(
      '%s NaN and Inf propagate only to the rows and columns they touch (as numpy)',
      (dtype) => {
        const a = randn([9, 7], { seed: 16, dtype });
        const b = randn([7, 8], { seed: 17, dtype });
        a.data[2 * 7 + 3] = Number.NaN;
        b.data[4 * 8 + 5] = Number.POSITIVE_INFINITY;
        const got = matmul(a, b);
        checkResult(got, reference(a, b), 'nan/inf');
        expect(Number.isNaN(got.get(2, 0))).toBe(true);
        expect(Math.abs(got.get(0, 5))).toBe(Number.POSITIVE_INFINITY);
        expect(Number.isFinite(got.get(0, 4))).toBe(true);
      },
    );

    it('reads a transposed operand in place (no contiguous copy of either tensor)', () => {
      const x = randn([20, 16], { seed: 10 });
      const w = randn([12, 16], { seed: 11 });
      const clone = vi.spyOn(Tensor.prototype, 'clone');
      const copy = vi.spyOn(Tensor.prototype, 'toTypedArray');
      const y = matmul(x, w.transpose());
      expect(clone).not.toHaveBeenCalled();
      expect(copy).not.toHaveBeenCalled();
      clone.mockRestore();
      copy.mockRestore();
      checkResult(y, reference(x, w.transpose()), 'x @ w.T');
    });

    it('property: random shapes, batch broadcasting, 1-D operands, transposes, dtypes', () => {
      const dim = fc.integer({ min: 0, max: 11 });
      const caseArb = fc.record({
        m: dim,
        k: dim,
        n: dim,
        batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
        aMask: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
        bMask: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
        aDrop: fc.integer({ min: 0, max: 2 }),
        bDrop: fc.integer({ min: 0, max: 2 }),
        aKind: fc.constantFrom('1d', 'plain', 'transposed'),
        bKind: fc.constantFrom('1d', 'plain', 'transposed'),
        dtype: fc.constantFrom<DType>('float32', 'float64'),
        seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      });
      fc.assert(
        fc.property(caseArb, (c) => {
          // each operand keeps a suffix of the batch dims, some of them replaced by 1 (broadcast)
          const aBatch = c.batch.map((d, i) => (c.aMask[i] ? 1 : d)).slice(c.aDrop);
          const bBatch = c.batch.map((d, i) => (c.bMask[i] ? 1 : d)).slice(c.bDrop);
          const make = (kind: string, batch: number[], rows: number, cols: number, seed: number) => {
            if (kind === '1d') return randn([c.k], { seed, dtype: c.dtype });
            if (kind === 'plain') return randn([...batch, rows, cols], { seed, dtype: c.dtype });
            return randn([...batch, cols, rows], { seed, dtype: c.dtype }).transpose();
          };
          const a = make(c.aKind, aBatch, c.m, c.k, c.seed);
          const b = make(c.bKind, bBatch, c.k, c.n, c.seed + 1);
          checkAgainstReference(a, b, JSON.stringify(c));
        }),
        { numRuns: 300, seed: 20240611 },
      );
    });
  });

  describe('matmul out, size 0', () => {
    it('writes into out and returns it', () => {
      const a = randn([2, 3, 4], { seed: 12, dtype: 'float64' });
      const b = randn([4, 5], { seed: 13, dtype: 'float64' });
      const out = zeros([2, 3, 5], { dtype: 'float64' });
      expect(matmul(a, b, out)).toBe(out);
      assertClose(out.toTypedArray(), reference(a, b).data, { ...F64_TOL, label: 'out' });
      const v = zeros([3], { dtype: 'float64' });
      matmul(a.select(0, 1), b.select(1, 2), v);
      assertClose(v.toTypedArray(), reference(a.select(0, 1), b.select(1, 2)).data, F64_TOL);
    });

    it('out may alias an operand (computed into a temporary first)', () => {
      const a = randn([5, 5], { seed: 14, dtype: 'float64' });
      const b = randn([5, 5], { seed: 15, dtype: 'float64' });
      const want = reference(a, b).data;
      matmul(a, b, a);
      assertClose(a.toTypedArray(), want, { ...F64_TOL, label: 'a = a @ b' });
    });

    it('K = 0 gives zeros (overwriting out), other size-0 dims give empty results', () => {
      const out = tensor([7, 7, 7, 7, 7, 7], [2, 3]);
      matmul(zeros([2, 0]), zeros([0, 3]), out);
      expect(out.toArray()).toEqual([
        [0, 0, 0],
        [0, 0, 0],
      ]);
      expect(matmul(zeros([0]), zeros([0])).toArray()).toBe(0);
      expect(matmul(zeros([4, 0, 3]), zeros([3, 2])).shape).toEqual([4, 0, 2]);
      expect(matmul(zeros([0, 1, 1, 3]), zeros([5, 3, 2])).shape).toEqual([0, 5, 1, 2]);
    });
  });

  describe('matmul errors', () => {
    const f32 = (shape: number[]) => zeros(shape);
    const thrown = (fn: () => unknown): Error => {
      try {
        fn();
      } catch (error) {
        return error as Error;
      }
      throw new Error('expected a throw');
    };

    it('K mismatch names both sizes and shapes', () => {
      const e = thrown(() => matmul(f32([2, 3]), f32([4, 5])));
      expect(e).toBeInstanceOf(ShapeError);
      expect(e.message).toBe('matmul: a has K=3 columns but b has 4 rows ([2,3] @ [4,5])');
      expect((e as ShapeError).op).toBe('matmul');
      expect((e as ShapeError).arg).toBe('b');
      expect(() => matmul(f32([3]), f32([4, 5]))).toThrow(
        'matmul: a has K=3 elements but b has 4 rows ([3] @ [4,5])',
      );
      expect(() => matmul(f32([2, 3]), f32([4]))).toThrow(
        'matmul: a has K=3 columns but b has 4 elements ([2,3] @ [4])',
      );
      expect(() => matmul(f32([2, 3]).transpose(), f32([3, 3]))).toThrow(
        'matmul: a has K=2 columns but b has 3 rows ([3,2] @ [3,3])',
      );
    });

    it('batch dims that do not broadcast', () => {
      const e = thrown(() => matmul(f32([2, 3, 2, 2]), f32([4, 2, 2])));
      expect(e).toBeInstanceOf(ShapeError);
      expect(e.message).toBe(
        'matmul: batch dims [2,3] of a and [4] of b do not broadcast ([2,3,2,2] @ [4,2,2])',
      );
    });

    it('0-d operands', () => {
      expect(() => matmul(tensor(2), f32([2, 2]))).toThrow(ShapeError);
      expect(() => matmul(tensor(2), f32([2, 2]))).toThrow(
        'matmul: a must have at least 1 dimension, got a 0-d tensor (use mul for scalars)',
      );
      expect(() => matmul(f32([2]), tensor(2))).toThrow(
        'matmul: b must have at least 1 dimension, got a 0-d tensor (use mul for scalars)',
      );
    });

    it('mixed dtypes, and an out of the wrong dtype, shape or layout', () => {
      const a64 = zeros([2, 2], { dtype: 'float64' });
      const e = thrown(() => matmul(f32([2, 2]), a64));
      expect(e).toBeInstanceOf(TypeError);
      expect(e.message).toMatch(/^matmul: b has dtype float64, expected float32/);
      expect(() => matmul(a64, a64, f32([2, 2]))).toThrow(/^matmul: out has dtype float32, expected float64/);
      expect(() => matmul(f32([2, 3]), f32([3, 4]), f32([2, 3]))).toThrow(
        'matmul: out has shape [2,3], expected [2,4]',
      );
      expect(() => matmul(f32([2, 2]), f32([2, 2]), f32([2, 2]).transpose())).toThrow(
        'matmul: out must be contiguous, got strides [1,2] for shape [2,2]',
      );
    });

    it('non-tensor operands', () => {
      expect(() => matmul(2 as unknown as Tensor, f32([2]))).toThrow(
        'matmul: a must be a Tensor, got number',
      );
    });
  });
});
