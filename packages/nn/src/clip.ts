import { isVariable, type Variable } from '@normkit/autograd';
import { mulInPlace, type Tensor } from '@normkit/tensor';

export interface ClipGradNormOptions {
  /** p of the p-norm, p > 0, or Infinity (the max |g|). Default 2. */
  normType?: number;
  /** Throw when the total norm is NaN or infinite instead of scaling by it (torch's error_if_nonfinite). */
  errorIfNonfinite?: boolean;
}

/**
 * Scale the gradients of `params` in place so their joint norm (all gradients seen as one vector)
 * is at most maxNorm, as torch.nn.utils.clip_grad_norm_:
 *   total = (sum over all gradient elements of |g|^p)^(1/p)     (max |g| for p = Infinity)
 *   coef  = min(maxNorm / (total + 1e-6), 1);   g *= coef
 * The 1e-6 keeps the coefficient finite for zero gradients and leaves the clipped norm a hair
 * under maxNorm. Returns the total norm before clipping; parameters without a gradient are
 * ignored (0 when none has one). The sum runs in float64 whatever the gradients' dtype (torch
 * reduces a float32 gradient in float32, so its float32 totals can differ in the last digits).
 * A NaN or infinite total (a NaN or Inf gradient, or overflow) makes coef NaN or 0, which poisons
 * or zeroes every gradient as in torch, unless errorIfNonfinite asks for an Error instead.
 */
export function clipGradNorm(
  params: Iterable<Variable> | Variable,
  maxNorm: number,
  options: ClipGradNormOptions = {},
): number {
  const { normType = 2, errorIfNonfinite = false } = options;
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) {
    throw new RangeError(`clipGradNorm: maxNorm expected a number >= 0, got ${maxNorm}`);
  }
  if (typeof normType !== 'number' || !(normType > 0)) {
    throw new RangeError(`clipGradNorm: normType expected a number > 0 or Infinity, got ${normType}`);
  }
  const grads: Tensor[] = [];
  let i = 0;
  for (const p of isVariable(params) ? [params] : params) {
    if (!isVariable(p)) {
      throw new TypeError(
        `clipGradNorm: params[${i}] expected a Variable, got ${p === null ? 'null' : typeof p}`,
      );
    }
    if (p.grad !== null) grads.push(p.grad);
    i++;
  }
  if (grads.length === 0) return 0;

  let total: number;
  if (normType === Number.POSITIVE_INFINITY) {
    total = 0;
    for (const g of grads) total = maxAbs(g, total);
  } else {
    let acc = 0;
    for (const g of grads) acc += powSum(g, normType);
    total = normType === 2 ? Math.sqrt(acc) : acc ** (1 / normType);
  }
  if (errorIfNonfinite && !Number.isFinite(total)) {
    throw new RangeError(
      `clipGradNorm: the total norm of order ${normType} of the gradients is ${total}, so it cannot be clipped ` +
        '(set errorIfNonfinite: false to scale the gradients by it anyway, as torch does)',
    );
  }
  const coef = maxNorm / (total + 1e-6);
  // coef >= 1 leaves the gradients unchanged (torch multiplies by the clamped 1.0); NaN falls through
  if (!(coef >= 1)) for (const g of grads) mulInPlace(g, coef);
  return total;
}

/** sum of |t|^p over all elements (any strides; contiguous tensors without a copy). */
function powSum(t: Tensor, p: number): number {
  const { data, offset } = t;
  let s = 0;
  if (t.isContiguous()) {
    const end = offset + t.size;
    if (p === 2) for (let j = offset; j < end; j++) s += data[j]! * data[j]!;
    else if (p === 1) for (let j = offset; j < end; j++) s += Math.abs(data[j]!);
    else for (let j = offset; j < end; j++) s += Math.abs(data[j]!) ** p;
    return s;
  }
  const flat = t.toTypedArray();
  for (let j = 0; j < flat.length; j++) s += p === 2 ? flat[j]! * flat[j]! : Math.abs(flat[j]!) ** p;
  return s;
}

/** max(acc, max |t|), NaN-propagating like torch's max. */
function maxAbs(t: Tensor, acc: number): number {
  const flat = t.isContiguous() ? t.data.subarray(t.offset, t.offset + t.size) : t.toTypedArray();
  for (let j = 0; j < flat.length; j++) {
    const a = Math.abs(flat[j]!);
    if (a > acc || Number.isNaN(a)) acc = a;
    if (Number.isNaN(acc)) return acc;
  }
  return acc;
}
