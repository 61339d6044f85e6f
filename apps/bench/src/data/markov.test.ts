import { Generator } from '@normkit/tensor';
import { describe, expect, it } from 'vitest';
import { ALPHABET, createMarkovSource, MarkovSource } from './markov.js';

const h = (p: number) => -p * Math.log(p) - (1 - p) * Math.log(1 - p);

/** Independent oracle: solve pi (P - I) = 0 with sum(pi) = 1 by Gaussian elimination (partial pivoting). */
function solveStationary(P: Float64Array, V: number, S: number): Float64Array {
  // the state graph of an order-n chain: s -> (s V + x) mod S with probability P[s, x]
  const A: number[][] = Array.from({ length: S }, () => new Array(S + 1).fill(0));
  for (let s = 0; s < S; s++) {
    for (let x = 0; x < V; x++) A[(s * V + x) % S]![s]! += P[s * V + x]!;
    A[s]![s]! -= 1;
  }
  A[S - 1] = new Array(S + 1).fill(1); // replace one (redundant) balance equation by sum(pi) = 1
  for (let c = 0; c < S; c++) {
    let piv = c;
    for (let r = c + 1; r < S; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[piv]![c]!)) piv = r;
    [A[c], A[piv]] = [A[piv]!, A[c]!];
    for (let r = 0; r < S; r++) {
      if (r === c) continue;
      const f = A[r]![c]! / A[c]![c]!;
      for (let k = c; k <= S; k++) A[r]![k]! -= f * A[c]![k]!;
    }
  }
  return Float64Array.from({ length: S }, (_, s) => A[s]![S]! / A[s]![s]!);
}

describe('MarkovSource: exact entropies', () => {
  it('matches the closed form of a two-state chain', () => {
    const [a, b] = [0.1, 0.3];
    const src = new MarkovSource(2, 1, Float64Array.from([1 - a, a, b, 1 - b]));
    const pi0 = b / (a + b);
    expect(src.stationary[0]).toBeCloseTo(pi0, 12);
    expect(src.entropyRate).toBeCloseTo(pi0 * h(a) + (1 - pi0) * h(b), 12);
    expect(src.conditionalEntropies[0]).toBeCloseTo(h(pi0), 12);
  });

  it('gives ln V at every order for the uniform source (eps = 1)', () => {
    const src = createMarkovSource({ vocabSize: 7, order: 2, eps: 1 });
    for (const H of src.conditionalEntropies) expect(H).toBeCloseTo(Math.log(7), 12);
  });

  it('agrees with a linear solve for the stationary distribution of a random order-2 source', () => {
    const src = createMarkovSource({ vocabSize: 4, order: 2, branching: 2, bigramBranching: 2, seed: 3 });
    const oracle = solveStationary(src.transitions, 4, 16);
    for (let s = 0; s < 16; s++) expect(src.stationary[s]).toBeCloseTo(oracle[s]!, 12);
    // entropy rate from the oracle pi, written plainly
    let H = 0;
    for (let s = 0; s < 16; s++) {
      for (let x = 0; x < 4; x++) {
        const p = src.transitions[s * 4 + x]!;
        if (p > 0) H -= oracle[s]! * p * Math.log(p);
      }
    }
    expect(src.entropyRate).toBeCloseTo(H, 12);
  });

  it('orders H0 >= H1 >= H2 (conditioning reduces entropy) and H0 <= ln V', () => {
    const src = createMarkovSource();
    const [H0, H1, H2] = src.conditionalEntropies as [number, number, number];
    expect(H0).toBeLessThanOrEqual(Math.log(40) + 1e-12);
    expect(H1).toBeLessThan(H0);
    expect(H2).toBeLessThan(H1);
  });

  it('gives the loss floor of a window: H1 for T = 1, (H1 + (T-1) H2) / T after', () => {
    const src = createMarkovSource();
    const [, H1, H2] = src.conditionalEntropies as [number, number, number];
    expect(src.lossFloor(1)).toBeCloseTo(H1, 12);
    expect(src.lossFloor(32)).toBeCloseTo((H1 + 31 * H2) / 32, 12);
  });
});

describe('MarkovSource: samples match the exact entropy', () => {
  const src = createMarkovSource({ seed: 1 });
  const V = src.vocabSize;
  // exact per-symbol variance of -ln P(X | S) under stationarity
  let m2 = 0;
  for (let s = 0; s < src.numStates; s++) {
    for (let x = 0; x < V; x++) {
      const p = src.transitions[s * V + x]!;
      m2 += src.stationary[s]! * p * Math.log(p) ** 2;
    }
  }
  const sigma = Math.sqrt(m2 - src.entropyRate ** 2);

  it('independent windows: mean -ln p within 5 sigma / sqrt(n) of the entropy rate', () => {
    const n = 100_000;
    const rng = new Generator(11);
    const w = new Int32Array(3);
    let total = 0;
    for (let i = 0; i < n; i++) {
      src.sampleInto(w, rng);
      total -= src.logProbs(w)[0]!;
    }
    // i.i.d. terms: the standard error of the mean is exactly sigma / sqrt(n)
    expect(Math.abs(total / n - src.entropyRate)).toBeLessThan((5 * sigma) / Math.sqrt(n));
  });

  it('one long run: mean -ln p within 5 batch-means standard errors', () => {
    const blocks = 100;
    const len = 3000;
    const seq = src.sample(blocks * len + 2, new Generator(12));
    const lp = src.logProbs(seq);
    const means = Array.from({ length: blocks }, (_, b) => {
      let s = 0;
      for (let i = b * len; i < (b + 1) * len; i++) s -= lp[i]!;
      return s / len;
    });
    const mean = means.reduce((a, b) => a + b, 0) / blocks;
    const sd = Math.sqrt(means.reduce((a, b) => a + (b - mean) ** 2, 0) / (blocks - 1));
    const se = sd / Math.sqrt(blocks);
    // the chain mixes fast: batch means are nearly independent, so se ~ sigma / sqrt(n)
    expect(se).toBeLessThan((2 * sigma) / Math.sqrt(blocks * len));
    expect(Math.abs(mean - src.entropyRate)).toBeLessThan(5 * se);
  });

  it('the first symbols follow the symbol marginal (5-sigma binomial bound per symbol)', () => {
    const n = 40_000;
    const rng = new Generator(13);
    const w = new Int32Array(2);
    const counts = new Float64Array(V);
    for (let i = 0; i < n; i++) {
      src.sampleInto(w, rng);
      counts[w[1]!]!++;
    }
    for (let x = 0; x < V; x++) {
      let p = 0;
      for (let a = 0; a < V; a++) p += src.stationary[a * V + x]!;
      expect(Math.abs(counts[x]! / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    }
  });

  it('is reproducible from its seed and decodes to printable symbols', () => {
    const a = createMarkovSource({ seed: 5 }).sample(50, new Generator(1));
    const b = createMarkovSource({ seed: 5 }).sample(50, new Generator(1));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(src.decode([0, 1, 2])).toBe(ALPHABET.slice(0, 3));
  });

  it('bayesAccuracy is 1/V for the uniform source and matches a plain sum', () => {
    expect(createMarkovSource({ vocabSize: 5, eps: 1 }).bayesAccuracy()).toBeCloseTo(0.2, 12);
    const two = new MarkovSource(2, 1, Float64Array.from([0.9, 0.1, 0.3, 0.7]));
    const pi0 = 0.3 / 0.4;
    expect(two.bayesAccuracy()).toBeCloseTo(pi0 * 0.9 + (1 - pi0) * 0.7, 12);
  });
});

describe('MarkovSource: errors', () => {
  it('rejects bad sizes, tables and non-ergodic chains', () => {
    expect(() => new MarkovSource(1, 1, new Float64Array(1))).toThrow(
      'MarkovSource: vocabSize expected an integer >= 2, got 1',
    );
    expect(() => new MarkovSource(40, 4, new Float64Array(0))).toThrow(
      'MarkovSource: order expected an integer >= 1 with vocabSize^order <= 1e6, got 4',
    );
    expect(() => new MarkovSource(2, 1, new Float64Array(3))).toThrow(
      'MarkovSource: transitions expected 4 entries ([2, 2]), got 3',
    );
    expect(() => new MarkovSource(2, 1, Float64Array.from([1.5, -0.5, 0.5, 0.5]))).toThrow(
      'MarkovSource: transitions[0, 1] expected >= 0, got -0.5',
    );
    expect(() => new MarkovSource(2, 1, Float64Array.from([0.5, 0.4, 0.5, 0.5]))).toThrow(
      'MarkovSource: row 0 of transitions expected to sum to 1, got 0.9',
    );
    // a periodic chain (0 -> 1 -> {0, 2} -> 1) started away from its stationary law oscillates
    expect(() => new MarkovSource(3, 1, Float64Array.from([0, 1, 0, 0.5, 0, 0.5, 0, 1, 0]))).toThrow(
      'MarkovSource: the stationary distribution did not converge (is the chain ergodic?)',
    );
  });

  it('createMarkovSource validates its options', () => {
    expect(() => createMarkovSource({ vocabSize: 100 })).toThrow(
      `createMarkovSource: vocabSize expected at most ${ALPHABET.length}, got 100`,
    );
    expect(() => createMarkovSource({ branching: 0 })).toThrow(
      'createMarkovSource: branching expected an integer in [1, 40], got 0',
    );
    expect(() => createMarkovSource({ bigramBranching: 41 })).toThrow(
      'createMarkovSource: bigramBranching expected an integer in [1, 40], got 41',
    );
    expect(() => createMarkovSource({ lambda: 2 })).toThrow(
      'createMarkovSource: lambda expected a number in [0, 1], got 2',
    );
    expect(() => createMarkovSource({ eps: -1 })).toThrow(
      'createMarkovSource: eps expected a number in [0, 1], got -1',
    );
  });
});
