import { describe, expect, it } from 'vitest';
import { bytesOf, layoutOf, type NormCase, normCases } from '../src/kernels/cases.js';
import { checkMatmulSample, checkOutputs, samplePositions } from '../src/kernels/check.js';
import { matmulInputs, normInputs } from '../src/kernels/inputs.js';
import { kernelPlan } from '../src/kernels/plan.js';
import { measure, median, repsFor } from '../src/timing.js';

describe('kernel cases', () => {
  it('lays each norm out as it is used', () => {
    expect(layoutOf('layerNorm', [8192, 768])).toEqual({
      xShape: [8192, 768],
      params: 768,
      stats: 8192,
      text: '[8192,768] over D',
    });
    expect(layoutOf('batchNorm', [8192, 768])).toMatchObject({
      xShape: [8192, 768],
      params: 768,
      stats: 768,
    });
    expect(layoutOf('groupNorm', [8192, 768])).toMatchObject({
      xShape: [256, 32, 768],
      params: 32,
      stats: 256 * 8,
    });
    expect(layoutOf('instanceNorm', [512, 768])).toMatchObject({
      xShape: [16, 32, 768],
      params: 32,
      stats: 16 * 32,
    });
    expect(layoutOf('groupNorm', [10, 4])).toMatchObject({ xShape: [10, 1, 4], params: 1, stats: 10 });
  });

  it('counts every tensor read once and written once', () => {
    const [M, D] = [8192, 768];
    const E = M * D;
    // LayerNorm forward: read x, weight, bias; write y, mean, rstd (float64)
    expect(bytesOf({ op: 'layerNorm', pass: 'forward', shape: [M, D] })).toBe(4 * E + 8 * D + 4 * E + 16 * M);
    // LayerNorm backward: read dy, x, mean, rstd, weight; write dx, dWeight, dBias
    expect(bytesOf({ op: 'layerNorm', pass: 'backward', shape: [M, D] })).toBe(
      8 * E + 16 * M + 4 * D + 4 * E + 8 * D,
    );
    // RMSNorm forward: read x, weight; write y, rstd
    expect(bytesOf({ op: 'rmsNorm', pass: 'forward', shape: [M, D] })).toBe(4 * E + 4 * D + 4 * E + 8 * M);
    // BatchNorm training forward also reads and writes running mean and var ([C] each)
    expect(bytesOf({ op: 'batchNorm', pass: 'forward', shape: [M, D] })).toBe(
      8 * E + 8 * D + 16 * D + 16 * D,
    );
  });

  it('lists a forward for every op and a backward for all but eval-mode BatchNorm', () => {
    const cases = normCases([[64, 32]]);
    expect(cases).toHaveLength(11);
    expect(cases.filter((c) => c.op === 'batchNormEval').map((c) => c.pass)).toEqual(['forward']);
  });

  it('quick and full plans: full has every shape and at least 7 reps', () => {
    const full = kernelPlan('full');
    expect(full.shapes).toEqual([
      [8192, 768],
      [2048, 4096],
      [65536, 64],
      [512, 768],
    ]);
    expect(full.reps).toBeGreaterThanOrEqual(7);
    expect(full.matmul.map((m) => m.label)).toEqual(
      expect.arrayContaining(['[512,512]x[512,512] 512^3', '[8192,128]x[128,512] GPT MLP up']),
    );
    const quick = kernelPlan('quick', { reps: 2 });
    expect(quick.shapes.length).toBeLessThan(full.shapes.length);
    expect(quick.reps).toBe(2);
  });

  it('generates the same inputs from the same seed', () => {
    const c: NormCase = { op: 'layerNorm', pass: 'forward', shape: [4, 8] };
    expect(normInputs(c, 1)).toEqual(normInputs(c, 1));
    expect(normInputs(c, 1).x).not.toEqual(normInputs(c, 2).x);
    expect(matmulInputs(3, 4, 5, 9).b).toHaveLength(20);
  });
});

describe('checks', () => {
  it('passes close outputs and names the output that is off', () => {
    const ref = { dx: [1, 2, 3], dWeight: [100, -200] };
    expect(checkOutputs({ dx: [1, 2, 3 + 1e-6], dWeight: [100.01, -200] }, ref)).toMatchObject({
      ok: true,
      worst: 'dWeight',
    });
    const bad = checkOutputs({ dx: [1, 2.1, 3], dWeight: [100, -200] }, ref);
    expect(bad.ok).toBe(false);
    expect(bad.maxdiff).toBeCloseTo(0.1, 12);
    expect(bad.detail).toBe('dx maxdiff 1.00e-1 > 3.00e-3');
    expect(checkOutputs({ dx: [1, Number.NaN, 3], dWeight: [100, -200] }, ref)).toMatchObject({
      ok: false,
      maxdiff: Number.POSITIVE_INFINITY,
    });
    expect(checkOutputs({ dx: [1, 2] }, ref).detail).toMatch(
      /^dx: missing or length 2 != 3; dWeight: missing or length 0 != 2$/,
    );
  });

  it('checks sampled matmul elements against float64 dot products', () => {
    const { a, b } = matmulInputs(5, 7, 3, 1);
    const c = new Float64Array(15);
    for (let i = 0; i < 5; i++)
      for (let j = 0; j < 3; j++) for (let p = 0; p < 7; p++) c[i * 3 + j] += a[i * 7 + p]! * b[p * 3 + j]!;
    const samples = samplePositions(5, 3, 15, 7);
    expect(samples.slice(0, 4)).toEqual([
      [0, 0],
      [4, 2],
      [0, 2],
      [4, 0],
    ]);
    expect(checkMatmulSample(a, b, Float32Array.from(c), 5, 7, 3, samples).ok).toBe(true);
    c[4 * 3 + 2] += 0.5;
    const bad = checkMatmulSample(a, b, c, 5, 7, 3, samples);
    expect(bad.ok).toBe(false);
    expect(bad.detail).toMatch(/^C\[4,2\] = .* but the float64 dot product is /);
  });
});

describe('timing', () => {
  it('takes medians and repeats short calls', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    let calls = 0;
    const t = measure(() => void calls++, { reps: 5, budgetMs: Number.POSITIVE_INFINITY });
    expect(t.inner).toBeGreaterThan(1);
    expect(calls).toBe(2 + 5 * t.inner);
    expect(t.reps).toBe(5);
    expect(t.minMs).toBeLessThanOrEqual(t.medianMs);
  });

  it('takes fewer samples (at least one) of a call that exceeds the time budget', () => {
    const quick = { reps: 5, budgetMs: 1000 };
    expect([
      repsFor(quick, 1),
      repsFor(quick, 200),
      repsFor(quick, 300),
      repsFor(quick, 600),
      repsFor(quick, 2500),
    ]).toEqual([5, 5, 3, 1, 1]);
    expect(repsFor({ reps: 9, budgetMs: Number.POSITIVE_INFINITY }, 1e6)).toBe(9);
    const spin = () => {
      const end = performance.now() + 3;
      while (performance.now() < end);
    };
    expect(measure(spin, { reps: 9, budgetMs: 1 }).reps).toBe(1);
  });
});
