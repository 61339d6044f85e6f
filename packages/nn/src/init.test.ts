import { fileURLToPath } from 'node:url';
import { Generator, manualSeed, ShapeError, type Tensor, tensor, zeros } from '@normkit/tensor';
import { assertClose, loadFixture } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import {
  calculateGain,
  constant_,
  fanInAndFanOut,
  type KaimingOptions,
  kaimingNormal_,
  kaimingUniform_,
  type Nonlinearity,
  normal_,
  ones_,
  truncNormal_,
  uniform_,
  xavierNormal_,
  xavierUniform_,
  zeros_,
} from './init.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

interface InitFixture {
  gains: { nonlinearity: Nonlinearity; param: number | null; gain: number }[];
  fans: { shape: number[]; fanIn: number; fanOut: number }[];
  inits: {
    fn: string;
    shape: number[];
    options: KaimingOptions & { gain?: number };
    std: number;
    bound?: number;
  }[];
  trunc: {
    mean: number;
    std: number;
    a: number | string;
    b: number | string;
    expMean: number;
    expVar: number;
    expMu4: number;
    grid: number[];
    cdf: number[];
  }[];
}
const fixture = loadFixture<InitFixture>(packageDir, 'init.json');
const num = (v: number | string) => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number));

/** Sample mean and variance (two passes, float64). */
function moments(values: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  const mean = s / values.length;
  let q = 0;
  for (let i = 0; i < values.length; i++) q += (values[i]! - mean) ** 2;
  return { mean, variance: q / values.length };
}

/**
 * The mean within 5 standard errors (sigma / sqrt n) and the variance within 5 standard errors of
 * the sample variance (sqrt((mu4 - sigma^4) / n)); with fixed seeds these are deterministic checks.
 */
function expectMoments(
  values: ArrayLike<number>,
  mean: number,
  variance: number,
  mu4: number,
  label: string,
) {
  const n = values.length;
  const m = moments(values);
  expect(Math.abs(m.mean - mean), `${label} mean ${m.mean} vs ${mean}`).toBeLessThan(
    5 * Math.sqrt(variance / n),
  );
  expect(Math.abs(m.variance - variance), `${label} variance ${m.variance} vs ${variance}`).toBeLessThan(
    5 * Math.sqrt((mu4 - variance * variance) / n),
  );
}

describe('calculateGain and fanInAndFanOut against torch.nn.init', () => {
  it('gains equal torch.nn.init.calculate_gain', () => {
    for (const { nonlinearity, param, gain } of fixture.gains) {
      assertClose([calculateGain(nonlinearity, param ?? undefined)], [gain], {
        atol: 0,
        rtol: 1e-15,
        label: nonlinearity,
      });
    }
  });

  it('fans equal torch _calculate_fan_in_and_fan_out (Linear weight [out, in]: fanIn = in)', () => {
    for (const { shape, fanIn, fanOut } of fixture.fans)
      expect(fanInAndFanOut(shape), `${shape}`).toEqual({ fanIn, fanOut });
  });

  it('reject unknown nonlinearities, bad slopes and shapes with fewer than 2 axes', () => {
    expect(() => calculateGain('gelu' as Nonlinearity)).toThrow(
      /calculateGain: nonlinearity expected one of linear, .*, selu, got gelu/,
    );
    expect(() => calculateGain('leakyRelu', Number.NaN)).toThrow(
      /calculateGain: param \(negative slope\) expected a finite number, got NaN/,
    );
    expect(() => fanInAndFanOut([5])).toThrow(ShapeError);
    expect(() => fanInAndFanOut([5])).toThrow(
      /fan in and fan out cannot be computed for shape \[5\]; expected at least 2 axes/,
    );
    expect(() => fanInAndFanOut([2, -1])).toThrow(
      /fanInAndFanOut: shape expected non-negative integers, got \[2,-1\]/,
    );
  });
});

describe('xavier / kaiming: the std and bound torch uses, checked statistically', () => {
  const fns: Record<string, (t: Tensor, o: KaimingOptions & { gain?: number }) => Tensor> = {
    xavierUniform: xavierUniform_,
    xavierNormal: xavierNormal_,
    kaimingUniform: kaimingUniform_,
    kaimingNormal: kaimingNormal_,
  };
  for (const c of fixture.inits) {
    it(`${c.fn} ${JSON.stringify(c.shape)} ${JSON.stringify(c.options)}`, () => {
      const t = fns[c.fn]!(zeros(c.shape, { dtype: 'float64' }), { ...c.options, rng: 11 });
      const v = t.toTypedArray();
      const s2 = c.std * c.std;
      if (c.bound !== undefined) {
        let maxAbs = 0;
        for (const x of v) maxAbs = Math.max(maxAbs, Math.abs(x));
        expect(maxAbs).toBeLessThanOrEqual(c.bound);
        // P(max |x| < B (1 - 20/n)) = (1 - 20/n)^n ~ e^-20
        expect(maxAbs).toBeGreaterThan(c.bound * (1 - 20 / v.length));
        expectMoments(v, 0, s2, 1.8 * s2 * s2, c.fn); // uniform: mu4 = 9/5 sigma^4
      } else {
        expectMoments(v, 0, s2, 3 * s2 * s2, c.fn); // normal: mu4 = 3 sigma^4
      }
    });
  }

  it('leave zero-size tensors alone, and reject bad modes', () => {
    const t = zeros([0, 5]);
    expect(kaimingUniform_(t, { rng: 1 })).toBe(t);
    expect(xavierNormal_(zeros([3, 0]), { rng: 1 }).size).toBe(0);
    expect(() => xavierUniform_(zeros([0]))).toThrow(ShapeError);
    expect(() => kaimingNormal_(zeros([2, 2]), { mode: 'fan_in' as 'fanIn' })).toThrow(
      /kaimingNormal_: mode expected 'fanIn' or 'fanOut', got fan_in/,
    );
  });
});

describe('uniform_, normal_, constant_', () => {
  it('uniform_(a, b) in float32: bounds, mean (a+b)/2, variance (b-a)^2/12', () => {
    const v = uniform_(zeros([200_000]), -3, 5, 3).toTypedArray();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-3);
    expect(Math.max(...v)).toBeLessThanOrEqual(5);
    expectMoments(v, 1, 64 / 12, (64 / 12) ** 2 * 1.8, 'uniform');
  });

  it('normal_(mean, std): moments', () => {
    const v = normal_(zeros([200_000], { dtype: 'float64' }), 2, 0.5, 4).toTypedArray();
    expectMoments(v, 2, 0.25, 3 * 0.0625, 'normal');
  });

  it('constant_/zeros_/ones_ write only the elements of a view', () => {
    const t = tensor([1, 1, 1, 1, 1, 1, 1, 1, 1], [3, 3]);
    zeros_(t.select(1, 0));
    constant_(t.slice(0, 2), 7);
    ones_(t.slice(1, 2).slice(0, 0, 1));
    expect(t.toArray()).toEqual([
      [0, 1, 1],
      [0, 1, 1],
      [7, 7, 7],
    ]);
  });

  it('reject bad parameters and views that repeat memory', () => {
    expect(() => uniform_(zeros([2]), 1, 0)).toThrow(/uniform_: a <= b expected, got a = 1, b = 0/);
    expect(() => uniform_(zeros([2]), 0, Infinity)).toThrow(
      /uniform_: b expected a finite number, got Infinity/,
    );
    expect(() => normal_(zeros([2]), 0, -1)).toThrow(/normal_: std >= 0 expected, got -1/);
    expect(() => normal_(zeros([2]), Number.NaN)).toThrow(/normal_: mean expected a finite number, got NaN/);
    expect(() => ones_(zeros([1, 3]).expand([4, 3]))).toThrow(
      /ones_: tensor expected distinct memory for every element, got shape \[4,3\] with strides \[0,1\] \(axis 0 repeats/,
    );
  });
});

describe('determinism', () => {
  it('same seed, same values; a Generator continues its stream across calls', () => {
    const a = normal_(zeros([5, 7]), 0, 1, 42).toTypedArray();
    const b = normal_(zeros([5, 7]), 0, 1, 42).toTypedArray();
    expect(b).toEqual(a);
    // filling 35 + 35 elements from one generator == filling 70 at once (Box-Muller spare included)
    const g = new Generator(9);
    const first = normal_(zeros([35]), 0, 1, g).toTypedArray();
    const second = normal_(zeros([35]), 0, 1, g).toTypedArray();
    const both = normal_(zeros([70]), 0, 1, 9).toTypedArray();
    expect([...first, ...second]).toEqual([...both]);
    expect(first).not.toEqual(second);
  });

  it('a view receives, in its row-major order, the values a contiguous tensor would', () => {
    const base = zeros([6, 4]);
    const view = base.transpose().slice(1, 0, 6, 2); // shape [4, 3], strides [1, 8]
    truncNormal_(view, { rng: 5, a: -1, b: 1 });
    const direct = truncNormal_(zeros([4, 3]), { rng: 5, a: -1, b: 1 });
    expect(view.toTypedArray()).toEqual(direct.toTypedArray());
    expect(base.slice(0, 1, 2).toFlatArray()).toEqual([0, 0, 0, 0]);
  });

  it('without rng, the default generator (manualSeed) is used', () => {
    manualSeed(123);
    const a = kaimingUniform_(zeros([8, 8])).toTypedArray();
    manualSeed(123);
    expect(kaimingUniform_(zeros([8, 8])).toTypedArray()).toEqual(a);
  });
});

describe('truncNormal_ against the truncated normal (moments and CDF by integration, test/gen_init_fixture.py)', () => {
  for (const c of fixture.trunc) {
    const a = num(c.a);
    const b = num(c.b);
    it(`mean ${c.mean}, std ${c.std}, [${a}, ${b}]`, () => {
      const n = 100_000;
      const v = truncNormal_(zeros([n], { dtype: 'float64' }), {
        mean: c.mean,
        std: c.std,
        a,
        b,
        rng: 17,
      }).toTypedArray();
      for (const x of v) if (!(x >= a && x <= b)) throw new Error(`sample ${x} outside [${a}, ${b}]`);
      expectMoments(v, c.expMean, c.expVar, c.expMu4, 'truncNormal');
      // Dvoretzky-Kiefer-Wolfowitz: P(sup |F_n - F| > eps) <= 2 exp(-2 n eps^2) = 1e-9
      const eps = Math.sqrt(Math.log(2 / 1e-9) / (2 * n));
      const sorted = Float64Array.from(v).sort();
      c.grid.forEach((g, k) => {
        let lo = 0;
        let hi = n;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (sorted[mid]! <= g) lo = mid + 1;
          else hi = mid;
        }
        expect(Math.abs(lo / n - c.cdf[k]!), `F_n(${g})`).toBeLessThan(eps);
      });
    });
  }

  it('float32 output stays within the bounds; invalid parameters are rejected', () => {
    const v = truncNormal_(zeros([10_000]), { std: 3, a: -0.5, b: 0.25, rng: 1 }).toTypedArray();
    for (const x of v) expect(x >= Math.fround(-0.5) && x <= Math.fround(0.25)).toBe(true);
    expect(() => truncNormal_(zeros([2]), { std: 0 })).toThrow(/truncNormal_: std > 0 expected, got 0/);
    expect(() => truncNormal_(zeros([2]), { a: 1, b: 1 })).toThrow(
      /truncNormal_: a < b expected, got a = 1, b = 1/,
    );
    expect(() => truncNormal_(zeros([2]), { a: Number.NaN })).toThrow(/a < b expected, got a = NaN/);
    expect(() => truncNormal_(zeros([2]), { a: 40, b: 41 })).toThrow(
      /truncNormal_: \[a, b\] = \[40, 41\] expected to hold some probability under N\(0, 1\^2\), got a mass that underflows/,
    );
  });
});
