import type { Variable } from '@normkit/autograd';
import {
  type Backend,
  dispose,
  fullLike,
  getBackend,
  randn,
  setBackend,
  type Tensor,
  tidy,
  wasmMemoryStats,
  wasmSupported,
} from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { Linear } from './layers/linear.js';
import { mse } from './losses.js';
import { AdamW } from './optim/adam.js';
import { SGD } from './optim/sgd.js';

// backward inside the user's tidy(), optimizer.step() after it: the gradients the engine created
// in the tidy are kept (they belong to the parameters), so the step reads them intact even after
// other tensors have reused every block the tidy freed (wasm backend).

const previous = getBackend();
afterEach(() => setBackend(previous));

// Linear(K -> M) on x [N, K], mse against y [N, M]
const N = 8;
const K = 5;
const M = 3;

function setup(backend: Backend) {
  setBackend(backend);
  const model = new Linear(K, M, { seed: 21 });
  const x = randn([N, K], { seed: 22 });
  const y = randn([N, M], { seed: 23 });
  const params = model.parameters();
  const backward = () =>
    tidy(() => {
      model.zeroGrad(); // disposes the previous step's kept gradients
      mse(model.forward(x), y).backward();
    });
  return { model, x, y, params, backward };
}

/** Allocate and fill many tensors shaped as the parameters: they take any block a tidy freed. */
function scribble(params: readonly Variable[]): void {
  tidy(() => {
    for (let i = 0; i < 64; i++) for (const p of params) fullLike(p.data, 7);
  });
  dispose(params.map((p) => fullLike(p.data, -7)));
}

/**
 * Plain gradient descent on the least-squares loss in float64: r = x W^T + b - y,
 * dW = (2 / NM) r^T x [M, K], db = (2 / NM) sum over rows of r.
 */
function sgdReference(x: Tensor, y: Tensor, w0: Tensor, b0: Tensor, lr: number, steps: number) {
  const [xs, ys] = [x.toFlatArray(), y.toFlatArray()];
  const w = w0.toFlatArray();
  const b = b0.toFlatArray();
  const scale = 2 / (N * M);
  for (let s = 0; s < steps; s++) {
    const dw = new Array<number>(M * K).fill(0);
    const db = new Array<number>(M).fill(0);
    for (let n = 0; n < N; n++) {
      for (let m = 0; m < M; m++) {
        let r = b[m]! - ys[n * M + m]!;
        for (let k = 0; k < K; k++) r += xs[n * K + k]! * w[m * K + k]!;
        for (let k = 0; k < K; k++) dw[m * K + k]! += scale * r * xs[n * K + k]!;
        db[m]! += scale * r;
      }
    }
    for (let i = 0; i < w.length; i++) w[i]! -= lr * dw[i]!;
    for (let i = 0; i < b.length; i++) b[i]! -= lr * db[i]!;
  }
  return { w, b };
}

describe.skipIf(!wasmSupported())('optimizer.step() after tidy(() => backward) (wasm backend)', () => {
  it('SGD: three steps give plain gradient descent on the least-squares loss', () => {
    const { model, x, y, params, backward } = setup('wasm');
    const want = sgdReference(x, y, model.weight.data, model.bias!.data, 0.1, 3);
    const opt = new SGD(params, { lr: 0.1 });
    for (let s = 0; s < 3; s++) {
      backward();
      scribble(params);
      opt.step();
    }
    // float32 parameters and kernels against float64: a few ulps per step
    assertClose(model.weight.data.toFlatArray(), want.w, { rtol: 1e-5, atol: 1e-6, label: 'weight' });
    assertClose(model.bias!.data.toFlatArray(), want.b, { rtol: 1e-5, atol: 1e-6, label: 'bias' });
    model.zeroGrad();
  });

  it('AdamW and SGD with momentum match the js backend; the memory is flat after the first step', () => {
    const makers: ((ps: Variable[]) => { step(): void })[] = [
      (ps) => new AdamW(ps, { lr: 1e-2, weightDecay: 0.1 }),
      (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }),
    ];
    for (const make of makers) {
      const run = (backend: Backend) => {
        const { model, params, backward } = setup(backend);
        const opt = make(params);
        const live: number[] = [];
        for (let s = 0; s < 6; s++) {
          backward();
          if (backend === 'wasm') scribble(params);
          tidy(() => opt.step()); // its temporaries go, its state (kept) stays
          live.push(wasmMemoryStats().liveBytes);
        }
        const values = params.flatMap((p) => p.data.toFlatArray());
        model.zeroGrad();
        return { values, live };
      };
      const js = run('js');
      const wasm = run('wasm');
      // the js kernels are the oracle the wasm kernels are tested against; float32 both
      assertClose(wasm.values, js.values, { rtol: 1e-5, atol: 1e-6, label: 'parameters after 6 steps' });
      // step 1 creates the optimizer state; after it, gradients are recycled by zeroGrad
      for (const b of wasm.live.slice(1)) expect(b).toBe(wasm.live[0]);
    }
  });
});
