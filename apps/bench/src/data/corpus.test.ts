import { Generator } from '@normkit/tensor';
import { describe, expect, it } from 'vitest';
import { corpusFor, markovCorpus, textCorpus } from './corpus.js';
import { createMarkovSource } from './markov.js';

describe('markovCorpus', () => {
  const src = createMarkovSource();
  const corpus = markovCorpus(src);

  it('gives targets = idx shifted by one, every transition possible under the source', () => {
    const { idx, targets } = corpus.batch(4, 10, new Generator(1));
    expect(idx.shape).toEqual([4, 10]);
    expect(targets.shape).toEqual([4, 10]);
    const a = idx.toArray() as number[][];
    const t = targets.toArray() as number[][];
    for (let b = 0; b < 4; b++) {
      expect(a[b]!.slice(1)).toEqual(t[b]!.slice(0, 9));
      const seq = [...a[b]!, t[b]![9]!];
      for (const lp of src.logProbs(seq)) expect(Number.isFinite(lp)).toBe(true);
    }
  });

  it('exposes the exact levels and floor, and a fixed held-out batch per seed', () => {
    expect(corpus.levels).toEqual({
      unigram: src.conditionalEntropies[0],
      bigram: src.conditionalEntropies[1],
      rate: src.entropyRate,
    });
    expect(corpus.lossFloor(16)).toBe(src.lossFloor(16));
    const e1 = corpus.evalBatch(2, 8, 0).idx.toArray();
    expect(corpus.evalBatch(2, 8, 0).idx.toArray()).toEqual(e1);
    expect(corpus.evalBatch(2, 8, 1).idx.toArray()).not.toEqual(e1);
  });

  it('rejects empty windows', () => {
    expect(() => corpus.batch(0, 4, new Generator(0))).toThrow(
      'markovCorpus.batch: B expected an integer >= 1, got 0',
    );
    expect(() => corpus.batch(2, 0, new Generator(0))).toThrow(
      'markovCorpus.batch: T expected an integer >= 1, got 0',
    );
  });
});

describe('textCorpus', () => {
  const text = 'the quick brown fox jumps over the lazy dog. '.repeat(10);

  it('maps characters to sorted ids and windows back to the text', () => {
    const c = textCorpus(text);
    expect(c.vocabSize).toBe(new Set(text).size);
    expect(c.levels).toBeNull();
    expect(c.lossFloor(8)).toBeNull();
    const { idx, targets } = c.batch(3, 12, new Generator(2));
    for (let b = 0; b < 3; b++) {
      const row = (idx.toArray() as number[][])[b]!;
      const s = c.decode(row) + c.decode([(targets.toArray() as number[][])[b]![11]!]);
      expect(text.includes(s)).toBe(true);
    }
  });

  it('draws held-out windows from the last 10% only', () => {
    const marked = `${'a'.repeat(900)}${'b'.repeat(100)}`;
    const c = textCorpus(marked);
    const e = c.evalBatch(5, 20, 0);
    expect(c.decode((e.idx.toArray() as number[][]).flat())).toBe('b'.repeat(100));
  });

  it('rejects short texts and windows longer than a stream', () => {
    expect(() => textCorpus('short')).toThrow('textCorpus: text expected at least 100 characters, got 5');
    const c = textCorpus(text);
    expect(() => c.evalBatch(1, 100, 0)).toThrow(
      'textCorpus.evalBatch: T + 1 = 101 expected at most the stream length 45',
    );
  });

  it('corpusFor picks the text when one is given', () => {
    expect(corpusFor({ text: () => text }).levels).toBeNull();
    expect(corpusFor({ text: () => null }).levels?.rate).toBeCloseTo(createMarkovSource().entropyRate, 12);
  });
});
