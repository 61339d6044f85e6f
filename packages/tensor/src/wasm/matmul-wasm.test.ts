import { assertClose } from '@normkit/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { randn, zeros } from '../create.js';
import { matmul } from '../matmul.js';
import type { Tensor } from '../tensor.js';
import { setBackend } from './backend.js';
import { isWasmBuffer } from './memory.js';
import { dispose, wasmMemoryStats } from './storage.js';

// The dispatch rules of the wasm matmul (the numerics under both backends are in matmul.test.ts).

/** 2-D oracle: the float64 product, and the float32 running sum s = f32(s + f32(a b)). */
function reference(a: Tensor, b: Tensor): { f64: Float64Array; f32: Float32Array } {
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const A = a.toTypedArray(); // row-major copies
  const Bt = b.transpose().toTypedArray(); // B^T row-major: column j of B is contiguous
  const f64 = new Float64Array(m * n);
  const f32 = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let s32 = 0;
      for (let p = 0; p < k; p++) {
        const x = A[i * k + p]! * Bt[j * k + p]!;
        s += x;
        s32 = Math.fround(s32 + Math.fround(x));
      }
      f64[i * n + j] = s;
      f32[i * n + j] = s32;
    }
  }
  return { f64, f32 };
}

const inWasm = (t: Tensor) => isWasmBuffer(t.data.buffer);

afterEach(() => setBackend('js'));

describe('wasm matmul dispatch', () => {
  // M, K, N cross the blocking sizes MC = 128, KC = 256, NC = 1024 and the 4 x 8 tile
  const [M, K, N] = [131, 517, 1029];

  it('heap operands are packed from the JS heap: same bits as wasm operands, any layout', () => {
    setBackend('js');
    const aHeap = randn([K + 3, M], { seed: 1 })
      .transpose()
      .slice(1, 2, K + 2); // strided, offset
    const bHeap = randn([N, K], { seed: 2 }).transpose(); // a linear layer's W^T
    setBackend('wasm');
    const aWasm = aHeap.contiguous().clone();
    const bWasm = bHeap.clone(); // row-major copy
    expect(inWasm(aHeap) || inWasm(bHeap)).toBe(false);
    expect(inWasm(aWasm) && inWasm(bWasm)).toBe(true);
    const want = reference(aHeap, bHeap).f32;
    const results = [
      matmul(aHeap, bHeap),
      matmul(aWasm, bWasm),
      matmul(aWasm, bWasm.transpose().contiguous().transpose()), // W^T in wasm memory
      matmul(aHeap, bWasm),
    ];
    for (const [i, c] of results.entries()) {
      expect(inWasm(c)).toBe(true);
      const got = c.toTypedArray();
      let mismatches = 0;
      for (let e = 0; e < want.length; e++) if (!Object.is(got[e], want[e])) mismatches++;
      expect(mismatches, `result ${i}`).toBe(0);
    }
    dispose([aWasm, bWasm, ...results]);
  });

  it('subnormal and overflowing float32 products follow float32 arithmetic exactly', () => {
    setBackend('wasm');
    // products near 1e-40 (subnormal: below 2^-126 = 1.2e-38) and near 1e39 (above the 3.4e38 max)
    for (const std of [1e-20, 1e-19, 3e19]) {
      const a = randn([9, 37], { seed: 7, std });
      const b = randn([37, 10], { seed: 8, std });
      const got = matmul(a, b).toTypedArray();
      const want = reference(a, b).f32;
      const special = want.filter((v) => (v !== 0 && Math.abs(v) < 2 ** -126) || !Number.isFinite(v));
      expect(special.length, `std ${std}`).toBeGreaterThan(0);
      for (let e = 0; e < want.length; e++)
        expect(Object.is(got[e], want[e]), `std ${std} [${e}]`).toBe(true);
    }
  });

  it('a JS-heap out takes the JS kernel (float64 sums rounded once)', () => {
    setBackend('js');
    const out = zeros([M, 40]);
    setBackend('wasm');
    const a = randn([M, K], { seed: 3 });
    const b = randn([K, 40], { seed: 4 });
    matmul(a, b, out);
    const { f64, f32 } = reference(a, b);
    assertClose(out.data, f64, { rtol: 1e-6, atol: 1e-6, label: 'heap out' });
    // the float32 running sum differs somewhere at K = 517: the JS kernel really ran
    expect(Array.from(out.data).some((v, i) => v !== f32[i])).toBe(true);
    dispose([a, b]);
  });

  it('allocates nothing per call: the scratch panels are made once', () => {
    setBackend('wasm');
    const a = randn([64, 300], { seed: 5 });
    const b = randn([300, 70], { seed: 6 });
    const out = zeros([64, 70]);
    matmul(a, b, out);
    const before = wasmMemoryStats();
    for (let i = 0; i < 50; i++) matmul(a, b, out);
    const after = wasmMemoryStats();
    expect(after.liveBlocks).toBe(before.liveBlocks);
    expect(after.highWaterBytes).toBe(before.highWaterBytes);
    dispose([a, b, out]);
  });
});
