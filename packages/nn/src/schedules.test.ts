import { fileURLToPath } from 'node:url';
import { assertClose, loadFixture } from '@normkit/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  constantSchedule,
  type InverseSqrtOptions,
  inverseSqrtSchedule,
  type LrSchedule,
  lambdaSchedule,
  linearWarmupSchedule,
  type WarmupDecayOptions,
  warmupCosineSchedule,
  warmupLinearSchedule,
} from './schedules.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

interface Case {
  kind: 'linearWarmup' | 'warmupCosine' | 'warmupLinear' | 'inverseSqrt';
  options: Record<string, number>;
  oracle: string;
  lrs: number[];
}

function build(kind: Case['kind'], options: Record<string, number>): LrSchedule {
  switch (kind) {
    case 'linearWarmup':
      return linearWarmupSchedule(options as { lr: number; warmupSteps: number });
    case 'warmupCosine':
      return warmupCosineSchedule(options as unknown as WarmupDecayOptions);
    case 'warmupLinear':
      return warmupLinearSchedule(options as unknown as WarmupDecayOptions);
    case 'inverseSqrt':
      return inverseSqrtSchedule(options as unknown as InverseSqrtOptions);
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('schedules against torch.optim.lr_scheduler (test/gen_schedules_fixture.py)', () => {
  for (const c of loadFixture<Case[]>(packageDir, 'schedules.json')) {
    it(`${c.kind} ${JSON.stringify(c.options)} vs ${c.oracle}, steps 0..${c.lrs.length - 1}`, () => {
      const s = build(c.kind, c.options);
      // torch's chained schedulers update the lr recursively (lr *= ratio): ~1e-15 relative drift
      assertClose(
        range(c.lrs.length).map((k) => s.lrAt(k)),
        c.lrs,
        { atol: 1e-15, rtol: 1e-12, label: c.kind },
      );
    });
  }
});

describe('closed-form values at the key steps', () => {
  const opts = { lr: 1, warmupSteps: 10, totalSteps: 110, minLr: 0.1 };

  it('warmup: (step + 1) / W of the peak; the peak on update W (step W - 1) and at step W', () => {
    for (const s of [warmupCosineSchedule(opts), warmupLinearSchedule(opts), linearWarmupSchedule(opts)]) {
      expect(s.lrAt(0)).toBeCloseTo(0.1, 15);
      expect(s.lrAt(4)).toBeCloseTo(0.5, 15);
      expect(s.lrAt(9)).toBe(1);
      expect(s.lrAt(10)).toBe(1);
    }
    expect(linearWarmupSchedule(opts).lrAt(1e6)).toBe(1);
    expect(linearWarmupSchedule({ lr: 3, warmupSteps: 0 }).lrAt(0)).toBe(3);
  });

  it('cosine: midpoint (lr + minLr) / 2, quarter point minLr + (lr - minLr)(1 + cos(pi/4))/2, minLr from totalSteps on', () => {
    const s = warmupCosineSchedule(opts);
    expect(s.lrAt(60)).toBeCloseTo(0.55, 15);
    expect(s.lrAt(35)).toBeCloseTo(0.1 + 0.9 * (1 + Math.SQRT1_2) * 0.5, 15);
    expect(s.lrAt(110)).toBe(0.1);
    expect(s.lrAt(5000)).toBe(0.1);
    expect(warmupCosineSchedule({ lr: 2, warmupSteps: 0, totalSteps: 4 }).lrAt(0)).toBe(2);
  });

  it('linear decay: lr - (lr - minLr) p', () => {
    const s = warmupLinearSchedule(opts);
    expect(s.lrAt(35)).toBeCloseTo(1 - 0.9 * 0.25, 15);
    expect(s.lrAt(60)).toBeCloseTo(0.55, 15);
    expect(s.lrAt(109)).toBeCloseTo(0.1 + 0.9 * 0.01, 15);
    expect(s.lrAt(110)).toBe(0.1);
  });

  it('warmupSteps = totalSteps: warmup, then minLr at once', () => {
    const s = warmupCosineSchedule({ lr: 1, warmupSteps: 4, totalSteps: 4, minLr: 0.5 });
    expect(range(6).map((k) => s.lrAt(k))).toEqual([0.25, 0.5, 0.75, 1, 0.5, 0.5]);
  });

  it('inverse square root (Vaswani et al.): d^-0.5 W^-1.5 at update 1, peak (d W)^-0.5 at update W, half of it at update 4W', () => {
    const s = inverseSqrtSchedule({ dModel: 512, warmupSteps: 4000 });
    expect(s.lrAt(0)).toBeCloseTo(512 ** -0.5 * 4000 ** -1.5, 18);
    const peak = (512 * 4000) ** -0.5;
    expect(s.lrAt(3999)).toBeCloseTo(peak, 16);
    expect(s.lrAt(3998)).toBeLessThan(peak);
    expect(s.lrAt(4000)).toBeLessThan(peak);
    expect(s.lrAt(15999)).toBeCloseTo(peak / 2, 16);
    expect(inverseSqrtSchedule({ dModel: 512, warmupSteps: 4000, factor: 3 }).lrAt(15999)).toBeCloseTo(
      1.5 * peak,
      16,
    );
  });

  it('constant and lambda schedules', () => {
    expect(constantSchedule(0.3).lrAt(0)).toBe(0.3);
    expect(constantSchedule(0.3).lrAt(12345)).toBe(0.3);
    const s = lambdaSchedule(0.5, (k) => 0.9 ** k);
    expect(s.lrAt(2)).toBeCloseTo(0.405, 15);
  });
});

describe('shape of the warmup-decay schedules (random options)', () => {
  it('rises during warmup, never rises after, stays in [minLr, lr] after warmup', () => {
    const options = fc
      .record({
        lr: fc.double({ min: 1e-6, max: 10, noNaN: true }),
        warmupSteps: fc.integer({ min: 0, max: 50 }),
        decay: fc.integer({ min: 0, max: 200 }),
        minFrac: fc.double({ min: 0, max: 1, noNaN: true }),
      })
      .map(({ lr, warmupSteps, decay, minFrac }) => ({
        lr,
        warmupSteps,
        totalSteps: warmupSteps + decay,
        minLr: lr * minFrac,
      }));
    fc.assert(
      fc.property(options, fc.boolean(), (o, cosine) => {
        const s = cosine ? warmupCosineSchedule(o) : warmupLinearSchedule(o);
        let prev = 0;
        for (let k = 0; k <= o.totalSteps + 2; k++) {
          const v = s.lrAt(k);
          if (k < o.warmupSteps) expect(v).toBeGreaterThan(prev);
          else {
            expect(v).toBeLessThanOrEqual(k === o.warmupSteps ? o.lr : prev);
            expect(v).toBeGreaterThanOrEqual(o.minLr * (1 - 1e-15));
          }
          prev = v;
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('invalid arguments', () => {
  const ok = { lr: 1, warmupSteps: 2, totalSteps: 10 };
  it('steps must be non-negative integers', () => {
    expect(() => warmupCosineSchedule(ok).lrAt(-1)).toThrow(
      /warmupCosineSchedule: step expected a non-negative integer, got -1/,
    );
    expect(() => constantSchedule(1).lrAt(1.5)).toThrow(
      /constantSchedule: step expected a non-negative integer, got 1.5/,
    );
    expect(() => inverseSqrtSchedule({ dModel: 8, warmupSteps: 2 }).lrAt(Number.NaN)).toThrow(/got NaN/);
    expect(() => lambdaSchedule(1, () => 1).lrAt(-2)).toThrow(/lambdaSchedule: step expected/);
    expect(() => linearWarmupSchedule({ lr: 1, warmupSteps: 1 }).lrAt(-2)).toThrow(
      /linearWarmupSchedule: step/,
    );
  });

  it('options are checked when the schedule is built', () => {
    expect(() => constantSchedule(-1)).toThrow(/constantSchedule: lr expected a finite number >= 0, got -1/);
    expect(() => warmupLinearSchedule({ ...ok, lr: Number.NaN })).toThrow(
      /warmupLinearSchedule: lr expected a finite number >= 0, got NaN/,
    );
    expect(() => warmupCosineSchedule({ ...ok, warmupSteps: 1.5 })).toThrow(
      /warmupCosineSchedule: warmupSteps expected an integer >= 0, got 1.5/,
    );
    expect(() => warmupCosineSchedule({ ...ok, totalSteps: 1 })).toThrow(
      /warmupCosineSchedule: totalSteps expected an integer >= 2, got 1/,
    );
    expect(() => warmupCosineSchedule({ ...ok, minLr: 2 })).toThrow(
      /warmupCosineSchedule: minLr expected at most lr = 1, got 2/,
    );
    expect(() => warmupCosineSchedule({ ...ok, minLr: -0.1 })).toThrow(
      /minLr expected a finite number >= 0, got -0.1/,
    );
    expect(() => linearWarmupSchedule({ lr: 1, warmupSteps: -1 })).toThrow(
      /warmupSteps expected an integer >= 0, got -1/,
    );
    expect(() => inverseSqrtSchedule({ dModel: 0, warmupSteps: 10 })).toThrow(
      /inverseSqrtSchedule: dModel expected a number > 0, got 0/,
    );
    expect(() => inverseSqrtSchedule({ dModel: 8, warmupSteps: 0 })).toThrow(
      /inverseSqrtSchedule: warmupSteps expected an integer >= 1, got 0/,
    );
    expect(() => inverseSqrtSchedule({ dModel: 8, warmupSteps: 1, factor: -1 })).toThrow(
      /factor expected a finite number >= 0/,
    );
    expect(() => lambdaSchedule(Number.POSITIVE_INFINITY, () => 1)).toThrow(
      /lambdaSchedule: lr expected a finite/,
    );
  });
});
