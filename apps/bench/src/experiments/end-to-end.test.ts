import { getBackend, wasmMemoryStats } from '@normkit/tensor';
import { describe, expect, it } from 'vitest';
import { toPlainJson } from '../json.js';
import { type E1Config, e1 } from './e1-grad-norm-init.js';
import { type E2Config, e2 } from './e2-warmup.js';
import { type E7Config, e7 } from './e7-batchnorm-batch-size.js';
import { type E8Config, e8 } from './e8-ln-lstm.js';
import { type E9Config, e9, geometry } from './e9-geometry.js';
import type { RunContext, RunRecord, StepReport } from './types.js';

/** Tiny configurations run for real through run(), then verdict() and charts() on their records. */

function ctx(variant: string, seed: number, steps: StepReport[] = []): RunContext {
  return {
    mode: 'quick',
    variant,
    seed,
    text: () => null,
    report: { step: (r) => steps.push(r), log: () => {} },
  };
}

async function runAll<C, M>(
  // biome-ignore lint/suspicious/noExplicitAny: any experiment
  e: { variants?(c: C): string[]; run(c: C, ctx: RunContext): M | Promise<M> } & Record<string, any>,
  config: C,
  seeds = 1,
): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  for (const variant of e.variants?.(config) ?? ['default']) {
    for (let seed = 0; seed < seeds; seed++) {
      const m = await e.run(config, ctx(variant, seed));
      // what the runner does with a result: plain JSON or a loud error
      runs.push({ experiment: e.id, variant, seed, config: null, measurements: toPlainJson(m), wallMs: 0 });
    }
  }
  return runs;
}

describe('end to end, tiny models', () => {
  it('E1: per-layer gradient profiles at init, a verdict with its numbers, two profile charts', async () => {
    const c: E1Config = {
      ...e1.configs.quick,
      model: { nLayer: 3, nEmbd: 16, nHead: 2, blockSize: 8 },
      batchSize: 2,
      batches: 1,
    };
    const runs = await runAll(e1, c);
    expect(runs).toHaveLength(4);
    for (const r of runs) {
      const m = r.measurements as { ffn: number[]; loss: number };
      expect(m.ffn).toHaveLength(3);
      expect(m.ffn.every((g) => g > 0 && Number.isFinite(g))).toBe(true);
      // an untrained model predicts near-uniformly: loss ~ ln 40
      expect(Math.abs(m.loss - Math.log(40))).toBeLessThan(0.2);
    }
    const v = e1.verdict(runs as never, c);
    expect(['reproduced', 'not reproduced']).toContain(v.verdict);
    expect(v.summary).toMatch(/Post-LN \(Xavier\) FFN grad-norm ratio last\/first layer [\d.]+/);
    const charts = e1.charts!(runs as never, c);
    expect(charts.map((ch) => ch.kind)).toEqual(['profile', 'profile']);
  });

  it('E2: a few training steps per variant, step reports, a verdict and loss charts', async () => {
    const c: E2Config = {
      ...e2.configs.quick,
      model: { nLayer: 2, nEmbd: 16, nHead: 2, blockSize: 8 },
      train: { steps: 6, batchSize: 2, decay: 'constant' },
      warmupSteps: 3,
    };
    const steps: StepReport[] = [];
    const m = await e2.run(c, ctx('post+warmup@0.01', 0, steps));
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(steps[0]!.lr).toBeCloseTo(0.01 / 3, 12); // warmup: lr (s + 1) / W
    expect(m.train.stepsDone).toBe(6);
    expect(m.train.curve).toHaveLength(6);
    expect(m.floor).toBeGreaterThan(m.levels!.rate); // a window's floor includes its short-context start
    const runs = await runAll(e2, c);
    const v = e2.verdict(runs as never, c);
    // six updates cannot train anything: the reference (Post-LN+warmup) stalls, so the data cannot decide
    expect(v.verdict).toBe('inconclusive');
    expect(e2.charts!(runs as never, c)[0]!.kind).toBe('line');
  });

  it('E9: hidden states of a (barely) trained model satisfy the identities to rounding', async () => {
    const c: E9Config = {
      ...e9.configs.quick,
      model: { nLayer: 2, nEmbd: 16, nHead: 2, blockSize: 8 },
      train: { steps: 3, batchSize: 2, lr: 0.01, warmupSteps: 1, decay: 'cosine' },
      windows: 4,
    };
    const runs = await runAll(e9, c);
    const m = runs[0]!.measurements as { trained: { sphere64: number; sphere32: number }[] };
    expect(m.trained).toHaveLength(3); // embeddings + 2 blocks
    for (const g of m.trained) {
      expect(g.sphere64).toBeLessThan(1e-12);
      expect(g.sphere32).toBeLessThan(1e-5);
    }
    // three updates do not train the model: the premise fails, so the verdict says it cannot decide
    expect(e9.verdict(runs as never, c).verdict).toBe('inconclusive');
  });
});

describe('memory on the wasm backend', () => {
  // what outlives a run is its model and optimizer state: the same for 4 updates and for 24
  const leftover = async (run: () => unknown) => {
    const before = wasmMemoryStats().liveBlocks;
    await run();
    return wasmMemoryStats().liveBlocks - before;
  };

  it.runIf(getBackend() === 'wasm')('the hand-written loops of E7 and E8 free every step', async () => {
    const e7c = (steps: number): E7Config => ({ ...e7.configs.quick, hidden: 8, steps, evalSamples: 16 });
    const e8c = (steps: number): E8Config => ({
      ...e8.configs.quick,
      hidden: 8,
      seqLen: 4,
      batchSize: 2,
      steps,
    });
    for (const [a, b] of [
      [() => e7.run(e7c(4), ctx('batch/bs8', 0)), () => e7.run(e7c(24), ctx('batch/bs8', 0))],
      [() => e8.run(e8c(4), ctx('ln-lstm', 0)), () => e8.run(e8c(24), ctx('ln-lstm', 0))],
    ] as const) {
      await a(); // one-time allocations (lazily built constants) happen on the first run
      expect(await leftover(b)).toBe(await leftover(a));
    }
  });
});

describe('E9 geometry() against closed forms', () => {
  it('rows mu + sigma z (z zero-mean, mean(z^2) = 1): share mu^2/(mu^2+sigma^2), RMS-vs-LN distance', () => {
    const d = 4;
    const z = [1, -1, 1, -1]; // zero mean, unit mean square
    const rows = [
      [0, 1],
      [0.5, 2],
      [3, 0.5],
    ];
    const x = Float64Array.from(rows.flatMap(([mu, s]) => z.map((v) => mu! + s! * v)));
    const g = geometry(x, d);
    const share = rows.map(([mu, s]) => mu! ** 2 / (mu! ** 2 + s! ** 2));
    // RMS(x) - LN(x) = (mu / r) 1 + (s / r - 1) z with r^2 = mu^2 + s^2; 1 and z are orthogonal
    const dist = rows.map(([mu, s]) => {
      const r = Math.hypot(mu!, s!);
      return Math.sqrt((mu! / r) ** 2 + (s! / r - 1) ** 2);
    });
    expect(g.meanShareAvg).toBeCloseTo(share.reduce((a, b) => a + b) / 3, 12);
    expect(g.meanShareMax).toBeCloseTo(Math.max(...share), 12);
    expect(g.rmsVsLnAvg).toBeCloseTo(dist.reduce((a, b) => a + b) / 3, 12);
    expect(g.sphere64).toBeLessThan(1e-14);
    expect(g.ones64).toBeLessThan(1e-14);
    expect(g.rmsOfCentered64).toBeLessThan(1e-14);
  });
});
