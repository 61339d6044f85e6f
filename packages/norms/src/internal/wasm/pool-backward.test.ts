import {
  configureWasm,
  type KernelPool,
  randn,
  setBackend,
  setKernelPool,
  type Tensor,
  tidy,
} from '@normkit/tensor';
import { startKernelPool } from '@normkit/tensor/node';
import { assertClose } from '@normkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layerNormBackward, layerNormForward } from '../../layer-norm.js';
import { type NormPrecision, setNormPrecision } from '../../precision.js';
import { rmsNormBackward, rmsNormForward } from '../../rms-norm.js';
import {
  setBackwardParallelMinElements,
  setHighParallelMinElements,
  setParallelMinElements,
} from './rows.js';

// The LayerNorm/RMSNorm backward (both precisions) and the precision 'high' forward split over a
// 2-thread kernel pool must give the single-thread result: dx and y bit for bit (a row's dx depends
// on that row only; the split is at whole 64-row blocks), dW/dB up to the order of the float64
// additions of the blocks' partials (bound below). A counting wrapper checks that the pool ran.
let pool: ReturnType<typeof startKernelPool>;
let runs = 0;
beforeAll(() => {
  configureWasm({ shared: true }); // this file's worker: shared even under NORMKIT_WASM_SHARED=0
  setBackend('wasm');
  pool = startKernelPool({ threads: 2 });
  const counted: KernelPool = {
    threads: pool.threads,
    run(module, fn, calls) {
      runs++;
      pool.run(module, fn, calls);
    },
  };
  setKernelPool(counted);
});
afterAll(async () => {
  setParallelMinElements(1 << 19);
  setHighParallelMinElements(1 << 20);
  setBackwardParallelMinElements(1 << 18);
  setNormPrecision('highest');
  setKernelPool(pool);
  await pool.stop();
  setBackend('js');
});

const f32 = (t: Tensor | null) => (t === null ? null : Float32Array.from(t.toTypedArray()));

interface Case {
  rms: boolean;
  weight: boolean;
  params: boolean;
}

function backward(M: number, N: number, c: Case, split: boolean) {
  setBackwardParallelMinElements(split ? 0 : Number.POSITIVE_INFINITY);
  const x = randn([M, N], { seed: M + N, mean: 1, std: 2 });
  const dy = randn([M, N], { seed: M + N + 1 });
  const weight = c.weight ? randn([N], { seed: 1 }) : null;
  const bias = c.rms ? null : randn([N], { seed: 2 });
  const needs = { dx: true, dWeight: c.params && c.weight, dBias: c.params };
  setParallelMinElements(Number.POSITIVE_INFINITY);
  setHighParallelMinElements(Number.POSITIVE_INFINITY);
  const before = runs;
  if (c.rms) {
    const saved = rmsNormForward(x, [N], { weight });
    const g = rmsNormBackward(dy, x, [N], saved, { weight, needs });
    return {
      x,
      dy,
      mean: null,
      rstd: saved.rstd,
      dx: f32(g.dx),
      dW: f32(g.dWeight),
      dB: null,
      ran: runs - before,
    };
  }
  const saved = layerNormForward(x, [N], { weight, bias });
  const g = layerNormBackward(dy, x, [N], saved, { weight, needs });
  return {
    x,
    dy,
    mean: saved.mean,
    rstd: saved.rstd,
    dx: f32(g.dx),
    dW: f32(g.dWeight),
    dB: f32(g.dBias),
    ran: runs - before,
  };
}

/**
 * Bound on |dW_split - dW_one| (dB: xhat = 1). Both round float64 totals once to float32
 * (within 2^-24 of each) whose values differ in the order of at most M additions of float64 terms
 * |dy xhat| (highest) or of float32 8-row partials (high, each already within the kernel's
 * float64 additions of terms bounded by sum|dy| (1 + |xhat|)):
 *   |a - b| <= 2^-24 (|a| + |b|) + M 2^-52 sum_rows |dy| (1 + |xhat|)
 */
function paramBound(r: ReturnType<typeof backward>, wantW: boolean, M: number, N: number, i: number) {
  const x = r.x.toTypedArray();
  const dy = r.dy.toTypedArray();
  const mean = r.mean?.toTypedArray();
  const rstd = r.rstd.toTypedArray();
  let s = 0;
  for (let m = 0; m < M; m++) {
    const xhat = (x[m * N + i]! - (mean ? mean[m]! : 0)) * rstd[m]!;
    s += Math.abs(dy[m * N + i]!) * (wantW ? 1 + Math.abs(xhat) : 1);
  }
  return M * 2 ** -52 * s;
}

function checkParams(
  two: ReturnType<typeof backward>,
  one: ReturnType<typeof backward>,
  M: number,
  N: number,
) {
  for (const [key, wantW] of [
    ['dW', true],
    ['dB', false],
  ] as const) {
    const a = two[key];
    const b = one[key];
    expect(a === null).toBe(b === null);
    if (a === null || b === null) continue;
    let worst = 0;
    for (let i = 0; i < N; i++) {
      const bound = 2 ** -24 * (Math.abs(a[i]!) + Math.abs(b[i]!)) + paramBound(one, wantW, M, N, i);
      worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / bound);
    }
    expect(worst, `${key}: worst |split - one| / bound`).toBeLessThanOrEqual(1);
  }
}

const cases: [number, number, NormPrecision, boolean, boolean, boolean][] = [];
for (const precision of ['highest', 'high'] as NormPrecision[])
  for (const rms of [false, true])
    for (const weight of [false, true])
      for (const params of [false, true]) cases.push([200, 300, precision, rms, weight, params]);

describe('row norm backward on the kernel pool', () => {
  it.each(cases)(
    '[%i, %i] %s (rms %s, weight %s, dW/dB %s): split matches one thread',
    (M, N, p, rms, weight, params) => {
      setNormPrecision(p);
      const c = { rms, weight, params };
      const one = backward(M, N, c, false);
      const two = backward(M, N, c, true);
      expect(one.ran).toBe(0);
      expect(two.ran).toBe(1);
      expect(two.dx).toEqual(one.dx);
      checkParams(two, one, M, N);
      if (!params) expect([two.dW, two.dB]).toEqual([null, null]);
    },
  );

  it('131 rows of 768 (ranges of 64 and 67 rows): both precisions', () => {
    for (const p of ['highest', 'high'] as NormPrecision[]) {
      setNormPrecision(p);
      const c = { rms: false, weight: true, params: true };
      const one = backward(131, 768, c, false);
      const two = backward(131, 768, c, true);
      expect(two.ran).toBe(1);
      expect(two.dx).toEqual(one.dx);
      checkParams(two, one, 131, 768);
    }
  });
});

describe("precision 'high' forward on the kernel pool", () => {
  it.each([
    [200, 300, false],
    [7, 300, true],
    [131, 768, false],
  ])('[%i, %i] (rms %s): y, mean, rstd bit for bit', (M, N, rms) => {
    setNormPrecision('high');
    const x = randn([M, N], { seed: M, mean: 2, std: 3 });
    const weight = randn([N], { seed: 1 });
    const bias = randn([N], { seed: 2 });
    const go = (split: boolean) => {
      setHighParallelMinElements(split ? 0 : Number.POSITIVE_INFINITY);
      const before = runs;
      const o = rms ? rmsNormForward(x, [N], { weight }) : layerNormForward(x, [N], { weight, bias });
      return { y: f32(o.y), rstd: o.rstd.toTypedArray(), ran: runs - before };
    };
    const one = go(false);
    const two = go(true);
    expect([one.ran, two.ran]).toEqual([0, 1]);
    // the 'high' statistics of a row depend on that row only (the float64 fallback's shift hint
    // does not: rows that fall back could differ in the last bits; these rows do not fall back)
    expect(two.y).toEqual(one.y);
    assertClose(two.rstd, one.rstd, { rtol: 0, atol: 0, label: 'rstd' });
  });
});

describe('kernel pool under load', () => {
  it('300 back-to-back LayerNorm forward + backward splits complete', () => {
    // A stress test of the pool's handshake (@normkit/tensor/node): with the lost-wakeup race of
    // its first version, this file hung in 1 run of 4 (a blocked main thread: no test timeout).
    setParallelMinElements(0);
    setBackwardParallelMinElements(0);
    const before = runs;
    const x = randn([1024, 1024], { seed: 7 });
    const dy = randn([1024, 1024], { seed: 8 });
    for (let i = 0; i < 300; i++)
      tidy(() => {
        const { mean, rstd } = layerNormForward(x, [1024]);
        layerNormBackward(dy, x, [1024], { mean, rstd });
      });
    expect(runs - before).toBe(600);
  }, 60_000);
});
