import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { full, randint, randn, zeros } from '../create.js';
import { gemm64PoolCalls, setGemm64PoolMinMacs } from '../internal/wasm/gemm64-wasm.js';
import { matmul } from '../matmul.js';
import { startKernelPool } from '../node.js';
import { Tensor } from '../tensor.js';
import { setBackend } from './backend.js';
import { configureWasm, isWasmBuffer } from './memory.js';
import { dispose, wasmMemoryStats } from './storage.js';

// The float64 wasm matmul (wasm/gemm64.ts): every C element is exactly the float64 running sum
//   s = 0; for p in 0..K-1: s = s + a_ip * b_pj
// whatever the blocking (MC 128, KC 256, NC 1024; 4 x 4 tile), the layouts, or the thread split, so
// the oracle below is that loop and the comparisons are bit for bit. The JS kernel sums each
// 256-long K slice from 0 and adds the slices: for K > 256 it differs in the last bits, which tells
// the two kernels apart.
beforeAll(() => {
  configureWasm({ shared: true }); // the kernel-pool tests below need workers to see the memory
});
afterEach(() => setBackend('js'));

const f64 = { dtype: 'float64' } as const;
const inWasm = (t: Tensor) => isWasmBuffer(t.data.buffer);

/**
 * numpy.matmul semantics (batch broadcasting, 1-D promotion) as plain loops: both operands are
 * expanded to the full batch shape and copied row-major, then each element is its own running sum.
 */
function runningSums(a: Tensor, b: Tensor): { shape: number[]; data: Float64Array } {
  const a2 = a.ndim === 1 ? a.unsqueeze(0) : a;
  const b2 = b.ndim === 1 ? b.unsqueeze(1) : b;
  const [m, k] = a2.shape.slice(-2) as [number, number];
  const n = b2.shape[b2.ndim - 1]!;
  const nb = Math.max(a2.ndim, b2.ndim) - 2;
  const batch: number[] = [];
  for (let i = 0; i < nb; i++) {
    const da = a2.shape[i - (nb - (a2.ndim - 2))] ?? 1;
    const db = b2.shape[i - (nb - (b2.ndim - 2))] ?? 1;
    batch.push(da === 1 ? db : da);
  }
  const A = a2.expand([...batch, m, k]).toTypedArray();
  const B = b2.expand([...batch, k, n]).toTypedArray();
  const count = batch.reduce((x, y) => x * y, 1);
  const data = new Float64Array(count * m * n);
  for (let t = 0; t < count; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s = s + A[(t * m + i) * k + p]! * B[(t * k + p) * n + j]!;
        data[(t * m + i) * n + j] = s;
      }
    }
  }
  return { shape: [...batch, ...(a.ndim > 1 ? [m] : []), ...(b.ndim > 1 ? [n] : [])], data };
}

/** Number of elements whose bits differ (Object.is: -0 is not +0; any NaN matches any NaN). */
function mismatches(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let bad = 0;
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) bad++;
  return bad;
}

/** matmul under the wasm backend: result in the wasm memory and equal to the oracle bit for bit. */
function expectRunningSums(a: Tensor, b: Tensor, label: string): Tensor {
  setBackend('wasm');
  const c = matmul(a, b);
  const want = runningSums(a, b);
  expect(c.dtype, label).toBe('float64');
  expect(inWasm(c), label).toBe(true);
  expect(c.shape, label).toEqual(want.shape);
  expect(mismatches(c.toTypedArray(), want.data), label).toBe(0);
  return c;
}

describe('float64 wasm matmul', () => {
  it.each([
    [1, 1, 1],
    [1, 7, 5],
    [5, 7, 1],
    [3, 5, 7],
    [7, 3, 5],
    [5, 1, 3],
    [4, 2, 4],
    [8, 9, 8],
    [13, 257, 9],
    // K > KC = 256, where the JS kernel's sums differ: these can only pass on the wasm kernel
    [1, 300, 1],
    [3, 301, 5],
    [7, 263, 3],
    [5, 511, 7],
    [130, 300, 1030],
  ])('%i x %i x %i equals the float64 running sums bit for bit', (m, k, n) => {
    setBackend('wasm');
    const a = randn([m, k], { seed: m * 7 + k, ...f64 });
    const b = randn([k, n], { seed: n * 11 + k, ...f64 });
    expectRunningSums(a, b, `${m}x${k}x${n}`);
  });

  it('K > KC: the running sums continue across K slices (the JS kernel adds slice sums: differs)', () => {
    setBackend('wasm');
    const a = randn([131, 517], { seed: 1, ...f64 });
    const b = randn([517, 41], { seed: 2, ...f64 });
    const c = expectRunningSums(a, b, 'K = 517');
    setBackend('js');
    const js = matmul(a, b);
    expect(inWasm(js)).toBe(false);
    expect(mismatches(js.toTypedArray(), c.toTypedArray())).toBeGreaterThan(0);
  });

  it('every packer path: row-major, transposed and strided A and B, in the wasm memory or on the heap', () => {
    const [m, k, n] = [37, 263, 21];
    const make = () => ({
      aRow: randn([m, k], { seed: 3, ...f64 }), // cs = 1: 2 x 2 register transposes
      aT: randn([k, m], { seed: 4, ...f64 }).transpose(), // rs = 1: contiguous 4-row groups
      aStrided: randn([m + 3, 2 * k + 1], { seed: 5, ...f64 })
        .slice(0, 2, m + 2)
        .slice(1, 1, 2 * k + 1, 2),
      bRow: randn([k, n], { seed: 6, ...f64 }), // cs = 1: contiguous 4-column groups
      bT: randn([n, k], { seed: 7, ...f64 }).transpose(), // W^T, rs = 1: 2 x 2 register transposes
      bStrided: randn([2 * k, n + 5], { seed: 8, ...f64 })
        .slice(0, 1, 2 * k, 2)
        .slice(1, 3, n + 3),
    });
    setBackend('wasm');
    const w = make();
    setBackend('js');
    const h = make();
    for (const t of Object.values(w)) expect(inWasm(t)).toBe(true);
    for (const t of Object.values(h)) expect(inWasm(t)).toBe(false);
    for (const an of ['aRow', 'aT', 'aStrided'] as const) {
      for (const bn of ['bRow', 'bT', 'bStrided'] as const) {
        const label = `${an} @ ${bn}`;
        const c = expectRunningSums(w[an], w[bn], label);
        // heap operands are packed by JS into the same scratch layout: the same bits
        setBackend('wasm');
        expect(mismatches(matmul(h[an], h[bn]).toTypedArray(), c.toTypedArray()), `${label} heap`).toBe(0);
        expect(mismatches(matmul(h[an], w[bn]).toTypedArray(), c.toTypedArray()), `${label} heap a`).toBe(0);
      }
    }
  });

  it('batched and broadcast shapes, 1-D operands', () => {
    setBackend('wasm');
    const w = randn([70, 65], { seed: 9, ...f64 });
    const x = randn([3, 50, 65], { seed: 10, ...f64 });
    expectRunningSums(x, w.transpose(), 'x @ W^T (one GEMM over batch * M rows)');
    const xs = randn([3, 60, 65], { seed: 11, ...f64 }).slice(1, 5, 55); // batch axis not foldable
    expectRunningSums(xs, w.transpose(), 'sliced batch');
    expectRunningSums(
      randn([2, 1, 9, 13], { seed: 12, ...f64 }),
      randn([3, 13, 6], { seed: 13, ...f64 }),
      '[2,1,9,13] @ [3,13,6]',
    );
    const b = randn([7, 5], { seed: 14, ...f64 })
      .unsqueeze(0)
      .expand([6, 7, 5]); // stride-0 batch
    expectRunningSums(randn([6, 9, 7], { seed: 15, ...f64 }), b, 'expanded b');
    expectRunningSums(
      randn([300], { seed: 16, ...f64 }),
      randn([300, 11], { seed: 17, ...f64 }),
      '[K] @ [K, N]',
    );
    expectRunningSums(
      randn([11, 300], { seed: 18, ...f64 }),
      randn([300], { seed: 19, ...f64 }),
      '[M, K] @ [K]',
    );
    const dot = expectRunningSums(
      randn([301], { seed: 20, ...f64 }),
      randn([301], { seed: 21, ...f64 }),
      '[K] @ [K]',
    );
    expect(dot.shape).toEqual([]);
  });

  it('integer-valued matrices: exact, and equal to the JS kernel', () => {
    for (const [high, k] of [
      [10, 600],
      [2 ** 20, 700], // |sums| <= 700 * 2^40 < 2^53: every partial sum is exact
    ] as const) {
      setBackend('wasm');
      const a = randint(-high, high, [70, k], { seed: 22, ...f64 });
      const b = randint(-high, high, [k, 50], { seed: 23, ...f64 });
      const c = expectRunningSums(a, b, `integers below ${high}`);
      setBackend('js');
      const js = matmul(a, b);
      expect(inWasm(js)).toBe(false);
      expect(mismatches(js.toTypedArray(), c.toTypedArray())).toBe(0);
    }
  });

  it('subnormal, overflowing, NaN and Inf values follow float64 arithmetic exactly', () => {
    // products near 1e-320 (subnormal: below 2^-1022 = 2.2e-308) and near 1e310 (above 1.8e308)
    for (const std of [1e-160, 1e-158, 1e155]) {
      setBackend('wasm');
      const a = randn([9, 37], { seed: 24, std, ...f64 });
      const b = randn([37, 10], { seed: 25, std, ...f64 });
      const want = runningSums(a, b).data;
      const special = want.filter((v) => (v !== 0 && Math.abs(v) < 2 ** -1022) || !Number.isFinite(v));
      expect(special.length, `std ${std}`).toBeGreaterThan(0);
      expectRunningSums(a, b, `std ${std}`);
    }
    setBackend('wasm');
    const a = randn([9, 7], { seed: 26, ...f64 });
    const b = randn([7, 8], { seed: 27, ...f64 });
    a.data[a.offset + 2 * 7 + 3] = Number.NaN;
    b.data[b.offset + 4 * 8 + 5] = Number.POSITIVE_INFINITY;
    const c = expectRunningSums(a, b, 'nan/inf');
    expect(Number.isNaN(c.get(2, 0))).toBe(true);
    expect(Math.abs(c.get(0, 5))).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isFinite(c.get(0, 4))).toBe(true);
  });

  it('K = 0 writes zeros over out; other size-0 dims give empty results', () => {
    setBackend('wasm');
    const out = full([4, 3], Number.NaN, f64);
    expect(inWasm(out)).toBe(true);
    matmul(zeros([4, 0], f64), zeros([0, 3], f64), out);
    expect(Array.from(out.data.subarray(out.offset, out.offset + 12))).toEqual(new Array(12).fill(0));
    expect(matmul(zeros([0, 5], f64), zeros([5, 3], f64)).shape).toEqual([0, 3]);
    expect(matmul(zeros([2, 5], f64), zeros([5, 0], f64)).shape).toEqual([2, 0]);
  });

  it("the 'js' backend, and a JS-heap out under 'wasm', take the JS kernel", () => {
    setBackend('js');
    const a = randn([40, 517], { seed: 28, ...f64 });
    const b = randn([517, 30], { seed: 29, ...f64 });
    const heapOut = zeros([40, 30], f64);
    const want = runningSums(a, b).data;
    const jsResult = matmul(a, b);
    setBackend('wasm');
    matmul(a, b, heapOut);
    for (const [label, got] of [
      ['js backend', jsResult.toTypedArray()],
      ['heap out', heapOut.toTypedArray()],
    ] as const) {
      // the JS kernel's slice sums, not the running sums, yet within float64 rounding of them
      expect(mismatches(got, want), label).toBeGreaterThan(0);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-12);
    }
  });

  it('allocates nothing per call: the scratch panels are made once', () => {
    setBackend('wasm');
    const a = randn([64, 300], { seed: 30, ...f64 });
    const b = randn([300, 70], { seed: 31, ...f64 });
    const out = zeros([64, 70], f64);
    matmul(a, b, out);
    const before = wasmMemoryStats();
    for (let i = 0; i < 20; i++) matmul(a, b, out);
    const after = wasmMemoryStats();
    expect(after.liveBlocks).toBe(before.liveBlocks);
    expect(after.highWaterBytes).toBe(before.highWaterBytes);
    dispose([a, b, out]);
  });
});

describe('float64 wasm matmul on the kernel pool', () => {
  let pool: ReturnType<typeof startKernelPool>;
  beforeAll(() => {
    setBackend('wasm');
    pool = startKernelPool({ threads: 2 });
  });
  afterAll(async () => {
    setGemm64PoolMinMacs(1 << 21);
    await pool.stop();
  });

  it.each([
    [9, 70, 13, false],
    [37, 600, 20, false],
    [300, 40, 1100, false],
    [33, 50, 17, true],
  ])('%i x %i x %i (B transposed view: %s): split over 2 threads, same bits as 1 thread', (m, k, n, t) => {
    setBackend('wasm');
    const a = randn([m, k], { seed: m, ...f64 });
    const b = t ? randn([n, k], { seed: n, ...f64 }).transpose() : randn([k, n], { seed: n, ...f64 });
    const c = zeros([m, n], f64);
    setGemm64PoolMinMacs(Number.POSITIVE_INFINITY);
    matmul(a, b, c);
    const single = Float64Array.from(c.data);
    c.data.fill(Number.NaN);
    setGemm64PoolMinMacs(0);
    const before = gemm64PoolCalls.split;
    matmul(a, b, c);
    expect(gemm64PoolCalls.split).toBe(before + 1);
    expect(mismatches(c.data, single)).toBe(0);
    expect(mismatches(c.data, runningSums(a, b).data)).toBe(0);
  });

  it('a heap operand, or fewer than 8 rows, keeps the product on this thread', () => {
    setBackend('wasm');
    setGemm64PoolMinMacs(0);
    const before = gemm64PoolCalls.split;
    matmul(randn([7, 64], { seed: 1, ...f64 }), randn([64, 9], { seed: 2, ...f64 }));
    const heapB = randn([64, 9], { seed: 3, ...f64 });
    const a = randn([16, 64], { seed: 4, ...f64 });
    const b = new Tensor(Float64Array.from(heapB.data), [64, 9]);
    expectRunningSums(a, b, 'heap b');
    expect(gemm64PoolCalls.split).toBe(before);
  });
});
