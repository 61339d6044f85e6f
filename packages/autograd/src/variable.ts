import { type DType, dispose, type Tensor } from '@normkit/tensor';
import { type BackwardOptions, backward } from './engine.js';
import type { Node } from './node.js';

export interface VariableOptions {
  /** Whether backward computes a gradient for this variable (default true: a constant is a plain Tensor). */
  requiresGrad?: boolean;
  /** A label for error messages and debugging. */
  name?: string;
}

/**
 * A Tensor plus what reverse mode needs: `grad` (filled by backward for leaves), `requiresGrad`,
 * and the graph node that produced it (null for a leaf). A parameter is a leaf Variable; an
 * optimizer updates `data` in place (axpy, mulInPlace, ...) so the parameter keeps its identity
 * across steps. Updating data in place while a graph that saved it is still retained gives
 * wrong gradients (there is no version counter as in PyTorch): step after backward.
 */
export class Variable {
  /** The value. Mutable so optimizers and state loading can update or replace it. */
  data: Tensor;
  /**
   * Accumulated gradient (same shape and dtype as data); null until a backward reaches it. On a
   * leaf, backward keep()-s it when it creates it, so it survives the tidy() the backward ran in;
   * zeroGrad() disposes it. Assigning `grad` by hand drops the old one without freeing it.
   */
  grad: Tensor | null = null;
  requiresGrad: boolean;
  /** The op application that produced this variable; null for a leaf. */
  readonly node: Node | null;
  /** Which output of `node` this is (ops like split have several). */
  readonly outputIndex: number;
  name: string | undefined;
  /** A non-leaf that called retainGrad() gets `.grad` too. */
  retainsGrad = false;

  constructor(data: Tensor, options: VariableOptions = {}, node: Node | null = null, outputIndex = 0) {
    this.data = data;
    this.requiresGrad = node !== null || (options.requiresGrad ?? true);
    this.node = node;
    this.outputIndex = outputIndex;
    this.name = options.name;
  }

  get shape(): readonly number[] {
    return this.data.shape;
  }

  get dtype(): DType {
    return this.data.dtype;
  }

  get ndim(): number {
    return this.data.ndim;
  }

  get size(): number {
    return this.data.size;
  }

  /** True for variables not produced by a recorded op (parameters, inputs, constants). */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** The same data, cut from the graph (no grad, no node). Shares the buffer, as torch's detach. */
  detach(): Variable {
    return new Variable(this.data, { requiresGrad: false, name: this.name });
  }

  /** Keep `.grad` for this non-leaf too (leaves always get one). */
  retainGrad(): this {
    if (this.node === null) return this;
    this.retainsGrad = true;
    const node = this.node;
    node.retained ??= [];
    node.retained[this.outputIndex] = this;
    return this;
  }

  /** Run backward from this variable: see `backward`. */
  backward(seed?: Tensor | number | BackwardOptions, options?: BackwardOptions): void {
    backward(this, seed, options);
  }

  /**
   * Forget the accumulated gradient and free it (dispose: on the wasm backend its storage is reused
   * at once; a no-op on the js backend). Any other reference to the old `.grad` is invalid after
   * this on the wasm backend: clone a gradient you want to keep.
   */
  zeroGrad(): void {
    if (this.grad !== null) dispose(this.grad);
    this.grad = null;
  }

  item(): number {
    return this.data.item();
  }

  toArray(): ReturnType<Tensor['toArray']> {
    return this.data.toArray();
  }

  toString(): string {
    const what = this.node ? `node=${this.node.name}` : `leaf, requiresGrad=${this.requiresGrad}`;
    return `Variable(${this.data.toString()}, ${what})`;
  }
}

/** A leaf Variable over `data` (shared, not copied); requiresGrad defaults to true. */
export function variable(data: Tensor, options: VariableOptions = {}): Variable {
  return new Variable(data, options);
}

export function isVariable(x: unknown): x is Variable {
  return x instanceof Variable;
}

/** A Variable, or a Tensor / number used as a constant. */
export type Operand = Variable | Tensor | number;
/** A Variable or a constant Tensor. */
export type TensorOperand = Variable | Tensor;

/** The tensor (or number) behind an operand. */
export function tensorOf<T extends Tensor | number>(x: Variable | T): Tensor | T {
  return x instanceof Variable ? x.data : x;
}
