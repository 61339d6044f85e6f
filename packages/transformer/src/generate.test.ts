import { Generator, mul } from '@normkit/tensor';
import { describe, expect, it } from 'vitest';
import { GPT } from './gpt.js';

const model = new GPT({
  vocabSize: 7,
  blockSize: 4,
  nLayer: 2,
  nHead: 2,
  nEmbd: 8,
  dtype: 'float64',
  seed: 2,
});
// larger weights than the 0.02 init so the distribution over next tokens is far from uniform
for (const p of model.parameters()) if (p.ndim === 2) p.data = mul(p.data, 40);

/** The last position's logits for a context (its last blockSize tokens), by a plain forward. */
function lastLogits(ctx: number[]): number[] {
  const c = ctx.slice(-4);
  const l = model.forward([c]).logits.data;
  return Array.from({ length: 7 }, (_, v) => l.get(0, c.length - 1, v));
}
const argmax = (z: number[]) => z.indexOf(Math.max(...z));
const softmax = (z: number[]) => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

describe('generate', () => {
  it('temperature 0 is greedy decoding, cropping the context to blockSize', () => {
    const out = model.generate([3, 1, 4, 1, 5], { maxTokens: 6, temperature: 0 });
    expect(out.length).toBe(11);
    expect(out.slice(0, 5)).toEqual([3, 1, 4, 1, 5]);
    for (let i = 5; i < out.length; i++) expect(out[i]).toBe(argmax(lastLogits(out.slice(0, i))));
  });

  it('is deterministic for a seed; topK = 1 is greedy; samples stay in the top k', () => {
    const a = model.generate([2], { maxTokens: 8, seed: 4 });
    expect(model.generate([2], { maxTokens: 8, seed: 4 })).toEqual(a);
    expect(model.generate([2], { maxTokens: 8, topK: 1, seed: 9 })).toEqual(
      model.generate([2], { maxTokens: 8, temperature: 0 }),
    );
    const out = model.generate([6, 0], {
      maxTokens: 30,
      topK: 2,
      temperature: 2,
      generator: new Generator(1),
    });
    for (let i = 2; i < out.length; i++) {
      const z = lastLogits(out.slice(0, i));
      const top2 = [...z].sort((x, y) => y - x)[1]!;
      expect(z[out[i]!]).toBeGreaterThanOrEqual(top2);
    }
  });

  it('samples with the softmax probabilities of logits / temperature', () => {
    const temperature = 1.5;
    const p = softmax(lastLogits([5]).map((v) => v / temperature));
    const n = 2000;
    const counts = new Array(7).fill(0);
    const gen = new Generator(123);
    for (let i = 0; i < n; i++)
      counts[model.generate([5], { maxTokens: 1, temperature, generator: gen })[1]!]++;
    for (let v = 0; v < 7; v++) {
      const sd = Math.sqrt(n * p[v]! * (1 - p[v]!) || 1);
      expect(Math.abs(counts[v] - n * p[v]!), `token ${v}`).toBeLessThan(4.5 * sd);
    }
  });

  it('records no graph and restores the training mode', () => {
    model.train();
    model.generate([1], { maxTokens: 2 });
    expect(model.training).toBe(true);
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('rejects bad arguments, naming them', () => {
    expect(() => model.generate([], { maxTokens: 1 })).toThrow(
      'generate: prompt expected at least one token id, got an empty array',
    );
    expect(() => model.generate([1], { maxTokens: -1 })).toThrow(
      'generate: maxTokens expected an integer >= 0, got -1',
    );
    expect(() => model.generate([1], { maxTokens: 1, temperature: -1 })).toThrow(
      'generate: temperature expected a finite number >= 0, got -1',
    );
    expect(() => model.generate([1], { maxTokens: 1, topK: 0 })).toThrow(
      'generate: topK expected an integer >= 1, got 0',
    );
    expect(() => model.generate([7], { maxTokens: 1 })).toThrow(
      'GPT.forward: idx expected token ids in [0, 7), got 7 at [0, 0]',
    );
  });
});
