import { type Variable, variable } from '@normkit/autograd';
import {
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
import { Sequential } from './containers.js';
import { GELU } from './layers/activation.js';
import { Linear } from './layers/linear.js';
import { mse } from './losses.js';
import type { Module } from './module.js';
import { BatchNorm1d } from './norms/batch-norm.js';
import { LayerNorm } from './norms/modules.js';
import { Adam, AdamW } from './optim/adam.js';
import { SGD } from './optim/sgd.js';

// Modules and optimizers on the wasm backend. Their tensors outlive the tidy() a training step
// runs in: parameters and buffers (kept at registration), optimizer state and temporaries (kept
// when created on the first step). Oracle: the same run on the js backend.

const previous = getBackend();
afterEach(() => setBackend(previous));

const build = () =>
  new Sequential(
    new Linear(16, 32, { seed: 1 }),
    new LayerNorm(32),
    new GELU(),
    // no bias before BatchNorm: its exact gradient is 0, and Adam would turn rounding noise in it
    // into full-size steps of either sign
    new Linear(32, 4, { seed: 2, bias: false }),
    new BatchNorm1d(4),
  );

const flat = (ts: readonly Tensor[]) => ts.flatMap((t) => t.toFlatArray());
const state = (m: Module) => flat([...m.parameters().map((p) => p.data), ...m.buffers()]);

/** Overwrite every free block a freed tensor of m could have left (same size classes) with 7s. */
function scribble(m: Module): void {
  tidy(() => {
    for (const t of [...m.parameters().map((p) => p.data), ...m.buffers()]) fullLike(t, 7);
  });
}

type MakeOptimizer = (params: Variable[]) => Pick<SGD, 'zeroGrad' | 'step'>;
const optimizers: [string, MakeOptimizer][] = [
  ['AdamW', (ps) => new AdamW(ps, { lr: 1e-2, weightDecay: 0.1 })],
  ['Adam (amsgrad, L2)', (ps) => new Adam(ps, { lr: 1e-2, amsgrad: true, weightDecay: 1e-3 })],
  [
    'SGD (nesterov, weight decay)',
    (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }),
  ],
];

function trainRun(backend: Backend, make: MakeOptimizer, steps: number) {
  setBackend(backend);
  const model = build();
  const opt = make(model.parameters());
  const x = randn([64, 16], { seed: 3 });
  const y = randn([64, 4], { seed: 4 });
  const losses: number[] = [];
  const memory: number[][] = [];
  for (let i = 0; i < steps; i++) {
    losses.push(
      tidy(() => {
        opt.zeroGrad();
        const loss = mse(model.forward(variable(x, { requiresGrad: false })) as Variable, y);
        loss.backward();
        opt.step();
        return loss.item();
      }),
    );
    const s = wasmMemoryStats();
    memory.push([s.liveBlocks, s.liveBytes, s.highWaterBytes, s.heapFallbacks]);
  }
  return { model, losses, memory };
}

describe.skipIf(!wasmSupported())('wasm backend', () => {
  it.each(optimizers)(
    '%s: training steps inside tidy match the js backend; memory is flat after step 1',
    (_, make) => {
      const js = trainRun('js', make, 12);
      const wasm = trainRun('wasm', make, 12);
      expect(wasm.model.parameters().every((p) => wasmByteOffset(p.data) !== null)).toBe(true);
      // float32 everywhere; the wasm matmul sums in float32, the js one in float64
      assertClose(wasm.losses, js.losses, { rtol: 1e-5, atol: 0, label: 'losses' });
      expect(wasm.losses.at(-1)!).toBeLessThan(wasm.losses[0]!);
      assertClose(state(wasm.model), state(js.model), {
        atol: 1e-5,
        rtol: 1e-4,
        label: 'parameters and buffers',
      });
      // the first step creates the optimizer state; after it nothing is allocated for good
      for (const s of wasm.memory.slice(1)) expect(s).toEqual(wasm.memory[1]);
    },
  );

  it('a module built inside tidy, or cast inside tidy, keeps its parameters and buffers', () => {
    setBackend('js');
    const reference = state(build());
    setBackend('wasm');
    // tidy cannot see the tensors (they sit in the module's private maps): only keep() saves them
    const m = tidy(build);
    expect(m.parameters().every((p) => wasmByteOffset(p.data) !== null)).toBe(true);
    scribble(m);
    expect(state(m)).toEqual(reference);
    tidy(() => void m.to('float64'));
    scribble(m);
    expect(m.parameters().every((p) => p.dtype === 'float64')).toBe(true);
    expect(state(m)).toEqual(reference.map((v) => Math.fround(v)));
  });

  it('zeroGrad of a module or an optimizer frees the gradients', () => {
    setBackend('wasm');
    const m = new Linear(8, 4, { seed: 1 }); // weight and bias
    const opt = new SGD(m.parameters(), { lr: 0.1 });
    const base = wasmMemoryStats().liveBlocks;
    const grads = () => {
      for (const p of m.parameters()) p.grad = fullLike(p.data, 1);
    };
    grads();
    expect(wasmMemoryStats().liveBlocks).toBe(base + 2);
    m.zeroGrad();
    expect(wasmMemoryStats().liveBlocks).toBe(base);
    grads();
    opt.zeroGrad();
    expect(wasmMemoryStats().liveBlocks).toBe(base);
  });

  it('loadStateDict frees the state of a parameter it drops; outgrown temporaries are freed', () => {
    setBackend('wasm');
    const ps = [variable(randn([3], { seed: 1 })), variable(randn([5], { seed: 2 }))];
    const adam = new Adam(ps, { lr: 0.1 });
    const base = wasmMemoryStats().liveBlocks;
    for (const p of ps) p.grad = fullLike(p.data, 1);
    adam.step(); // exp_avg and exp_avg_sq for each
    expect(wasmMemoryStats().liveBlocks).toBe(base + 2 + 4);
    const sd = tidy(() => adam.stateDict());
    delete sd.state[1];
    adam.loadStateDict(sd);
    expect(wasmMemoryStats().liveBlocks).toBe(base + 2 + 4 - 2 + 4); // + the 4 copies in sd
    // SGD with weight decay needs two temporaries the size of the largest parameter: growing
    // them from 3 to 5 elements frees the first pair
    const sgd = new SGD(ps, { lr: 0.1, weightDecay: 0.1 });
    const before = wasmMemoryStats().liveBlocks;
    sgd.step();
    expect(wasmMemoryStats().liveBlocks).toBe(before + 2);
  });
});
