import type { Generator, Tensor } from '@normkit/tensor';
import * as T from '@normkit/tensor';
import { defineOp } from '../define-op.js';
import { type TensorOperand, Variable } from '../variable.js';
import { unary } from './unary.js';

export interface GeluOptions {
  /** 'none' (default): x Phi(x) with the exact erf, as torch; 'tanh': torch's approximate='tanh'. */
  approximate?: 'none' | 'tanh';
}

export interface ClampOptions {
  min?: number;
  max?: number;
}

export interface DropoutConfig {
  p: number;
  generator?: Generator;
  seed?: number;
}

export const activationRules = {
  // d tanh = (1 - y^2) dx, one fused pass (T.tanhBackward)
  tanh: unary(
    'tanh',
    (x) => saveY(T.tanh(x)),
    (g, y) => T.tanhBackward(g, y),
  ),
  // d sigmoid = y (1 - y) dx (T.sigmoidBackward)
  sigmoid: unary(
    'sigmoid',
    (x) => saveY(T.sigmoid(x)),
    (g, y) => T.sigmoidBackward(g, y),
  ),
  // gradient 0 at x = 0, as torch (threshold_backward on the output)
  relu: unary(
    'relu',
    (x) => saveY(T.relu(x)),
    (g, y) => T.mul(g, T.gt(y, 0)),
  ),
  // silu = x s with s = sigmoid(x); d silu = s (1 + x (1 - s)) dx
  silu: unary(
    'silu',
    (x) => ({ output: T.silu(x), saved: x }),
    (g, x) => {
      const s = T.sigmoid(x);
      const inner = T.addInPlace(T.mulInPlace(T.sub(1, s), x), 1);
      return T.mul(g, T.mulInPlace(inner, s));
    },
  ),
  gelu: defineOp({
    name: 'gelu',
    inputNames: ['x'],
    forward: (_c, [x]: [Tensor], o: GeluOptions | undefined) => ({ output: T.gelu(x, o ?? {}), saved: x }),
    // dy * gelu'(x) in one pass (T.geluBackward: Phi(x) + x phi(x), or torch's tanh-form slope)
    backward: (c, g, o) => [T.geluBackward(g, c.saved, o ?? {})],
  }),
  // the gradient passes where min <= x <= max (boundaries included, as torch)
  clamp: defineOp({
    name: 'clamp',
    inputNames: ['x'],
    forward: (_c, [x]: [Tensor], o: ClampOptions) => ({ output: T.clamp(x, o.min, o.max), saved: x }),
    backward: (c, g, o) => {
      const x = c.saved;
      let mask: Tensor | null = o.min === undefined ? null : T.ge(x, o.min);
      if (o.max !== undefined) mask = mask ? T.mulInPlace(mask, T.le(x, o.max)) : T.le(x, o.max);
      return [mask ? T.mul(g, mask) : g];
    },
  }),
  // y = x * mask, mask = [u >= p] / (1 - p) with u uniform from the generator; backward g * mask
  dropout: defineOp({
    name: 'dropout',
    inputNames: ['x'],
    forward: (_c, [x]: [Tensor], o: DropoutConfig) => {
      const u = T.rand(x.shape, { generator: o.generator, seed: o.seed, dtype: x.dtype });
      const mask = T.ge(u, o.p);
      if (o.p < 1) T.mulInPlace(mask, 1 / (1 - o.p));
      return { output: T.mul(x, mask), saved: mask };
    },
    backward: (c, g) => [T.mul(g, c.saved)],
  }),
};

function saveY(y: Tensor): { output: Tensor; saved: Tensor } {
  return { output: y, saved: y };
}

export function tanh(x: TensorOperand): Variable {
  return activationRules.tanh([x]);
}
export function sigmoid(x: TensorOperand): Variable {
  return activationRules.sigmoid([x]);
}
export function relu(x: TensorOperand): Variable {
  return activationRules.relu([x]);
}
export function silu(x: TensorOperand): Variable {
  return activationRules.silu([x]);
}
export function gelu(x: TensorOperand, options: GeluOptions = {}): Variable {
  return activationRules.gelu([x], options);
}
/** Limit x to [min, max] (either bound optional). */
export function clamp(x: TensorOperand, min?: number, max?: number): Variable {
  return activationRules.clamp([x], { min, max });
}

export interface DropoutOptions {
  /** Dropout is the identity outside training (default true). */
  training?: boolean;
  /** Draw the mask from this generator (advancing it). */
  generator?: Generator;
  /** Or from a fresh generator with this seed (the same mask on every call). */
  seed?: number;
}

/**
 * Inverted dropout: zero each element with probability p and scale the survivors by 1/(1-p), so
 * the expectation is unchanged and evaluation needs no rescaling. Identity when p = 0 or not
 * training (the input itself is returned). p = 1 zeroes everything.
 */
export function dropout(x: TensorOperand, p = 0.5, options: DropoutOptions = {}): Variable {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must be a probability in [0, 1], got ${p}`);
  if (p === 0 || options.training === false) {
    return x instanceof Variable ? x : new Variable(x, { requiresGrad: false });
  }
  return activationRules.dropout([x], { p, generator: options.generator, seed: options.seed });
}
