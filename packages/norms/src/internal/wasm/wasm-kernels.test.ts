import {
  type DType,
  dispose,
  isWasmBuffer,
  randn,
  setBackend,
  Tensor,
  tidy,
  wasmByteOffset,
  wasmMemoryStats,
  zeros,
} from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exactStats } from '../../../test/wasm/exact-stats.js';
import { batchNormBackward, batchNormForward } from '../../batch-norm.js';
import { groupNormBackward, groupNormForward } from '../../group-norm.js';
import { layerNormBackward, layerNormForward } from '../../layer-norm.js';
import { rmsNormBackward, rmsNormForward } from '../../rms-norm.js';
import { wasmCalls } from './runtime.js';

/**
 * What only the wasm path has: its one-pass statistics (checked against exact integer arithmetic
 * on both sides of the threshold where a second pass takes over), agreement with the JS kernels on
 * the benchmark's row lengths, the dispatch rules (wasm only when every operand lives in the wasm
 * memory), and flat memory over a long loop. The shared conformance suites run on this path in
 * row-norms.wasm.test.ts and channel-norms.wasm.test.ts.
 */
beforeEach(() => setBackend('wasm'));
afterEach(() => setBackend('js'));

const KERNELS = ['rowsForward', 'rowsBackward', 'groupForward', 'batchForward', 'channelBackward'];
/** Calls of every wasm kernel so far (a module's counters appear when it is first instantiated). */
const calls = (): Record<string, number> => Object.fromEntries(KERNELS.map((k) => [k, wasmCalls[k] ?? 0]));
const inWasm = (t: Tensor) => isWasmBuffer(t.data.buffer);
const ULP32 = 2 ** -23;

describe('wasm LayerNorm statistics against exact integer arithmetic', () => {
  // mean / std from 0 to 1e6: rows below 1/4 take the one-pass formula, rows above the second pass
  const ratios = [0, 0.1, 0.24, 0.26, 1, 100, 1e4, 1e6];
  it.each([5, 64, 768, 3001])('rows of %i float32 values, |mean| / std from 0 to 1e6', (N) => {
    // Bound: float64 sums in 8 chains of N/8 terms then 3 pairwise levels err by (N/8 + 3) u
    // relative (u = 2^-53); the one-pass formula multiplies that by at most 1.6, the square root
    // halves it, and the roundings of 1/sqrt add 2 u: (0.1 N + 4.4) u <= (N/4 + 8) u.
    const tol = 2 ** -53 * (N / 4 + 8);
    for (const z of ratios) {
      const x = randn([6, N], { seed: N + Math.round(z), mean: z, std: 1 });
      const { mean, rstd } = layerNormForward(x, [N], { eps: 0 });
      const xs = x.toTypedArray() as Float32Array;
      for (let r = 0; r < 6; r++) {
        const e = exactStats(xs.subarray(r * N, (r + 1) * N));
        const sd = Math.sqrt(e.variance);
        assertClose([mean.get(r)], [e.mean], { atol: tol * (Math.abs(e.mean) + sd), label: `mean z=${z}` });
        assertClose([rstd.get(r) * sd], [1], { atol: tol, label: `rstd z=${z}` });
      }
    }
  });

  it('gives a constant row (sum(x) not exact in float64) var 0, mean x, rstd 0 with eps = 0', () => {
    const x = new Tensor(zeros([2, 777]).data.fill(0.1), [2, 777]);
    const { y, mean, rstd } = layerNormForward(x, [777], { eps: 0, bias: randn([777], { seed: 1 }) });
    expect(mean.toArray()).toEqual([x.get(0, 0), x.get(0, 0)]);
    expect(rstd.toArray()).toEqual([0, 0]);
    expect(y.toTypedArray().every(Number.isFinite)).toBe(true);
  });
});

describe('wasm kernels = JS kernels on the benchmark row lengths', () => {
  it.each([
    [6, 768],
    [3, 4096],
    [70, 64],
    [5, 771],
  ])('[%i, %i] with an offset: y, dx, dWeight, dBias within one float32 ulp', (M, N) => {
    const make = () => ({
      x: randn([M, N], { seed: 1, mean: 0.7, std: 2 }),
      dy: randn([M, N], { seed: 2 }),
      w: randn([N], { seed: 3 }),
      b: randn([N], { seed: 4 }),
    });
    const run = (backend: 'js' | 'wasm') => {
      setBackend(backend);
      const { x, dy, w, b } = make();
      const ln = layerNormForward(x, [N], { weight: w, bias: b });
      const lg = layerNormBackward(dy, x, [N], ln, { weight: w });
      const rms = rmsNormForward(x, [N], { weight: w });
      const rg = rmsNormBackward(dy, x, [N], rms, { weight: w });
      return [ln.y, ln.mean, ln.rstd, lg.dx, lg.dWeight, lg.dBias, rms.y, rms.rstd, rg.dx, rg.dWeight];
    };
    const before = calls();
    const wasm = run('wasm');
    expect(calls().rowsForward).toBe(before.rowsForward! + 2);
    expect(calls().rowsBackward).toBe(before.rowsBackward! + 2);
    const js = run('js');
    const names = [
      'y',
      'mean',
      'rstd',
      'dx',
      'dWeight',
      'dBias',
      'rms y',
      'rms rstd',
      'rms dx',
      'rms dWeight',
    ];
    js.forEach((t, i) => {
      const stats = t!.dtype === 'float64';
      // both round nearly equal float64 values once (statistics: both float64, a few ulps apart)
      assertClose(wasm[i]!.toTypedArray(), t!.toTypedArray(), {
        atol: stats ? 0 : 1e-12,
        rtol: stats ? 1e-14 : ULP32,
        label: names[i],
      });
    });
  });
});

describe('wasm dispatch', () => {
  it('keeps outputs in the wasm memory, so the next kernel reads them in place', () => {
    const x = randn([4, 8], { seed: 1 });
    const { y, mean, rstd } = layerNormForward(x, [8]);
    for (const t of [y, mean, rstd]) expect(wasmByteOffset(t)).not.toBeNull();
    const before = calls();
    const z = layerNormForward(y, [8]).y;
    expect(inWasm(z)).toBe(true);
    expect(calls().rowsForward).toBe(before.rowsForward! + 1);
  });

  it('takes the JS kernels (no copy) for heap tensors, float64, the js backend and heap outputs', () => {
    const heap = new Tensor(
      new Float32Array(32).map((_, i) => Math.sin(i)),
      [4, 8],
    );
    const x64 = randn([4, 8], { seed: 1, dtype: 'float64' as DType });
    const x = randn([4, 8], { seed: 1 });
    const before = calls();
    const a = layerNormForward(heap, [8]);
    expect(inWasm(a.y)).toBe(true); // the output is allocated in wasm memory, the input was not
    layerNormForward(x64, [8]);
    rmsNormForward(x, [8], { out: { y: new Tensor(new Float32Array(32), [4, 8]) } });
    groupNormForward(heap.reshape([2, 2, 8]), 2);
    batchNormForward(heap, { training: true });
    setBackend('js');
    layerNormForward(x, [8]);
    batchNormBackward(x, x, batchNormForward(x, { training: true }));
    expect(calls()).toEqual(before);
  });

  it('runs BatchNorm (training and eval), GroupNorm and the channel backward in wasm', () => {
    const x = randn([6, 3, 5], { seed: 1 });
    const before = calls();
    const runningMean = zeros([3]);
    const runningVar = zeros([3]);
    const fwd = batchNormForward(x, { training: true, runningMean, runningVar });
    batchNormForward(x, { training: false, runningMean, runningVar });
    batchNormBackward(x, x, fwd);
    groupNormBackward(x, x, 3, groupNormForward(x, 3));
    expect(calls().batchForward).toBe(before.batchForward! + 2);
    expect(calls().groupForward).toBe(before.groupForward! + 1);
    expect(calls().channelBackward).toBe(before.channelBackward! + 2);
    expect(runningVar.toTypedArray().every((v) => v > 0)).toBe(true);
  });
});

describe('wasm memory', () => {
  it('a 2,000-step loop of every kernel inside tidy does not grow the memory', () => {
    const x = randn([16, 3, 40], { seed: 1 });
    const dy = randn([16, 3, 40], { seed: 2 });
    const w = randn([40], { seed: 3 });
    const step = () =>
      tidy(() => {
        const ln = layerNormForward(x, [40], { weight: w, bias: w });
        layerNormBackward(dy, x, [40], ln, { weight: w });
        rmsNormBackward(dy, x, [40], rmsNormForward(x, [40], { weight: w }), { weight: w });
        batchNormBackward(dy, x, batchNormForward(x, { training: true }));
        groupNormBackward(dy, x, 3, groupNormForward(x, 3));
      });
    step();
    const first = wasmMemoryStats();
    for (let i = 0; i < 2000; i++) step();
    const after = wasmMemoryStats();
    expect(after.highWaterBytes).toBe(first.highWaterBytes);
    expect(after.liveBlocks).toBe(first.liveBlocks);
    dispose([x, dy, w]);
  });
});
