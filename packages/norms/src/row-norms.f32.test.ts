// Precision 'high' (setNormPrecision): the float32-lane LayerNorm/RMSNorm wasm kernels against the
// float64 references and the PyTorch/exact fixtures, within the error bounds derived in
// wasm/row-norms-f32.ts (test/wasm/high-bounds.ts lists them). The hard rows must meet the same
// bounds as random rows: that is the test that float32 lanes are safe where they are used.
import '../test/wasm/use-wasm-backend.js';
import { Generator, getBackend, randn, setBackend, type Tensor, tensor } from '@normkit/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fx, rowCases } from '../test/row-helpers.js';
import { as64, assertWithin, dxScale, K, paramScales, values, yScale } from '../test/wasm/high-bounds.js';
import { wasmCalls } from './internal/wasm/runtime.js';
import {
  layerNormBackward,
  layerNormBackwardReference,
  layerNormForward,
  layerNormReference,
} from './layer-norm.js';
import { getNormPrecision, setNormPrecision } from './precision.js';
import { rmsNormBackward, rmsNormBackwardReference, rmsNormForward, rmsNormReference } from './rms-norm.js';

const initial = getNormPrecision();
beforeAll(() => setNormPrecision('high'));
// the setting is process-wide: leave the default for whatever runs next
afterAll(() => setNormPrecision('highest'));

const finiteOrNaN = (a: Float64Array) => a.map((v) => (Number.isFinite(v) ? v : Number.NaN));

interface Case {
  x: Tensor;
  dy: Tensor;
  w?: Tensor;
  b?: Tensor;
  eps: number;
}

/** LayerNorm forward and backward at 'high' against the float64 references (backward from the kernel's saved statistics). */
function checkLayerNorm({ x, dy, w, b, eps }: Case, label: string) {
  const N = x.shape[x.shape.length - 1]!;
  const M = x.size / N;
  const fwd = layerNormForward(x, [N], { weight: w, bias: b, eps });
  const ref = layerNormReference(as64(x)!, [N], { weight: as64(w), bias: as64(b), eps });
  const rstd = values(ref.rstd);
  const rows = { x: values(x), M, N, mean: values(ref.mean), rstd, w: w ? values(w) : null };
  assertWithin(values(fwd.y), values(ref.y), yScale(rows, b ? values(b) : null), K.y, `${label} y`);
  assertWithin(
    values(fwd.mean),
    finiteOrNaN(rows.mean),
    rstd.map((s) => 1 / s),
    K.mean,
    `${label} mean`,
  );
  assertWithin(values(fwd.rstd), rstd, rstd, K.rstd, `${label} rstd`);
  const needs = { dx: true, dWeight: w !== undefined, dBias: true };
  const bwd = layerNormBackward(dy, x, [N], fwd, { weight: w, needs });
  const bref = layerNormBackwardReference(as64(dy)!, as64(x)!, [N], fwd, { weight: as64(w), needs });
  checkGradients(bwd, bref, { ...rows, mean: values(fwd.mean), rstd: values(fwd.rstd) }, values(dy), label);
}

function checkRmsNorm({ x, dy, w, eps }: Case, label: string) {
  const N = x.shape[x.shape.length - 1]!;
  const M = x.size / N;
  const fwd = rmsNormForward(x, [N], { weight: w, eps });
  const ref = rmsNormReference(as64(x)!, [N], { weight: as64(w), eps });
  const rstd = values(ref.rstd);
  const rows = { x: values(x), M, N, mean: null, rstd, w: w ? values(w) : null };
  assertWithin(values(fwd.y), values(ref.y), yScale(rows, null), K.rmsY, `${label} rms y`);
  assertWithin(values(fwd.rstd), rstd, rstd, K.rmsRstd, `${label} rms rstd`);
  const needs = { dx: true, dWeight: w !== undefined };
  const bwd = rmsNormBackward(dy, x, [N], fwd, { weight: w, needs });
  const bref = rmsNormBackwardReference(as64(dy)!, as64(x)!, [N], fwd, { weight: as64(w), needs });
  checkGradients(bwd, bref, { ...rows, rstd: values(fwd.rstd) }, values(dy), `${label} rms`);
}

type Grads = { dx: Tensor | null; dWeight: Tensor | null; dBias?: Tensor | null };

function checkGradients(
  bwd: Grads,
  ref: Grads,
  rows: Parameters<typeof dxScale>[0],
  dy: Float64Array,
  label: string,
) {
  assertWithin(values(bwd.dx), values(ref.dx), dxScale(rows, dy), K.dx, `${label} dx`);
  const scales = paramScales(rows, dy);
  if (ref.dWeight)
    assertWithin(values(bwd.dWeight), values(ref.dWeight), scales.dW, K.dW, `${label} dWeight`);
  if (ref.dBias) assertWithin(values(bwd.dBias), values(ref.dBias), scales.dB, K.dB, `${label} dBias`);
}

function checkBoth(c: Case, label: string) {
  checkLayerNorm(c, label);
  checkRmsNorm(c, label);
}

/** [M, N] float32 with row r = values(r, j); dy, weight and bias seeded normals */
function rowsOf(M: number, N: number, value: (r: number, j: number) => number, seed = 1): Case {
  const data = new Float32Array(M * N);
  for (let r = 0; r < M; r++) for (let j = 0; j < N; j++) data[r * N + j] = value(r, j);
  return {
    x: tensor(data, [M, N]),
    dy: randn([M, N], { seed }),
    w: randn([N], { seed: seed + 1, mean: 1, std: 0.5 }),
    b: randn([N], { seed: seed + 2 }),
    eps: 1e-5,
  };
}

describe("precision 'high': random rows", () => {
  it('is not the default, and takes the float32-lane kernels only on the wasm path', () => {
    expect(initial).toBe('highest');
    expect(getBackend()).toBe('wasm');
    const calls = () => [
      wasmCalls.rowsForwardHigh ?? 0,
      wasmCalls.rowsBackwardHigh ?? 0,
      wasmCalls.rowsBackward ?? 0,
    ];
    const [f, b, old] = calls();
    // rows of 127 values or fewer: the 'highest' backward (float32 lanes are no faster there)
    for (const N of [8, 127, 128]) {
      const x = randn([2, N], { seed: 1 });
      layerNormBackward(x, x, [N], layerNormForward(x, [N]));
    }
    expect(calls()).toEqual([f! + 3, b! + 1, old! + 2]);
  });

  // lengths around the SIMD loops' ends (4 lanes, blocks of 32, LONG = 2048 values) and the
  // benchmark's rows; rows offset by up to +-3 std, as activations are
  it.each([1, 3, 5, 7, 33, 64, 100, 768, 771, 2049, 4099])('rows of %i values (9 rows, then 70)', (N) => {
    for (const M of [9, 70]) {
      if (M * N > 300_000) continue;
      const g = new Generator(N + M);
      const offsets = Array.from({ length: M }, () => 6 * g.uniform() - 3);
      const c = rowsOf(M, N, (r) => offsets[r]! + 2 * g.normal(), N);
      checkBoth(c, `[${M},${N}]`);
      checkBoth({ ...c, w: undefined, b: undefined, eps: 0 }, `[${M},${N}] no affine, eps 0`);
      checkLayerNorm({ ...c, w: undefined }, `[${M},${N}] bias only`);
    }
  });

  it('computes only the gradients asked for (dWeight/dBias alone: no dx pass)', () => {
    const c = rowsOf(11, 130, (r, j) => Math.sin(r + j) * 3 + r, 5);
    const fwd = layerNormForward(c.x, [130], { weight: c.w, bias: c.b });
    const all = layerNormBackward(c.dy, c.x, [130], fwd, { weight: c.w });
    const some = layerNormBackward(c.dy, c.x, [130], fwd, {
      weight: c.w,
      needs: { dx: false, dWeight: true, dBias: true },
    });
    expect(some.dx).toBeNull();
    // the same float32 partial sums in the same order: identical
    expect(values(some.dWeight)).toEqual(values(all.dWeight));
    expect(values(some.dBias)).toEqual(values(all.dBias));
  });

  it('long rows whose first 128 values mislead the shift take a second pass and stay within the bound', () => {
    checkBoth(
      rowsOf(4, 4099, (r, j) => (j < 128 ? 40 : 0) + Math.cos(j * 0.37 + r)),
      'skewed head',
    );
  });
});

describe("precision 'high': the hard rows meet the same bounds", () => {
  it('[40000, 40001, 40002, 40003] (and 768 such values per row)', () => {
    checkBoth(
      rowsOf(3, 4, (r, j) => 40000 + j + r),
      '40000..40003',
    );
    checkBoth(
      rowsOf(3, 768, (_r, j) => 40000 + (j % 4)),
      '40000..40003 x192',
    );
  });

  it('mean 1e4, std 0.01', () => {
    for (const N of [5, 768, 4099]) {
      const x = randn([4, N], { seed: N, mean: 1e4, std: 0.01 });
      checkBoth({ ...rowsOf(4, N, () => 0, 7), x }, `mean 1e4 std 0.01 [4,${N}]`);
    }
  });

  it('constant rows, eps 0 and 1e-5 (y = bias, dx = 0 with eps 0)', () => {
    for (const eps of [0, 1e-5]) {
      const c = { ...rowsOf(4, 777, (r) => [0.1, 0, -3.7, 1e-30][r]!), eps };
      checkBoth(c, `constant eps ${eps}`);
      if (eps === 0) {
        const { y } = layerNormForward(c.x, [777], { weight: c.w, bias: c.b, eps });
        expect(values(y).subarray(0, 777)).toEqual(values(c.b));
      }
    }
  });

  it('rows with NaN or Infinity turn NaN (only those rows; the others as if alone)', () => {
    const bad = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    const c = rowsOf(6, 130, (r, j) => (r % 2 === 1 && j === 33 ? bad[r >> 1]! : Math.sin(j) + r));
    const good = rowsOf(3, 130, (r, j) => Math.sin(j) + 2 * r);
    checkBoth(good, 'the finite rows alone');
    const ln = layerNormForward(c.x, [130], { weight: c.w, bias: c.b });
    const lg = layerNormBackward(c.dy, c.x, [130], ln, { weight: c.w });
    const rms = rmsNormForward(c.x, [130], { weight: c.w });
    const rg = rmsNormBackward(c.dy, c.x, [130], rms, { weight: c.w });
    const alone = layerNormForward(good.x, [130], { weight: c.w, bias: c.b });
    const rmsAlone = rmsNormForward(good.x, [130], { weight: c.w });
    const row = (t: Tensor | null, r: number) => values(t).subarray(r * 130, (r + 1) * 130);
    for (let r = 0; r < 6; r++) {
      if (r % 2 === 1) {
        for (const t of [ln.y, lg.dx, rms.y, rg.dx]) expect(row(t, r).every(Number.isNaN)).toBe(true);
        for (const t of [ln.mean, ln.rstd, rms.rstd]) expect(Number.isNaN(values(t)[r]!)).toBe(true);
      } else {
        expect(row(ln.y, r)).toEqual(row(alone.y, r / 2));
        expect(row(rms.y, r)).toEqual(row(rmsAlone.y, r / 2));
      }
    }
  });

  it('|x| ~ 1e30 and ~ 1e-30 (float32 squares overflow / underflow: the float64 path)', () => {
    for (const scale of [1e30, 3e37, 1e-30, 1e-38]) {
      for (const N of [1, 7, 130, 768]) {
        const x = randn([3, N], { seed: N, mean: scale, std: scale });
        checkBoth({ ...rowsOf(3, N, () => 0, 3), x }, `|x| ~ ${scale} [3,${N}]`);
      }
    }
  });

  it('float64-path rows between float32-lane rows (within a group of 8 partial-sum rows and across)', () => {
    // rows 1, 4, 5, 9 (|x| ~ 1e30) take the float64 path; the backward's float32 partials cover
    // rows 0-7, then 8-10
    const huge = new Set([1, 4, 5, 9]);
    for (const N of [130, 771]) {
      const g = new Generator(N);
      const c = rowsOf(11, N, (r) => (huge.has(r) ? 1e30 * (1 + g.normal()) : r - 5 + 2 * g.normal()), 4);
      checkBoth(c, `mixed rows [11,${N}]`);
      checkBoth({ ...c, w: undefined, b: undefined }, `mixed rows [11,${N}] no affine`);
      // a row's dx does not depend on its neighbours: the float32-lane rows as if alone
      const fwd = layerNormForward(c.x, [N], { weight: c.w, bias: c.b });
      const { dx } = layerNormBackward(c.dy, c.x, [N], fwd, { weight: c.w });
      for (const r of [0, 8, 10]) {
        const one = (t: Tensor) => tensor(Float32Array.from(values(t).subarray(r * N, (r + 1) * N)), [1, N]);
        const alone = layerNormBackward(
          one(c.dy),
          one(c.x),
          [N],
          layerNormForward(one(c.x), [N], { weight: c.w }),
          {
            weight: c.w,
          },
        );
        expect(values(alone.dx)).toEqual(values(dx).subarray(r * N, (r + 1) * N));
      }
    }
  });

  it('rows of length 1 (var 0: y = bias, dx = 0)', () => {
    checkBoth(
      rowsOf(6, 1, (r) => r - 2.5),
      'N = 1',
    );
  });
});

describe("precision 'high' against the PyTorch / exact fixtures", () => {
  const all = [...rowCases('layer_norm.json'), ...rowCases('rms_norm.json')];
  const isLn = (c: (typeof all)[number]) => c.exact?.mean !== undefined;
  it.each(all.filter((c) => c.dtype === 'float32').map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const exact = c.exact!;
    const N = c.normalized_shape.reduce((a, b) => a * b, 1);
    const x = fx(c.x)!;
    const dy = fx(c.dy)!;
    const w = fx(c.weight);
    const b = fx(c.bias);
    const eps = c.eps ?? undefined;
    const ln = isLn(c);
    const shape = c.normalized_shape;
    const fwd = ln
      ? layerNormForward(x, shape, { weight: w, bias: b, eps })
      : rmsNormForward(x, shape, { weight: w, eps });
    const rows = {
      x: values(x),
      M: x.size / Math.max(N, 1),
      N,
      mean: ln ? values(fx(exact.mean)) : null,
      rstd: values(fx(exact.rstd)),
      w: w ? values(w) : null,
    };
    if (x.size === 0) return;
    assertWithin(
      values(fwd.y),
      values(fx(exact.y)),
      yScale(rows, b ? values(b) : null),
      ln ? K.y : K.rmsY,
      `${c.name} y`,
    );
    assertWithin(values(fwd.rstd), rows.rstd, rows.rstd, ln ? K.rstd : K.rmsRstd, `${c.name} rstd`);
    // the backward from the exact statistics, against the exact gradients
    const saved = { mean: fx(exact.mean, 'float64')!, rstd: fx(exact.rstd, 'float64')! };
    const bwd = ln
      ? layerNormBackward(dy, x, shape, saved, { weight: w, needs: { dWeight: !!w, dBias: true } })
      : rmsNormBackward(dy, x, shape, saved, { weight: w, needs: { dWeight: !!w } });
    const ref = {
      dx: fx(exact.dx, 'float64')!,
      dWeight: w ? fx(exact.dweight, 'float64')! : null,
      dBias: ln ? fx(exact.dbias, 'float64') : null,
    };
    checkGradients(bwd, ref, rows, values(dy), c.name);
  });

  it.each(all.filter((c) => c.dtype === 'float64').map((c) => [c.name, c] as const))(
    '%s: float64 is unchanged',
    (_n, c) => {
      const run = () => {
        const x = fx(c.x)!;
        const opts = { weight: fx(c.weight), bias: fx(c.bias), eps: c.eps ?? undefined };
        const f = isLn(c)
          ? layerNormForward(x, c.normalized_shape, opts)
          : rmsNormForward(x, c.normalized_shape, opts);
        return [values(f.y), values(f.rstd)];
      };
      const high = run();
      setNormPrecision('highest');
      const highest = run();
      setNormPrecision('high');
      expect(high).toEqual(highest);
    },
  );
});

describe('setNormPrecision', () => {
  it("'highest' is the old path, bit for bit, before and after 'high' ran", () => {
    const c = rowsOf(9, 771, (r, j) => Math.sin(j) * (r + 1) + r);
    const run = () => {
      const f = layerNormForward(c.x, [771], { weight: c.w, bias: c.b });
      const g = layerNormBackward(c.dy, c.x, [771], f, { weight: c.w });
      return [f.y, f.mean, f.rstd, g.dx, g.dWeight, g.dBias].map(values);
    };
    setNormPrecision('highest');
    const first = run();
    const calls = wasmCalls.rowsForward;
    setNormPrecision('high');
    run();
    setNormPrecision('highest');
    expect(run()).toEqual(first);
    expect(wasmCalls.rowsForward).toBe(calls! + 1);
    setNormPrecision('high');
  });

  it('changes nothing on the js backend', () => {
    setBackend('js');
    try {
      const x = randn([3, 40], { seed: 2 });
      const high = values(layerNormForward(x, [40]).y);
      setNormPrecision('highest');
      expect(values(layerNormForward(x, [40]).y)).toEqual(high);
    } finally {
      setNormPrecision('high');
      setBackend('wasm');
    }
  });

  it('rejects anything but highest and high, naming the function, the argument and the value', () => {
    expect(getNormPrecision()).toBe('high');
    for (const bad of ['medium', 'HIGH', '', undefined, 1]) {
      expect(() => setNormPrecision(bad as never)).toThrow(RangeError);
    }
    expect(() => setNormPrecision('medium' as never)).toThrow(
      "setNormPrecision: precision must be 'highest' or 'high', got 'medium'",
    );
    expect(() => setNormPrecision(undefined as never)).toThrow(
      "setNormPrecision: precision must be 'highest' or 'high', got undefined",
    );
    expect(getNormPrecision()).toBe('high');
  });
});
