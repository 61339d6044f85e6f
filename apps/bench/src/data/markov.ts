import { Generator } from '@normkit/tensor';

/**
 * A seeded synthetic character language whose entropy is known exactly: a stationary Markov source
 * of order n (default 2) over V symbols (default 40). With the state s = (x_{t-n}, ..., x_{t-1}):
 *
 *   P(x | s) = eps / V + (1 - eps) * [ lambda * Q1(x | x_{t-1}) + (1 - lambda) * Qn(x | s) ]
 *
 * Q1 is a sparse random bigram table (each symbol allows `bigramBranching` successors with random
 * weights) and Qn a sparse random order-n table (`branching` successors per state). The mixture gives
 * the language structure at every order, so a model's loss falls in stages: the unigram entropy H0
 * (no context), the bigram entropy H1 (one symbol of context), down to the entropy rate Hn. The eps
 * floor makes the chain irreducible and aperiodic, so its stationary distribution exists, is unique,
 * and power iteration converges to it.
 *
 * Exact quantities (nats), with pi the stationary distribution over states:
 *   entropy rate    H = sum_s pi(s) * H(P(. | s))
 *   H_k             = H(X_t | X_{t-k} .. X_{t-1}) = H(k+1-gram) - H(k-gram), k = 0 .. n, with the
 *                     k-gram marginals of pi (H_n = H; H_0 = entropy of the symbol marginal)
 *   loss floor(T)   = (1/T) sum_{t=0}^{T-1} H_{min(t+1, n)}: the best possible mean cross-entropy of a
 *                     model predicting x_{t+1} from x_0..x_t in a window of T targets drawn from the
 *                     stationary process (early positions see less than n symbols of context).
 */

export interface MarkovOptions {
  vocabSize?: number;
  order?: number;
  /** Successors allowed by the order-n table per state (default 3). */
  branching?: number;
  /** Successors allowed by the bigram table per symbol (default 6). */
  bigramBranching?: number;
  /** Weight of the bigram table in the mixture (default 0.5). */
  lambda?: number;
  /** Uniform floor mixed into every row (default 0.03; > 0 keeps the chain ergodic). */
  eps?: number;
  seed?: number;
}

/** Printable symbols, so samples read as a (strange) text. */
export const ALPHABET = 'etaoinshrdlucmfwypvbgkqjxz .,;:!?-0123456789()[]{}<>/+*=&%$#@';

export class MarkovSource {
  readonly vocabSize: number;
  readonly order: number;
  /** V^order states; state index = sum_j x_{t-order+j} V^(order-1-j) (oldest symbol most significant). */
  readonly numStates: number;
  /** Row-stochastic [numStates, V]: transitions[s * V + x] = P(x | s). */
  readonly transitions: Float64Array;
  /** Stationary distribution over states. */
  readonly stationary: Float64Array;
  /** H_0 .. H_order in nats: conditional entropy given k previous symbols. */
  readonly conditionalEntropies: readonly number[];
  /** Cumulative rows for sampling. */
  readonly #cdf: Float64Array;
  readonly #stationaryCdf: Float64Array;

  constructor(vocabSize: number, order: number, transitions: Float64Array) {
    if (!Number.isInteger(vocabSize) || vocabSize < 2) {
      throw new RangeError(`MarkovSource: vocabSize expected an integer >= 2, got ${vocabSize}`);
    }
    if (!Number.isInteger(order) || order < 1 || vocabSize ** order > 1e6) {
      throw new RangeError(
        `MarkovSource: order expected an integer >= 1 with vocabSize^order <= 1e6, got ${order}`,
      );
    }
    const S = vocabSize ** order;
    if (transitions.length !== S * vocabSize) {
      throw new RangeError(
        `MarkovSource: transitions expected ${S * vocabSize} entries ([${S}, ${vocabSize}]), got ${transitions.length}`,
      );
    }
    for (let s = 0; s < S; s++) {
      let total = 0;
      for (let x = 0; x < vocabSize; x++) {
        const p = transitions[s * vocabSize + x]!;
        if (!(p >= 0)) throw new RangeError(`MarkovSource: transitions[${s}, ${x}] expected >= 0, got ${p}`);
        total += p;
      }
      if (Math.abs(total - 1) > 1e-9) {
        throw new RangeError(`MarkovSource: row ${s} of transitions expected to sum to 1, got ${total}`);
      }
    }
    this.vocabSize = vocabSize;
    this.order = order;
    this.numStates = S;
    this.transitions = transitions;
    this.stationary = stationaryDistribution(transitions, vocabSize, S);
    this.conditionalEntropies = conditionalEntropies(this.stationary, transitions, vocabSize, order);
    this.#cdf = cumulativeRows(transitions, S, vocabSize);
    this.#stationaryCdf = cumulativeRows(this.stationary, 1, S);
  }

  /** The entropy rate H_order in nats per symbol. */
  get entropyRate(): number {
    return this.conditionalEntropies[this.order]!;
  }

  /** The best achievable mean loss over a window of T targets (see the file comment). */
  lossFloor(T: number): number {
    let s = 0;
    for (let t = 0; t < T; t++) s += this.conditionalEntropies[Math.min(t + 1, this.order)]!;
    return s / T;
  }

  /** The best achievable accuracy of predicting x_t from its state: sum_s pi(s) max_x P(x | s). */
  bayesAccuracy(): number {
    const V = this.vocabSize;
    let acc = 0;
    for (let s = 0; s < this.numStates; s++) {
      let best = 0;
      for (let x = 0; x < V; x++) best = Math.max(best, this.transitions[s * V + x]!);
      acc += this.stationary[s]! * best;
    }
    return acc;
  }

  /** The next state after emitting x from state s: drop the oldest symbol, append x. */
  nextState(s: number, x: number): number {
    return (s * this.vocabSize + x) % this.numStates;
  }

  /**
   * Write a sample of the stationary process into out (length >= order): the first `order`
   * symbols are a state drawn from pi, each later symbol from P(. | previous order symbols).
   */
  sampleInto(out: Float64Array | Int32Array, rng: Generator, start = 0, length = out.length - start): void {
    const V = this.vocabSize;
    let s = draw(this.#stationaryCdf, 0, this.numStates, rng.uniform());
    for (let j = 0; j < this.order && j < length; j++) {
      out[start + j] = Math.floor(s / V ** (this.order - 1 - j)) % V;
    }
    for (let j = this.order; j < length; j++) {
      const x = draw(this.#cdf, s * V, V, rng.uniform());
      out[start + j] = x;
      s = this.nextState(s, x);
    }
  }

  /** n symbols of the stationary process. */
  sample(n: number, rng: Generator): Int32Array {
    const out = new Int32Array(n);
    this.sampleInto(out, rng);
    return out;
  }

  /** ln P(x_t | previous order symbols) for t >= order of a sequence (the first order symbols are context). */
  logProbs(seq: ArrayLike<number>): Float64Array {
    const V = this.vocabSize;
    const n = this.order;
    const out = new Float64Array(Math.max(0, seq.length - n));
    let s = 0;
    for (let j = 0; j < n; j++) s = s * V + seq[j]!;
    for (let t = n; t < seq.length; t++) {
      out[t - n] = Math.log(this.transitions[s * V + seq[t]!]!);
      s = this.nextState(s, seq[t]!);
    }
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += ALPHABET[ids[i]!] ?? '?';
    return s;
  }
}

/** The random sparse source of the file comment, drawn from `seed`. */
export function createMarkovSource(options: MarkovOptions = {}): MarkovSource {
  const V = options.vocabSize ?? 40;
  const n = options.order ?? 2;
  const k = options.branching ?? Math.min(3, V);
  const k1 = options.bigramBranching ?? Math.min(6, V);
  const lambda = options.lambda ?? 0.5;
  const eps = options.eps ?? 0.03;
  if (V > ALPHABET.length) {
    throw new RangeError(`createMarkovSource: vocabSize expected at most ${ALPHABET.length}, got ${V}`);
  }
  for (const [arg, v] of [
    ['branching', k],
    ['bigramBranching', k1],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > V) {
      throw new RangeError(`createMarkovSource: ${arg} expected an integer in [1, ${V}], got ${v}`);
    }
  }
  for (const [arg, v] of [
    ['lambda', lambda],
    ['eps', eps],
  ] as const) {
    if (!(v >= 0 && v <= 1))
      throw new RangeError(`createMarkovSource: ${arg} expected a number in [0, 1], got ${v}`);
  }
  const rng = new Generator(options.seed ?? 0);
  const bigram = sparseRows(V, V, k1, rng);
  const S = V ** n;
  const high = sparseRows(S, V, k, rng);
  const P = new Float64Array(S * V);
  for (let s = 0; s < S; s++) {
    const last = s % V;
    for (let x = 0; x < V; x++) {
      const mixed = lambda * bigram[last * V + x]! + (1 - lambda) * high[s * V + x]!;
      P[s * V + x] = eps / V + (1 - eps) * mixed;
    }
  }
  return new MarkovSource(V, n, P);
}

/** rows x V table; each row puts random weights (uniform(0.1, 1), normalized) on k distinct columns. */
function sparseRows(rows: number, V: number, k: number, rng: Generator): Float64Array {
  const out = new Float64Array(rows * V);
  const perm = new Int32Array(V);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < V; i++) perm[i] = i;
    let total = 0;
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(rng.uniform() * (V - i)); // partial Fisher-Yates: k distinct columns
      const tmp = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = tmp;
      const w = 0.1 + 0.9 * rng.uniform();
      out[r * V + perm[i]!] = w;
      total += w;
    }
    for (let i = 0; i < k; i++) out[r * V + perm[i]!]! /= total;
  }
  return out;
}

/**
 * pi with pi(s') = sum_s pi(s) P(s -> s'), by power iteration from the uniform distribution until the
 * L1 change is below 1e-14 (geometric convergence: the chain is irreducible and aperiodic when every
 * entry has the eps floor). A chain that does not converge (periodic, or several closed classes
 * reached from the uniform start) is an error, not a silently wrong entropy.
 */
function stationaryDistribution(P: Float64Array, V: number, S: number): Float64Array {
  let pi = new Float64Array(S).fill(1 / S);
  let next = new Float64Array(S);
  for (let iter = 0; iter < 100_000; iter++) {
    next.fill(0);
    for (let s = 0; s < S; s++) {
      const w = pi[s]!;
      if (w === 0) continue;
      const base = (s * V) % S;
      for (let x = 0; x < V; x++) next[base + x]! += w * P[s * V + x]!;
    }
    let change = 0;
    for (let s = 0; s < S; s++) change += Math.abs(next[s]! - pi[s]!);
    [pi, next] = [next, pi];
    if (change < 1e-14) return pi;
  }
  throw new RangeError('MarkovSource: the stationary distribution did not converge (is the chain ergodic?)');
}

/** H_k for k = 0..n from the (n+1)-gram joint pi(s) P(x | s), marginalized to (k+1)- and k-grams. */
function conditionalEntropies(pi: Float64Array, P: Float64Array, V: number, n: number): number[] {
  // gramEntropy[m] = entropy of the stationary m-gram distribution (m = 0..n+1; H(0-gram) = 0)
  const gramEntropy: number[] = [0];
  for (let m = 1; m <= n + 1; m++) {
    // the m-gram (x_{t-m+1}..x_t) is the last m symbols of the (n+1)-gram (state s, then x)
    const size = V ** m;
    const marginal = new Float64Array(size);
    const S = V ** n;
    for (let s = 0; s < S; s++) {
      for (let x = 0; x < V; x++) marginal[(s * V + x) % size]! += pi[s]! * P[s * V + x]!;
    }
    gramEntropy.push(entropy(marginal));
  }
  return Array.from({ length: n + 1 }, (_, k) => gramEntropy[k + 1]! - gramEntropy[k]!);
}

function entropy(p: Float64Array): number {
  let h = 0;
  for (let i = 0; i < p.length; i++) if (p[i]! > 0) h -= p[i]! * Math.log(p[i]!);
  return h;
}

function cumulativeRows(P: Float64Array, rows: number, V: number): Float64Array {
  const out = new Float64Array(rows * V);
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (let x = 0; x < V; x++) out[r * V + x] = c += P[r * V + x]!;
  }
  return out;
}

/** The first index i in [0, n) with cdf[base + i] > u (the last one if rounding leaves u above all). */
function draw(cdf: Float64Array, base: number, n: number, u: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[base + mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
