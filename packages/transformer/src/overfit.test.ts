import { AdamW } from '@normkit/nn';
import { Generator, randint } from '@normkit/tensor';
import { describe, expect, it } from 'vitest';
import { NORM_KINDS, type PlacementSpec } from './config.js';
import { GPT } from './gpt.js';

// Every placement must be able to fit a tiny fixed batch (memorize 2 x 8 tokens): a wiring bug
// that blocks gradient flow through some path (a detached residual, a missing norm parameter)
// shows up as a loss that stalls.
const dims = { vocabSize: 12, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16 };
const gen = new Generator(11);
const batch = (g: Generator) => {
  const t = randint(0, dims.vocabSize, [2, 9], { generator: g, dtype: 'float64' });
  return { idx: t.slice(1, 0, 8), targets: t.slice(1, 1, 9) };
};
const fixed = batch(gen);

const placements: [string, PlacementSpec][] = [
  ['post', 'post'],
  ['pre', 'pre'],
  ['pre with depthScaling', { kind: 'pre', depthScaling: true }],
  ['peri', 'peri'],
  ['deepnorm', 'deepnorm'],
  ['mix (ratio 0.5)', { kind: 'mix', ratio: 0.5 }],
  ['b2t', 'b2t'],
];

function overfit(placement: PlacementSpec, norm: (typeof NORM_KINDS)[number], steps: number, lr: number) {
  const model = new GPT({ ...dims, placement, norm, seed: 1 });
  const opt = new AdamW(model.parameters(), { lr, weightDecay: 0 });
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    const { loss } = model.forward(fixed.idx, fixed.targets);
    losses.push(loss!.item());
    if (losses.at(-1)! < 0.1) break;
    loss!.backward();
    opt.step();
  }
  return losses;
}

describe('a 2-layer model overfits a fixed batch', () => {
  it.each(placements)('%s reaches a loss below 0.1', (_name, placement) => {
    const losses = overfit(placement, 'layer', 300, 1e-2);
    expect(losses[0]).toBeGreaterThan(2); // ~ln 12 at the start
    expect(losses.at(-1)).toBeLessThan(0.1);
  });
});

describe('every placement x norm combination builds and trains', () => {
  for (const [name, placement] of placements) {
    it.each(NORM_KINDS.map((n) => [n]))(`${name} with %s`, (norm) => {
      const losses = overfit(placement, norm, 40, 1e-2);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses.at(-1)!).toBeLessThan(0.8 * losses[0]!);
    });
  }
});
