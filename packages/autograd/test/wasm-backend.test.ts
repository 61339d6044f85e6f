import {
  axpy,
  type Backend,
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
import * as A from '../src/index.js';

// The autograd engine on the wasm backend: a training loop run step by step inside tidy() must
// give the js backend's losses (the js kernels are the oracle the wasm kernels are tested
// against) and must not grow the wasm memory; zeroGrad must free the gradients it drops.

const previous = getBackend();
afterEach(() => setBackend(previous));

/** x [32, 16] -> Linear(16, 64) -> tanh -> Linear(64, 1), mse against y; plain SGD. */
function mlp(backend: Backend) {
  setBackend(backend); // every tensor below, and every one the steps allocate, lives there
  const r = (shape: number[], seed: number, std = 1) => randn(shape, { seed, dtype: 'float32', std });
  const x: Tensor = r([32, 16], 1);
  const y: Tensor = r([32, 1], 2);
  const params = [
    A.variable(r([16, 64], 3, 0.25)),
    A.variable(r([64], 4, 0.01)),
    A.variable(r([64, 1], 5, 0.125)),
  ];
  const [w1, b1, w2] = params as [A.Variable, A.Variable, A.Variable];
  const step = (): number =>
    tidy(() => {
      A.zeroGrad(params);
      const loss = A.mean(A.square(A.sub(A.matmul(A.tanh(A.add(A.matmul(x, w1), b1)), w2), y)));
      loss.backward();
      for (const p of params) axpy(-0.1, p.grad!, p.data);
      return loss.item();
    });
  return { params, step };
}

describe.skipIf(!wasmSupported())('wasm backend', () => {
  it('an MLP trained step by step inside tidy matches the js backend and keeps the wasm memory flat', () => {
    const js = mlp('js');
    const jsLosses = Array.from({ length: 40 }, js.step);
    const wasm = mlp('wasm');
    expect(wasm.params.every((p) => wasmByteOffset(p.data) !== null)).toBe(true);
    expect(js.params.every((p) => wasmByteOffset(p.data) === null)).toBe(true);
    const wasmLosses: number[] = [];
    const live: number[][] = [];
    for (let i = 0; i < 40; i++) {
      wasmLosses.push(wasm.step());
      const s = wasmMemoryStats();
      live.push([s.liveBlocks, s.liveBytes, s.highWaterBytes, s.heapFallbacks]);
    }
    // float32 throughout; the wasm matmul sums in float32, the js one in float64 (both rounded
    // once), so the two runs drift apart by a few float32 ulps over the steps
    assertClose(wasmLosses, jsLosses, { rtol: 1e-5, atol: 0, label: 'losses' });
    expect(wasmLosses.at(-1)!).toBeLessThan(0.5 * wasmLosses[0]!); // it did train
    // nothing outlives a step: same live blocks, bytes and high-water mark after every step
    for (const s of live) expect(s).toEqual(live[0]);
  });

  it('zeroGrad disposes the gradients it drops; setToNone: false keeps them', () => {
    setBackend('wasm');
    const w = A.variable(randn([100], { seed: 1, dtype: 'float32' }));
    const v = A.variable(randn([100], { seed: 2, dtype: 'float32' }));
    // backward inside tidy: the leaves' gradients (kept by the engine) are the only blocks it leaves
    const backward = () => tidy(() => A.sum(A.mul(w, v)).backward());
    const base = wasmMemoryStats().liveBlocks;
    backward();
    expect(wasmMemoryStats().liveBlocks).toBe(base + 2);
    const g = w.grad!;
    expect(wasmByteOffset(g)).not.toBeNull();
    A.zeroGrad([w], { setToNone: false });
    expect(w.grad).toBe(g);
    expect(wasmMemoryStats().liveBlocks).toBe(base + 2);
    A.zeroGrad([w, v]);
    expect([w.grad, v.grad]).toEqual([null, null]);
    expect(wasmMemoryStats().liveBlocks).toBe(base);
    backward();
    v.zeroGrad(); // Variable.zeroGrad too
    expect(wasmMemoryStats().liveBlocks).toBe(base + 1);
    A.zeroGrad([w, v]); // v has none: only w's is freed
    expect(wasmMemoryStats().liveBlocks).toBe(base);
  });

  it('zeroGrad of a gradient already freed by a tidy is harmless (no double free)', () => {
    setBackend('wasm');
    const w = A.variable(randn([10], { seed: 3, dtype: 'float32' }));
    const before = wasmMemoryStats().liveBlocks;
    // a gradient assigned by hand inside tidy is not kept (only the engine keeps what it creates)
    tidy(() => {
      w.grad = fullLike(w.data, 1);
    });
    expect(wasmMemoryStats().liveBlocks).toBe(before);
    expect(() => A.zeroGrad([w])).not.toThrow();
    expect(w.grad).toBeNull();
    expect(wasmMemoryStats().liveBlocks).toBe(before);
  });
});
