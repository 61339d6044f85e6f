import { noGrad } from '@normkit/autograd';
import { fdlibm, Generator, tidy } from '@normkit/tensor';
import type { GPT } from './gpt.js';

export interface GenerateOptions {
  /** Tokens to append (>= 0). */
  maxTokens: number;
  /** Divides the logits (default 1); 0 means greedy (argmax, ties to the lowest id). */
  temperature?: number;
  /** Sample only among the k most likely tokens (ties with the k-th kept, as nanoGPT). */
  topK?: number;
  /** Seed of the sampling generator (default 0); or */
  seed?: number;
  /** a generator to draw from (advancing it). */
  generator?: Generator;
}

/**
 * nanoGPT's generate: for each new token, run the model on the last blockSize tokens (the context
 * is cropped), take the last position's logits / temperature, keep the topK, softmax, sample.
 * Runs in eval mode (no dropout) under noGrad and restores the training mode. Returns the prompt
 * followed by the new tokens. Each token's forward runs inside tidy() (only the next token id
 * leaves it), so on the wasm backend a long generation does not fill the memory.
 */
export function generate(model: GPT, prompt: readonly number[], options: GenerateOptions): number[] {
  const op = 'generate';
  const { vocabSize: V, blockSize } = model.config;
  const { maxTokens, temperature = 1, topK } = options;
  if (!Array.isArray(prompt) || prompt.length === 0) {
    throw new RangeError(
      `${op}: prompt expected at least one token id, got ${Array.isArray(prompt) ? 'an empty array' : typeof prompt}`,
    );
  }
  if (!Number.isSafeInteger(maxTokens) || maxTokens < 0) {
    throw new RangeError(`${op}: maxTokens expected an integer >= 0, got ${maxTokens}`);
  }
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0) {
    throw new RangeError(`${op}: temperature expected a finite number >= 0, got ${temperature}`);
  }
  if (topK !== undefined && (!Number.isSafeInteger(topK) || topK < 1)) {
    throw new RangeError(`${op}: topK expected an integer >= 1, got ${topK}`);
  }
  const gen = options.generator ?? new Generator(options.seed ?? 0);
  const out = [...prompt];
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      const z = new Float64Array(V);
      for (let n = 0; n < maxTokens; n++) {
        const ctx = out.slice(Math.max(0, out.length - blockSize));
        tidy(() => {
          const logits = model.forward([ctx]).logits.data; // [1, T, V]
          const last = logits.select(1, ctx.length - 1).select(0, 0);
          for (let v = 0; v < V; v++) z[v] = last.get(v);
        });
        out.push(temperature === 0 ? argmax(z) : sample(z, temperature, topK, gen));
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return out;
}

function argmax(z: Float64Array): number {
  let best = 0;
  for (let v = 1; v < z.length; v++) if (z[v]! > z[best]!) best = v;
  return best;
}

/**
 * Draw from softmax(z / temperature) restricted to the top k logits, by inverting the CDF. exp is
 * fdlibm's (@normkit/tensor): Math.exp differs in the last bit between engines, which could flip a
 * draw, so a seed gives the same tokens in Node and in browsers.
 */
function sample(z: Float64Array, temperature: number, topK: number | undefined, gen: Generator): number {
  let threshold = Number.NEGATIVE_INFINITY;
  if (topK !== undefined && topK < z.length) threshold = [...z].sort((a, b) => b - a)[topK - 1]!;
  let zmax = Number.NEGATIVE_INFINITY;
  for (const v of z) if (v >= threshold && v > zmax) zmax = v;
  const p = new Float64Array(z.length);
  let total = 0;
  for (let v = 0; v < z.length; v++) {
    p[v] = z[v]! >= threshold ? fdlibm.exp((z[v]! - zmax) / temperature) : 0;
    total += p[v]!;
  }
  let u = gen.uniform() * total;
  for (let v = 0; v < z.length; v++) {
    u -= p[v]!;
    if (u < 0 && p[v]! > 0) return v;
  }
  for (let v = z.length - 1; v >= 0; v--) if (p[v]! > 0) return v; // rounding left u >= 0
  return argmax(z);
}
