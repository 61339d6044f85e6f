import { formatShape, ones, randn, type Tensor } from '@normkit/tensor';
import { backwardToResults } from './engine.js';
import { enableGrad, noGrad } from './grad-mode.js';
import { type TensorOperand, tensorOf, Variable } from './variable.js';

export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Pass when |analytic - numeric| <= atol + rtol * |numeric| (defaults 1e-5 and 1e-3). */
  atol?: number;
  rtol?: number;
  /** Seed of the random projection used for non-scalar outputs (default 0). */
  seed?: number;
}

export interface GradcheckElement {
  /** Which input (position in `inputs`). */
  input: number;
  /** The element's index in that input. */
  index: number[];
  analytic: number;
  numeric: number;
  absDiff: number;
}

export interface GradcheckReport {
  ok: boolean;
  /** The element closest to (or furthest past) the tolerance; null when no input has elements. */
  worst: GradcheckElement | null;
  maxAbsDiff: number;
  /** Elements compared. */
  checked: number;
}

/**
 * Compare backward's gradients with central finite differences, in float64, for every element of
 * every input: numeric = (F(x + eps) - F(x - eps)) / (2 eps) with F = sum(v * f(inputs)), where
 * v = 1 for a one-element output and a fixed random normal projection otherwise (so one backward
 * with seed v checks v^T J, PyTorch's "fast mode"). Inputs are perturbed in place and restored;
 * they must be float64 and must not be expanded (stride-0) views. Transposed/sliced views are fine.
 */
export function gradcheckReport(
  f: (...inputs: Variable[]) => Variable,
  inputs: readonly TensorOperand[],
  options: GradcheckOptions = {},
): GradcheckReport {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, seed = 0 } = options;
  const tensors = inputs.map((x, i) => checkInput(tensorOf(x), i));
  const leaves = tensors.map((t) => new Variable(t, { requiresGrad: true }));
  const out = enableGrad(() => f(...leaves));
  if (!(out instanceof Variable)) throw new TypeError('gradcheck: f must return a Variable');
  if (out.dtype !== 'float64') {
    throw new TypeError(`gradcheck: f returned a ${out.dtype} output, expected float64`);
  }
  const v =
    out.size === 1 ? ones(out.shape, { dtype: 'float64' }) : randn(out.shape, { seed, dtype: 'float64' });
  if (out.requiresGrad) backwardToResults(out, v); // temporary leaves: their grads are not kept
  const vFlat = v.toTypedArray();
  const objective = (): number => {
    const y = noGrad(() => f(...leaves)).data.toTypedArray();
    let s = 0;
    for (let j = 0; j < y.length; j++) s += vFlat[j]! * y[j]!;
    return s;
  };

  let worst: GradcheckElement | null = null;
  let worstExcess = Number.NEGATIVE_INFINITY;
  let maxAbsDiff = 0;
  let checked = 0;
  tensors.forEach((t, i) => {
    const analytic = leaves[i]!.grad?.toTypedArray() ?? new Float64Array(t.size);
    forEachElement(t, (k, pos, index) => {
      const orig = t.data[pos]!;
      t.data[pos] = orig + eps;
      const fp = objective();
      t.data[pos] = orig - eps;
      const fm = objective();
      t.data[pos] = orig;
      const numeric = (fp - fm) / (2 * eps);
      const a = analytic[k]!;
      const absDiff = Math.abs(a - numeric);
      const excess = Number.isNaN(absDiff)
        ? Number.POSITIVE_INFINITY
        : absDiff - (atol + rtol * Math.abs(numeric));
      maxAbsDiff = Math.max(maxAbsDiff, Number.isNaN(absDiff) ? Number.POSITIVE_INFINITY : absDiff);
      checked++;
      if (excess > worstExcess) {
        worstExcess = excess;
        worst = { input: i, index: index.slice(), analytic: a, numeric, absDiff };
      }
    });
  });
  return { ok: worstExcess <= 0, worst, maxAbsDiff, checked };
}

/** gradcheckReport that throws an Error naming the worst element when the check fails; returns the report. */
export function gradcheck(
  f: (...inputs: Variable[]) => Variable,
  inputs: readonly TensorOperand[],
  options: GradcheckOptions = {},
): GradcheckReport {
  const report = gradcheckReport(f, inputs, options);
  if (!report.ok) {
    const w = report.worst!;
    const { atol = 1e-5, rtol = 1e-3 } = options;
    const shape = formatShape(tensorOf(inputs[w.input]!).shape);
    throw new Error(
      `gradcheck: the gradient of inputs[${w.input}] (shape ${shape}) at [${w.index.join(',')}] is wrong: ` +
        `analytic ${w.analytic}, numeric ${w.numeric} (|diff| ${w.absDiff.toExponential(3)} > atol ${atol} + ` +
        `rtol ${rtol} * |numeric|); ${report.checked} elements checked, max |diff| ${report.maxAbsDiff.toExponential(3)}`,
    );
  }
  return report;
}

function checkInput(t: Tensor, i: number): Tensor {
  if (t.dtype !== 'float64') {
    throw new TypeError(
      `gradcheck: inputs[${i}] has dtype ${t.dtype}, expected float64 (finite differences need float64; use .astype('float64'))`,
    );
  }
  for (let a = 0; a < t.ndim; a++) {
    if (t.strides[a] === 0 && t.shape[a]! > 1) {
      throw new RangeError(
        `gradcheck: inputs[${i}] is an expanded view (stride 0 on axis ${a}); its elements share memory, pass a copy (.contiguous())`,
      );
    }
  }
  return t;
}

/** Visit elements in row-major order: (flat index, position in data, multi-index). */
function forEachElement(t: Tensor, visit: (k: number, pos: number, index: number[]) => void): void {
  const index = new Array<number>(t.ndim).fill(0);
  let pos = t.offset;
  for (let k = 0; k < t.size; k++) {
    visit(k, pos, index);
    for (let a = t.ndim - 1; a >= 0; a--) {
      pos += t.strides[a]!;
      if (++index[a]! < t.shape[a]!) break;
      pos -= t.strides[a]! * t.shape[a]!;
      index[a] = 0;
    }
  }
}
