import { fileURLToPath } from 'node:url';
import { assertClose, type FixtureTensor, fixtureTensorData, loadFixture } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { geluBackward, sigmoidBackward, tanhBackward } from './activation-grad.js';
import { randn, tensor, zeros } from './create.js';
import type { DType } from './dtype.js';
import { ShapeError } from './errors.js';
import { geluScalar, geluTanhScalar } from './math.js';
import type { Tensor } from './tensor.js';

// Oracles: PyTorch 1.13's gelu_backward / tanh_backward / sigmoid_backward in float64 and
// tail-accurate slopes (math.erfc; 2500-digit decimal arithmetic) from
// test/gen_activation_grad_fixtures.py, and central finite differences of the float64 forward
// scalars (geluScalar, geluTanhScalar). Runs on whichever backend the suite runs on (float32 wasm
// kernels: src/wasm/activation-wasm.test.ts).

const packageDir = fileURLToPath(new URL('..', import.meta.url));
type Case = Record<string, FixtureTensor>;
const fx = loadFixture<{ cases: Record<DType, Case> }>(packageDir, 'activation-grad.json');
const data = (c: Case, k: string) => fixtureTensorData(c[k]!);
const t = (c: Case, k: string, dtype: DType) =>
  tensor(Array.from(data(c, k)), [data(c, k).length], { dtype });

/**
 * Split by conditioning: where the slope is far from 0, a relative bound; next to its zero (gelu'
 * vanishes near x = -0.75) the sum Phi + x phi cancels and the bound is absolute, eps times the
 * size of the terms.
 */
function expectSlopes(actual: ArrayLike<number>, expected: Float64Array, dy: Float64Array, rtol: number) {
  const far: number[] = [];
  const farExp: number[] = [];
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(expected[i]!) > 1e-3 * Math.abs(dy[i]!) || !Number.isFinite(expected[i]!)) {
      far.push(actual[i]!);
      farExp.push(expected[i]!);
    } else {
      assertClose([actual[i]!], [expected[i]!], { atol: 4 * rtol * Math.abs(dy[i]!), label: `near 0, ${i}` });
    }
  }
  assertClose(far, farExp, { atol: 0, rtol, label: 'slopes' });
}

describe('geluBackward', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    const c = fx.cases[dtype]!;
    // float64: a few ulps; float32: the float64 result rounded once (half an ulp, 2^-24)
    const rtol = dtype === 'float64' ? 1e-13 : 2 ** -24;
    it(`${dtype}: tail-accurate slope for both approximations, x from -40 to 1000`, () => {
      const dy = data(c, 'dy');
      const none = geluBackward(t(c, 'dy', dtype), t(c, 'x', dtype)).toTypedArray();
      expectSlopes(none, data(c, 'exact_gelu_none'), dy, rtol);
      const tanhForm = geluBackward(t(c, 'dy', dtype), t(c, 'x', dtype), { approximate: 'tanh' });
      expectSlopes(tanhForm.toTypedArray(), data(c, 'exact_gelu_tanh'), dy, rtol);
    });
    it(`${dtype}: equals torch's gelu_backward where torch's formula does not cancel (x >= -5)`, () => {
      const x = data(c, 'x');
      const keep = (a: ArrayLike<number>) => Array.from(a).filter((_, i) => x[i]! >= -5);
      for (const approximate of ['none', 'tanh'] as const) {
        const got = geluBackward(t(c, 'dy', dtype), t(c, 'x', dtype), { approximate }).toTypedArray();
        assertClose(keep(got), keep(data(c, `torch_gelu_${approximate}`)), {
          atol: 1e-12,
          rtol: dtype === 'float64' ? 1e-12 : 2 ** -23,
          label: `torch ${approximate}`,
        });
      }
    });
  }

  it('float64: central finite differences of the forward scalars', () => {
    const xs: number[] = [];
    for (let x = -9; x <= 9; x += 0.173) xs.push(x);
    const ones = tensor(
      xs.map(() => 1),
      [xs.length],
      { dtype: 'float64' },
    );
    const x = tensor(xs, [xs.length], { dtype: 'float64' });
    for (const [approximate, f] of [
      ['none', geluScalar],
      ['tanh', geluTanhScalar],
    ] as const) {
      const fd = xs.map((v) => {
        const h = 1e-5 * Math.max(1, Math.abs(v));
        return (f(v + h) - f(v - h)) / (2 * h);
      });
      assertClose(geluBackward(ones, x, { approximate }).toTypedArray(), fd, {
        atol: 1e-9,
        rtol: 1e-8,
        label: approximate,
      });
    }
  });

  it('NaN propagates; x = +-Infinity gives NaN (Infinity * 0, as torch); huge finite x the limits', () => {
    const x = tensor([Number.NaN, Infinity, -Infinity, 1e300, -1e300, 3e38, -3e38], [7], {
      dtype: 'float64',
    });
    const dy = tensor([1, 1, 1, 2, 2, 2, 2], [7], { dtype: 'float64' });
    for (const approximate of ['none', 'tanh'] as const) {
      const g = Array.from(geluBackward(dy, x, { approximate }).toTypedArray());
      expect(g.slice(0, 3).every(Number.isNaN), approximate).toBe(true);
      expect(g.slice(3), approximate).toEqual([2, 0, 2, 0]);
    }
  });

  it('strided inputs, out (also dy itself), zero-size tensors', () => {
    const x = randn([5, 7], { seed: 1, dtype: 'float64' });
    const dy = randn([7, 5], { seed: 2, dtype: 'float64' });
    const want = geluBackward(dy.transpose().contiguous(), x.transpose().contiguous().transpose());
    assertClose(geluBackward(dy.transpose(), x).toTypedArray(), want.toTypedArray(), { atol: 0 });
    const inPlace = dy.transpose().contiguous();
    expect(geluBackward(inPlace, x, {}, inPlace)).toBe(inPlace);
    assertClose(inPlace.toTypedArray(), want.toTypedArray(), { atol: 0 });
    expect(geluBackward(zeros([0, 3]), zeros([0, 3])).shape).toEqual([0, 3]);
  });

  it('errors name the op, the argument, expected and actual', () => {
    const x = zeros([2, 3]);
    expect(() => geluBackward(zeros([3, 2]), x)).toThrow(ShapeError);
    expect(() => geluBackward(zeros([3, 2]), x)).toThrow(
      "geluBackward: x has shape [2,3], expected dy's shape [3,2] (the same shape: no broadcasting)",
    );
    expect(() => geluBackward(zeros([1, 3]), x)).toThrow('the same shape: no broadcasting');
    expect(() => geluBackward(zeros([2, 3], { dtype: 'float64' }), x)).toThrow(
      'geluBackward: x has dtype float32, expected float64 (normkit does not mix dtypes; convert with .astype())',
    );
    expect(() => geluBackward(x, x, { approximate: 'fast' as 'tanh' })).toThrow(
      `geluBackward: approximate must be 'none' or 'tanh', got "fast"`,
    );
    expect(() => geluBackward(x, x, {}, zeros([3, 2]))).toThrow(
      "geluBackward: out has shape [3,2], expected the result's shape [2,3]",
    );
    expect(() => geluBackward(x, x, {}, zeros([2, 3], { dtype: 'float64' }))).toThrow(
      'geluBackward: out has dtype float64, expected float32',
    );
    expect(() => geluBackward(2 as unknown as Tensor, x)).toThrow(
      'geluBackward: dy must be a Tensor, got number 2',
    );
  });
});

describe('tanhBackward and sigmoidBackward', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    it(`${dtype}: equal torch's tanh_backward and sigmoid_backward`, () => {
      const c = fx.cases[dtype]!;
      // the fixture's y are float64; the op sees them in the dtype
      const dy = t(c, 'dy', dtype);
      const rtol = dtype === 'float64' ? 1e-15 : 2 ** -24;
      // torch computes dy * (1 - y^2): it cancels where y is near +-1, where (1 - y)(1 + y) does not;
      // compare against a float64 reference on the dtype-rounded y instead of torch's there
      for (const [name, fn, key] of [
        ['tanh', tanhBackward, 'y_tanh'],
        ['sigmoid', sigmoidBackward, 'y_sigmoid'],
      ] as const) {
        const y = t(c, key, dtype);
        const yv = y.toTypedArray();
        const dyv = dy.toTypedArray();
        const ref = Array.from(yv, (v, i) => dyv[i]! * (name === 'tanh' ? (1 - v) * (1 + v) : v * (1 - v)));
        assertClose(fn(dy, y).toTypedArray(), ref, { atol: 0, rtol, label: name });
        if (dtype === 'float64') {
          assertClose(fn(dy, y).toTypedArray(), data(c, `torch_${name}`), {
            atol: 1e-15,
            rtol: 1e-15,
            label: name,
          });
        }
      }
    });
  }

  it('errors name the op and the argument', () => {
    expect(() => tanhBackward(zeros([2]), zeros([3]))).toThrow(
      "tanhBackward: y has shape [3], expected dy's shape [2] (the same shape: no broadcasting)",
    );
    expect(() => sigmoidBackward(zeros([2]), zeros([2], { dtype: 'float64' }))).toThrow(
      'sigmoidBackward: y has dtype float64, expected float32',
    );
  });
});
