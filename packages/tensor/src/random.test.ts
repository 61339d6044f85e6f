import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { randn } from './create.js';
import { cos, exp, log, sin, sincos } from './internal/fdlibm.js';
import { Generator } from './random.js';

// The generator's contract (random.ts): xoshiro128** seeded by splitmix32, 53-bit uniforms, Box-Muller
// normals with fdlibm's log/cos/sin. Oracles: test/gen_random_golden.py (an independent Python
// implementation: the integer stream and uniforms exactly; normals and log/sin/cos through glibc's
// libm, within an ulp or two), and the bits of V8's C++ fdlibm (Node 20's Math.log/sin/cos) for
// the pinned values below.
const golden = JSON.parse(
  readFileSync(new URL('../test/fixtures/random-golden.json', import.meta.url), 'utf8'),
) as {
  uint32: Record<string, number[]>;
  uniform: Record<string, string[]>;
  normal: Record<string, number[]>;
  log: [number, number][];
  exp: [number, number][];
  sin: [number, number][];
  cos: [number, number][];
};

const bits = (x: number) => {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  return v.getBigUint64(0).toString(16).padStart(16, '0');
};
/** |a - b| in units of the last place of b */
const ulps = (a: number, b: number) => Math.abs(a - b) / (Math.abs(b) * 2 ** -52 || Number.MIN_VALUE);

describe('Generator: the documented stream', () => {
  it.each(Object.keys(golden.uint32))('seed %s: xoshiro128** uint32 draws and 53-bit uniforms', (seed) => {
    const g = new Generator(Number(seed));
    expect(Array.from({ length: 12 }, () => g.nextUint32())).toEqual(golden.uint32[seed]);
    const h = new Generator(Number(seed));
    expect(Array.from({ length: 8 }, () => bits(h.uniform()))).toEqual(golden.uniform[seed]);
  });

  it.each(Object.keys(golden.normal))(
    'seed %s: Box-Muller normals within 4 ulps of the Python oracle',
    (seed) => {
      const g = new Generator(Number(seed));
      const worst = Math.max(...golden.normal[seed]!.map((want) => ulps(g.normal(), want)));
      expect(worst, `max ulps ${worst}`).toBeLessThanOrEqual(4);
    },
  );

  it('seed 42: the first 16 normals, bit for bit (fdlibm; the same in every engine)', () => {
    const g = new Generator(42);
    expect(Array.from({ length: 16 }, () => bits(g.normal()))).toEqual([
      '3ff1f6697987295d',
      '3fee5f6a71271342',
      '3fd9dd3b15980473',
      '3fa3d564d71a006d',
      '3fead2d7ff5013ad',
      '3ffe24c4ec0928f6',
      '3fd7d0e619dcc791',
      'c004dd089d5df41b',
      'bff24d92a94e575a',
      'bfd02c93f5b2383e',
      'bf9f0c5d3b6fc02a',
      '3fe2bd0e4ceea2ce',
      'bfdd3632db356179',
      'bfb054c6c20f9b48',
      '3feac8db502ac59a',
      'bff52a1075b56be0',
    ]);
    // randn reads the same stream (float64: unrounded)
    expect(bits(randn([1], { seed: 42, dtype: 'float64' }).data[0]!)).toBe('3ff1f6697987295d');
  });

  it('getState / setState resume the stream exactly, the spare normal included', () => {
    const g = new Generator(7);
    g.normal(); // leaves a spare
    const state = g.getState();
    const next = [g.normal(), g.normal(), g.uniform()];
    const h = new Generator(0).setState(state);
    expect([h.normal(), h.normal(), h.uniform()]).toEqual(next);
  });
});

describe('fdlibm log / exp / sin / cos (internal/fdlibm.ts)', () => {
  // bits of V8's C++ fdlibm (Node 20's Math) for these arguments
  const pinned: [(x: number) => number, number, string][] = [
    [log, 0.7, 'bfd6d3c324e13f50'],
    [log, 1e-300, 'c085963447f87fb5'],
    [log, 5e-324, 'c0874385446d71c3'],
    [log, 0.999999, 'beb0c6f82d74d230'],
    [log, 0.5000001, 'bfe62e42939a7039'],
    [exp, 1, '4005bf0a8b145769'],
    [exp, -0.7, '3fdfc80db9dd5542'],
    [exp, -12.25, '3ed411fb0da07714'],
    [exp, 700, '7f0d945df4f8ec8e'],
    [exp, -740, '0000000000000055'],
    [sin, 2.356194490192345, '3fe6a09e667f3bcd'],
    [sin, Math.PI, '3ca1a62633145c07'],
    [sin, 5.5, 'bfe693c94e0ab057'],
    [sin, 2 * Math.PI, 'bcb1a62633145c07'],
    [sin, 1e5, '3fa24daa9c527e96'],
    [cos, Math.PI / 2, '3c91a62633145c07'],
    [cos, 4, 'bfe4eaa606db24c1'],
    [cos, (3 * Math.PI) / 2, 'bcaa79394c9e8a0a'],
    [cos, -2.5, 'bfe9a2f7ef858b7d'],
    [cos, 1e5, 'bfeffac3841b3da7'],
  ];
  it.each(pinned)('%o(%f) has the pinned bits', (f, x, want) => {
    expect(bits(f(x))).toBe(want);
  });

  it('within 1 ulp of the Python (glibc) oracle; specials as Math', () => {
    for (const [f, table] of [
      [log, golden.log],
      [exp, golden.exp.filter(([x]) => x > -708)], // subnormal results: absolute, not relative
      [sin, golden.sin],
      [cos, golden.cos],
    ] as const) {
      for (const [x, want] of table) expect(ulps(f(x), want), `${f.name}(${x})`).toBeLessThanOrEqual(1);
    }
    expect([log(0), log(-0), log(-1), log(Number.NaN), log(Number.POSITIVE_INFINITY)]).toEqual([
      Number.NEGATIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ]);
    expect([sin(Number.POSITIVE_INFINITY), cos(Number.NaN), sin(-0)]).toEqual([Number.NaN, Number.NaN, -0]);
    expect([
      exp(Number.NEGATIVE_INFINITY),
      exp(Number.POSITIVE_INFINITY),
      exp(800),
      exp(-800),
      exp(-0),
    ]).toEqual([0, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, 0, 1]);
  });

  it('sincos gives the bits of sin and cos, every quadrant and beyond the fast range', () => {
    const g = new Generator(11);
    const out = new Float64Array(2);
    for (let i = 0; i < 20_000; i++) {
      const x = (g.uniform() - 0.5) * 2 ** (12 * g.uniform());
      sincos(x, out);
      expect([bits(out[0]!), bits(out[1]!)]).toEqual([bits(sin(x)), bits(cos(x))]);
    }
    for (const x of [0, -0, Math.PI / 4, 1e7, Number.NaN, Number.POSITIVE_INFINITY]) {
      sincos(x, out);
      expect([out[0], out[1]]).toEqual([sin(x), cos(x)]);
    }
  });

  // Node 20's V8 computes Math.log/exp/sin/cos with the same fdlibm code (in C++): there they must
  // agree bit for bit over the generator's ranges and beyond; other engines may differ (Chromium 156
  // does, on ~3-7% of arguments), which is why the generator does not use them.
  it.runIf(process.versions.v8.startsWith('11.3'))(
    'equals V8 11.3 Math bit for bit on 300k arguments',
    () => {
      const g = new Generator(3);
      let differ = 0;
      for (let i = 0; i < 100_000; i++) {
        const u = g.uniform();
        const t = 2 * Math.PI * g.uniform();
        const w = (g.uniform() - 0.5) * 2 ** (40 * g.uniform() - 20);
        if (!Object.is(log(1 - u), Math.log(1 - u))) differ++;
        if (!Object.is(sin(t), Math.sin(t)) || !Object.is(cos(t), Math.cos(t))) differ++;
        if (!Object.is(sin(w), Math.sin(w)) || !Object.is(cos(w), Math.cos(w))) differ++;
        const e = (g.uniform() - 0.5) * 1500;
        if (!Object.is(exp(e), Math.exp(e))) differ++;
      }
      expect(differ).toBe(0);
    },
  );
});
