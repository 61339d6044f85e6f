import { afterEach, describe, expect, it } from 'vitest';
import { tensor } from '../create.js';
import { whereWasmCalls } from '../internal/wasm/where-wasm.js';
import type { Tensor } from '../tensor.js';
import { where } from '../where.js';
import { getBackend, setBackend } from './backend.js';
import { getWasmMemory } from './memory.js';

// where(cond, a, b) on the wasm backend against a plain loop written here (cond != 0 ? a : b over
// the broadcast index, with NaN counting as true and -0 as false, as NumPy) and against the JS
// kernel's bits on heap copies.

const initial = getBackend();
afterEach(() => setBackend(initial));

const CONDS = [0, -0, 1, -1, Number.NaN, 1e-45, Infinity, 0, 0, 2];

function values(n: number, seed: number): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out.push(i % 17 === 3 ? Number.NaN : Math.fround((s / 2147483648 - 0.5) * 100));
  }
  return out;
}
const conds = (n: number, seed: number) => Array.from({ length: n }, (_, i) => CONDS[(i * 7 + seed) % 10]!);

function on(backend: 'js' | 'wasm', v: readonly number[], shape: number[]): Tensor {
  setBackend(backend);
  return tensor(v as number[], shape, { dtype: 'float32' });
}

/** Row-major index into a tensor of `shape` broadcast to `full`. */
function bindex(full: number[], shape: number[], flat: number): number {
  let idx = 0;
  let stride = 1;
  for (let i = full.length - 1, rem = flat; i >= 0; i--) {
    const d = full[i]!;
    const k = rem % d;
    rem = (rem - k) / d;
    const j = i - (full.length - shape.length);
    if (j >= 0) {
      if (shape[j] !== 1) idx += k * stride;
      stride *= shape[j]!;
    }
  }
  return idx;
}

type Arg = { shape: number[]; v: number[] } | number;

/** where on wasm tensors: the reference values, the js backend's bits, and `rows` wasm rows. */
function check(full: number[], c: Arg & object, a: Arg, b: Arg, rows: number, what: string): Tensor {
  const size = full.reduce((p, d) => p * d, 1);
  const ref = new Float32Array(size);
  const pick = (x: Arg, i: number) => (typeof x === 'number' ? x : x.v[bindex(full, x.shape, i)]!);
  for (let i = 0; i < size; i++) ref[i] = pick(c, i) !== 0 ? pick(a, i) : pick(b, i);
  const make = (backend: 'js' | 'wasm', x: Arg) => (typeof x === 'number' ? x : on(backend, x.v, x.shape));
  const [cw, aw, bw] = [make('wasm', c) as Tensor, make('wasm', a), make('wasm', b)];
  expect(cw.data.buffer).toBe(getWasmMemory().buffer);
  setBackend('wasm');
  const before = whereWasmCalls.rows;
  const got = where(cw, aw, bw);
  expect(whereWasmCalls.rows - before, `${what}: rows run in wasm`).toBe(rows);
  expect(Array.from(got.toTypedArray()), what).toEqual(Array.from(ref));
  const [cj, aj, bj] = [make('js', c) as Tensor, make('js', a), make('js', b)];
  setBackend('js');
  const js = where(cj, aj, bj);
  expect(new Uint32Array(Float32Array.from(got.toTypedArray()).buffer)).toEqual(
    new Uint32Array(Float32Array.from(js.toTypedArray()).buffer),
  );
  return got;
}

const T = (shape: number[], v: number[]) => ({ shape, v });

describe('wasm where (float32, wasm backend)', () => {
  it('same shape, every tail of the four-lane loop; rows under 64 elements stay in JS', () => {
    for (const n of [1, 3, 5, 7, 33, 63, 64, 65, 66, 67, 1000]) {
      const c = T([n], conds(n, n));
      check([n], c, T([n], values(n, 1)), T([n], values(n, 2)), n >= 64 ? 1 : 0, `where [${n}]`);
    }
  });

  it("the transformer's causal mask: where(mask [T, T], -inf, att [B, H, T, T]) and where(mask, 0, g)", () => {
    const full = [2, 3, 16, 16];
    const mask = Array.from({ length: 256 }, (_, i) => (i % 16 > Math.floor(i / 16) ? 1 : 0));
    const att = T(full, values(2 * 3 * 256, 5));
    // [2, 3] broadcast axes merge into one outer axis of 6 rows of 256
    check(full, T([16, 16], mask), Number.NEGATIVE_INFINITY, att, 6, 'masked fill');
    check(full, T([16, 16], mask), 0, att, 6, 'masked gradient');
    check(full, T([16, 16], mask), att, 0.5, 6, 'tensor, number');
    check([16, 16], T([16, 16], mask), 1.5, -2, 1, 'two numbers: the shape of cond');
  });

  it('an operand broadcast along the row (stride 0) is passed by value, per row', () => {
    const c = T([5, 70], conds(350, 1));
    check([5, 70], c, T([5, 1], values(5, 3)), T([5, 70], values(350, 4)), 5, 'a [5, 1]');
    check([5, 70], c, T([70], values(70, 3)), T([5, 1], values(5, 4)), 5, 'a [70], b [5, 1]');
  });

  it('out may be an input: where(c, a, b, b) overwrites b in place', () => {
    const n = 200;
    const cv = conds(n, 3);
    const av = values(n, 1);
    const bv = values(n, 2);
    const c = on('wasm', cv, [n]);
    const a = on('wasm', av, [n]);
    const b = on('wasm', bv, [n]);
    const before = whereWasmCalls.rows;
    where(c, a, b, b);
    expect(whereWasmCalls.rows - before).toBe(1);
    expect(Array.from(b.toTypedArray())).toEqual(
      Array.from(Float32Array.from(cv.map((x, i) => (x !== 0 ? av[i]! : bv[i]!)))),
    );
  });

  it('strided cond or output rows, float64 and heap tensors take the JS kernel', () => {
    const c = on('wasm', conds(64 * 3, 1), [64, 3]);
    const a = on('wasm', values(64 * 3, 1), [64, 3]);
    const b = on('wasm', values(64 * 3, 2), [3, 64]);
    setBackend('wasm');
    const before = whereWasmCalls.rows;
    where(c, a, b.transpose()); // b strided along the row
    where(c.transpose(), 1, 2); // cond strided along the row
    where(tensor(conds(100, 1), [100], { dtype: 'float64' }), 1, 2);
    setBackend('js');
    const heapCond = tensor(conds(100, 1), [100], { dtype: 'float32' });
    setBackend('wasm');
    where(heapCond, 1, 2);
    expect(whereWasmCalls.rows - before).toBe(0);
  });
});
