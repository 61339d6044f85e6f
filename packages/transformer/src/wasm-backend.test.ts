import { AdamW } from '@normkit/nn';
import {
  type Backend,
  Generator,
  getBackend,
  randint,
  setBackend,
  tidy,
  wasmByteOffset,
  wasmMemoryStats,
  wasmSupported,
} from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { generate } from './generate.js';
import { GPT, type GPTConfig } from './gpt.js';
import { type Batch, train } from './train.js';

// GPT training on the wasm backend through train(): every update runs inside tidy(), so the
// wasm memory must not grow after the first update (which creates the optimizer state), and the
// run must follow the js backend's (the oracle the wasm kernels are tested against).

const previous = getBackend();
afterEach(() => setBackend(previous));

const config: GPTConfig = {
  vocabSize: 29,
  blockSize: 16,
  nLayer: 2,
  nHead: 2,
  nEmbd: 32,
  dropout: 0.1,
  seed: 7,
};
const stream = randint(0, 29, [400], { seed: 5, dtype: 'float64' }).toTypedArray();
const data = (_step: number, rng: Generator): Batch => {
  const rows = [0, 1, 2, 3].map(() => rng.integer(0, stream.length - 17));
  return {
    idx: rows.map((r) => Array.from(stream.subarray(r, r + 16))),
    targets: rows.map((r) => Array.from(stream.subarray(r + 1, r + 17))),
  };
};

async function run(backend: Backend, steps: number) {
  setBackend(backend); // the model, its optimizer state and every tensor of the steps live there
  const model = new GPT(config);
  const optimizer = new AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0.1 });
  // kernels allocate their permanent scratch on first use: one forward + backward first (in both
  // runs, as it draws dropout masks from the model's generator)
  tidy(() => {
    const b = data(0, new Generator(1));
    model.forward(b.idx, b.targets).loss!.backward();
  });
  model.zeroGrad();
  const before = wasmMemoryStats();
  const memory: number[][] = [];
  const r = await train({
    model,
    optimizer,
    data,
    steps,
    clipGradNorm: 1,
    evalEvery: 3,
    evalData: () => data(0, new Generator(99)), // a batch made inside evaluate's tidy
    onStep: () => {
      const s = wasmMemoryStats();
      memory.push([s.liveBlocks, s.liveBytes, s.highWaterBytes, s.heapFallbacks]);
    },
  });
  return { model, optimizer, r, before, memory };
}

describe.skipIf(!wasmSupported())('wasm backend', () => {
  it('train(): losses, gradient norms and eval losses match the js backend; memory is flat', async () => {
    const js = await run('js', 10);
    const wasm = await run('wasm', 10);
    const params = wasm.model.parameters();
    expect(params.every((p) => wasmByteOffset(p.data) !== null)).toBe(true);
    expect(js.model.parameters().every((p) => wasmByteOffset(p.data) === null)).toBe(true);
    // float32 throughout; the wasm matmul sums in float32, the js one in float64 (each rounded once)
    const of = (x: typeof js, k: 'loss' | 'gradNorm' | 'evalLoss') =>
      x.r.history.map((h) => h[k] ?? Number.NaN);
    for (const k of ['loss', 'gradNorm', 'evalLoss'] as const) {
      assertClose(of(wasm, k), of(js, k), { rtol: 1e-5, atol: 0, label: k });
    }
    // after the first update (which creates AdamW's state) nothing more is allocated for good
    for (const s of wasm.memory.slice(1)) expect(s).toEqual(wasm.memory[0]);
    // what survives the updates: per parameter its gradient, exp_avg and exp_avg_sq, nothing else
    expect(wasm.memory[0]![0]).toBe(wasm.before.liveBlocks + 3 * params.length);
    expect(wasm.memory[0]![3]).toBe(wasm.before.heapFallbacks);
    // the gradients stay readable after train() (as in PyTorch) until zeroGrad frees them
    // (they were clipped in place to norm min(gradNorm, 1))
    const grads = (x: typeof js) => x.model.parameters().flatMap((p) => p.grad!.toFlatArray());
    const norm = Math.hypot(...grads(wasm));
    expect(norm).toBeCloseTo(Math.min(wasm.r.history.at(-1)!.gradNorm, 1), 5);
    // ten AdamW updates in, the parameters differ by float32 rounding amplified by Adam's
    // normalization of tiny gradients, so only a loose elementwise check against js
    const gmax = Math.max(...grads(js).map(Math.abs));
    assertClose(grads(wasm), grads(js), { atol: 1e-2 * gmax, label: 'last gradients' });
    wasm.optimizer.zeroGrad();
    expect(wasmMemoryStats().liveBlocks).toBe(wasm.before.liveBlocks + 2 * params.length);
  });

  it('generate: the same greedy tokens as the js backend, and nothing left in wasm memory', async () => {
    setBackend('js');
    const expected = generate(new GPT(config), [1, 2, 3], { maxTokens: 20, temperature: 0 });
    setBackend('wasm');
    const model = new GPT(config);
    const before = wasmMemoryStats();
    expect(generate(model, [1, 2, 3], { maxTokens: 20, temperature: 0 })).toEqual(expected);
    const after = wasmMemoryStats();
    expect(after.liveBlocks).toBe(before.liveBlocks);
    expect(after.heapFallbacks).toBe(before.heapFallbacks);
  });
});
