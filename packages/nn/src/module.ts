import { Variable } from '@normkit/autograd';
import { type DType, dispose, keep, type Tensor } from '@normkit/tensor';
import { dtypeOf } from './internal/options.js';
import {
  type LoadStateDictOptions,
  type LoadStateDictResult,
  loadInto,
  type StateEntry,
} from './state-dict.js';

/**
 * The Module system. Registration is explicit and the registry is the source of truth: a module
 * registers each parameter, buffer and child under the name its state-dict key uses, and keeps
 * the returned value in a field (class-field initialisers run after `super()`, so this reads
 * naturally in TypeScript):
 *
 *   class MLP extends Module {
 *     readonly fc = this.registerModule('fc', new Linear(4, 8, { seed: 0 }));
 *     readonly scale = this.registerParameter('scale', new Parameter(ones([8])));
 *     forward(x: Variable) { return mul(relu(this.fc.forward(x)), this.scale); }
 *   }
 *
 * Registered names may differ from JS property names: BatchNorm's `runningMean` property is the
 * `running_mean` buffer, so state dicts use PyTorch's keys and checkpoints interoperate.
 * Registering a name again replaces the entry (PyTorch's attribute assignment); built-in layers
 * expose their entries through accessors (`linear.weight = other` re-registers), which is how
 * weights are tied.
 *
 * Memory (wasm backend): registered parameters and buffers are keep()-ed, so a module built or
 * first run inside tidy() keeps its weights (tidy cannot see them: they sit in private maps). They
 * are freed by the garbage collector once the module is unreachable; gradients are freed by zeroGrad.
 */

export { dtypeOf, generatorOf, type InitOptions, type ModuleOptions } from './internal/options.js';

/** A trainable leaf Variable (torch.nn.Parameter): requiresGrad defaults to true. */
export class Parameter extends Variable {
  constructor(data: Tensor, options: { requiresGrad?: boolean; name?: string } = {}) {
    super(data, { requiresGrad: options.requiresGrad ?? true, name: options.name });
  }
}

export interface BufferOptions {
  /** Part of stateDict() (default true); torch's persistent=False buffers are not. */
  persistent?: boolean;
  /**
   * An integer counter (BatchNorm's num_batches_tracked): kept in float64 whatever the module's
   * dtype (exact to 2^53), not cast by to(), and loaded from a state dict of any dtype (torch
   * stores it as int64).
   */
  counter?: boolean;
}

interface BufferEntry {
  tensor: Tensor | null;
  persistent: boolean;
  counter: boolean;
}

export class Module {
  /** Training mode (Dropout active, BatchNorm on batch statistics); set with train() / eval(). */
  training = true;
  readonly #params = new Map<string, Variable | null>();
  readonly #buffers = new Map<string, BufferEntry>();
  readonly #children = new Map<string, Module | null>();

  /** Register (or replace) a parameter; null records an absent optional one (e.g. no bias). Returns p. */
  registerParameter<P extends Variable | null>(name: string, p: P): P {
    this.#checkName('registerParameter', name, this.#params);
    if (p !== null && !(p instanceof Variable)) {
      throw new TypeError(`registerParameter: '${name}' must be a Variable (e.g. a Parameter) or null`);
    }
    if (p !== null && !p.isLeaf) {
      throw new TypeError(
        `registerParameter: '${name}' must be a leaf Variable; it was computed by ${p.node!.name} (detach() it first)`,
      );
    }
    if (p !== null) keep(p.data);
    this.#params.set(name, p);
    return p;
  }

  /** Register (or replace) a buffer: state that is not trained (running statistics). Returns t. */
  registerBuffer<B extends Tensor | null>(name: string, t: B, options: BufferOptions = {}): B {
    this.#checkName('registerBuffer', name, this.#buffers);
    if (t !== null) keep(t);
    this.#buffers.set(name, {
      tensor: t,
      persistent: options.persistent ?? true,
      counter: options.counter ?? false,
    });
    return t;
  }

  /** Register (or replace) a child module. Returns m. */
  registerModule<M extends Module | null>(name: string, m: M): M {
    this.#checkName('registerModule', name, this.#children);
    if (m !== null && !(m instanceof Module)) {
      throw new TypeError(`registerModule: '${name}' must be a Module or null`);
    }
    this.#children.set(name, m);
    return m;
  }

  /** The registered parameter (null when registered as absent); throws for an unknown name. */
  getParameter(name: string): Variable | null {
    if (!this.#params.has(name)) throw unknown(this, 'parameter', name, [...this.#params.keys()]);
    return this.#params.get(name)!;
  }

  getBuffer(name: string): Tensor | null {
    if (!this.#buffers.has(name)) throw unknown(this, 'buffer', name, [...this.#buffers.keys()]);
    return this.#buffers.get(name)!.tensor;
  }

  getModule(name: string): Module | null {
    if (!this.#children.has(name)) throw unknown(this, 'module', name, [...this.#children.keys()]);
    return this.#children.get(name)!;
  }

  /** Direct children with their names, in registration order (absent ones skipped). */
  namedChildren(): [string, Module][] {
    return [...this.#children].filter((e): e is [string, Module] => e[1] !== null);
  }

  children(): Module[] {
    return this.namedChildren().map((e) => e[1]);
  }

  /** This module and all descendants, pre-order, each once; names dotted ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, name: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [k, c] of m.namedChildren()) visit(c, name === '' ? k : `${name}.${k}`);
    };
    visit(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map((e) => e[1]);
  }

  /**
   * Parameters with dotted names ('0.weight', 'h.0.ln_1.bias'), in stateDict order. A parameter
   * shared by two modules (tied weights) is listed once, under its first name, as torch does.
   */
  namedParameters(options: { recurse?: boolean } = {}): [string, Variable][] {
    return this.#named(options.recurse ?? true, (m) => [...m.#params]);
  }

  parameters(options: { recurse?: boolean } = {}): Variable[] {
    return this.namedParameters(options).map((e) => e[1]);
  }

  /** Buffers with dotted names (persistent or not), each tensor once. */
  namedBuffers(options: { recurse?: boolean } = {}): [string, Tensor][] {
    return this.#named(options.recurse ?? true, (m) => [...m.#buffers].map(([k, b]) => [k, b.tensor]));
  }

  /** Entries of every module (or this one) with dotted names, each value once, absent ones skipped. */
  #named<V>(recurse: boolean, own: (m: Module) => [string, V | null][]): [string, V][] {
    const out: [string, V][] = [];
    const seen = new Set<V>();
    for (const [prefix, m] of recurse ? this.namedModules() : ([['', this]] as [string, Module][])) {
      for (const [k, v] of own(m)) {
        if (v === null || seen.has(v)) continue;
        seen.add(v);
        out.push([prefix === '' ? k : `${prefix}.${k}`, v]);
      }
    }
    return out;
  }

  buffers(options: { recurse?: boolean } = {}): Tensor[] {
    return this.namedBuffers(options).map((e) => e[1]);
  }

  /** Every state entry with its key (tied parameters under each of their keys, as torch). */
  #entries(prefix: string, out: StateEntry[], seen: Set<Module>): StateEntry[] {
    if (seen.has(this)) return out;
    seen.add(this);
    for (const [k, p] of this.#params) if (p !== null) out.push({ key: prefix + k, kind: 'parameter', p });
    for (const [k, b] of this.#buffers) {
      if (b.tensor === null || !b.persistent) continue;
      out.push({ key: prefix + k, kind: 'buffer', counter: b.counter, t: b.tensor });
    }
    for (const [k, c] of this.#children) if (c !== null) c.#entries(`${prefix}${k}.`, out, seen);
    return out;
  }

  /**
   * Parameters and persistent buffers by key (torch's state_dict order: a module's own
   * parameters, its buffers, then its children). Values are the live tensors, not copies (as
   * torch, which shares storage): clone them to keep a snapshot while training continues.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const e of this.#entries('', [], new Set())) out[e.key] = e.kind === 'parameter' ? e.p.data : e.t;
    return out;
  }

  /**
   * Copy a state dict's values into this module's tensors in place (optimizers keep their
   * references). Everything is checked before anything is written: missing keys and unexpected
   * keys (when strict, the default) and shape or dtype mismatches (always) are listed together in
   * one StateDictError, and the module is left unchanged.
   */
  loadStateDict(
    dict: Record<string, Tensor | Variable>,
    options: LoadStateDictOptions = {},
  ): LoadStateDictResult {
    return loadInto(this.constructor.name, this.#entries('', [], new Set()), dict, options);
  }

  /** Set training mode on this module and every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Call fn on every descendant, then on this module (children first, as torch). */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Cast parameters (in place: `p.data` is replaced, the Variable stays, so optimizers built
   * afterwards see it) and float buffers to dtype; counters stay float64. Read buffers through
   * getBuffer() or an accessor: a field holding the old tensor is not updated.
   */
  to(dtype: DType): this {
    dtypeOf('to', { dtype });
    for (const m of this.modules()) {
      for (const p of m.#params.values()) {
        if (p === null || p.dtype === dtype) continue;
        // the old data may still be held elsewhere (a stateDict()); the old gradient is p's alone
        p.data = keep(p.data.astype(dtype));
        const grad = p.grad;
        p.grad = grad === null ? null : keep(grad.astype(dtype));
        if (grad !== null) dispose(grad);
      }
      for (const b of m.#buffers.values()) {
        if (b.tensor !== null && !b.counter) b.tensor = keep(b.tensor.astype(dtype));
      }
    }
    return this;
  }

  /** Number of scalar parameters (each shared parameter counted once). */
  numParameters(options: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!options.trainableOnly || p.requiresGrad) n += p.size;
    return n;
  }

  /**
   * Reset every parameter's gradient to null (gradients accumulate across backward calls),
   * disposing the old ones (Variable.zeroGrad: a reference to an old `.grad` is invalid afterwards
   * on the wasm backend).
   */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** One line of configuration for toString (override in subclasses, as torch's extra_repr). */
  extraRepr(): string {
    return '';
  }

  /** torch-style tree: `Sequential(\n  (0): Linear(inFeatures=4, outFeatures=8, bias=true)\n)`. */
  toString(): string {
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    const kids = this.namedChildren();
    if (kids.length === 0) return `${head})`;
    const lines = kids.map(([k, c]) => `  (${k}): ${c.toString().replaceAll('\n', '\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }

  #checkName(op: string, name: string, own: Map<string, unknown>): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new RangeError(`${op}: name must be a non-empty string without '.', got ${JSON.stringify(name)}`);
    }
    for (const [kind, map] of [
      ['parameter', this.#params],
      ['buffer', this.#buffers],
      ['module', this.#children],
    ] as const) {
      if (map !== own && map.has(name)) {
        throw new RangeError(
          `${op}: '${name}' is already registered as a ${kind} of ${this.constructor.name}`,
        );
      }
    }
  }
}

function unknown(m: Module, kind: string, name: string, known: string[]): RangeError {
  const list = known.length > 0 ? known.map((k) => `'${k}'`).join(', ') : 'none';
  return new RangeError(`${m.constructor.name}: no ${kind} named '${name}' (registered: ${list})`);
}
