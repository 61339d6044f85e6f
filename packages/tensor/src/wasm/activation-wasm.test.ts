import { afterEach, describe, expect, it } from 'vitest';
import { geluBackward, sigmoidBackward, tanhBackward } from '../activation-grad.js';
import { tensor } from '../create.js';
import { activationWasmCalls } from '../internal/wasm/activation-wasm.js';
import type { Tensor } from '../tensor.js';
import { gelu, sigmoid, tanh } from '../unary.js';
import { getBackend, setBackend } from './backend.js';

// The float32 wasm activation kernels (wasm/activation.ts, lib/erf.ts, lib/tanh.ts) against the JS
// kernels, whose float32 result is the float64 value (geluScalar / Math.tanh / the float64 slopes of
// activation-grad.ts, themselves tested against PyTorch and tail-accurate references in
// activation-grad.test.ts) rounded once. Bounds asserted, in float32 ulps of that rounded value,
// over every 4099th float32 bit pattern, a dense grid of [-12, 12] and the edges (the boundaries of
// each piece and their float32 neighbours, 0, -0, subnormals, huge, +-Infinity, NaN); measured on
// Node 20 in brackets:
//   gelu, gelu 'tanh':                      <= 1 ulp, differing in < 1e-5 of the inputs   [0 differ]
//   tanh (continued fraction, |x| <= 9):    <= 1 ulp, differing in < 5e-4 of the inputs  [1.9e-4:
//                                           the truncation error grows toward |x| = 9]
//   geluBackward, both forms:               <= 1 ulp, except next to the zero of the slope
//                                           (x ~ -0.75 'none', -0.75 'tanh'), where the float64
//                                           sum Phi + x phi cancels in both kernels: there
//                                           |wasm - js| <= 2^-50 |dy|                     [0 differ]
//   tanhBackward, sigmoidBackward:          bit-identical (the same float64 operations)

const initial = getBackend();
afterEach(() => setBackend(initial));

const f32bits = new Int32Array(1);
const f32view = new Float32Array(f32bits.buffer);
/** Position of a float32 on the number line in ulps (the bit pattern made monotonic). */
function ordinal(v: number): number {
  f32view[0] = v;
  const b = f32bits[0]!;
  return b < 0 ? -(b & 0x7fffffff) : b;
}
function nextFloat32(v: number, dir: 1 | -1): number {
  const o = ordinal(Math.fround(v)) + dir;
  f32bits[0] = o < 0 ? -o | 0x80000000 : o;
  return f32view[0]!;
}

/** Piece boundaries in x: erfc's at |x| / sqrt 2 = 0.25, 0.84375, 1.25, 1/0.35, 6, 28; tanh's 9. */
const BOUNDARIES = [0.25, 0.84375, 1.25, 2.8571414947509766, 6, 28]
  .map((z) => z * Math.SQRT2)
  .concat([9, 1, 0.5]);

function inputs(): number[] {
  const xs: number[] = [];
  for (let b = 0; b < 2 ** 32; b += 4099) {
    f32bits[0] = b | 0;
    xs.push(f32view[0]!);
  }
  for (let i = 0; i <= 240_000; i++) xs.push(Math.fround(-12 + i / 10_000));
  for (const b of BOUNDARIES) {
    for (const v of [b, -b]) xs.push(Math.fround(v), nextFloat32(v, 1), nextFloat32(v, -1));
  }
  xs.push(
    0,
    -0,
    1e-45,
    -1e-45,
    1.2e-38,
    -1.2e-38,
    3.4028234e38,
    -3.4028234e38,
    Infinity,
    -Infinity,
    Number.NaN,
  );
  return xs;
}
const XS = inputs();
/** dy for the backward passes: a few magnitudes and signs. */
const DYS = XS.map((_, i) => [1, -0.375, 3.0517578125e-5, 250][i % 4]!);

const on = (backend: 'js' | 'wasm', v: readonly number[]): Tensor => {
  setBackend(backend);
  return tensor(v as number[], [v.length], { dtype: 'float32' });
};

interface Diff {
  worst: number;
  differ: number;
}
/** ulp distance of wasm from js per element; NaN must match NaN. `skip(i)` elements are not counted. */
function compare(w: Float32Array, j: Float32Array, what: string, skip?: (i: number) => boolean): Diff {
  let worst = 0;
  let differ = 0;
  for (let i = 0; i < j.length; i++) {
    if (Number.isNaN(j[i]!) || Number.isNaN(w[i]!)) {
      expect(Number.isNaN(w[i]!), `${what}(${XS[i]}): ${w[i]} (wasm) vs ${j[i]} (js)`).toBe(
        Number.isNaN(j[i]!),
      );
      continue;
    }
    if (w[i] === j[i] || skip?.(i)) continue;
    const d = Math.abs(ordinal(w[i]!) - ordinal(j[i]!));
    differ++;
    if (d > worst) worst = d;
    expect(d, `${what}(${XS[i]}): ${w[i]} (wasm) vs ${j[i]} (js)`).toBeLessThanOrEqual(1);
  }
  console.log(`${what}: worst ${worst} ulp, ${differ} of ${j.length} differ from the JS kernel`);
  return { worst, differ };
}

describe('wasm activation kernels (float32) against the JS kernels', () => {
  it('gelu (both forms) and tanh: within 1 ulp over the sweep', () => {
    const cases: [string, (x: Tensor) => Tensor, number][] = [
      ['gelu', (x) => gelu(x), 1e-5],
      ['gelu tanh', (x) => gelu(x, { approximate: 'tanh' }), 1e-5],
      ['tanh', (x) => tanh(x), 5e-4],
    ];
    for (const [what, f, rate] of cases) {
      const before = activationWasmCalls.forward;
      const w = f(on('wasm', XS)).toTypedArray() as Float32Array;
      expect(activationWasmCalls.forward, `${what} ran in wasm`).toBe(before + 1);
      const j = f(on('js', XS)).toTypedArray() as Float32Array;
      expect(compare(w, j, what).differ / XS.length).toBeLessThan(rate);
    }
  });

  it('tanh: exact limits and signs at the edges', () => {
    const edges = [0, -0, 9.5, -9.5, 1e30, -1e30, Infinity, -Infinity, Number.NaN, 1e-45, -1e-45];
    const xs = Array.from({ length: 64 }, (_, i) => edges[i % edges.length]!);
    const y = Array.from(tanh(on('wasm', xs)).toTypedArray());
    expect(y.slice(0, edges.length)).toEqual(
      [0, -0, 1, -1, 1, -1, 1, -1, Number.NaN, 1e-45, -1e-45].map(Math.fround),
    );
  });

  it('geluBackward (both forms): within 1 ulp, absolute 2^-50 |dy| next to the zero of the slope', () => {
    for (const approximate of ['none', 'tanh'] as const) {
      const before = activationWasmCalls.grad;
      const w = geluBackward(on('wasm', DYS), on('wasm', XS), { approximate }).toTypedArray() as Float32Array;
      expect(activationWasmCalls.grad, `${approximate} ran in wasm`).toBe(before + 1);
      const j = geluBackward(on('js', DYS), on('js', XS), { approximate }).toTypedArray() as Float32Array;
      const nearZero = (i: number) => {
        if (Math.abs(XS[i]! + 0.75) > 0.01) return false;
        expect(Math.abs(w[i]! - j[i]!)).toBeLessThanOrEqual(2 ** -50 * Math.abs(DYS[i]!));
        return true;
      };
      expect(compare(w, j, `geluBackward ${approximate}`, nearZero).differ / XS.length).toBeLessThan(1e-5);
    }
  });

  it('tanhBackward and sigmoidBackward: bit-identical to the JS kernels', () => {
    const ys = Array.from(tanh(on('js', XS)).toTypedArray());
    const ss = Array.from(sigmoid(on('js', XS)).toTypedArray());
    for (const [what, f, v] of [
      ['tanhBackward', tanhBackward, ys],
      ['sigmoidBackward', sigmoidBackward, ss],
    ] as const) {
      const before = activationWasmCalls.grad;
      const w = f(on('wasm', DYS), on('wasm', v)).toTypedArray() as Float32Array;
      expect(activationWasmCalls.grad).toBe(before + 1);
      const j = f(on('js', DYS), on('js', v)).toTypedArray() as Float32Array;
      expect(compare(w, j, what).differ).toBe(0);
    }
  });

  it('lengths around the 4-wide loop and its tail; where the JS path runs instead', () => {
    for (const n of [64, 65, 66, 67, 70, 131]) {
      const xs = XS.slice(262_000, 262_000 + n);
      const dys = DYS.slice(0, n);
      const before = { ...activationWasmCalls };
      const w = geluBackward(on('wasm', dys), on('wasm', xs)).toTypedArray();
      const wf = gelu(on('wasm', xs), { approximate: 'tanh' }).toTypedArray();
      expect(activationWasmCalls).toEqual({ forward: before.forward + 1, grad: before.grad + 1 });
      expect(Array.from(w), `n=${n}`).toEqual(
        Array.from(geluBackward(on('js', dys), on('js', xs)).toTypedArray()),
      );
      expect(Array.from(wf), `n=${n}`).toEqual(
        Array.from(gelu(on('js', xs), { approximate: 'tanh' }).toTypedArray()),
      );
    }
    // JS path: heap tensors (js backend), float64, fewer than 64 elements
    const before = { ...activationWasmCalls };
    const x64 = XS.slice(262_000, 262_100);
    geluBackward(on('js', x64), on('js', x64));
    tanh(on('js', x64));
    setBackend('wasm');
    const d = tensor(x64, [100], { dtype: 'float64' });
    geluBackward(d, d);
    gelu(d);
    geluBackward(on('wasm', x64.slice(0, 63)), on('wasm', x64.slice(0, 63)));
    tanh(on('wasm', x64.slice(0, 63)));
    expect(activationWasmCalls).toEqual(before);
  });

  it('strided inputs are gathered into contiguous memory first, then take the kernel', () => {
    const xs = XS.slice(262_000, 262_000 + 12 * 16);
    const x = on('wasm', xs).reshape([12, 16]).transpose();
    const dy = on('wasm', DYS.slice(0, 12 * 16)).reshape([16, 12]);
    const before = { ...activationWasmCalls };
    const w = geluBackward(dy, x).toTypedArray();
    const wf = tanh(x).toTypedArray();
    expect(activationWasmCalls).toEqual({ forward: before.forward + 1, grad: before.grad + 1 });
    const xj = on('js', xs).reshape([12, 16]).transpose();
    const dyj = on('js', DYS.slice(0, 12 * 16)).reshape([16, 12]);
    expect(Array.from(w)).toEqual(Array.from(geluBackward(dyj, xj).toTypedArray()));
    compare(wf as Float32Array, tanh(xj).toTypedArray() as Float32Array, 'tanh strided');
  });
});
