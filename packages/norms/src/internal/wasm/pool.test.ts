import { configureWasm, randn, setBackend } from '@normkit/tensor';
import { startKernelPool } from '@normkit/tensor/node';
import { assertClose } from '@normkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layerNormForward, layerNormReference } from '../../layer-norm.js';
import { rmsNormForward, rmsNormReference } from '../../rms-norm.js';
import { setParallelMinElements } from './rows.js';
import { wasmCalls } from './runtime.js';

// The row kernels split over a 2-thread kernel pool (a worker on the shared wasm memory) must give
// the single-thread result to rounding, and match the float64 reference.
let pool: ReturnType<typeof startKernelPool>;
beforeAll(() => {
  configureWasm({ shared: true }); // this file's worker: shared even under NORMKIT_WASM_SHARED=0
  setBackend('wasm');
  pool = startKernelPool({ threads: 2 });
});
afterAll(async () => {
  setParallelMinElements(1 << 19);
  await pool.stop();
  setBackend('js');
});

function run(M: number, N: number, split: boolean, rms: boolean) {
  setParallelMinElements(split ? 0 : Number.POSITIVE_INFINITY);
  const x = randn([M, N], { seed: M + N, mean: 2, std: 3 });
  const weight = randn([N], { seed: 1 });
  const bias = randn([N], { seed: 2 });
  const out = rms ? rmsNormForward(x, [N], { weight }) : layerNormForward(x, [N], { weight, bias });
  const ref = rms ? rmsNormReference(x, [N], { weight }) : layerNormReference(x, [N], { weight, bias });
  return { out, ref };
}

describe('row norms on the kernel pool', () => {
  it.each([
    [7, 300, false],
    [7, 300, true],
    [64, 768, false],
    [1, 96, false],
  ])('[%i, %i] (rms %s): split matches one thread and the reference', (M, N, rms) => {
    const one = run(M, N, false, rms);
    const calls = wasmCalls.rowsForward ?? 0;
    const two = run(M, N, true, rms);
    expect(wasmCalls.rowsForward).toBe(calls + 1);
    // not bit for bit: the kernel picks each row's statistics shift from the rows before it in
    // the same call (wasm/row-norms.ts), so a split changes the last bits of mean/rstd
    assertClose(two.out.rstd.toTypedArray(), one.out.rstd.toTypedArray(), { rtol: 1e-14, label: 'rstd' });
    assertClose(two.out.y.toTypedArray(), one.out.y.toTypedArray(), {
      atol: 1e-6,
      rtol: 2 ** -23,
      label: 'y',
    });
    assertClose(two.out.rstd.toTypedArray(), two.ref.rstd.toTypedArray(), { rtol: 1e-12, label: 'rstd ref' });
    assertClose(two.out.y.toTypedArray(), two.ref.y.toTypedArray(), { atol: 1e-5, rtol: 1e-6 });
  });

  it('threads must be an integer in [2, 64]', () => {
    expect(() => startKernelPool({ threads: 1 })).toThrow(
      'startKernelPool: threads must be an integer in [2, 64], got 1',
    );
  });
});
