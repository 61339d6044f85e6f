import { afterEach, describe, expect, it } from 'vitest';
import { tensor } from '../create.js';
import { reduceWasmCalls } from '../internal/wasm/reduce-wasm.js';
import { mean, sum, sumTo } from '../reduce.js';
import type { Tensor } from '../tensor.js';
import { getBackend, setBackend } from './backend.js';
import { getWasmMemory } from './memory.js';

// The wasm sums (wasm/reduce.ts) against two oracles:
// 1. a plain float64 loop written here (sequential order, independent of both kernels), within the
//    bound of float64 summation plus one float32 rounding:
//      |out - ref| <= 2^-24 |ref| + 2 (n - 1) 2^-53 sum |x|      (n terms per output)
//    (the kernel's and the loop's float64 sums each lie within (n - 1) 2^-53 sum |x| of the exact
//    sum, and the kernel rounds its sum to float32 once);
// 2. the JS kernel on heap copies (js backend): the same bits, as both sum in the same order.

const initial = getBackend();
afterEach(() => setBackend(initial));

/** n float32 values over many magnitudes and both signs, so that summation order matters. */
function values(n: number, seed: number): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out.push(Math.fround((s / 2147483648 - 0.5) * 2 ** ((s % 24) - 8)));
  }
  return out;
}

function on(backend: 'js' | 'wasm', v: readonly number[], shape: number[]): Tensor {
  setBackend(backend);
  return tensor(v as number[], shape, { dtype: 'float32' });
}

/** Float64 sums of x ([outer, count, inner] row-major) over the middle axis, and sum |x| per output. */
function reference(v: readonly number[], outer: number, count: number, inner: number) {
  const ref = new Float64Array(outer * inner);
  const abs = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < count; k++) {
      for (let i = 0; i < inner; i++) {
        const x = v[(o * count + k) * inner + i]!;
        ref[o * inner + i]! += x;
        abs[o * inner + i]! += Math.abs(x);
      }
    }
  }
  return { ref, abs };
}

function expectWithinBound(
  got: Tensor,
  r: { ref: Float64Array; abs: Float64Array },
  n: number,
  divisor: number,
  what: string,
): void {
  const g = got.toTypedArray();
  expect(g.length, what).toBe(r.ref.length);
  let worst = 0;
  for (let i = 0; i < g.length; i++) {
    const ref = r.ref[i]! / divisor;
    const bound = 2 ** -24 * Math.abs(ref) + (2 * (n - 1) * 2 ** -53 * r.abs[i]!) / divisor;
    const err = Math.abs(g[i]! - ref);
    worst = Math.max(worst, bound > 0 ? err / bound : err);
    if (!(err <= bound))
      throw new Error(`${what}: element ${i} is ${g[i]}, reference ${ref}, bound ${bound}`);
  }
  expect(worst, `${what}: max err / bound`).toBeLessThanOrEqual(1);
}

function expectSameBits(a: Tensor, b: Tensor, what: string): void {
  expect(a.shape, what).toEqual(b.shape);
  const x = new Uint32Array(Float32Array.from(a.toTypedArray()).buffer);
  const y = new Uint32Array(Float32Array.from(b.toTypedArray()).buffer);
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i])
      throw new Error(`${what}: element ${i}: wasm ${a.toTypedArray()[i]}, js ${b.toTypedArray()[i]}`);
  }
}

const calls = () => ({ ...reduceWasmCalls });

/**
 * x of `shape` reduced by f on the wasm backend: within the float64 bound of the reference
 * ([outer, count, inner] view of x), the js backend's bits, and the wasm kernel `kernel` ran.
 */
function check(
  shape: number[],
  f: (t: Tensor) => Tensor,
  split: [number, number, number],
  kernel: 'rows' | 'cols' | null,
  isMean: boolean,
  what: string,
): void {
  const v = values(
    shape.reduce((p, d) => p * d, 1),
    shape.length * 31 + shape[0]!,
  );
  const w = on('wasm', v, shape);
  expect(w.data.buffer).toBe(getWasmMemory().buffer);
  const before = calls();
  const got = f(w);
  const after = calls();
  expect(after.rows - before.rows, `${what} ran sumRows`).toBe(kernel === 'rows' ? 1 : 0);
  expect(after.cols - before.cols, `${what} ran sumCols`).toBe(kernel === 'cols' ? 1 : 0);
  expect(got.data.buffer, `${what}: output in the wasm memory`).toBe(getWasmMemory().buffer);
  const [outer, count, inner] = split;
  expectWithinBound(got, reference(v, outer, count, inner), count, isMean ? count : 1, what);
  const j = on('js', v, shape);
  expectSameBits(got, f(j), what);
}

const TAILS = [1, 3, 5, 7, 8, 9, 33, 1000];

describe('wasm sum and mean (float32, contiguous, wasm backend)', () => {
  it('last axis ([R, n] -> [R]) for every tail of the eight-lane loop', () => {
    for (const n of TAILS) {
      const rows = Math.ceil(64 / n) + 2;
      check([rows, n], (t) => sum(t, -1), [rows, n, 1], 'rows', false, `sum [${rows}, ${n}] axis -1`);
      check([rows, n], (t) => mean(t, 1), [rows, n, 1], 'rows', true, `mean [${rows}, ${n}] axis 1`);
    }
    // attention's softmax backward: sum over the last axis of [B, H, T, T], keepdims
    check([2, 4, 8, 32], (t) => sum(t, -1, { keepdims: true }), [64, 32, 1], 'rows', false, 'keepdims');
  });

  it('all elements ([n] -> [], any rank), rows of trailing axes', () => {
    for (const n of [64, 65, 71, 1000, 4099]) {
      check([n], (t) => sum(t), [1, n, 1], 'rows', false, `sum [${n}]`);
      check([n], (t) => mean(t), [1, n, 1], 'rows', true, `mean [${n}]`);
    }
    check([3, 5, 7], (t) => sum(t), [1, 105, 1], 'rows', false, 'sum [3, 5, 7]');
    check([3, 5, 7], (t) => sum(t, [1, 2]), [3, 35, 1], 'rows', false, 'sum [3, 5, 7] axes 1, 2');
  });

  it('leading axes ([R, N] -> [N]: bias gradients, sumTo) for every column tail', () => {
    for (const n of [1, 2, 3, 5, 7, 16, 17, 33, 1000]) {
      const rows = Math.ceil(64 / n) + 3;
      const k = n === 1 ? 'rows' : 'cols'; // [R, 1] -> [1] is also a row sum, which runs then
      check([rows, n], (t) => sum(t, 0), [1, rows, n], k, false, `sum [${rows}, ${n}] axis 0`);
      check([rows, n], (t) => mean(t, 0), [1, rows, n], k, true, `mean [${rows}, ${n}] axis 0`);
    }
    check([4, 8, 35], (t) => sum(t, [0, 1]), [1, 32, 35], 'cols', false, 'sum [4, 8, 35] axes 0, 1');
    check([4, 8, 35], (t) => sumTo(t, [8, 35]), [1, 4, 280], 'cols', false, 'sumTo [8, 35]');
    check([4, 8, 35], (t) => sumTo(t, [1, 1, 35]), [1, 32, 35], 'cols', false, 'sumTo [1, 1, 35]');
    // size-1 axes count as either side
    check([1, 40, 1, 3], (t) => sum(t, [0, 1]), [1, 40, 3], 'cols', false, 'sum [1, 40, 1, 3] axes 0, 1');
  });

  it('both kernels sum in the same order: a row where the order decides the float32 result', () => {
    // x0 = 1, x1 = 2^-24, every other odd element 2^-54, even ones 0. One by one, each 2^-54 is
    // below half an ulp of 1 + 2^-24 in float64 and is lost: 1 + 2^-24, a float32 tie, rounds to
    // 1. In the eight-lane order the odd lanes first sum 2^-24 + 31 * 2^-54 exactly, which lifts
    // 1 + that above the tie: 1 + 2^-23, the correctly rounded exact sum.
    const row = Array.from({ length: 64 }, (_, j) =>
      j === 0 ? 1 : j === 1 ? 2 ** -24 : j % 2 ? 2 ** -54 : 0,
    );
    let sequential = 0;
    for (const x of row) sequential += x;
    expect(Math.fround(sequential)).toBe(1);
    const v = [...row, ...row];
    for (const backend of ['wasm', 'js'] as const) {
      const before = calls().rows;
      expect(sum(on(backend, v, [2, 64]), 1).toArray(), backend).toEqual([1 + 2 ** -23, 1 + 2 ** -23]);
      expect(calls().rows - before).toBe(backend === 'wasm' ? 1 : 0);
    }
  });

  it('a contiguous view with an offset (a slice of leading rows) is read from its offset', () => {
    const v = values(12 * 40, 4);
    const tail = v.slice(2 * 40);
    for (const axis of [0, 1]) {
      const w = on('wasm', v, [12, 40]).slice(0, 2);
      expect(w.offset).toBe(80);
      const before = calls();
      const got = sum(w, axis);
      const ran = calls();
      expect(ran.rows + ran.cols - before.rows - before.cols).toBe(1);
      const r = axis === 0 ? reference(tail, 1, 10, 40) : reference(tail, 10, 40, 1);
      expectWithinBound(got, r, axis === 0 ? 10 : 40, 1, `slice, axis ${axis}`);
      expectSameBits(got, sum(on('js', v, [12, 40]).slice(0, 2), axis), `slice, axis ${axis}`);
    }
  });

  it('NaN and infinities propagate as in the JS kernel', () => {
    const v = values(8 * 40, 3);
    v[5] = Number.NaN;
    v[40 + 9] = Infinity;
    v[80 + 2] = Infinity;
    v[80 + 3] = -Infinity;
    v[120 + 39] = -Infinity;
    for (const axis of [0, 1]) {
      const got = sum(on('wasm', v, [8, 40]), axis);
      expectSameBits(got, sum(on('js', v, [8, 40]), axis), `specials axis ${axis}`);
    }
    const rows = sum(on('wasm', v, [8, 40]), 1).toArray() as number[];
    expect(rows.slice(0, 4)).toEqual([Number.NaN, Infinity, Number.NaN, -Infinity]);
  });

  it('the JS kernel runs for strided views, middle axes, float64, small tensors and the js backend', () => {
    const v = values(12 * 40, 9);
    const none = { rows: 0, cols: 0 };
    const runs = (f: () => Tensor) => {
      const before = calls();
      const out = f();
      const after = calls();
      expect({ rows: after.rows - before.rows, cols: after.cols - before.cols }).toEqual(none);
      return out;
    };
    const w = on('wasm', v, [12, 40]);
    // transposed [40, 12] view: last axis of the view is axis 0 of the data
    const { ref, abs } = reference(v, 1, 12, 40);
    expectWithinBound(
      runs(() => sum(w.transpose(), -1)),
      { ref, abs },
      12,
      1,
      'transposed',
    );
    // [12, 40] as [3, 4, 40]: the middle axis
    const mid = reference(v, 3, 4, 40);
    expectWithinBound(
      runs(() => sum(w.reshape([3, 4, 40]), 1)),
      mid,
      4,
      1,
      'middle axis',
    );
    setBackend('wasm');
    const w64 = tensor(v, [12, 40], { dtype: 'float64' });
    runs(() => sum(w64, 1));
    runs(() => sum(on('wasm', values(63, 1), [63])));
    const heap = on('js', v, [12, 40]);
    setBackend('wasm');
    runs(() => sum(heap, 1)); // a heap tensor under the wasm backend
    const wj = on('wasm', v, [12, 40]);
    setBackend('js');
    runs(() => sum(wj, 1)); // a wasm tensor under the js backend
  });
});
