import {
  dropout,
  type GeluOptions,
  gelu,
  relu,
  sigmoid,
  silu,
  type TensorOperand,
  tanh,
  Variable,
} from '@normkit/autograd';
import type { Generator } from '@normkit/tensor';
import { generatorOf, Module } from '../module.js';

/** Parameter-free modules over autograd's activations; they work in any dtype. */

export class ReLU extends Module {
  forward(x: TensorOperand): Variable {
    return relu(x);
  }
}

export class SiLU extends Module {
  forward(x: TensorOperand): Variable {
    return silu(x);
  }
}

export class Tanh extends Module {
  forward(x: TensorOperand): Variable {
    return tanh(x);
  }
}

export class Sigmoid extends Module {
  forward(x: TensorOperand): Variable {
    return sigmoid(x);
  }
}

/** GELU: x Phi(x) with the exact erf (default), or torch's approximate = 'tanh'. */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';

  constructor(options: GeluOptions = {}) {
    super();
    const approximate = options.approximate ?? 'none';
    if (approximate !== 'none' && approximate !== 'tanh') {
      throw new RangeError(`GELU: approximate must be 'none' or 'tanh', got ${String(approximate)}`);
    }
    this.approximate = approximate;
  }

  forward(x: TensorOperand): Variable {
    return gelu(x, { approximate: this.approximate });
  }

  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/** Returns its input (a placeholder where a block has no norm or activation). */
export class Identity extends Module {
  forward(x: TensorOperand): Variable {
    return x instanceof Variable ? x : new Variable(x, { requiresGrad: false });
  }
}

export interface DropoutModuleOptions {
  /** Seed of the module's own mask generator; or */
  seed?: number;
  /** a generator to share (e.g. one per model). Default: the global generator (manualSeed). */
  generator?: Generator;
}

/**
 * Inverted dropout (torch.nn.Dropout): in training, zero each element with probability p and
 * scale the rest by 1 / (1 - p); in eval mode the identity. Masks come from the module's
 * generator, so a seeded model draws the same masks on every run; successive calls draw new ones.
 */
export class Dropout extends Module {
  readonly p: number;
  readonly generator: Generator;

  constructor(p = 0.5, options: DropoutModuleOptions = {}) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new RangeError(`Dropout: p must be a probability in [0, 1], got ${p}`);
    }
    this.p = p;
    this.generator = generatorOf(options);
  }

  forward(x: TensorOperand): Variable {
    return dropout(x, this.p, { training: this.training, generator: this.generator });
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
