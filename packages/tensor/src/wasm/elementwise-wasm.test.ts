import { afterEach, describe, expect, it } from 'vitest';
import { tensor } from '../create.js';
import { add, div, maximum, minimum, mul, type Operand, sub } from '../elementwise.js';
import { addInPlace, axpy, divInPlace, mulInPlace, subInPlace } from '../inplace.js';
import { elementwiseWasmCalls } from '../internal/wasm/elementwise-wasm.js';
import type { Tensor } from '../tensor.js';
import { abs, clamp, neg, reciprocal, relu, rsqrt, sqrt, square } from '../unary.js';
import { getBackend, setBackend } from './backend.js';
import { isWasmBuffer } from './memory.js';

// The wasm path of the float32 elementwise ops whose float32 arithmetic is exact-equivalent to the
// JS kernels' (float64 result rounded once): it must give the JS backend's bits. The oracle is the
// same op run on the js backend on heap copies of the operands. (exp: exp-wasm.test.ts.)

const initial = getBackend();
afterEach(() => setBackend(initial));

const SPECIAL = [
  0,
  -0,
  1,
  -1,
  0.1,
  3e38,
  -3e38,
  1e-45,
  -1e-45,
  1.2e-38,
  1e30,
  Infinity,
  -Infinity,
  Number.NaN,
];

/** n float32 values: special values first, then a deterministic spread over many magnitudes. */
function values(n: number, seed: number): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const u = s / 2147483648;
    out.push(i < SPECIAL.length ? SPECIAL[(i + seed) % SPECIAL.length]! : (u - 0.5) * 2 ** ((s % 40) - 20));
  }
  return out;
}

/** The tensor on the given backend (wasm: in the wasm memory; js: a heap array). */
function on(backend: 'js' | 'wasm', v: readonly number[], shape: number[]): Tensor {
  setBackend(backend);
  return tensor(v as number[], shape, { dtype: 'float32' });
}

/** Bitwise equal as float32, any NaN equal to any NaN. */
function expectSameBits(actual: Tensor, expected: Tensor, what: string): void {
  const a = actual.toTypedArray();
  const e = expected.toTypedArray();
  expect(a.length, what).toBe(e.length);
  const ab = new Uint32Array(Float32Array.from(a).buffer);
  const eb = new Uint32Array(Float32Array.from(e).buffer);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]!) && Number.isNaN(e[i]!)) continue;
    if (ab[i] !== eb[i]) throw new Error(`${what}: element ${i} is ${a[i]} (wasm), ${e[i]} (js)`);
  }
}

/** Run f on wasm tensors and on js copies; the results must agree bit for bit. */
function both(shapes: number[][], f: (...ts: Tensor[]) => Tensor, what: string, seed = 1): void {
  const vals = shapes.map((s, i) =>
    values(
      s.reduce((p, d) => p * d, 1),
      seed + 7 * i,
    ),
  );
  const w = vals.map((v, i) => on('wasm', v, shapes[i]!));
  expect(w.every((t) => isWasmBuffer(t.data.buffer))).toBe(true);
  setBackend('wasm');
  const got = f(...w);
  const j = vals.map((v, i) => on('js', v, shapes[i]!));
  setBackend('js');
  expectSameBits(got, f(...j), what);
}

const calls = () => ({ ...elementwiseWasmCalls });
const SIZES = [1, 3, 5, 7, 33, 64, 65, 67, 1000, 1031];
const BINARY: [string, (a: Operand, b: Operand) => Tensor][] = [
  ['add', (a, b) => add(a, b)],
  ['sub', (a, b) => sub(a, b)],
  ['mul', (a, b) => mul(a, b)],
  ['div', (a, b) => div(a, b)],
  ['maximum', (a, b) => maximum(a, b)],
  ['minimum', (a, b) => minimum(a, b)],
];

describe('wasm elementwise kernels: bit-identical to the JS kernels', () => {
  it('same-shape binary ops, every SIMD tail; the wasm kernel runs from 64 elements', () => {
    for (const [name, f] of BINARY) {
      for (const n of SIZES) {
        const before = calls().binary;
        both([[n], [n]], f, `${name} [${n}]`);
        expect(calls().binary - before, `${name} [${n}] ran in wasm`).toBe(n >= 64 ? 1 : 0);
      }
    }
  });

  it('tensor op number and number op tensor (the reversed ops), values rounded to float32 first', () => {
    for (const [name, f] of BINARY) {
      for (const n of [7, 65, 1031]) {
        for (const s of [0.1, -3, 0, -0, 1e-40, Infinity, Number.NaN]) {
          both([[n]], (a) => f(a, s), `${name}(a, ${s}) [${n}]`);
          both([[n]], (a) => f(s, a), `${name}(${s}, a) [${n}]`);
        }
      }
    }
    const before = calls().scalar;
    both([[100]], (a) => sub(2, a), 'rsub');
    expect(calls().scalar).toBe(before + 1);
  });

  it('broadcast rows [.., N] op [N] and columns [.., T, N] op [.., T, 1], either side', () => {
    // [big, small, calls]: the last is neither pattern (the general strided loop runs)
    const cases: [number[], number[], number][] = [
      [[30, 33], [33], 2],
      [[4, 5, 16], [1, 16], 2],
      [[2, 3, 7, 9], [7, 9], 2],
      [[8, 4, 9], [8, 4, 1], 2],
      [[1, 5, 17], [5, 1], 2],
      [[3, 5, 17], [5, 1], 0],
    ];
    for (const [name, f] of BINARY) {
      for (const [big, small, wasm] of cases) {
        const before = calls().broadcast;
        both([big, small], (a, b) => f(a!, b!), `${name} ${big} op ${small}`);
        both([small, big], (a, b) => f(a!, b!), `${name} ${small} op ${big}`);
        expect(calls().broadcast - before, `${name} ${big} ${small} ran in wasm`).toBe(wasm);
      }
    }
  });

  it('in-place updates and axpy (alpha * src formed in float64, as the JS loop)', () => {
    for (const n of [5, 64, 1031]) {
      both([[n], [n]], (t, s) => addInPlace(t!, s!), `addInPlace [${n}]`);
      both([[n], [n]], (t, s) => addInPlace(t!, s!, 0.1), `addInPlace alpha [${n}]`);
      both([[n], [n]], (t, s) => subInPlace(t!, s!), `subInPlace [${n}]`);
      both([[n], [n]], (t, s) => mulInPlace(t!, s!), `mulInPlace [${n}]`);
      both([[n], [n]], (t, s) => divInPlace(t!, s!), `divInPlace [${n}]`);
      both([[n], [n]], (x, y) => axpy(-0.3, x!, y!), `axpy [${n}]`);
      both([[n]], (t) => addInPlace(t!, 0.7, 1e-3), `addInPlace(t, number, alpha) [${n}]`);
      both([[n]], (t) => mulInPlace(t!, 0.9), `mulInPlace(t, number) [${n}]`);
    }
    both([[40, 33], [33]], (t, s) => addInPlace(t!, s!), 'addInPlace row broadcast');
    both(
      [
        [40, 33],
        [40, 1],
      ],
      (t, s) => mulInPlace(t!, s!),
      'mulInPlace column broadcast',
    );
  });

  it('unary ops with exact float32 arithmetic, and rsqrt (1 / sqrt in float64 as JS)', () => {
    const ops: [string, (x: Tensor) => Tensor][] = [
      ['neg', (x) => neg(x)],
      ['abs', (x) => abs(x)],
      ['square', (x) => square(x)],
      ['reciprocal', (x) => reciprocal(x)],
      ['sqrt', (x) => sqrt(x)],
      ['rsqrt', (x) => rsqrt(x)],
      ['relu', (x) => relu(x)],
      ['clamp', (x) => clamp(x, -0.5, 0.25)],
      ['clamp NaN bound', (x) => clamp(x, Number.NaN)],
    ];
    for (const [name, f] of ops) {
      for (const n of SIZES) {
        const before = calls().unary;
        both([[n]], f, `${name} [${n}]`);
        expect(calls().unary - before, `${name} [${n}] ran in wasm`).toBe(n >= 64 ? 1 : 0);
      }
    }
  });

  it('non-contiguous operands take the JS path and stay right', () => {
    const before = calls();
    both(
      [
        [20, 30],
        [30, 20],
      ],
      (a, b) => add(a!.transpose(), b!),
      'add(a.T, b)',
    );
    both(
      [
        [20, 30],
        [30, 20],
      ],
      (a, b) => mul(a!, b!.transpose()),
      'mul(a, b.T)',
    );
    both([[30, 20]], (a) => neg(a!.transpose()), 'neg(a.T) gathers, then the kernel');
    both(
      [
        [30, 20],
        [20, 30],
      ],
      (t, s) => addInPlace(t!.transpose(), s!),
      'addInPlace(t.T, s)',
    );
    // rows of 30 and 20 elements: below WASM_MIN, so no contiguous-row kernel ran either
    expect(calls()).toEqual({ ...before, unary: before.unary + 1 }); // neg's kernel on the gathered copy
  });

  it('the js backend never calls wasm, even for tensors living in the wasm memory', () => {
    const a = on('wasm', values(100, 3), [100]);
    const b = on('wasm', values(100, 4), [100]);
    setBackend('js');
    const before = calls();
    const c = add(a, b);
    addInPlace(a, b);
    neg(a, a);
    expect(calls()).toEqual(before);
    expect(isWasmBuffer(c.data.buffer)).toBe(false);
  });
});
