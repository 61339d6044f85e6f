import { defineOp, type TensorOperand, type Variable } from '@normkit/autograd';
import {
  allocate,
  type DType,
  formatShape,
  full,
  ones,
  ShapeError,
  Tensor,
  type TypedArray,
  zeros,
} from '@normkit/tensor';
import { tanhFloat32 } from '../internal/fast-tanh.js';
import { dytBackwardWasm, dytForwardWasm } from '../internal/wasm/dyt-wasm.js';
import { dtypeOf, Module, type ModuleOptions, Parameter } from '../module.js';
import { shapeList } from './differentiable.js';

/**
 * Dynamic Tanh (Zhu, Chen, He, LeCun & Liu, "Transformers without Normalization", CVPR 2025), a
 * drop-in replacement for LayerNorm with no statistics:
 *   y = weight * tanh(alpha * x) + bias
 * alpha a learnable scalar, weight/bias over the trailing normalizedShape dims. With t = tanh(alpha x)
 * and g = dy * weight, the fused backward (one pass over x, float64 partial sums):
 *   dx = g * alpha * (1 - t^2),   dalpha = sum g * x * (1 - t^2),
 *   dWeight = sum over rows dy * t,   dBias = sum over rows dy.
 * t is recomputed from x in the backward instead of saved (one tensor less held per layer).
 * float32 inputs use tanhFloat32 (internal/fast-tanh.ts: within 2.5e-10 relative of tanh, 3.5x
 * faster than V8's Math.tanh); float64 inputs use Math.tanh. On the wasm backend float32 runs the
 * SIMD kernel of wasm/dyt.ts (internal/wasm/dyt-wasm.ts: the same y and dx bit for bit, the sums in
 * another order); the loops below are its fallback and oracle.
 */

interface DytSaved {
  x: Tensor;
  alpha: number;
  w: Tensor | undefined;
  /** elements per row (the size of the trailing dims weight/bias cover) */
  N: number;
}

function contiguousData(t: Tensor): { d: TypedArray; o: number } {
  const c = t.contiguous();
  return { d: c.data, o: c.offset };
}

/** weight or bias as N float64 values (`fill` when absent), so the loops have no branches on it. */
function affine(t: Tensor | undefined, N: number, fill: number): Float64Array {
  if (!t) return new Float64Array(N).fill(fill);
  return Float64Array.from(t.toTypedArray());
}

/** N = the size of the trailing dims weight/bias cover (1 with neither: alpha alone). */
function checkDyt(x: Tensor, alpha: Tensor, w: Tensor | undefined, b: Tensor | undefined): number {
  if (alpha.size !== 1)
    throw new ShapeError('dyt', 'alpha', 'one element (shape [1])', formatShape(alpha.shape));
  const ref = w ?? b;
  if (!ref) return 1;
  if (w && b && formatShape(w.shape) !== formatShape(b.shape)) {
    throw new ShapeError('dyt', 'bias', `shape ${formatShape(w.shape)} (the weight's)`, formatShape(b.shape));
  }
  const k = ref.ndim;
  if (x.ndim < k || formatShape(x.shape.slice(x.ndim - k)) !== formatShape(ref.shape)) {
    throw new ShapeError(
      'dyt',
      'x',
      `shape [*, ${ref.shape.join(', ')}]`,
      formatShape(x.shape),
      `dyt: weight/bias of shape ${formatShape(ref.shape)} expect input of shape [*, ${ref.shape.join(', ')}], ` +
        `but got input of size ${formatShape(x.shape)}`,
    );
  }
  return ref.size;
}

/** float64 sums stored in the parameters' dtype. */
function rounded(sums: Float64Array, shape: readonly number[], dtype: DType): Tensor {
  const out = allocate(dtype, sums.length);
  out.set(sums);
  return new Tensor(out, shape);
}

const dytOp = defineOp({
  name: 'dyt',
  inputNames: ['x', 'alpha', 'weight', 'bias'],
  contiguousGrad: true,
  forward: (c, [x, alphaT, w, b]: [Tensor, Tensor, Tensor | undefined, Tensor | undefined]) => {
    const N = checkDyt(x, alphaT, w, b);
    const alpha = alphaT.data[alphaT.offset]!;
    const { d: xd, o: xo } = contiguousData(x);
    const W = affine(w, N, 1);
    const B = affine(b, N, 0);
    const f32 = x.dtype === 'float32';
    const size = x.size;
    const y = allocate(x.dtype, size);
    if (!(f32 && dytForwardWasm(xd, xo, y, size, N, alpha, W, B))) forwardJs(xd, xo, y, size, N, alpha, W, B);
    const saved: DytSaved | null = c.requiresGrad ? { x, alpha, w, N } : null;
    return { output: new Tensor(y, x.shape), saved };
  },
  backward: (c, g) => {
    const { x, alpha, w, N } = c.saved!;
    const [needX, needA, needW, needB] = c.needsInputGrad;
    const { d: xd, o: xo } = contiguousData(x);
    const { d: gd, o: go } = contiguousData(g);
    const W = affine(w, N, 1);
    const size = x.size;
    const dx = needX ? allocate(x.dtype, x.size) : null;
    const dW = new Float64Array(N);
    const dB = new Float64Array(N);
    const params = needW || needB;
    const wasm =
      x.dtype === 'float32'
        ? dytBackwardWasm({
            x: xd,
            xo,
            dy: gd,
            dyo: go,
            dx,
            size,
            N,
            alpha,
            W,
            dW: params ? dW : null,
            dB: params ? dB : null,
          })
        : null;
    const dAlpha = wasm ?? backwardJs(xd, xo, gd, go, dx, size, N, alpha, W, dW, dB);
    return [
      dx ? new Tensor(dx, x.shape) : null,
      needA ? full(c.inputShapes[1]!, dAlpha, { dtype: x.dtype }) : null,
      needW ? rounded(dW, c.inputShapes[2]!, x.dtype) : null,
      needB ? rounded(dB, c.inputShapes[3]!, x.dtype) : null,
    ];
  },
});

/** y = W * tanh(alpha x) + B over rows of N (the JS kernel). */
function forwardJs(
  xd: TypedArray,
  xo: number,
  y: TypedArray,
  size: number,
  N: number,
  alpha: number,
  W: Float64Array,
  B: Float64Array,
): void {
  const f32 = y instanceof Float32Array;
  for (let row = 0; row < size; row += N) {
    for (let j = 0; j < N; j++) {
      const z = alpha * xd[xo + row + j]!;
      y[row + j] = W[j]! * (f32 ? tanhFloat32(z) : Math.tanh(z)) + B[j]!;
    }
  }
}

/** The JS backward: fills dx (when wanted), dW, dB (float64 sums over rows); returns dalpha. */
function backwardJs(
  xd: TypedArray,
  xo: number,
  gd: TypedArray,
  go: number,
  dx: TypedArray | null,
  size: number,
  N: number,
  alpha: number,
  W: Float64Array,
  dW: Float64Array,
  dB: Float64Array,
): number {
  const f32 = xd instanceof Float32Array;
  let dAlpha = 0;
  for (let row = 0; row < size; row += N) {
    for (let j = 0; j < N; j++) {
      const xi = xd[xo + row + j]!;
      const dy = gd[go + row + j]!;
      const z = alpha * xi;
      const t = f32 ? tanhFloat32(z) : Math.tanh(z);
      const gs = dy * W[j]! * (1 - t * t); // dy * weight * tanh'(z)
      if (dx !== null) dx[row + j] = gs * alpha;
      dAlpha += gs * xi;
      dW[j] += dy * t;
      dB[j] += dy;
    }
  }
  return dAlpha;
}

/** y = weight * tanh(alpha * x) + bias; alpha a one-element tensor, weight/bias optional (trailing dims). */
export function dyt(
  x: TensorOperand,
  alpha: TensorOperand,
  options: { weight?: TensorOperand | null; bias?: TensorOperand | null } = {},
): Variable {
  return dytOp([x, alpha, options.weight ?? null, options.bias ?? null]);
}

export interface DyTOptions extends ModuleOptions {
  /** Initial alpha (default 0.5, the paper's choice for non-LLM models; its LLMs use larger values in attention). */
  alphaInit?: number;
  /** Learn weight (ones) and bias (zeros) over normalizedShape (default true, as the paper). */
  elementwiseAffine?: boolean;
}

/** The DyT module (the paper's DynamicTanh): parameters alpha [1], weight, bias [...normalizedShape]. */
export class DyT extends Module {
  readonly normalizedShape: readonly number[];

  constructor(normalizedShape: number | readonly number[], options: DyTOptions = {}) {
    super();
    this.normalizedShape = shapeList('DyT', normalizedShape);
    const dtype = dtypeOf('DyT', options);
    const alphaInit = options.alphaInit ?? 0.5;
    if (!Number.isFinite(alphaInit))
      throw new RangeError(`DyT: alphaInit must be a finite number, got ${alphaInit}`);
    this.registerParameter('alpha', new Parameter(full([1], alphaInit, { dtype })));
    const affine = options.elementwiseAffine ?? true;
    this.registerParameter('weight', affine ? new Parameter(ones(this.normalizedShape, { dtype })) : null);
    this.registerParameter('bias', affine ? new Parameter(zeros(this.normalizedShape, { dtype })) : null);
  }

  get alpha(): Variable {
    return this.getParameter('alpha')!;
  }
  get weight(): Variable | null {
    return this.getParameter('weight');
  }
  get bias(): Variable | null {
    return this.getParameter('bias');
  }

  forward(x: TensorOperand): Variable {
    if (this.weight === null) {
      // no affine: the trailing-dims check still applies (as LayerNorm without elementwise affine)
      const shape = x.shape;
      const k = this.normalizedShape.length;
      if (
        formatShape(shape.slice(shape.length - k)) !== formatShape(this.normalizedShape) ||
        shape.length < k
      ) {
        throw new ShapeError('DyT', 'x', `shape [*, ${this.normalizedShape.join(', ')}]`, formatShape(shape));
      }
    }
    return dyt(x, this.alpha, { weight: this.weight, bias: this.bias });
  }

  override extraRepr(): string {
    return `${formatShape(this.normalizedShape)}, alpha=${this.alpha.data.data[this.alpha.data.offset]}, elementwiseAffine=${this.weight !== null}`;
  }
}
