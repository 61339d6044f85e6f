import { type BackwardContext, defineOp, type TensorOperand, type Variable } from '@normkit/autograd';
import * as K from '@normkit/norms';
import type { Tensor } from '@normkit/tensor';

/**
 * Each @normkit/norms kernel pair as one differentiable op. Forward runs the fused kernel and,
 * only when a graph node is recorded, keeps x, the weight and the float64 (mean, rstd); backward
 * runs the fused backward kernel once, asking (`needs`) only for the gradients whose inputs
 * require one. Inputs are always (x, weight?, bias?), so needsInputGrad maps onto
 * { dx, dWeight, dBias } directly. Non-differentiable state (running statistics, eps, groups)
 * travels in the options object.
 */

type Affine = [x: Tensor, weight: Tensor | undefined, bias: Tensor | undefined];
interface Saved {
  x: Tensor;
  weight: Tensor | undefined;
  /** absent for RMSNorm */
  mean: Tensor | undefined;
  rstd: Tensor;
}

function keep(
  c: { requiresGrad: boolean },
  x: Tensor,
  weight: Tensor | undefined,
  r: { y: Tensor; mean?: Tensor; rstd: Tensor },
): { output: Tensor; saved: Saved | null } {
  const saved = c.requiresGrad ? { x, weight, mean: r.mean, rstd: r.rstd } : null;
  return { output: r.y, saved };
}

/** The backward kernels' common options, from what the engine asks for. */
function args(c: BackwardContext<Saved | null>): { weight: Tensor | undefined; needs: K.NormNeeds } {
  const [dx = false, dWeight = false, dBias = false] = c.needsInputGrad;
  return { weight: c.saved!.weight, needs: { dx, dWeight, dBias } };
}

/** The saved statistics as the backward kernels take them. */
function stats(c: BackwardContext<Saved | null>): { mean: Tensor; rstd: Tensor } {
  return { mean: c.saved!.mean!, rstd: c.saved!.rstd };
}

function grads(r: { dx: Tensor | null; dWeight: Tensor | null; dBias: Tensor | null }): (Tensor | null)[] {
  return [r.dx, r.dWeight, r.dBias];
}

const names = ['x', 'weight', 'bias'];

export interface RowNormConfig {
  normalizedShape: readonly number[];
  eps?: number;
}

export type BatchNormConfig = Omit<K.BatchNormOptions, 'weight' | 'bias' | 'out'>;
export type InstanceNormConfig = Omit<K.InstanceNormOptions, 'weight' | 'bias' | 'out'>;

export const normOps = {
  layerNorm: defineOp({
    name: 'layerNorm',
    inputNames: names,
    forward: (c, [x, weight, bias]: Affine, o: RowNormConfig) =>
      keep(c, x, weight, K.layerNormForward(x, o.normalizedShape, { weight, bias, eps: o.eps })),
    backward: (c, g, o) => grads(K.layerNormBackward(g, c.saved!.x, o.normalizedShape, stats(c), args(c))),
  }),
  // no bias: (x, weight) only
  rmsNorm: defineOp({
    name: 'rmsNorm',
    inputNames: names,
    forward: (c, [x, weight]: [Tensor, Tensor | undefined], o: RowNormConfig) =>
      keep(c, x, weight, K.rmsNormForward(x, o.normalizedShape, { weight, eps: o.eps })),
    backward: (c, g, o) => grads(K.rmsNormBackward(g, c.saved!.x, o.normalizedShape, stats(c), args(c))),
  }),
  // running statistics are updated in place by the forward (training with runningMean/runningVar)
  batchNorm: defineOp({
    name: 'batchNorm',
    inputNames: names,
    forward: (c, [x, weight, bias]: Affine, o: BatchNormConfig) =>
      keep(c, x, weight, K.batchNormForward(x, { ...o, weight, bias })),
    backward: (c, g, o) =>
      grads(K.batchNormBackward(g, c.saved!.x, stats(c), { ...args(c), training: o.training })),
  }),
  groupNorm: defineOp({
    name: 'groupNorm',
    inputNames: names,
    forward: (c, [x, weight, bias]: Affine, o: { numGroups: number; eps?: number }) =>
      keep(c, x, weight, K.groupNormForward(x, o.numGroups, { weight, bias, eps: o.eps })),
    backward: (c, g, o) => grads(K.groupNormBackward(g, c.saved!.x, o.numGroups, stats(c), args(c))),
  }),
  instanceNorm: defineOp({
    name: 'instanceNorm',
    inputNames: names,
    forward: (c, [x, weight, bias]: Affine, o: InstanceNormConfig) =>
      keep(c, x, weight, K.instanceNormForward(x, { ...o, weight, bias })),
    backward: (c, g, o) =>
      grads(K.instanceNormBackward(g, c.saved!.x, stats(c), { ...args(c), useInputStats: o.useInputStats })),
  }),
};

/** A normalized shape given as one size or a list of trailing sizes (torch accepts both). */
export function shapeList(op: string, normalizedShape: number | readonly number[]): number[] {
  const s = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  if (s.length === 0 || !s.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new RangeError(
      `${op}: normalizedShape must be a size or a non-empty list of non-negative integers, got ${JSON.stringify(normalizedShape)}`,
    );
  }
  return s;
}

export interface AffineOptions {
  weight?: TensorOperand | null;
  bias?: TensorOperand | null;
  eps?: number;
}

/** torch.nn.functional.layer_norm over the trailing normalizedShape dims; eps default 1e-5. */
export function layerNorm(
  x: TensorOperand,
  normalizedShape: number | readonly number[],
  options: AffineOptions = {},
): Variable {
  const cfg = { normalizedShape: shapeList('layerNorm', normalizedShape), eps: options.eps };
  return normOps.layerNorm([x, options.weight, options.bias], cfg);
}

/** RMSNorm over the trailing dims: y = x / sqrt(mean(x^2) + eps) * weight; eps default: x's machine epsilon. */
export function rmsNorm(
  x: TensorOperand,
  normalizedShape: number | readonly number[],
  options: Omit<AffineOptions, 'bias'> = {},
): Variable {
  const cfg = { normalizedShape: shapeList('rmsNorm', normalizedShape), eps: options.eps };
  return normOps.rmsNorm([x, options.weight], cfg);
}

export interface BatchNormFunctionalOptions extends AffineOptions, Partial<Omit<BatchNormConfig, 'eps'>> {}

/**
 * torch.nn.functional.batch_norm (channels on axis 1). training defaults to false, as torch, and
 * then needs runningMean/runningVar; training true normalizes with batch statistics and updates
 * the running statistics given, in place.
 */
export function batchNorm(x: TensorOperand, options: BatchNormFunctionalOptions = {}): Variable {
  const { weight, bias, ...config } = options;
  return normOps.batchNorm([x, weight, bias], { ...config, training: config.training ?? false });
}

/** torch.nn.functional.group_norm: x [N, C, *], per-channel weight/bias [C]. */
export function groupNorm(x: TensorOperand, numGroups: number, options: AffineOptions = {}): Variable {
  return normOps.groupNorm([x, options.weight, options.bias], { numGroups, eps: options.eps });
}

export interface InstanceNormFunctionalOptions extends AffineOptions, Omit<InstanceNormConfig, 'eps'> {}

/** torch.nn.functional.instance_norm: every (sample, channel) plane normalized on its own. */
export function instanceNorm(x: TensorOperand, options: InstanceNormFunctionalOptions = {}): Variable {
  const { weight, bias, ...config } = options;
  return normOps.instanceNorm([x, weight, bias], config);
}
