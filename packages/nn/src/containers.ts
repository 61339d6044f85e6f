import { type TensorOperand, Variable } from '@normkit/autograd';
import { Module } from './module.js';

/** A module whose forward maps one tensor to one: what Sequential chains. */
export interface UnaryModule extends Module {
  forward(x: TensorOperand): Variable;
}

/**
 * Containers register their items as children '0', '1', ... (torch's keys: '0.weight'). The
 * registry is the only list, so re-registering '1' (torch's `seq[1] = m`) replaces that item.
 */
class IndexedModules<M extends Module> extends Module implements Iterable<M> {
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** Register m as the next item. */
  protected push(m: M): void {
    this.registerModule(String(this.#length), m);
    this.#length++;
  }

  /** The i-th item (negative i counts from the end). */
  at(i: number): M {
    const n = this.#length;
    if (!Number.isInteger(i) || i < -n || i >= n) {
      throw new RangeError(`${this.constructor.name}.at: index ${i} is out of range for ${n} modules`);
    }
    return this.getModule(String(i < 0 ? i + n : i)) as M;
  }

  *[Symbol.iterator](): Iterator<M> {
    for (let i = 0; i < this.#length; i++) yield this.getModule(String(i)) as M;
  }
}

/**
 * An ordered list of submodules that is not called itself (torch's nn.ModuleList): a stack of
 * transformer blocks, whose parameters are named `h.0.attn.weight`, `h.1.attn.weight`, ...
 */
export class ModuleList<M extends Module = Module> extends IndexedModules<M> {
  constructor(modules: Iterable<M> = []) {
    super();
    this.extend(modules);
  }

  append(m: M): this {
    if (!(m instanceof Module)) throw new TypeError(`ModuleList: item ${this.length} must be a Module`);
    this.push(m);
    return this;
  }

  extend(modules: Iterable<M>): this {
    for (const m of modules) this.append(m);
    return this;
  }
}

/** Modules applied in order, the output of one the input of the next (torch's nn.Sequential). */
export class Sequential extends IndexedModules<UnaryModule> {
  constructor(...modules: UnaryModule[]) {
    super();
    for (const m of modules) this.append(m);
  }

  append(m: UnaryModule): this {
    if (!(m instanceof Module) || typeof m.forward !== 'function') {
      throw new TypeError(`Sequential: item ${this.length} must be a Module with a forward method`);
    }
    this.push(m);
    return this;
  }

  /** x through every module in order (an empty Sequential returns x as a Variable). */
  forward(x: TensorOperand): Variable {
    let h = x;
    for (const m of this) h = m.forward(h);
    return h instanceof Variable ? h : new Variable(h, { requiresGrad: false });
  }
}
