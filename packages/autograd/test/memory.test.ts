import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { tidy } from '@normkit/tensor';
import { describe, expect, it } from 'vitest';
import { makeMlp } from '../bench/mlp.js';
import * as A from '../src/index.js';
import { input } from './helpers.js';

// a gc() we can call inside vitest's worker (the flag must be set before the context is made)
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMB = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('memory', () => {
  it('10,000 forward + backward + SGD steps on a small MLP do not grow the heap', () => {
    const mlp = makeMlp('float32');
    // each step inside tidy, as any loop must on the wasm backend (a synchronous loop never lets
    // the garbage collector's finalizers free wasm blocks); on the js backend tidy frees nothing
    // and this still checks that the graph itself is released. The gradients are reused across
    // steps (zeroGrad with setToNone: false); backward keeps them when it creates them.
    const step = () => tidy(() => mlp.step());
    for (let i = 0; i < 300; i++) step();
    const before = heapMB();
    let loss = Number.NaN;
    for (let i = 0; i < 10_000; i++) loss = step();
    const growth = heapMB() - before;
    expect(Number.isFinite(loss)).toBe(true);
    // a leaked graph costs ~25 KB per step here (250 MB over the loop); measured growth is ~0.3 MB
    expect(growth).toBeLessThan(5);
  });

  it('positive control: keeping the graphs alive (retainGraph) does grow the heap', () => {
    const mlp = makeMlp('float32');
    const [w1, b1, w2] = mlp.params as [A.Variable, A.Variable, A.Variable];
    const x = input([16, 8], 1).astype('float32');
    const before = heapMB();
    const kept: A.Variable[] = [];
    for (let i = 0; i < 1000; i++) {
      const loss = A.mean(A.square(A.matmul(A.tanh(A.add(A.matmul(x, w1), b1)), w2)));
      loss.backward({ retainGraph: true });
      kept.push(loss);
    }
    expect(heapMB() - before).toBeGreaterThan(5);
    expect(kept.length).toBe(1000);
  });

  it('the tensors saved for backward are garbage collected after backward, while the loss lives on', async () => {
    const x = A.variable(input([64, 64], 2));
    let h: A.Variable | null = A.tanh(A.matmul(x, x));
    const saved = new WeakRef(h.data); // tanh saves its output for backward
    const loss = A.sum(A.square(h));
    h = null;
    await tick();
    gc();
    expect(saved.deref()).toBeDefined(); // still referenced by the graph
    loss.backward();
    await tick();
    gc();
    expect(saved.deref()).toBeUndefined();
    expect(loss.item()).toBeGreaterThan(0);
  });
});
