import { variable } from '@normkit/autograd';
import {
  type Backend,
  getBackend,
  randn,
  setBackend,
  type Tensor,
  tensor,
  tidy,
  wasmSupported,
} from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { dytWasmCalls } from '../internal/wasm/dyt-wasm.js';
import { dyt } from './dyt.js';

// The wasm DyT kernel (wasm/dyt.ts) against the JS kernel on the same inputs (the JS kernel is
// itself checked against PyTorch and by gradcheck in norms.test.ts / modules.fixtures.test.ts).
// Bounds tested:
// - y and dx: bit-identical where |alpha x| <= 9 (the same float64 operations in the same order,
//   rounded once); within 1 float32 ulp where |alpha x| > 9 (Math.tanh there vs exp in wasm).
// - dalpha, dWeight, dBias: the same float64 terms summed in another order. Each order's error is
//   at most (n - 1) 2^-53 sum|terms| (recursive summation; the wasm blocks are no worse), so the
//   float64 sums differ by at most 2 (n - 1) 2^-53 sum|terms|, plus 1 float32 ulp from rounding two
//   different doubles. sum|terms| is computed here in float64 with Math.tanh.
// A float64 reference written plainly (Math.tanh) checks both kernels are right, not only equal.

const previous = getBackend();
afterEach(() => setBackend(previous));

const U = 2 ** -53;
const bits = new Float32Array(1);
const ints = new Int32Array(bits.buffer);
/** Position of a float32 on the integer line (adjacent floats differ by 1; -0 and 0 are both 0). */
function ord(v: number): number {
  bits[0] = v;
  return ints[0]! < 0 ? -(ints[0]! & 0x7fffffff) : ints[0]!;
}
function ulpDiff(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  return Math.abs(ord(a) - ord(b));
}
/** One float32 ulp at |v| (the spacing above it). */
function ulp32(v: number): number {
  const a = Math.fround(Math.abs(v));
  if (!Number.isFinite(a)) return 0;
  bits[0] = a;
  ints[0]! += 1;
  return bits[0] - a;
}

interface Result {
  y: number[];
  dx: number[] | null;
  dAlpha: number | null;
  dW: number[] | null;
  dB: number[] | null;
}

interface Case {
  x: Tensor;
  alpha: number;
  w: Tensor | null;
  b: Tensor | null;
  dy: Tensor;
  /** which of x, alpha, weight, bias require grad */
  needs?: [boolean, boolean, boolean, boolean];
}

function run(backend: Backend, c: Case): Result {
  setBackend(backend);
  const [nx, na, nw, nb] = c.needs ?? [true, true, true, true];
  return tidy(() => {
    const x = variable(c.x, { requiresGrad: nx });
    const alpha = variable(tensor([c.alpha], [1], { dtype: c.x.dtype }), { requiresGrad: na });
    const w = c.w && variable(c.w, { requiresGrad: nw });
    const b = c.b && variable(c.b, { requiresGrad: nb });
    const y = dyt(x, alpha, { weight: w, bias: b });
    if (nx || na || nw || nb) y.backward(c.dy);
    const flat = (t: Tensor | null | undefined) => (t ? t.toFlatArray() : null);
    return {
      y: y.data.toFlatArray(),
      dx: nx ? flat(x.grad) : null,
      dAlpha: na ? alpha.grad!.toFlatArray()[0]! : null,
      dW: w && nw ? flat(w.grad) : null,
      dB: b && nb ? flat(b.grad) : null,
    };
  });
}

/** sum|terms| of dalpha, dWeight[j], dBias[j] in float64, and the float64 reference values. */
function reference(c: Case) {
  const x = c.x.toFlatArray();
  const dy = c.dy.toFlatArray();
  const N = c.w?.size ?? c.b?.size ?? 1;
  const w = c.w?.toFlatArray() ?? new Array<number>(N).fill(1);
  const b = c.b?.toFlatArray() ?? new Array<number>(N).fill(0);
  const absA = [0];
  const absW = new Array<number>(N).fill(0);
  const absB = new Array<number>(N).fill(0);
  const y: number[] = [];
  const dx: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const j = i % N;
    const t = Math.tanh(c.alpha * x[i]!);
    const gs = dy[i]! * w[j]! * (1 - t * t);
    y.push(w[j]! * t + b[j]!);
    dx.push(gs * c.alpha);
    absA[0]! += Math.abs(gs * x[i]!);
    absW[j]! += Math.abs(dy[i]! * t);
    absB[j]! += Math.abs(dy[i]!);
  }
  return { y, dx, absA, absW, absB, rows: x.length / N };
}

/** |a - b| <= 2 (n - 1) 2^-53 S + 1 float32 ulp, element by element (NaN only with NaN). */
function expectSumsClose(a: number[], b: number[], abs: number[], n: number, what: string): void {
  for (let j = 0; j < a.length; j++) {
    const [p, q] = [a[j]!, b[j]!];
    if (Number.isNaN(p) || Number.isNaN(q)) {
      expect([what, j, p], 'NaN only where the other is NaN').toEqual([what, j, q]);
      continue;
    }
    const bound = 2 * (n - 1) * U * abs[j]! * (1 + 1e-6) + ulp32(Math.max(Math.abs(p), Math.abs(q)));
    expect(Math.abs(p - q), `${what}[${j}]: wasm ${p}, js ${q}`).toBeLessThanOrEqual(bound);
  }
}

/** Runs both backends and checks every output against the bounds above; returns the wasm result. */
function compare(c: Case): Result {
  const calls = { ...dytWasmCalls };
  const js = run('js', c);
  expect(dytWasmCalls).toEqual(calls); // the js backend never enters the kernel
  const wasm = run('wasm', c);
  const anyGrad = (c.needs ?? [true]).some(Boolean);
  expect(dytWasmCalls.forward).toBe(calls.forward + 1);
  expect(dytWasmCalls.backward).toBe(calls.backward + (anyGrad ? 1 : 0));
  const x = c.x.toFlatArray();
  const exact = (i: number) => !(Math.abs(c.alpha * x[i]!) > 9);
  for (const key of ['y', 'dx'] as const) {
    const [p, q] = [wasm[key], js[key]];
    expect(p === null).toBe(q === null);
    if (p === null || q === null) continue;
    for (let i = 0; i < p.length; i++) {
      const d = ulpDiff(p[i]!, q[i]!);
      if (d > (exact(i) ? 0 : 1)) expect.fail(`${key}[${i}] (x ${x[i]}): wasm ${p[i]}, js ${q[i]}`);
    }
  }
  const r = reference(c);
  if (js.dAlpha !== null) expectSumsClose([wasm.dAlpha!], [js.dAlpha], r.absA, x.length, 'dalpha');
  if (js.dW !== null) expectSumsClose(wasm.dW!, js.dW, r.absW, r.rows, 'dWeight');
  if (js.dB !== null) expectSumsClose(wasm.dB!, js.dB, r.absB, r.rows, 'dBias');
  return wasm;
}

const affineKinds = ['weight and bias', 'weight', 'bias', 'neither'] as const;

function makeCase(
  M: number,
  N: number,
  kind: (typeof affineKinds)[number],
  alpha: number,
  seed: number,
): Case {
  setBackend('wasm'); // inputs in the wasm memory, so the kernel can take them
  const x = randn([M, N], { seed, std: 2 });
  const w = kind === 'weight and bias' || kind === 'weight' ? randn([N], { seed: seed + 1 }) : null;
  const b = kind === 'weight and bias' || kind === 'bias' ? randn([N], { seed: seed + 2 }) : null;
  return { x, alpha, w, b, dy: randn([M, N], { seed: seed + 3 }) };
}

describe.runIf(wasmSupported())('DyT wasm kernel vs the JS kernel (float32)', () => {
  it.each([1, 3, 5, 7, 33, 768])('N = %i, rows across two-level blocks, every affine kind', (N) => {
    const M = N === 768 ? 70 : 131; // > 64 rows: two blocks of partial sums
    for (const [k, kind] of affineKinds.entries()) {
      const c = makeCase(M, N, kind, 0.8, 100 * N + 10 * k);
      const wasm = compare(c);
      // and right, not only equal to JS: the float64 Math.tanh reference
      const r = reference(c);
      assertClose(wasm.y, r.y, { atol: 1e-6, rtol: 1e-6 });
      assertClose(wasm.dx!, r.dx, { atol: 1e-6, rtol: 1e-6 });
    }
  });

  it.each([
    ['0', 0],
    ['negative', -0.7],
    ['large (|alpha x| > 9 for most x)', 50],
    ['near the |alpha x| = 9 switch', 4.5],
  ])('alpha %s', (_, alpha) => {
    compare(makeCase(2000, 1, 'neither', alpha, 5)); // N = 1: rows of 1024 (scalar mode)
    for (const N of [7, 768]) compare(makeCase(9, N, 'weight and bias', alpha, 7 + N));
  });

  it('x = +-Infinity gives tanh = +-1, NaN stays NaN (both kernels, every output)', () => {
    setBackend('wasm');
    const N = 7;
    const values = randn([4, N], { seed: 3 }).toFlatArray();
    values[0] = Infinity;
    values[3] = -Infinity;
    values[9] = Number.NaN;
    values[8] = -Infinity; // beside the NaN in row 1
    values[2 * N + 4] = Number.NaN; // row 2: NaN alone
    values[N * 3 + 6] = Infinity; // a row's odd tail element
    const c: Case = {
      x: tensor(values, [4, N]),
      alpha: 0.5,
      w: randn([N], { seed: 4 }),
      b: randn([N], { seed: 5 }),
      dy: randn([4, N], { seed: 6 }),
    };
    const wasm = compare(c);
    const [w, b] = [c.w!.toFlatArray(), c.b!.toFlatArray()];
    expect(wasm.y[0]).toBe(Math.fround(w[0]! + b[0]!));
    expect(wasm.y[3]).toBe(Math.fround(-w[3]! + b[3]!));
    expect(wasm.y[9]).toBeNaN();
    expect(wasm.y[8]).toBe(Math.fround(-w[1]! + b[1]!));
    expect(wasm.y[2 * N + 4]).toBeNaN();
    expect(wasm.dx![0]).toBe(0); // 1 - t^2 = 0
    expect(wasm.dAlpha).toBeNaN(); // gs * x = 0 * Infinity, as PyTorch's autograd gives
    expect(Number.isNaN(wasm.dW![2])).toBe(true); // column of the NaN (index 9 = row 1, column 2)
    expect(wasm.dW![1]).not.toBeNaN();
  });

  it('N = 1 beyond one block of 64 x 1024 elements, alpha alone and with a one-element bias', () => {
    setBackend('wasm');
    const x = randn([70001], { seed: 8 });
    const dy = randn([70001], { seed: 9 });
    compare({ x, alpha: 1.3, w: null, b: null, dy });
    compare({ x, alpha: 2.5, w: null, b: null, dy }); // some 1024-element rows with |alpha x| > 9
    compare({
      x: x.reshape([70001, 1]),
      alpha: -0.4,
      w: null,
      b: tensor([0.25]),
      dy: dy.reshape([70001, 1]),
    });
  });

  it('only some gradients wanted; an input that is a view with an offset', () => {
    const c = makeCase(70, 33, 'weight and bias', 1.1, 21);
    compare({ ...c, needs: [true, false, false, false] });
    compare({ ...c, needs: [false, true, true, false] });
    compare({ ...c, needs: [false, false, false, true] });
    setBackend('wasm');
    const big = randn([72, 33], { seed: 22 });
    compare({ ...c, x: big.narrow(0, 1, 70) });
  });

  it('falls back to JS (same results) for float64, or arrays outside the wasm memory', () => {
    setBackend('js');
    const heap = {
      x: randn([5, 6], { seed: 30 }),
      w: randn([6], { seed: 31 }),
      dy: randn([5, 6], { seed: 32 }),
    };
    const calls = { ...dytWasmCalls };
    const c: Case = { x: heap.x, alpha: 0.9, w: heap.w, b: null, dy: heap.dy };
    const js = run('js', c);
    const wasm = run('wasm', c); // x and dy live on the JS heap: the kernel cannot reach them
    expect(dytWasmCalls).toEqual(calls);
    expect(wasm).toEqual(js);
    setBackend('wasm');
    const f64 = { dtype: 'float64' } as const;
    const d: Case = {
      x: randn([5, 6], { seed: 33, ...f64 }),
      alpha: 0.9,
      w: null,
      b: null,
      dy: randn([5, 6], f64),
    };
    expect(run('wasm', d)).toEqual(run('js', d));
    expect(dytWasmCalls).toEqual(calls);
  });

  it('empty input: no kernel call, empty outputs, zero sums', () => {
    setBackend('wasm');
    const c: Case = { x: randn([0, 4]), alpha: 0.5, w: randn([4], { seed: 1 }), b: null, dy: randn([0, 4]) };
    const calls = { ...dytWasmCalls };
    const r = run('wasm', c);
    expect(dytWasmCalls).toEqual(calls);
    expect(r).toEqual({ y: [], dx: [], dAlpha: 0, dW: [0, 0, 0, 0], dB: null });
  });
});
