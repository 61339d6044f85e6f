import { normalizeAxes, sameShape, sumTo, type Tensor } from '@normkit/tensor';
import type { BackwardContext } from '../node.js';

/** Axes of a reduction: one, several, or undefined for all. */
export type Axes = number | readonly number[] | undefined;

/** Sum a gradient of the broadcast output shape back to an input's shape (a no-op when equal). */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  return sameShape(g.shape, shape) ? g : sumTo(g, shape);
}

/** unbroadcast(g, shape of input i) when input i needs a grad, else null (the rule skips it). */
export function gradFor(ctx: BackwardContext<unknown>, i: number, g: () => Tensor): Tensor | null {
  return ctx.needsInputGrad[i] ? unbroadcast(g(), ctx.inputShapes[i]!) : null;
}

/** Shape of input i (present whenever the input needs a grad). */
export function shapeOf(ctx: BackwardContext<unknown>, i = 0): readonly number[] {
  return ctx.inputShapes[i]!;
}

/**
 * The gradient of a reduction over `axes`, reshaped to keepdims form (size 1 on reduced axes) so
 * it broadcasts against the input: [B, T] summed over axis 1 gives g of shape [B] -> [B, 1].
 */
export function keepdimsGrad(g: Tensor, inShape: readonly number[], axes: Axes, keepdims: boolean): Tensor {
  if (keepdims) return g;
  const reduced = normalizeAxes('backward', axes, inShape.length);
  return g.reshape(inShape.map((d, i) => (reduced.includes(i) ? 1 : d)));
}

/** Number of elements a reduction over `axes` combines. */
export function reducedCount(inShape: readonly number[], axes: Axes): number {
  let n = 1;
  for (const a of normalizeAxes('backward', axes, inShape.length)) n *= inShape[a]!;
  return n;
}

export function inversePermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  for (let i = 0; i < perm.length; i++) inv[perm[i]!] = i;
  return inv;
}
