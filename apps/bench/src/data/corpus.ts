import { Generator, Tensor } from '@normkit/tensor';
import { createMarkovSource, type MarkovOptions, type MarkovSource } from './markov.js';

/**
 * What the experiments train on: windows of character ids. Either the built-in Markov language
 * (exact entropies, so every loss is read against its floor) or a user's text given with --text
 * (no known floor: the reference levels are null and verdicts fall back to relative comparisons).
 */

/** A batch of B windows: idx [B, T] and targets [B, T] = idx shifted by one (float64 ids). */
export type TokenBatch = {
  idx: Tensor;
  targets: Tensor;
};

/** Exact reference losses in nats per symbol (see markov.ts). */
export type ReferenceLevels = {
  /** H_0: the best loss without context (the symbol marginal). */
  unigram: number;
  /** H_1: the best loss with one symbol of context. */
  bigram: number;
  /** The entropy rate (the best loss with unlimited context). */
  rate: number;
};

export type Corpus = {
  name: string;
  vocabSize: number;
  levels: ReferenceLevels | null;
  /** The best mean loss over a window of T targets, or null when unknown. */
  lossFloor(T: number): number | null;
  /** B windows of T + 1 symbols from the training stream, drawn with rng. */
  batch(B: number, T: number, rng: Generator): TokenBatch;
  /** A held-out batch, the same for a given seed (never overlaps training data of a text). */
  evalBatch(B: number, T: number, seed: number): TokenBatch;
  /** The underlying source when the data is synthetic. */
  source: MarkovSource | null;
  decode(ids: ArrayLike<number>): string;
};

function toBatch(windows: Float64Array, B: number, T: number): TokenBatch {
  const idx = new Float64Array(B * T);
  const targets = new Float64Array(B * T);
  for (let b = 0; b < B; b++) {
    idx.set(windows.subarray(b * (T + 1), b * (T + 1) + T), b * T);
    targets.set(windows.subarray(b * (T + 1) + 1, (b + 1) * (T + 1)), b * T);
  }
  return { idx: new Tensor(idx, [B, T]), targets: new Tensor(targets, [B, T]) };
}

function checkWindow(op: string, B: number, T: number): void {
  if (!Number.isInteger(B) || B < 1) throw new RangeError(`${op}: B expected an integer >= 1, got ${B}`);
  if (!Number.isInteger(T) || T < 1) throw new RangeError(`${op}: T expected an integer >= 1, got ${T}`);
}

/** Every window is an independent draw of the stationary process (so a batch is i.i.d. windows). */
export function markovCorpus(source: MarkovSource): Corpus {
  const [unigram, bigram] = source.conditionalEntropies as [number, number];
  const batch = (B: number, T: number, rng: Generator): TokenBatch => {
    checkWindow('markovCorpus.batch', B, T);
    const windows = new Float64Array(B * (T + 1));
    for (let b = 0; b < B; b++) source.sampleInto(windows, rng, b * (T + 1), T + 1);
    return toBatch(windows, B, T);
  };
  return {
    name: `markov(V=${source.vocabSize}, order ${source.order})`,
    vocabSize: source.vocabSize,
    levels: { unigram, bigram, rate: source.entropyRate },
    lossFloor: (T) => source.lossFloor(T),
    batch,
    // eval seeds live far from the small training seeds, so the streams never coincide
    evalBatch: (B, T, seed) => batch(B, T, new Generator(0x5eed0000 + seed)),
    source,
    decode: (ids) => source.decode(ids),
  };
}

/**
 * Character-level windows of a text: the vocabulary is its distinct characters (code points) in
 * sorted order; the first 90% is the training stream and the last 10% the held-out one.
 */
export function textCorpus(text: string): Corpus {
  const chars = Array.from(text);
  const vocab = [...new Set(chars)].sort();
  if (chars.length < 100) {
    throw new RangeError(`textCorpus: text expected at least 100 characters, got ${chars.length}`);
  }
  const index = new Map(vocab.map((c, i) => [c, i]));
  const ids = Float64Array.from(chars, (c) => index.get(c)!);
  const split = Math.floor(ids.length * 0.9);
  const train = ids.subarray(0, split);
  const held = ids.subarray(split);
  const windowsOf = (stream: Float64Array, B: number, T: number, rng: Generator, op: string) => {
    checkWindow(op, B, T);
    if (stream.length < T + 1) {
      throw new RangeError(`${op}: T + 1 = ${T + 1} expected at most the stream length ${stream.length}`);
    }
    const windows = new Float64Array(B * (T + 1));
    for (let b = 0; b < B; b++) {
      const start = Math.floor(rng.uniform() * (stream.length - T));
      windows.set(stream.subarray(start, start + T + 1), b * (T + 1));
    }
    return toBatch(windows, B, T);
  };
  return {
    name: `text (${chars.length} characters, ${vocab.length} distinct)`,
    vocabSize: vocab.length,
    levels: null,
    lossFloor: () => null,
    batch: (B, T, rng) => windowsOf(train, B, T, rng, 'textCorpus.batch'),
    evalBatch: (B, T, seed) => windowsOf(held, B, T, new Generator(seed), 'textCorpus.evalBatch'),
    source: null,
    decode: (ids) => Array.from(ids, (i) => vocab[i] ?? '?').join(''),
  };
}

/** The corpus of a run: the --text file when one was given, else the seeded Markov language. */
export function corpusFor(ctx: { text(): string | null }, options: MarkovOptions = {}): Corpus {
  const text = ctx.text();
  return text === null ? markovCorpus(createMarkovSource(options)) : textCorpus(text);
}
