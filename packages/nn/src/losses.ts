import {
  defineOp,
  type Indices,
  mean,
  square,
  sub,
  sum,
  type TensorOperand,
  type Variable,
} from '@normkit/autograd';
import { allocate, formatShape, ShapeError, sameShape, Tensor, type TypedArray } from '@normkit/tensor';

export type Reduction = 'mean' | 'sum' | 'none';

export interface CrossEntropyOptions {
  /** 'mean' (default): over the rows whose target is not ignoreIndex; 'sum'; 'none': one loss per row. */
  reduction?: Reduction;
  /** Rows with this target contribute 0 loss and 0 gradient (default -100, as torch). */
  ignoreIndex?: number;
  /** epsilon in [0, 1]: the target distribution is (1 - epsilon) one-hot + epsilon / C uniform (default 0). */
  labelSmoothing?: number;
}

interface CeConfig {
  C: number;
  targets: Int32Array;
  reduction: Reduction;
  ignoreIndex: number;
  eps: number;
}

interface CeSaved {
  x: TypedArray;
  xOff: number;
  /** logsumexp of each row, float64 */
  lse: Float64Array;
  /** rows counted by 'mean' */
  count: number;
}

/**
 * Cross-entropy from logits, fused (one op, no [M, C] log-probabilities kept). For a row x with
 * target t, lse = m + log(sum_j exp(x_j - m)) with m = max x (stable for any logits), and
 *   loss = lse - (1 - eps) x_t - (eps / C) sum_j x_j        (torch's label smoothing)
 *   dloss/dx_j = softmax(x)_j - (1 - eps) [j = t] - eps / C
 * 'mean' divides by the number of rows not ignored (0 such rows: NaN loss as torch, 0 gradients).
 */
const crossEntropyOp = defineOp({
  name: 'crossEntropy',
  inputNames: ['logits'],
  forward: (c, [logits]: [Tensor], o: CeConfig) => {
    const { C, targets, ignoreIndex, eps } = o;
    const M = targets.length;
    const xc = logits.contiguous();
    const x = xc.data;
    const lse = new Float64Array(M);
    const losses = new Float64Array(M);
    let count = 0;
    for (let r = 0; r < M; r++) {
      const base = xc.offset + r * C;
      let m = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < C; j++) if (x[base + j]! > m) m = x[base + j]!;
      if (m === Number.NEGATIVE_INFINITY) m = 0; // a row of -inf: lse = -inf (its loss is NaN, as torch)
      let s = 0;
      let rowSum = 0;
      for (let j = 0; j < C; j++) {
        s += Math.exp(x[base + j]! - m);
        rowSum += x[base + j]!;
      }
      lse[r] = m + Math.log(s);
      const t = targets[r]!;
      if (t === ignoreIndex) continue;
      count++;
      losses[r] = lse[r]! - (1 - eps) * x[base + t]! - (eps > 0 ? (eps / C) * rowSum : 0);
    }
    const lead = logits.shape.slice(0, -1);
    let output: Tensor;
    if (o.reduction === 'none') output = store(losses, lead, logits);
    else {
      let total = 0;
      for (let r = 0; r < M; r++) total += losses[r]!;
      output = store(Float64Array.of(o.reduction === 'sum' ? total : total / count), [], logits);
    }
    const saved: CeSaved | null = c.requiresGrad ? { x, xOff: xc.offset, lse, count } : null;
    return { output, saved };
  },
  backward: (c, g, o) => {
    const { x, xOff, lse, count } = c.saved!;
    const { C, targets, ignoreIndex, eps } = o;
    const M = targets.length;
    const gc = g.contiguous();
    const dx = allocate(g.dtype, M * C);
    for (let r = 0; r < M; r++) {
      const t = targets[r]!;
      if (t === ignoreIndex) continue;
      const gr = o.reduction === 'none' ? gc.data[gc.offset + r]! : gc.data[gc.offset]!;
      const scale = o.reduction === 'mean' ? gr / count : gr;
      const base = r * C;
      for (let j = 0; j < C; j++) dx[base + j] = scale * (Math.exp(x[xOff + base + j]! - lse[r]!) - eps / C);
      dx[base + t] -= scale * (1 - eps);
    }
    return [new Tensor(dx, c.inputShapes[0]!)];
  },
});

function store(values: Float64Array, shape: readonly number[], like: Tensor): Tensor {
  const data = allocate(like.dtype, values.length);
  data.set(values);
  return new Tensor(data, shape);
}

/** Targets as an Int32Array, each checked to be a class index or ignoreIndex. */
function targetIndices(
  targets: Indices,
  lead: readonly number[],
  C: number,
  ignoreIndex: number,
): Int32Array {
  const M = lead.reduce((a, d) => a * d, 1);
  let values: ArrayLike<number>;
  if (targets instanceof Tensor) {
    if (!sameShape(targets.shape, lead)) {
      throw new ShapeError(
        'crossEntropy',
        'targets',
        `shape ${formatShape(lead)} (the logits' without the class axis)`,
        formatShape(targets.shape),
      );
    }
    values = targets.toTypedArray();
  } else if (targets instanceof Int32Array || Array.isArray(targets)) {
    if (targets.length !== M) {
      throw new ShapeError(
        'crossEntropy',
        'targets',
        `${M} indices (one per row of logits ${formatShape([...lead, C])})`,
        `${targets.length}`,
      );
    }
    values = targets;
  } else {
    throw new TypeError('crossEntropy: targets must be a Tensor, an Int32Array or an array of class indices');
  }
  const out = new Int32Array(M);
  for (let i = 0; i < M; i++) {
    const t = values[i]!;
    if (!Number.isInteger(t) || (t !== ignoreIndex && (t < 0 || t >= C))) {
      throw new RangeError(
        `crossEntropy: targets[${i}] = ${t} is not a class index in [0, ${C}) nor ignoreIndex (${ignoreIndex})`,
      );
    }
    out[i] = t;
  }
  return out;
}

function checkReduction(op: string, reduction: unknown): Reduction {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new RangeError(`${op}: reduction must be 'mean', 'sum' or 'none', got ${String(reduction)}`);
  }
  return reduction;
}

/**
 * Cross-entropy loss from unnormalized logits with integer class targets, classes on the LAST
 * axis: logits [N, C] (torch's layout) or [..., C] with targets [...] (e.g. [B, T, V] with
 * [B, T], equal to torch on logits.view(-1, V) and targets.view(-1), as nanoGPT calls it).
 * Targets: a Tensor of integer values shaped like the leading dims, or an Int32Array / number[]
 * with one index per row.
 */
export function crossEntropy(
  logits: TensorOperand,
  targets: Indices,
  options: CrossEntropyOptions = {},
): Variable {
  const { ignoreIndex = -100, labelSmoothing = 0 } = options;
  const reduction = checkReduction('crossEntropy', options.reduction ?? 'mean');
  if (!Number.isInteger(ignoreIndex))
    throw new RangeError(`crossEntropy: ignoreIndex must be an integer, got ${ignoreIndex}`);
  if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new RangeError(`crossEntropy: labelSmoothing must be a number in [0, 1], got ${labelSmoothing}`);
  }
  const shape = logits.shape;
  if (shape.length === 0 || shape[shape.length - 1] === 0) {
    throw new ShapeError('crossEntropy', 'logits', 'shape [*, C] with C >= 1 classes', formatShape(shape));
  }
  const C = shape[shape.length - 1]!;
  const idx = targetIndices(targets, shape.slice(0, -1), C, ignoreIndex);
  return crossEntropyOp([logits], { C, targets: idx, reduction, ignoreIndex, eps: labelSmoothing });
}

/**
 * Mean squared error (torch.nn.functional.mse_loss), composed from autograd ops so input and
 * target are both differentiable: (input - target)^2, averaged ('mean', default), summed, or
 * elementwise ('none'). Shapes must match exactly (torch broadcasts with a warning; normkit throws).
 */
export function mse(
  input: TensorOperand,
  target: TensorOperand,
  options: { reduction?: Reduction } = {},
): Variable {
  const reduction = checkReduction('mse', options.reduction ?? 'mean');
  if (!sameShape(input.shape, target.shape)) {
    throw new ShapeError(
      'mse',
      'target',
      `shape ${formatShape(input.shape)} (the input's)`,
      formatShape(target.shape),
    );
  }
  const sq = square(sub(input, target));
  return reduction === 'none' ? sq : reduction === 'sum' ? sum(sq) : mean(sq);
}
