import { formatShape, Generator, getDefaultGenerator, ShapeError, type Tensor } from '@normkit/tensor';
import { fillTruncNormal } from './internal/normal-dist.js';
import { writeInPlace } from './internal/write-in-place.js';

/**
 * Parameter initialisation, as torch.nn.init. Every function writes into `t` in place (a view
 * too: elements receive values in row-major order, exactly as a contiguous tensor of that shape
 * would) and returns it. Names keep torch's trailing underscore, the mark of an in-place op, in
 * camelCase: torch's xavier_uniform_ is xavierUniform_. Zero-size tensors are left alone.
 *
 * Randomness: `rng` is a Generator (drawn from, advancing it) or a seed (a fresh Generator(seed));
 * without one, the default generator (`manualSeed`). Values are computed in float64 and stored in
 * t's dtype, so a float32 bound like b may be reached after rounding.
 */

export type Rng = Generator | number;

/** torch's nonlinearity names in camelCase: 'leaky_relu' is 'leakyRelu', 'conv_transpose2d' 'convTranspose2d'. */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'convTranspose1d'
  | 'convTranspose2d'
  | 'convTranspose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leakyRelu'
  | 'selu';

export type FanMode = 'fanIn' | 'fanOut';

const UNIT_GAIN: readonly string[] = [
  'linear',
  'conv1d',
  'conv2d',
  'conv3d',
  'convTranspose1d',
  'convTranspose2d',
  'convTranspose3d',
  'sigmoid',
];

function generatorOf(rng: Rng | undefined): Generator {
  if (rng === undefined) return getDefaultGenerator();
  return rng instanceof Generator ? rng : new Generator(rng);
}

function checkFinite(op: string, arg: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${op}: ${arg} expected a finite number, got ${value}`);
}

/**
 * The gain that keeps activations' scale through a nonlinearity (torch.nn.init.calculate_gain):
 * 1 for linear, convolutions and sigmoid; 5/3 for tanh; sqrt(2) for relu;
 * sqrt(2 / (1 + slope^2)) for leakyRelu (param = negative slope, default 0.01); 3/4 for selu.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  if (UNIT_GAIN.includes(nonlinearity)) return 1;
  switch (nonlinearity) {
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) {
        throw new RangeError(`calculateGain: param (negative slope) expected a finite number, got ${slope}`);
      }
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default: {
      const known = [...UNIT_GAIN, 'tanh', 'relu', 'leakyRelu', 'selu'].join(', ');
      throw new RangeError(
        `calculateGain: nonlinearity expected one of ${known}, got ${String(nonlinearity)}`,
      );
    }
  }
}

/**
 * torch's _calculate_fan_in_and_fan_out: for a weight of shape [out, in, ...kernel],
 * fanIn = in * prod(kernel), fanOut = out * prod(kernel). A Linear weight [out, in] gives
 * fanIn = in, fanOut = out. Needs at least 2 axes.
 */
export function fanInAndFanOut(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) {
    throw new ShapeError(
      'fanInAndFanOut',
      'shape',
      'at least 2 axes ([out, in, ...kernel])',
      formatShape(shape),
      `fanInAndFanOut: fan in and fan out cannot be computed for shape ${formatShape(shape)}; ` +
        'expected at least 2 axes ([out, in, ...kernel])',
    );
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`fanInAndFanOut: shape expected non-negative integers, got ${formatShape(shape)}`);
    }
  }
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i]!;
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/** Uniform on [a, b) (torch.nn.init.uniform_). */
export function uniform_(t: Tensor, a = 0, b = 1, rng?: Rng): Tensor {
  checkFinite('uniform_', 'a', a);
  checkFinite('uniform_', 'b', b);
  if (a > b) throw new RangeError(`uniform_: a <= b expected, got a = ${a}, b = ${b}`);
  const gen = generatorOf(rng);
  const width = b - a;
  return writeInPlace('uniform_', t, (out, start, n) => {
    for (let i = start; i < start + n; i++) out[i] = a + width * gen.uniform();
  });
}

/** Normal with the given mean and standard deviation (torch.nn.init.normal_). */
export function normal_(t: Tensor, mean = 0, std = 1, rng?: Rng): Tensor {
  checkFinite('normal_', 'mean', mean);
  checkFinite('normal_', 'std', std);
  if (std < 0) throw new RangeError(`normal_: std >= 0 expected, got ${std}`);
  const gen = generatorOf(rng);
  return writeInPlace('normal_', t, (out, start, n) => {
    for (let i = start; i < start + n; i++) out[i] = mean + std * gen.normal();
  });
}

function fill(op: string, t: Tensor, value: number): Tensor {
  return writeInPlace(op, t, (out, start, n) => {
    out.fill(value, start, start + n);
  });
}

export function constant_(t: Tensor, value: number): Tensor {
  return fill('constant_', t, value);
}

export function zeros_(t: Tensor): Tensor {
  return fill('zeros_', t, 0);
}

export function ones_(t: Tensor): Tensor {
  return fill('ones_', t, 1);
}

export interface XavierOptions {
  gain?: number;
  rng?: Rng;
}

/**
 * Glorot & Bengio (2010): std = gain * sqrt(2 / (fanIn + fanOut)); uniform on [-bound, bound]
 * with bound = sqrt(3) * std (a uniform on [-c, c] has variance c^2 / 3).
 */
export function xavierUniform_(t: Tensor, options: XavierOptions = {}): Tensor {
  const std = xavierStd('xavierUniform_', t, options.gain);
  const bound = Math.sqrt(3) * std;
  return uniform_(t, -bound, bound, options.rng);
}

/** Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, options: XavierOptions = {}): Tensor {
  return normal_(t, 0, xavierStd('xavierNormal_', t, options.gain), options.rng);
}

function xavierStd(op: string, t: Tensor, gain = 1): number {
  checkFinite(op, 'gain', gain);
  const { fanIn, fanOut } = fanInAndFanOut(t.shape);
  if (t.size === 0) return 0; // nothing to write, and a fan may be 0
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

export interface KaimingOptions {
  /** Negative slope of the leaky ReLU that follows (used only with nonlinearity 'leakyRelu'); default 0. */
  a?: number;
  /** 'fanIn' (default) keeps the forward pass's variance, 'fanOut' the backward pass's. */
  mode?: FanMode;
  /** Default 'leakyRelu' (with a = 0 that is ReLU's gain sqrt(2)), as torch. */
  nonlinearity?: Nonlinearity;
  rng?: Rng;
}

/** He et al. (2015): std = gain / sqrt(fan); uniform on [-sqrt(3) std, sqrt(3) std]. */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform_', t, options);
  return uniform_(t, -bound, bound, options.rng);
}

/** He normal: N(0, std^2), std = gain / sqrt(fan). */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd('kaimingNormal_', t, options), options.rng);
}

function kaimingStd(op: string, t: Tensor, options: KaimingOptions): number {
  const { a = 0, mode = 'fanIn', nonlinearity = 'leakyRelu' } = options;
  if (mode !== 'fanIn' && mode !== 'fanOut') {
    throw new RangeError(`${op}: mode expected 'fanIn' or 'fanOut', got ${String(mode)}`);
  }
  const gain = calculateGain(nonlinearity, a);
  const fans = fanInAndFanOut(t.shape);
  if (t.size === 0) return 0; // nothing to write, and the fan may be 0
  return gain / Math.sqrt(mode === 'fanIn' ? fans.fanIn : fans.fanOut);
}

export interface TruncNormalOptions {
  mean?: number;
  std?: number;
  /** Lower bound, in absolute units as torch (not multiples of std); default -2. May be -Infinity. */
  a?: number;
  /** Upper bound, absolute; default 2. May be Infinity. */
  b?: number;
  rng?: Rng;
}

/**
 * N(mean, std^2) conditioned on [a, b] (torch.nn.init.trunc_normal_), sampled exactly (rejection
 * or inverse CDF, see internal/normal-dist.ts), also far in the tails where torch's float32
 * inverse-erf method degrades.
 */
export function truncNormal_(t: Tensor, options: TruncNormalOptions = {}): Tensor {
  const { mean = 0, std = 1, a = -2, b = 2, rng } = options;
  checkFinite('truncNormal_', 'mean', mean);
  checkFinite('truncNormal_', 'std', std);
  if (!(std > 0)) throw new RangeError(`truncNormal_: std > 0 expected, got ${std}`);
  if (Number.isNaN(a) || Number.isNaN(b) || !(a < b)) {
    throw new RangeError(`truncNormal_: a < b expected, got a = ${a}, b = ${b}`);
  }
  const gen = generatorOf(rng);
  return writeInPlace('truncNormal_', t, (out, start, n) =>
    fillTruncNormal(out, start, n, mean, std, a, b, gen),
  );
}
