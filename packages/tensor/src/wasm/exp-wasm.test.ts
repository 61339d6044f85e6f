import { assertClose } from '@normkit/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { tensor } from '../create.js';
import { elementwiseWasmCalls, unaryModule } from '../internal/wasm/elementwise-wasm.js';
import { rowsWasmCalls } from '../internal/wasm/rows-wasm.js';
import { softmax } from '../softmax.js';
import { Tensor } from '../tensor.js';
import { exp } from '../unary.js';
import { getBackend, setBackend } from './backend.js';
import { allocateWasm, dispose } from './storage.js';

// exp's float64 core (wasm/lib/exp.ts) against Math.exp, and the float32 kernels built on it (exp,
// softmax) against the JS kernels. The bounds asserted (measured on Node 20: core 1 ulp, float32
// exp 0 differences in 1,047,825 samples):
//   core, normal results:     <= 1 ulp (float64) of Math.exp        (Math.exp is itself < 1 ulp)
//   core, subnormal results:  <= 2^-1074 from Math.exp
//   float32 exp:              <= 1 ulp (float32) of fround(Math.exp(x)) over every 4099th float32
//                             bit pattern and the edges, and different in fewer than 1e-4 of them
//   softmax:                  <= 1 ulp (float32) of the JS kernel

const initial = getBackend();
afterEach(() => setBackend(initial));

const f64bits = new BigInt64Array(1);
const f64view = new Float64Array(f64bits.buffer);
/** Distance in representable float64 values (same sign assumed; results of exp are >= 0). */
function ulps64(a: number, b: number): number {
  f64view[0] = a;
  const x = f64bits[0]!;
  f64view[0] = b;
  return Math.abs(Number(x - f64bits[0]!));
}
const f32bits = new Int32Array(1);
const f32view = new Float32Array(f32bits.buffer);
function ulps32(a: number, b: number): number {
  f32view[0] = a;
  const x = f32bits[0]!;
  f32view[0] = b;
  return Math.abs(x - f32bits[0]!);
}

/** The wasm float64 exp of each x. */
function exp64(xs: Float64Array): Float64Array {
  setBackend('wasm');
  const x = allocateWasm('float64', xs.length) as Float64Array;
  const o = allocateWasm('float64', xs.length) as Float64Array;
  x.set(xs);
  unaryModule().exp64(x.byteOffset, o.byteOffset, xs.length);
  const out = Float64Array.from(o);
  dispose([new Tensor(x, [xs.length]), new Tensor(o, [xs.length])]);
  return out;
}

describe('wasm exp core (float64)', () => {
  it('within 1 ulp of Math.exp over [-745.2, 709.8]; exact limits at 0, +-Infinity, NaN', () => {
    const n = 200_001;
    const xs = new Float64Array(n + 12);
    for (let i = 0; i <= n; i++) xs[i] = -745.2 + (i / n) * (709.8 + 745.2);
    xs.set([0, -0, 1e-300, -1e-300, 709.782712893384, -708.39, -745.13, -745.14, 1e-8], n + 1);
    const got = exp64(xs);
    let worst = 0;
    for (let i = 0; i < xs.length; i++) {
      const want = Math.exp(xs[i]!);
      if (want < 2 ** -1022) expect(Math.abs(got[i]! - want), `x=${xs[i]}`).toBeLessThanOrEqual(2 ** -1074);
      else worst = Math.max(worst, ulps64(got[i]!, want));
    }
    console.log(`exp core: worst ${worst} ulp (float64) over ${xs.length} points`);
    expect(worst).toBeLessThanOrEqual(1);
    const edges = exp64(Float64Array.from([Infinity, -Infinity, Number.NaN, 710, -746, 1e308, -1e308]));
    expect(Array.from(edges)).toEqual([Infinity, 0, Number.NaN, Infinity, 0, Infinity, 0]);
  });
});

/** Every 4099th float32 bit pattern (both signs, all exponents, NaNs, infinities) plus edge values. */
function float32Sweep(): Float32Array {
  const bits = new Uint32Array(Math.ceil(2 ** 32 / 4099) + 16);
  let k = 0;
  for (let b = 0; b < 2 ** 32; b += 4099) bits[k++] = b;
  const out = new Float32Array(bits.buffer);
  out.set(
    [
      0,
      -0,
      1e-45,
      -1e-45,
      3.4028234e38,
      -3.4028234e38,
      Infinity,
      -Infinity,
      Number.NaN,
      88.72283,
      88.72284,
      -87.33655,
      -103.27893,
      -103.97208,
      -104,
    ],
    k,
  );
  return out;
}

describe('wasm float32 exp and softmax', () => {
  it('exp: within 1 ulp (float32) of fround(Math.exp(x)) for every float32 sampled', () => {
    const xs = float32Sweep();
    setBackend('wasm');
    const before = elementwiseWasmCalls.unary;
    const got = exp(tensor(Array.from(xs), [xs.length], { dtype: 'float32' })).toTypedArray();
    expect(elementwiseWasmCalls.unary).toBe(before + 1);
    let worst = 0;
    let differ = 0;
    for (let i = 0; i < xs.length; i++) {
      const want = Math.fround(Math.exp(xs[i]!));
      if (Number.isNaN(want)) {
        expect(got[i], `exp(${xs[i]})`).toBeNaN();
        continue;
      }
      const d = want === got[i] ? 0 : ulps32(got[i]!, want);
      if (d > 0) differ++;
      worst = Math.max(worst, d);
    }
    console.log(`float32 exp: worst ${worst} ulp, ${differ} of ${xs.length} differ from fround(Math.exp)`);
    expect(worst).toBeLessThanOrEqual(1);
    expect(differ / xs.length).toBeLessThan(1e-4);
  });

  it('softmax along the last axis: within 1 ulp of the JS kernel, special rows included', () => {
    const rows: number[][] = [
      [1000, 999, -1000, 0],
      [-Infinity, 0, -Infinity, 1],
      [-Infinity, -Infinity, -Infinity, -Infinity],
      [Number.NaN, 1, 2, 3],
      [Infinity, 1, 2, 3],
      [0, -0, 0, 0],
      [1e-45, 3e38, -3e38, 88],
    ];
    for (const n of [4, 5, 7, 32, 33, 64, 100]) {
      const data: number[] = [];
      for (let r = 0; r < 24; r++) {
        for (let j = 0; j < n; j++)
          data.push(r < rows.length ? rows[r]![j % 4]! : Math.sin(r * 7 + j * 13) * 30);
      }
      const shape = [2, 12, n];
      setBackend('wasm');
      const before = rowsWasmCalls.softmax;
      const w = softmax(tensor(data, shape, { dtype: 'float32' })).toTypedArray();
      expect(rowsWasmCalls.softmax, `n=${n} ran in wasm`).toBe(before + 1);
      setBackend('js');
      const js = softmax(tensor(data, shape, { dtype: 'float32' })).toTypedArray();
      for (let i = 0; i < js.length; i++) {
        if (Number.isNaN(js[i]!)) expect(w[i], `n=${n} element ${i}`).toBeNaN();
        else expect(ulps32(w[i]!, js[i]!), `n=${n} element ${i}: ${w[i]} vs ${js[i]}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('softmax: against a float64 reference; other axes, strided input and tiny tensors take the JS path', () => {
    setBackend('wasm');
    const data = Array.from({ length: 6 * 70 }, (_, i) => Math.cos(i * 0.37) * 8);
    const x = tensor(data, [6, 70], { dtype: 'float32' });
    const x32 = x.toTypedArray();
    const ref = new Float64Array(data.length);
    for (let r = 0; r < 6; r++) {
      const row = Array.from(x32.subarray(r * 70, r * 70 + 70));
      const m = Math.max(...row);
      const s = row.reduce((t, v) => t + Math.exp(v - m), 0);
      for (let j = 0; j < 70; j++) ref[r * 70 + j] = Math.exp(row[j]! - m) / s;
    }
    const before = rowsWasmCalls.softmax;
    assertClose(softmax(x).toTypedArray(), ref, { rtol: 2 ** -23, atol: 0 });
    expect(rowsWasmCalls.softmax).toBe(before + 1);
    softmax(x, 0);
    softmax(x.transpose(), -1);
    softmax(tensor([1, 2, 3], [3], { dtype: 'float32' }));
    softmax(tensor(data, [6, 70], { dtype: 'float64' }));
    expect(rowsWasmCalls.softmax).toBe(before + 1);
  });
});
