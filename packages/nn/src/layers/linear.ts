import { defineOp, embedding, type Indices, type TensorOperand, type Variable } from '@normkit/autograd';
import * as T from '@normkit/tensor';
import { formatShape, ShapeError, type Tensor } from '@normkit/tensor';
import { kaimingUniform_, normal_, uniform_ } from '../init.js';
import { dtypeOf, generatorOf, type InitOptions, Module, Parameter } from '../module.js';

/**
 * y = x W^T + b over the last axis of x (torch.nn.functional.linear): x [..., in], W [out, in],
 * b [out] -> y [..., out]. One fused op on x viewed as M = prod(leading dims) rows:
 *   dx = g W,   dW = g^T x,   db = sum over rows of g      (g the gradient of y as [M, out])
 * Each gradient is computed only when its input needs it.
 */
const linearOp = defineOp({
  name: 'linear',
  inputNames: ['x', 'weight', 'bias'],
  forward: (_c, [x, w, b]: [Tensor, Tensor, Tensor | undefined]) => {
    const { inF, outF } = checkLinear(x, w, b);
    const lead = x.shape.slice(0, -1);
    const x2 = x.reshape([lead.reduce((a, d) => a * d, 1), inF]);
    const y = T.matmul(x2, w.transpose());
    if (b) T.addInPlace(y, b);
    return { output: y.reshape([...lead, outF]), saved: { x2, w } };
  },
  backward: (c, g) => {
    const { x2, w } = c.saved;
    const g2 = g.reshape([x2.shape[0]!, w.shape[0]!]);
    const [needX, needW, needB] = c.needsInputGrad;
    return [
      needX ? T.matmul(g2, w).reshape(c.inputShapes[0]!) : null,
      needW ? T.matmul(g2.transpose(), x2) : null,
      needB ? T.sum(g2, 0) : null,
    ];
  },
});

function checkLinear(x: Tensor, w: Tensor, b: Tensor | undefined): { inF: number; outF: number } {
  if (w.ndim !== 2) throw new ShapeError('linear', 'weight', 'shape [out, in]', formatShape(w.shape));
  const [outF, inF] = w.shape as [number, number];
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) {
    throw new ShapeError(
      'linear',
      'x',
      `shape [*, ${inF}]`,
      formatShape(x.shape),
      `linear: x of shape ${formatShape(x.shape)} cannot be multiplied by weight of shape ${formatShape(w.shape)}; ` +
        `expected x of shape [*, ${inF}]`,
    );
  }
  if (b && (b.ndim !== 1 || b.shape[0] !== outF)) {
    throw new ShapeError('linear', 'bias', `shape [${outF}]`, formatShape(b.shape));
  }
  return { inF, outF };
}

/** y = x W^T + b (torch.nn.functional.linear); bias optional. */
export function linear(x: TensorOperand, weight: TensorOperand, bias?: TensorOperand | null): Variable {
  return linearOp([x, weight, bias ?? null]);
}

function checkSize(op: string, arg: string, n: number): void {
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`${op}: ${arg} must be a non-negative integer, got ${n}`);
}

export interface LinearOptions extends InitOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/**
 * torch.nn.Linear: weight [out, in], bias [out]. Default initialisation as torch: weight by
 * kaiming_uniform(a = sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)) (gain sqrt(2 / (1 + 5)) times
 * sqrt(3 / in)), then bias U(-1/sqrt(in), 1/sqrt(in)), both drawn in that order from one
 * generator. in = 0 gives a zero bound, as torch.
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    checkSize('Linear', 'inFeatures', inFeatures);
    checkSize('Linear', 'outFeatures', outFeatures);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const dtype = dtypeOf('Linear', options);
    const rng = generatorOf(options);
    const w = T.zeros([outFeatures, inFeatures], { dtype });
    kaimingUniform_(w, { a: Math.sqrt(5), rng });
    this.registerParameter('weight', new Parameter(w));
    let b: Parameter | null = null;
    if (options.bias ?? true) {
      const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
      b = new Parameter(uniform_(T.zeros([outFeatures], { dtype }), -bound, bound, rng));
    }
    this.registerParameter('bias', b);
  }

  get weight(): Variable {
    return this.getParameter('weight')!;
  }
  /** Assigning re-registers (weight tying: `lmHead.weight = wte.weight`). */
  set weight(v: Variable) {
    this.registerParameter('weight', v);
  }
  get bias(): Variable | null {
    return this.getParameter('bias');
  }
  set bias(v: Variable | null) {
    this.registerParameter('bias', v);
  }

  forward(x: TensorOperand): Variable {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/**
 * torch.nn.Embedding: a [numEmbeddings, embeddingDim] table initialised N(0, 1); forward(ids)
 * looks rows up (ids of any shape -> [...ids.shape, embeddingDim]), and the backward
 * scatter-adds into the rows used (an id used twice gets both gradients).
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;

  constructor(numEmbeddings: number, embeddingDim: number, options: InitOptions = {}) {
    super();
    checkSize('Embedding', 'numEmbeddings', numEmbeddings);
    checkSize('Embedding', 'embeddingDim', embeddingDim);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    const w = T.zeros([numEmbeddings, embeddingDim], { dtype: dtypeOf('Embedding', options) });
    this.registerParameter('weight', new Parameter(normal_(w, 0, 1, generatorOf(options))));
  }

  get weight(): Variable {
    return this.getParameter('weight')!;
  }
  set weight(v: Variable) {
    this.registerParameter('weight', v);
  }

  forward(ids: Indices): Variable {
    return embedding(this.weight, ids);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}
