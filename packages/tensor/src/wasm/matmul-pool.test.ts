import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randn, zeros } from '../create.js';
import { gemmPoolCalls, setGemmPoolMinMacs } from '../internal/wasm/gemm-wasm.js';
import { matmul } from '../matmul.js';
import { startKernelPool } from '../node.js';
import { Tensor } from '../tensor.js';
import { setBackend } from './backend.js';
import { configureWasm } from './memory.js';

// The wasm matmul split by rows over a 2-thread kernel pool: every C element is still the float32
// running sum s = f32(s + f32(a_ip b_pj)) over p in order, so the oracle is exact.
let pool: ReturnType<typeof startKernelPool>;
beforeAll(() => {
  configureWasm({ shared: true }); // this file's worker: shared even under NORMKIT_WASM_SHARED=0
  setBackend('wasm');
  pool = startKernelPool({ threads: 2 });
  setGemmPoolMinMacs(0);
});
afterAll(async () => {
  setGemmPoolMinMacs(1 << 22);
  await pool.stop();
  setBackend('js');
});

function runningSums(a: Tensor, b: Tensor): number[] {
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s = Math.fround(s + Math.fround(a.get(i, p) * b.get(p, j)));
      out.push(s);
    }
  }
  return out;
}

describe('matmul on the kernel pool', () => {
  it.each([
    [9, 70, 13, false],
    [37, 600, 20, false],
    [300, 40, 1100, false],
    [33, 50, 17, true],
  ])('%i x %i x %i (B transposed view: %s) equals the float32 running sums exactly', (m, k, n, t) => {
    const a = randn([m, k], { seed: m });
    const b = t ? randn([n, k], { seed: n }).transpose() : randn([k, n], { seed: n });
    const c = zeros([m, n]);
    const before = gemmPoolCalls.split;
    matmul(a, b, c);
    expect(gemmPoolCalls.split).toBe(before + 1);
    expect(Array.from(c.data)).toEqual(runningSums(a, b));
  });

  it('a heap operand, or fewer than 8 rows, keeps the product on this thread', () => {
    const before = gemmPoolCalls.split;
    matmul(randn([7, 64], { seed: 1 }), randn([64, 9], { seed: 2 }));
    const heapB = randn([64, 9], { seed: 3 });
    matmul(randn([16, 64], { seed: 4 }), new Tensor(Float32Array.from(heapB.data), [64, 9]));
    expect(gemmPoolCalls.split).toBe(before);
  });
});
