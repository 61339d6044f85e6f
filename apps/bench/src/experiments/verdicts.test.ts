import { describe, expect, it } from 'vitest';
import {
  claim,
  classifyRun,
  curvePoints,
  decide,
  downsample,
  endRatio,
  finalLoss,
  fmt,
  growthPerLayer,
  meanProfile,
  meanSd,
  pairedDifference,
  premise,
  signTestMinimum,
  stepsToTarget,
  trainedThreshold,
} from './verdicts.js';

describe('curves', () => {
  const levels = { unigram: 3.6, bigram: 3.0 };
  const threshold = trainedThreshold(levels, 3.7);
  // synthetic curves whose outcome is known by construction
  const converging = Array.from({ length: 200 }, (_, i) => 2.2 + 1.5 * Math.exp(-i / 30));
  const plateau = Array.from({ length: 200 }, (_, i) => 3.62 + 0.1 * Math.exp(-i / 10));
  const exploding = Array.from({ length: 50 }, (_, i) => 3.7 * 1.1 ** i);
  const nanTail = [...converging.slice(0, 150), Number.NaN];

  it('threshold: a quarter of the way from H0 to H1, or 90% of the initial loss without levels', () => {
    expect(threshold).toBeCloseTo(3.45, 12);
    expect(trainedThreshold(levels, 3.7, 0.5)).toBeCloseTo(3.3, 12);
    expect(trainedThreshold(null, 4)).toBeCloseTo(3.6, 12);
  });

  it('finalLoss averages the last 10% and is NaN after a NaN', () => {
    const ten = Array.from({ length: 100 }, (_, i) => i);
    expect(finalLoss(ten)).toBeCloseTo((90 + 99) / 2, 12);
    expect(finalLoss([5])).toBe(5);
    expect(finalLoss(nanTail)).toBeNaN();
    expect(finalLoss([1, Number.POSITIVE_INFINITY])).toBeNaN();
    expect(finalLoss([])).toBeNaN();
  });

  it('classifies a converging, a stalled and a diverging curve', () => {
    expect(classifyRun({ diverged: false, finalLoss: finalLoss(converging) }, threshold)).toBe('trained');
    expect(classifyRun({ diverged: false, finalLoss: finalLoss(plateau) }, threshold)).toBe('stalled');
    expect(classifyRun({ diverged: true, finalLoss: finalLoss(exploding) }, threshold)).toBe('diverged');
    expect(classifyRun({ diverged: false, finalLoss: finalLoss(nanTail) }, threshold)).toBe('diverged');
  });

  it('stepsToTarget finds the first step whose 5-point running mean reaches the target', () => {
    const pts = converging.map((l, i) => [i, l] as [number, number]);
    // 2.2 + 1.5 e^{-i/30} <= 2.5 from i >= 30 ln 5 = 48.3; the mean of i-4..i passes a little later
    const s = stepsToTarget(pts, 2.5)!;
    let want = -1;
    for (let i = 4; i < 200 && want < 0; i++) {
      const m = [0, 1, 2, 3, 4].reduce((a, k) => a + converging[i - k]!, 0) / 5;
      if (m <= 2.5) want = i;
    }
    expect(s).toBe(want);
    expect(s).toBeGreaterThanOrEqual(49);
    expect(stepsToTarget(pts, 1.0)).toBeNull();
  });
});

describe('profiles', () => {
  const flat = [1, 1, 1, 1, 1, 1];
  const growing = Array.from({ length: 6 }, (_, l) => 0.5 * 1.5 ** l);
  const shrinking = [...growing].reverse();

  it('growthPerLayer recovers g of c g^l and 1 for a flat profile', () => {
    expect(growthPerLayer(growing)).toBeCloseTo(1.5, 12);
    expect(growthPerLayer(shrinking)).toBeCloseTo(1 / 1.5, 12);
    expect(growthPerLayer(flat)).toBeCloseTo(1, 12);
  });

  it('endRatio: last over first', () => {
    expect(endRatio(growing)).toBeCloseTo(1.5 ** 5, 12);
    expect(endRatio(shrinking)).toBeCloseTo(1.5 ** -5, 12);
    expect(endRatio(flat)).toBe(1);
  });

  it('meanProfile averages layer by layer', () => {
    expect(meanProfile([flat, growing])).toEqual(growing.map((g) => (1 + g) / 2));
  });

  it('errors name the helper and the argument', () => {
    expect(() => endRatio([1])).toThrow('endRatio: profile expected at least 2 values, got 1');
    expect(() => growthPerLayer([1])).toThrow('growthPerLayer: profile expected at least 2 values, got 1');
    expect(() => growthPerLayer([1, 0])).toThrow(
      'growthPerLayer: profile expected positive values, got 1, 0',
    );
    expect(() => meanProfile([[1], [1, 2]])).toThrow(
      'meanProfile: profiles expected equal lengths, got 1, 2',
    );
    expect(() => pairedDifference([1], [1, 2])).toThrow(
      'pairedDifference: a and b expected the same length, got 1 and 2',
    );
  });
});

describe('statistics and verdicts', () => {
  it('meanSd and pairedDifference, checked by hand', () => {
    expect(meanSd([1, 2, 3])).toEqual({ mean: 2, sd: 1, n: 3 });
    expect(meanSd([4])).toEqual({ mean: 4, sd: 0, n: 1 });
    const d = pairedDifference([3, 5, 7], [1, 2, 3]); // differences 2, 3, 4
    expect(d.mean).toBe(3);
    expect(d.se).toBeCloseTo(1 / Math.sqrt(3), 12);
  });

  it('decide: all pass -> reproduced; a claim fails -> not reproduced; a premise fails -> inconclusive', () => {
    const a = claim('Post-LN ratio 7.9 (>= 2)', true);
    const b = claim('Pre-LN ratio 1.1 (in [0.5, 2])', true);
    expect(decide([a, b])).toEqual({
      verdict: 'reproduced',
      summary: 'Post-LN ratio 7.9 (>= 2): yes; Pre-LN ratio 1.1 (in [0.5, 2]): yes.',
    });
    expect(decide([a, claim('x', false)]).verdict).toBe('not reproduced');
    expect(decide([premise('reference trains', false), claim('x', false)]).verdict).toBe('inconclusive');
    expect(decide([a, claim('y', null)])).toEqual({
      verdict: 'inconclusive',
      summary: 'Post-LN ratio 7.9 (>= 2): yes; y: not measured.',
    });
    expect(decide([]).verdict).toBe('inconclusive');
  });

  it('signTestMinimum: binomial tails by hand', () => {
    // n = 12: P(X >= 10) = (66 + 12 + 1) / 4096 = 0.0193, P(X >= 9) = 299 / 4096 = 0.073
    expect(signTestMinimum(12)).toBe(10);
    expect(signTestMinimum(5)).toBe(5); // 1/32 = 0.031
    expect(signTestMinimum(4)).toBeNull(); // 1/16 = 0.0625
    expect(signTestMinimum(1)).toBeNull();
    expect(signTestMinimum(4, 0.1)).toBe(4);
  });

  it('curvePoints: 1-based steps, 5 significant digits, non-finite values kept', () => {
    expect(curvePoints([1.234567, 98765.4321, Number.NaN])).toEqual([
      [1, 1.2346],
      [2, 98765],
      [3, Number.NaN],
    ]);
    expect(
      curvePoints(
        Array.from({ length: 1000 }, () => 1),
        100,
      ).length,
    ).toBeLessThanOrEqual(101);
  });

  it('fmt and downsample', () => {
    expect(fmt(7.8912)).toBe('7.89');
    expect(fmt(0.0001234)).toBe('1.23e-4');
    expect(fmt(Number.NaN)).toBe('NaN');
    expect(fmt(null)).toBe('n/a');
    const pts = Array.from({ length: 1001 }, (_, i) => i);
    const d = downsample(pts, 100);
    expect(d.length).toBeLessThanOrEqual(101);
    expect(d[0]).toBe(0);
    expect(d[d.length - 1]).toBe(1000);
    expect(downsample([1, 2], 10)).toEqual([1, 2]);
  });
});
