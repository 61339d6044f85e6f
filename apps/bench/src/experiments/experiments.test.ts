import { describe, expect, it } from 'vitest';
import type { TrainRecord } from './common/train.js';
import { e1 } from './e1-grad-norm-init.js';
import { type E2Arch, e2 } from './e2-warmup.js';
import { e3 } from './e3-depth.js';
import { e4 } from './e4-residual-variance.js';
import { e5 } from './e5-norm-kinds.js';
import { e6 } from './e6-qk-norm.js';
import { e7 } from './e7-batchnorm-batch-size.js';
import { e8 } from './e8-ln-lstm.js';
import { experiments } from './registry.js';
import type { RunRecord } from './types.js';

/**
 * Every experiment's verdict on synthetic runs whose answer is known by construction: a diverging
 * curve, a plateau at the unigram entropy, a converging curve; flat, growing and shrinking profiles.
 */

const levels = { unigram: 3.66, bigram: 3.0, rate: 2.1 }; // trained below 3.66 - 0.66/4 = 3.495

// biome-ignore lint/suspicious/noExplicitAny: synthetic records for experiments of different types
function rec(variant: string, measurements: any, seed = 0): RunRecord<any, any> {
  return { experiment: 'x', variant, seed, config: null, measurements, wallMs: 1 };
}

function training(kind: 'trained' | 'stalled' | 'diverged', finalLoss = 3.1): TrainRecord {
  const final = kind === 'trained' ? finalLoss : kind === 'stalled' ? 3.65 : Number.NaN;
  return {
    curve: [
      [1, 3.69],
      [100, kind === 'diverged' ? 40 : final],
    ],
    initialLoss: 3.69,
    finalLoss: final,
    evalLoss: kind === 'diverged' ? null : final,
    diverged: kind === 'diverged',
    reason: kind === 'diverged' ? 'loss is NaN' : null,
    stepsDone: 100,
    msPerStep: 1,
  };
}

const growing = (g: number, n = 6) => Array.from({ length: n }, (_, l) => g ** l);

describe('E1 verdict', () => {
  const c = e1.configs.full;
  const runs = (post: number[], pre: number[]) =>
    [
      ['post/xavier', post],
      ['pre/xavier', pre],
      ['post/gpt2', pre],
      ['pre/gpt2', pre],
    ].map(([v, p]) => rec(v as string, { ffn: p, layer: p }));

  it('growing Post-LN profile and flat Pre-LN profile: reproduced, with both ratios in the summary', () => {
    const v = e1.verdict(runs(growing(1.3), growing(1)), c);
    expect(v.verdict).toBe('reproduced');
    expect(v.summary).toContain(`ratio last/first layer ${Number((1.3 ** 5).toPrecision(3))}`);
  });

  it('flat Post-LN or shrinking Pre-LN: not reproduced; no runs: inconclusive', () => {
    expect(e1.verdict(runs(growing(1), growing(1)), c).verdict).toBe('not reproduced');
    expect(e1.verdict(runs(growing(1.3), growing(0.8)), c).verdict).toBe('not reproduced');
    expect(e1.verdict([], c).verdict).toBe('inconclusive');
  });
});

describe('E2 and E3 verdicts (outcomes of training curves)', () => {
  const c2 = { ...e2.configs.quick, lrs: [0.01], archs: ['post', 'post+warmup', 'pre'] as E2Arch[] };
  const runs2 = (post: string, warm: string, pre: string) =>
    [
      ['post@0.01', post],
      ['post+warmup@0.01', warm],
      ['pre@0.01', pre],
    ].map(([v, k]) => rec(v!, { levels, floor: 2.2, lr: 0.01, train: training(k as 'trained') }));

  it('diverging Post-LN, training Post-LN+warmup and Pre-LN: reproduced', () => {
    expect(e2.verdict(runs2('diverged', 'trained', 'trained'), c2).verdict).toBe('reproduced');
    expect(e2.verdict(runs2('stalled', 'trained', 'trained'), c2).verdict).toBe('reproduced');
  });

  it('Pre-LN stalls: not reproduced; Post-LN+warmup stalls too: inconclusive', () => {
    const v = e2.verdict(runs2('diverged', 'trained', 'stalled'), c2);
    expect(v.verdict).toBe('not reproduced');
    expect(v.summary).toContain('3.495'); // the threshold is stated
    expect(e2.verdict(runs2('diverged', 'stalled', 'trained'), c2).verdict).toBe('inconclusive');
  });

  it('E3: Post-LN stalls while the others train: reproduced; Post-LN trains: not reproduced', () => {
    const c = { ...e3.configs.quick, depths: [12] };
    const runs = (post: string) =>
      ['post', 'deepnorm', 'b2t', 'pre'].map((p) =>
        rec(`${p}/L12`, {
          placement: p,
          depth: 12,
          levels,
          floor: 2.2,
          train: training((p === 'post' ? post : 'trained') as 'trained'),
        }),
      );
    expect(e3.verdict(runs('stalled'), c).verdict).toBe('reproduced');
    expect(e3.verdict(runs('trained'), c).verdict).toBe('not reproduced');
  });
});

describe('E4 verdict (variance profiles)', () => {
  const c = e4.configs.full;
  const runs = (profiles: Record<string, number[]>) =>
    Object.entries(profiles).map(([v, p]) =>
      rec(v, { placement: v, levels, floor: 2.2, train: training('trained'), variance: p, varianceInit: p }),
    );

  it('Pre-LN growing, scaled in between, Peri/Post flat: reproduced', () => {
    const v = e4.verdict(
      runs({ pre: growing(1.5), 'pre+scaling': growing(1.2), peri: growing(1), post: growing(1.01) }),
      c,
    );
    expect(v.verdict).toBe('reproduced');
    expect(v.summary).toContain('Pre-LN variance growth per layer 1.5');
  });

  it('Peri-LN growing like Pre-LN: not reproduced', () => {
    const v = e4.verdict(
      runs({ pre: growing(1.5), 'pre+scaling': growing(1.2), peri: growing(1.5), post: growing(1) }),
      c,
    );
    expect(v.verdict).toBe('not reproduced');
  });
});

describe('E5, E6, E7, E8 verdicts', () => {
  it('E5: RMSNorm and DyT match LayerNorm, RMSNorm faster, no norm worse: reproduced', () => {
    const c = e5.configs.quick;
    const ms = (loss: number, ratio: number) => ({
      levels,
      floor: 2.2,
      train: training('trained', loss),
      timings: [{ rows: 256, d: 32, ms: { layer: 1, rms: ratio, dyt: 1.2 } }],
    });
    // two seeds per kind: RMSNorm faster in 8 of 8 runs passes the sign test (needs 7); 0 of 8 fails it
    const runs = (ratio: number) =>
      [0, 1].flatMap((seed) => [
        rec('layer', ms(3.1, ratio), seed),
        rec('rms', ms(3.11, ratio), seed),
        rec('dyt', ms(3.12, ratio), seed),
        rec('none', ms(3.3, ratio), seed),
      ]);
    expect(e5.verdict(runs(0.8), c).verdict).toBe('reproduced');
    expect(e5.verdict(runs(1.2), c).verdict).toBe('not reproduced');
    // one run cannot pass a sign test: inconclusive
    expect(e5.verdict(runs(0.8).slice(0, 4), c).verdict).toBe('inconclusive');
  });

  it('E6: logits bounded by QK-norm and a flatter loss-vs-lr curve: reproduced; reversed: not reproduced', () => {
    const c = e6.configs.quick; // lrs 0.003 and 0.1
    const m = (peak: number, loss: number) => ({
      levels,
      floor: 2.2,
      train: training('trained', loss),
      logits: [],
      peakLogit: peak,
    });
    const runs = (plainPeak: number, plainHigh: number) => [
      rec('plain@0.003', m(5, 3.2)),
      rec('qk-norm@0.003', m(3, 3.2)),
      rec('plain@0.1', m(plainPeak, plainHigh)),
      rec('qk-norm@0.1', m(4, 3.25)),
    ];
    expect(e6.verdict(runs(400, 3.6), c).verdict).toBe('reproduced');
    expect(e6.verdict(runs(5, 3.2), c).verdict).toBe('not reproduced');
  });

  it('E7: BatchNorm off at batch 2, matching at 64: reproduced', () => {
    const c = e7.configs.quick; // batch sizes 2 and 64
    const m = (evalLoss: number, trainModeLoss: number) => ({
      evalLoss,
      trainModeLoss,
      evalAccuracy: 0.2,
      trainLoss: trainModeLoss,
      levels,
      vocabSize: 40,
      bayesAccuracy: 0.25,
      curve: [],
    });
    const runs = [
      rec('batch/bs2', m(3.4, 3.6)),
      rec('layer/bs2', m(3.0, 3.0)),
      rec('batch/bs64', m(2.6, 2.61)),
      rec('layer/bs64', m(2.6, 2.6)),
    ];
    expect(e7.verdict(runs, c).verdict).toBe('reproduced');
    runs[0] = rec('batch/bs2', m(3.0, 3.0));
    expect(e7.verdict(runs, c).verdict).toBe('not reproduced');
  });

  it('E8: LN-LSTM reaches the target in half the steps: reproduced; never reaches it: inconclusive', () => {
    const c = e8.configs.quick;
    const m = (steps: number | null) => ({
      stepsToTarget: steps,
      target: 3.3,
      finalLoss: 3.2,
      cellNorm: growing(1, 128),
      hiddenNorm: [],
    });
    expect(e8.verdict([rec('lstm', m(80)), rec('ln-lstm', m(40))], c).verdict).toBe('reproduced');
    expect(e8.verdict([rec('lstm', m(80)), rec('ln-lstm', m(78))], c).verdict).toBe('not reproduced');
    expect(e8.verdict([rec('lstm', m(80)), rec('ln-lstm', m(null))], c).verdict).toBe('inconclusive');
  });
});

describe('registry', () => {
  it('lists E1..E9 once each, in order', () => {
    expect(experiments.map((e) => e.id)).toEqual(['E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7', 'E8', 'E9']);
  });
});
