import {
  axpy,
  type Backend,
  dispose,
  fullLike,
  getBackend,
  randn,
  setBackend,
  type Tensor,
  tidy,
  wasmByteOffset,
  wasmMemoryStats,
  wasmSupported,
} from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import * as A from './index.js';

// A leaf's .grad is state that outlives the step (like its parameter): backward keeps it when it
// creates it, so a backward run inside the user's tidy() leaves p.grad valid afterwards (on the
// wasm backend tidy would free it and hand its block to the next tensor). zeroGrad disposes it.
// Oracle for the gradient values: the least-squares gradient written out in float64.

const previous = getBackend();
afterEach(() => setBackend(previous));

// loss = mean((x w + b - y)^2), x [N, K], w [K, M], b [M], y [N, M]
const N = 8;
const K = 4;
const M = 3;

function problem() {
  const x = randn([N, K], { seed: 11 });
  const y = randn([N, M], { seed: 12 });
  const w = A.variable(randn([K, M], { seed: 13 }), { name: 'w' });
  const b = A.variable(randn([M], { seed: 14 }), { name: 'b' });
  const loss = () => A.mean(A.square(A.sub(A.add(A.matmul(x, w), b), y)));
  return { x, y, w, b, loss };
}

/** dL/dw = (2 / NM) x^T r and dL/db = (2 / NM) sum over rows of r, with r = x w + b - y, in float64. */
function leastSquaresGrads(x: Tensor, y: Tensor, w: Tensor, b: Tensor) {
  const [xs, ys, ws, bs] = [x, y, w, b].map((t) => t.toFlatArray());
  const dw = new Array<number>(K * M).fill(0);
  const db = new Array<number>(M).fill(0);
  const scale = 2 / (N * M);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      let r = bs![m]! - ys![n * M + m]!;
      for (let k = 0; k < K; k++) r += xs![n * K + k]! * ws![k * M + m]!;
      for (let k = 0; k < K; k++) dw[k * M + m]! += scale * xs![n * K + k]! * r;
      db[m]! += scale * r;
    }
  }
  return { dw, db };
}

/** Allocate and fill many tensors of each shape: on wasm they take any block a tidy freed. */
function scribble(shapes: readonly Tensor[]): void {
  tidy(() => {
    for (let i = 0; i < 64; i++) for (const t of shapes) fullLike(t, 7);
  });
  const outside = shapes.map((t) => fullLike(t, -7)); // outside any tidy, then freed by hand
  dispose(outside);
}

const liveBlocks = () => wasmMemoryStats().liveBlocks;

describe.each<Backend>(['wasm', 'js'])('leaf gradients made inside tidy (%s backend)', (backend) => {
  it.skipIf(backend === 'wasm' && !wasmSupported())(
    'backward inside tidy: p.grad read outside, after other tensors reused the freed blocks, is the gradient',
    () => {
      setBackend(backend);
      const { x, y, w, b, loss } = problem();
      tidy(() => A.backward(loss()));
      expect(wasmByteOffset(w.grad!) !== null).toBe(backend === 'wasm');
      scribble([w.data, b.data]);
      const { dw, db } = leastSquaresGrads(x, y, w.data, b.data);
      // float32 inputs and kernels against a float64 formula: rounding only
      assertClose(w.grad!.toFlatArray(), dw, { rtol: 1e-5, atol: 1e-6, label: 'dL/dw' });
      assertClose(b.grad!.toFlatArray(), db, { rtol: 1e-5, atol: 1e-6, label: 'dL/db' });
      // a second backward in another tidy adds into the kept gradient in place
      const g = w.grad;
      tidy(() => loss().backward());
      expect(w.grad).toBe(g);
      scribble([w.data, b.data]);
      const twice = (v: number[]) => v.map((e) => 2 * e);
      assertClose(w.grad!.toFlatArray(), twice(dw), { rtol: 1e-5, atol: 1e-6, label: '2 dL/dw' });
      assertClose(b.grad!.toFlatArray(), twice(db), { rtol: 1e-5, atol: 1e-6, label: '2 dL/db' });
      A.zeroGrad([w, b]);
    },
  );
});

describe.skipIf(!wasmSupported())('leaf gradients on the wasm backend: kept, and freed by zeroGrad', () => {
  it('positive control: a tensor made inside tidy and not kept is overwritten by scribble', () => {
    setBackend('wasm');
    const { w } = problem();
    let smuggled: Tensor | null = null;
    tidy(() => {
      smuggled = fullLike(w.data, 1); // escapes through a closure: tidy cannot see it
    });
    scribble([w.data]);
    expect(smuggled!.toFlatArray()).not.toEqual(new Array(K * M).fill(1));
  });

  it('the gradient survives nested tidies; a leaf that is the output itself gets the seed', () => {
    setBackend('wasm');
    const { x, y, w, b, loss } = problem();
    const base = liveBlocks();
    tidy(() => {
      tidy(() => loss().backward());
      fullLike(w.data, 3); // the outer scope allocates and frees too
    });
    expect(liveBlocks()).toBe(base + 2); // w.grad and b.grad, nothing else
    scribble([w.data, b.data]);
    const { dw } = leastSquaresGrads(x, y, w.data, b.data);
    assertClose(w.grad!.toFlatArray(), dw, { rtol: 1e-5, atol: 1e-6, label: 'dL/dw' });
    A.zeroGrad([w, b]);
    expect(liveBlocks()).toBe(base);

    const seed = randn([K, M], { seed: 15 });
    tidy(() => A.backward(w, seed)); // d(seed . w)/dw = seed
    scribble([w.data]);
    expect(w.grad!.toFlatArray()).toEqual(seed.toFlatArray());
    w.zeroGrad();
    dispose(seed);
    expect(liveBlocks()).toBe(base);
  });

  it('200 steps with zeroGrad inside tidy keep the wasm memory flat', () => {
    setBackend('wasm');
    const { w, b, loss } = problem();
    const step = () =>
      tidy(() => {
        A.zeroGrad([w, b]); // disposes last step's kept gradients
        const l = loss();
        l.backward();
        for (const p of [w, b]) axpy(-0.05, p.grad!, p.data);
        return l.item();
      });
    const first = step();
    const s0 = wasmMemoryStats();
    let last = first;
    for (let i = 0; i < 200; i++) {
      last = step();
      const s = wasmMemoryStats();
      expect([s.liveBlocks, s.liveBytes, s.highWaterBytes, s.heapFallbacks]).toEqual([
        s0.liveBlocks,
        s0.liveBytes,
        s0.highWaterBytes,
        s0.heapFallbacks,
      ]);
    }
    expect(last).toBeLessThan(first); // it did descend
    A.zeroGrad([w, b]);
  });

  it('positive control: dropping kept gradients with p.grad = null (no dispose) grows the memory', () => {
    setBackend('wasm');
    const { w, b, loss } = problem();
    const dropped: Tensor[] = [];
    const base = liveBlocks();
    for (let i = 0; i < 10; i++) {
      tidy(() => loss().backward());
      for (const p of [w, b]) {
        dropped.push(p.grad!);
        p.grad = null;
      }
    }
    expect(liveBlocks()).toBe(base + 20);
    dispose(dropped);
    expect(liveBlocks()).toBe(base);
  });

  it('a retainGrad() non-leaf gradient is not kept: it belongs to the step, as the non-leaf does', () => {
    setBackend('wasm');
    const { w, b, loss } = problem();
    const base = liveBlocks();
    tidy(() => {
      const l = loss().retainGrad();
      l.backward();
      expect(l.grad!.item()).toBe(1);
    });
    expect(liveBlocks()).toBe(base + 2); // w.grad and b.grad only
    A.zeroGrad([w, b]);
  });

  it('grad / valueAndGrad / gradcheck results are not kept: a tidy frees them unless it returns them', () => {
    setBackend('wasm');
    const { x, y, w, b } = problem();
    const f = (wv: A.Variable, bv: A.Variable) => A.mean(A.square(A.sub(A.add(A.matmul(x, wv), bv), y)));
    const base = liveBlocks();
    tidy(() => void A.grad(f)(w, b));
    tidy(() => void A.valueAndGrad(f)(w, b));
    expect(liveBlocks()).toBe(base);
    const [dw, db] = tidy(() => A.grad(f)(w, b));
    expect(liveBlocks()).toBe(base + 2);
    scribble([w.data, b.data]);
    const want = leastSquaresGrads(x, y, w.data, b.data);
    assertClose(dw.toFlatArray(), want.dw, { rtol: 1e-5, atol: 1e-6, label: 'grad(f) dw' });
    assertClose(db.toFlatArray(), want.db, { rtol: 1e-5, atol: 1e-6, label: 'grad(f) db' });
    expect([w.grad, b.grad]).toEqual([null, null]); // the arguments' own .grad is untouched
    dispose([dw, db]);
    expect(liveBlocks()).toBe(base);
    const w64 = randn([K, M], { seed: 16, dtype: 'float64' });
    const base64 = liveBlocks();
    tidy(() => void A.gradcheck((v) => A.sum(A.tanh(v)), [w64]));
    expect(liveBlocks()).toBe(base64);
  });
});
