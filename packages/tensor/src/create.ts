import type { DType, TypedArray } from './dtype.js';
import { formatShape, ShapeError } from './errors.js';
import { fillData } from './internal/wasm/memops-wasm.js';
import { FLOAT32_BELOW_ONE, type RandomOptions, resolveGenerator } from './random.js';
import { checkShape, sizeOf } from './shape.js';
import { allocate, allocateUninit } from './storage.js';
import { Tensor } from './tensor.js';

export interface CreateOptions {
  /** Element type; default 'float32' (as torch), or the typed array's own type when given one. */
  dtype?: DType;
}

export type TensorLike = number | readonly TensorLike[] | TypedArray;

/**
 * A tensor from nested arrays, a flat array or typed array with a shape, or a number (0-d).
 * Values are always copied. `tensor([[1, 2], [3, 4]])` has shape [2, 2], dtype float32.
 */
export function tensor(values: TensorLike, shape?: readonly number[], options: CreateOptions = {}): Tensor {
  const isTyped = values instanceof Float32Array || values instanceof Float64Array;
  const dtype = options.dtype ?? (values instanceof Float64Array ? 'float64' : 'float32');
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (typeof values === 'number') {
    flat = [values];
    inferred = [];
  } else if (isTyped) {
    flat = values as TypedArray;
    inferred = [(values as TypedArray).length];
  } else {
    inferred = nestedShape(values as readonly TensorLike[]);
    flat = flattenNested(values as readonly TensorLike[], inferred);
  }
  const target = shape ?? inferred;
  checkShape('tensor', 'shape', target);
  if (sizeOf(target) !== flat.length) {
    throw new ShapeError(
      'tensor',
      'shape',
      `a shape with ${flat.length} elements`,
      `${formatShape(target)} (${sizeOf(target)} elements)`,
    );
  }
  const data = allocateUninit(dtype, flat.length);
  if (isTyped) data.set(flat as TypedArray);
  else for (let i = 0; i < flat.length; i++) data[i] = flat[i]!;
  return new Tensor(data, target);
}

function nestedShape(values: readonly TensorLike[]): number[] {
  const shape: number[] = [];
  let level: TensorLike = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0]!;
  }
  return shape;
}

function flattenNested(values: readonly TensorLike[], shape: readonly number[]): number[] {
  const out: number[] = [];
  const walk = (v: TensorLike, depth: number, path: string) => {
    if (depth === shape.length) {
      if (typeof v !== 'number') {
        throw new ShapeError('tensor', `values${path}`, 'a number', Array.isArray(v) ? 'an array' : typeof v);
      }
      out.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new ShapeError(
        'tensor',
        `values${path}`,
        `an array of length ${shape[depth]} (ragged nested arrays are not allowed)`,
        Array.isArray(v) ? `length ${v.length}` : String(v),
      );
    }
    for (let i = 0; i < v.length; i++) walk(v[i]!, depth + 1, `${path}[${i}]`);
  };
  walk(values, 0, '');
  return out;
}

export function full(shape: readonly number[], value: number, options: CreateOptions = {}): Tensor {
  checkShape('full', 'shape', shape);
  const data = allocate(options.dtype ?? 'float32', sizeOf(shape));
  if (value !== 0) fillData(data, value);
  return new Tensor(data, shape);
}

export function zeros(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return full(shape, 0, options);
}

export function ones(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}

export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, { dtype: t.dtype });
}

export function onesLike(t: Tensor): Tensor {
  return ones(t.shape, { dtype: t.dtype });
}

export function fullLike(t: Tensor, value: number): Tensor {
  return full(t.shape, value, { dtype: t.dtype });
}

/** start, start+step, ... below end (numpy.arange). `arange(5)` is [0, 1, 2, 3, 4]. */
export function arange(start: number, end?: number, step = 1, options: CreateOptions = {}): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (step === 0 || !Number.isFinite(step))
    throw new RangeError(`arange: step must be finite and non-zero, got ${step}`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const data = allocate(options.dtype ?? 'float32', n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n]);
}

/** `steps` evenly spaced values from start to end inclusive (numpy.linspace). */
export function linspace(start: number, end: number, steps: number, options: CreateOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0)
    throw new RangeError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const data = allocate(options.dtype ?? 'float32', steps);
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  for (let i = 0; i < steps; i++) data[i] = start + i * delta;
  if (steps > 1) data[steps - 1] = end;
  return new Tensor(data, [steps]);
}

/** An n x m matrix with ones on the diagonal. */
export function eye(n: number, m = n, options: CreateOptions = {}): Tensor {
  checkShape('eye', 'size', [n, m]);
  const data = allocate(options.dtype ?? 'float32', n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return new Tensor(data, [n, m]);
}

/** Uniform samples in [low, high) (default [0, 1)). */
export function rand(
  shape: readonly number[],
  options: RandomOptions & { low?: number; high?: number } = {},
): Tensor {
  checkShape('rand', 'shape', shape);
  const { low = 0, high = 1 } = options;
  const gen = resolveGenerator(options);
  const data = allocate(options.dtype ?? 'float32', sizeOf(shape));
  const f32 = data instanceof Float32Array;
  for (let i = 0; i < data.length; i++) {
    const u = gen.uniform();
    data[i] =
      low === 0 && high === 1 && f32 ? Math.min(Math.fround(u), FLOAT32_BELOW_ONE) : low + (high - low) * u;
  }
  return new Tensor(data, shape);
}

/** Normal samples with the given mean and std (default standard normal). */
export function randn(
  shape: readonly number[],
  options: RandomOptions & { mean?: number; std?: number } = {},
): Tensor {
  checkShape('randn', 'shape', shape);
  const { mean = 0, std = 1 } = options;
  const gen = resolveGenerator(options);
  const data = allocate(options.dtype ?? 'float32', sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = mean + std * gen.normal();
  return new Tensor(data, shape);
}

/** Integers uniform in [low, high), stored as floats of the requested dtype. */
export function randint(
  low: number,
  high: number,
  shape: readonly number[],
  options: RandomOptions = {},
): Tensor {
  checkShape('randint', 'shape', shape);
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new RangeError(`randint: expected integers low < high, got low ${low}, high ${high}`);
  }
  const gen = resolveGenerator(options);
  const data = allocate(options.dtype ?? 'float32', sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = gen.integer(low, high);
  return new Tensor(data, shape);
}
