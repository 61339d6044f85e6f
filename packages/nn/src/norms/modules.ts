import type { TensorOperand, Variable } from '@normkit/autograd';
import { type DType, formatShape, ones, ShapeError, zeros } from '@normkit/tensor';
import { dtypeOf, Module, type ModuleOptions, Parameter } from '../module.js';
import { groupNorm, layerNorm, rmsNorm, shapeList } from './differentiable.js';

/**
 * LayerNorm, RMSNorm and GroupNorm modules over the fused kernels (differentiable.ts). Parameters
 * are initialised as torch: weight ones, bias zeros. eps is checked here, at construction, so a
 * bad value fails where it was written, not at the first forward.
 */

export function checkEps(op: string, eps: number): number {
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    throw new RangeError(`${op}: eps must be a finite number >= 0, got ${eps}`);
  }
  return eps;
}

/** weight = ones(shape), bias = zeros(shape) (or null), registered on m. */
export function registerAffine(
  m: Module,
  shape: readonly number[],
  dtype: DType,
  weight: boolean,
  bias: boolean,
): void {
  m.registerParameter('weight', weight ? new Parameter(ones(shape, { dtype })) : null);
  m.registerParameter('bias', bias ? new Parameter(zeros(shape, { dtype })) : null);
}

/** Accessors shared by the affine norm modules. */
export class AffineNorm extends Module {
  get weight(): Variable | null {
    return this.getParameter('weight');
  }
  get bias(): Variable | null {
    return this.getParameter('bias');
  }
}

export interface LayerNormModuleOptions extends ModuleOptions {
  /** default 1e-5 (torch; Keras uses 1e-3, Flax 1e-6) */
  eps?: number;
  /** Learn weight (and bias, see below) of shape normalizedShape (default true). */
  elementwiseAffine?: boolean;
  /** Learn a bias when elementwiseAffine (default true; torch >= 2.1's bias=False). */
  bias?: boolean;
}

/** torch.nn.LayerNorm over the trailing normalizedShape dims. */
export class LayerNorm extends AffineNorm {
  readonly normalizedShape: readonly number[];
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], options: LayerNormModuleOptions = {}) {
    super();
    this.normalizedShape = shapeList('LayerNorm', normalizedShape);
    this.eps = checkEps('LayerNorm', options.eps ?? 1e-5);
    const affine = options.elementwiseAffine ?? true;
    registerAffine(
      this,
      this.normalizedShape,
      dtypeOf('LayerNorm', options),
      affine,
      affine && (options.bias ?? true),
    );
  }

  forward(x: TensorOperand): Variable {
    return layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `${formatShape(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.weight !== null}`;
  }
}

export interface RMSNormModuleOptions extends ModuleOptions {
  /** default: the machine epsilon of the input's dtype (torch >= 2.4 with eps=None); LLaMA uses 1e-6 */
  eps?: number;
  /** Learn a weight of shape normalizedShape (default true). RMSNorm has no bias. */
  elementwiseAffine?: boolean;
}

/** RMSNorm (Zhang & Sennrich 2019; torch.nn.RMSNorm): y = x / sqrt(mean(x^2) + eps) * weight. */
export class RMSNorm extends AffineNorm {
  readonly normalizedShape: readonly number[];
  /** undefined: the machine epsilon of the input's dtype, decided per call */
  readonly eps: number | undefined;

  constructor(normalizedShape: number | readonly number[], options: RMSNormModuleOptions = {}) {
    super();
    this.normalizedShape = shapeList('RMSNorm', normalizedShape);
    this.eps = options.eps === undefined ? undefined : checkEps('RMSNorm', options.eps);
    registerAffine(
      this,
      this.normalizedShape,
      dtypeOf('RMSNorm', options),
      options.elementwiseAffine ?? true,
      false,
    );
  }

  forward(x: TensorOperand): Variable {
    return rmsNorm(x, this.normalizedShape, { weight: this.weight, eps: this.eps });
  }

  override extraRepr(): string {
    return `${formatShape(this.normalizedShape)}, eps=${this.eps ?? 'machine epsilon'}, elementwiseAffine=${this.weight !== null}`;
  }
}

export interface GroupNormModuleOptions extends ModuleOptions {
  eps?: number;
  /** Learn a per-channel weight and bias [numChannels] (default true). */
  affine?: boolean;
}

/** torch.nn.GroupNorm: x [N, C, *] with C = numChannels divisible by numGroups. */
export class GroupNorm extends AffineNorm {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;

  constructor(numGroups: number, numChannels: number, options: GroupNormModuleOptions = {}) {
    super();
    for (const [arg, v] of [
      ['numGroups', numGroups],
      ['numChannels', numChannels],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0)
        throw new RangeError(`GroupNorm: ${arg} must be a positive integer, got ${v}`);
    }
    if (numChannels % numGroups !== 0) {
      throw new RangeError(
        `GroupNorm: numChannels must be divisible by numGroups, got numChannels=${numChannels}, numGroups=${numGroups}`,
      );
    }
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = checkEps('GroupNorm', options.eps ?? 1e-5);
    const affine = options.affine ?? true;
    registerAffine(this, [numChannels], dtypeOf('GroupNorm', options), affine, affine);
  }

  forward(x: TensorOperand): Variable {
    checkChannels('GroupNorm', x, this.numChannels, 'numChannels');
    return groupNorm(x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.weight !== null}`;
  }
}

/** x must be [N, C, *] with C the module's channel count (checked even without affine parameters). */
export function checkChannels(op: string, x: TensorOperand, channels: number, arg: string): void {
  if (x.shape.length < 2 || x.shape[1] !== channels) {
    throw new ShapeError(
      op,
      'x',
      `shape [N, ${channels}, *]`,
      formatShape(x.shape),
      `${op}: expected input of shape [N, ${channels}, *] (${arg}=${channels} channels on axis 1), got ${formatShape(x.shape)}`,
    );
  }
}
