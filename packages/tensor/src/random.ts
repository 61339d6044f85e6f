import type { DType } from './dtype.js';
import { log, sincos } from './internal/fdlibm.js';

/** sin, cos of Box-Muller's angle (sincos writes them here: no allocation per pair) */
const sinCos = new Float64Array(2);

/**
 * Seeded pseudo-random numbers, identical on every platform and in every release.
 *
 * Algorithm (a documented contract; changing it is a breaking change):
 * - state: xoshiro128** (Blackman & Vigna 2018), four 32-bit words, period 2^128 - 1, using only
 *   32-bit integer operations (Math.imul, shifts), so results are bit-exact everywhere;
 * - seeding: the 32-bit seed is expanded into the four state words by splitmix32;
 * - uniform in [0, 1): 53 bits from two draws, (a >>> 5) * 2^26 + (b >>> 6), divided by 2^53;
 *   float32 tensors store that double rounded to float32 (clamped below 1), so the same seed gives
 *   the same values in both dtypes up to rounding;
 * - normal: Box-Muller on a pair of uniforms (u1, u2): r = sqrt(-2 ln(1 - u1)),
 *   z0 = r cos(2 pi u2), z1 = r sin(2 pi u2), both used in that order, with fdlibm's ln, cos and
 *   sin in plain JS (internal/fdlibm.ts): the engines' Math.log/cos/sin differ in the last bit
 *   between V8 versions (Node 20 and Chromium 156 disagree on ~7% of logs), fdlibm's own code
 *   does not (it equals Node 20's Math, so no stream changed when it came in).
 */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare = Number.NaN;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Reset the state from a seed (any finite number; it is reduced to 32 bits). */
  seed(seed: number): this {
    if (!Number.isFinite(seed)) throw new RangeError(`Generator: seed must be a finite number, got ${seed}`);
    let x = Math.trunc(seed) >>> 0;
    const next = () => {
      // splitmix32
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spare = Number.NaN;
    return this;
  }

  /** The next 32-bit unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A double uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** A standard normal sample (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const z = this.spare;
      this.spare = Number.NaN;
      return z;
    }
    const u1 = this.uniform();
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * log(1 - u1));
    sincos(2 * Math.PI * u2, sinCos);
    this.spare = r * sinCos[0]!;
    return r * sinCos[1]!;
  }

  /** An integer uniform in [low, high). */
  integer(low: number, high: number): number {
    return low + Math.floor(this.uniform() * (high - low));
  }

  /** The full state, to checkpoint and resume a random stream exactly. */
  getState(): number[] {
    return [this.s0, this.s1, this.s2, this.s3, this.spare];
  }

  setState(state: readonly number[]): this {
    if (state.length !== 5)
      throw new RangeError(`Generator.setState: expected 5 numbers, got ${state.length}`);
    [this.s0, this.s1, this.s2, this.s3] = state.map((v) => v | 0) as [number, number, number, number];
    this.spare = state[4]!;
    return this;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

const defaultGenerator = new Generator(0);

/** Reseed the default generator used when a random op gets neither `seed` nor `generator` (torch.manual_seed). */
export function manualSeed(seed: number): void {
  defaultGenerator.seed(seed);
}

export function getDefaultGenerator(): Generator {
  return defaultGenerator;
}

export interface RandomOptions {
  /** A fresh generator seeded with this value is used (the same seed always gives the same tensor). */
  seed?: number;
  /** Draw from this generator (advancing it); takes precedence over `seed`. */
  generator?: Generator;
  dtype?: DType;
}

/** The generator a random op draws from: options.generator, else a new one from options.seed, else the default. */
export function resolveGenerator(options: RandomOptions | undefined): Generator {
  if (options?.generator) return options.generator;
  if (options?.seed !== undefined) return new Generator(options.seed);
  return defaultGenerator;
}

/** The largest float32 below 1: float32 uniforms are clamped to it so that [0, 1) holds after rounding. */
export const FLOAT32_BELOW_ONE = 1 - 2 ** -24;
