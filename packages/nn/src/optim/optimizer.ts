import { isVariable, type Variable, type ZeroGradOptions, zeroGrad } from '@normkit/autograd';
import { copyInto, dispose, dtypeMismatch, formatShape, keep, ShapeError, Tensor } from '@normkit/tensor';
import { asGroup, checkKeys, describe, isBag, readHyper, readStep, sameDims } from './checks.js';
import { Scratch } from './scratch.js';

/**
 * The optimizer base, as torch.optim.Optimizer: parameter groups with their own hyperparameters,
 * per-parameter state created on the first step that sees a gradient (a parameter whose grad is
 * null is skipped and gets no state), and a state dict in torch's layout:
 *   { state: { [index]: { step, exp_avg, ... } }, param_groups: [{ lr, weight_decay, ..., params: [indices] }] }
 * Parameters are numbered across the groups in order. Keys use torch's snake_case names, so a torch
 * state dict exported to JSON loads unchanged; the JS API itself is camelCase (weightDecay).
 *
 * Memory (wasm backend): the state tensors live as long as the optimizer, but they are created
 * lazily, on the first step, which a training loop usually runs inside tidy(). So every state
 * tensor (and the Scratch temporaries) is keep()-ed when created: a tidy never frees it, and it is
 * released only by dispose (when loadStateDict drops a parameter's state) or, once the optimizer is
 * unreachable, by the garbage collector. The gradients are not the optimizer's: zeroGrad disposes them.
 */

/** Hyperparameters every optimizer has; lr is what a schedule drives. */
export interface BaseHyper {
  lr: number;
}

/** A parameter group: its parameters plus the hyperparameters they are updated with. */
export type ParamGroup<H> = H & { params: Variable[] };
/** A group as passed to a constructor: hyperparameters left out take the optimizer's defaults. */
export type ParamGroupInit<H> = Partial<H> & { params: Iterable<Variable> };
/** One list of parameters, or a list of parameter groups. */
export type ParamsInput<H> = Iterable<Variable> | readonly ParamGroupInit<H>[];

export interface StateDictGroup {
  params: number[];
  [hyper: string]: unknown;
}

export interface OptimizerStateDict {
  state: Record<number, Record<string, Tensor | number>>;
  param_groups: StateDictGroup[];
}

export interface HyperField<H> {
  key: keyof H & string;
  /** The name in torch's state dict. */
  dictKey: string;
  kind: 'number' | 'boolean' | 'pair';
}

export interface OptimizerSpec<H, S> {
  name: string;
  hyper: readonly HyperField<H>[];
  /** The state tensors by torch name; `required(h)` says whether a saved entry must hold it. */
  buffers: readonly { key: keyof S & string; required: (h: H) => boolean }[];
  /** Whether the state keeps a step count (torch's Adam does, its SGD does not). */
  counts: boolean;
  /** Throw a RangeError naming `where` for an invalid hyperparameter. */
  validate(h: H, where: string): void;
  /** Fresh state for a parameter (the tensors the optimizer keeps for its whole life). */
  init(param: Tensor, h: H): S;
}

type Bag = Record<string, unknown>;

export abstract class Optimizer<H extends BaseHyper, S extends object> {
  readonly paramGroups: ParamGroup<H>[] = [];
  protected readonly state = new Map<Variable, S>();
  private readonly scratch = new Scratch();
  private readonly spec: OptimizerSpec<H, S>;
  private readonly defaults: H;

  /** `options` is what the user passed (checked for unknown keys); `defaults` the filled-in values. */
  protected constructor(spec: OptimizerSpec<H, S>, params: ParamsInput<H>, defaults: H, options: object) {
    this.spec = spec;
    this.defaults = defaults;
    checkKeys(spec.name, options ?? {}, 'option', hyperKeys(spec));
    spec.validate(defaults, spec.name);
    const list = Array.from(params as Iterable<unknown>);
    if (list.length === 0) {
      throw new RangeError(`${spec.name}: params expected at least one parameter, got an empty list`);
    }
    // the first element decides: a list of Variables (addParamGroup checks each) or of groups
    if (isVariable(list[0])) this.addParamGroup({ params: list } as unknown as ParamGroupInit<H>);
    else for (const [i, g] of list.entries()) this.addParamGroup(asGroup<ParamGroupInit<H>>(spec.name, g, i));
  }

  /** Add a group, as torch's add_param_group; a parameter may belong to one group only. */
  addParamGroup(init: ParamGroupInit<H>): void {
    const name = this.spec.name;
    const params = Array.from(init.params);
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    params.forEach((p, i) => {
      if (!isVariable(p))
        throw new TypeError(`${name}: params[${i}] expected a Variable, got ${describe(p)}`);
      if (!p.isLeaf)
        throw new RangeError(`${name}: params[${i}] is not a leaf Variable (cannot optimize it)`);
      if (seen.has(p)) throw new RangeError(`${name}: params[${i}] appears in more than one parameter group`);
      seen.add(p);
    });
    checkKeys(name, init, 'param group option', ['params', ...hyperKeys(this.spec)]);
    const group = { params } as Bag;
    for (const f of this.spec.hyper) {
      const v = (init as Bag)[f.key] ?? (this.defaults as Bag)[f.key];
      group[f.key] = f.kind === 'pair' ? [...(v as number[])] : v;
    }
    this.spec.validate(group as unknown as H, `${name}: param group ${this.paramGroups.length}`);
    this.paramGroups.push(group as unknown as ParamGroup<H>);
  }

  /** The first group's learning rate; setting it sets every group's (what a schedule does). */
  get lr(): number {
    return this.paramGroups[0]!.lr;
  }

  set lr(value: number) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`${this.spec.name}: lr expected a finite number >= 0, got ${value}`);
    }
    for (const g of this.paramGroups) g.lr = value;
  }

  /** Every parameter, group by group. */
  params(): Variable[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /**
   * Reset the gradients (grad = null by default, disposing the old ones: see @normkit/autograd's
   * zeroGrad; { setToNone: false } fills them with zeros).
   */
  zeroGrad(options?: ZeroGradOptions): void {
    zeroGrad(this.params(), options);
  }

  /** One update of every parameter that has a gradient, in place in param.data. */
  step(): void {
    const op = `${this.spec.name}.step`;
    for (let gi = 0; gi < this.paramGroups.length; gi++) {
      const group = this.paramGroups[gi]!;
      // hyperparameters may have been edited since the last step (a schedule, a user)
      this.spec.validate(group, `${op}: param group ${gi}`);
      for (const p of group.params) {
        const g = p.grad;
        if (g === null) continue;
        if (g.dtype !== p.dtype) throw dtypeMismatch(op, 'grad', `${p.dtype} (the parameter's)`, g.dtype);
        if (!sameDims(g.shape, p.shape)) {
          throw new ShapeError(op, 'grad', formatShape(p.shape), formatShape(g.shape));
        }
        let s = this.state.get(p);
        if (s === undefined) this.state.set(p, (s = keepState(this.spec.init(p.data, group))));
        this.update(p, g, s, group);
      }
    }
  }

  /** Update one parameter in place from its gradient and state. */
  protected abstract update(param: Variable, grad: Tensor, state: S, group: H): void;

  /** Temporary k (0 or 1) shaped as the parameter; shared by all parameters (see Scratch). */
  protected temp(param: Variable, k: 0 | 1): Tensor {
    return this.scratch.get(param, param.shape, param.dtype, k);
  }

  /**
   * The state in torch's layout. Tensors are copies (torch hands out live references): a saved
   * state dict does not change when training goes on.
   */
  stateDict(): OptimizerStateDict {
    const state: OptimizerStateDict['state'] = {};
    let index = 0;
    const param_groups = this.paramGroups.map((group) => {
      const out: StateDictGroup = { params: [] };
      for (const f of this.spec.hyper) {
        const v = (group as unknown as Bag)[f.key];
        out[f.dictKey] = f.kind === 'pair' ? [...(v as number[])] : v;
      }
      for (const p of group.params) {
        const s = this.state.get(p) as Bag | undefined;
        if (s !== undefined) {
          const entry: Record<string, Tensor | number> = {};
          if (this.spec.counts) entry.step = s.step as number;
          for (const b of this.spec.buffers)
            if (s[b.key] instanceof Tensor) entry[b.key] = (s[b.key] as Tensor).clone();
          state[index] = entry;
        }
        out.params.push(index++);
      }
      return out;
    });
    return { state, param_groups };
  }

  /**
   * Restore hyperparameters and state from stateDict() (or torch's, as JSON). Saved parameter
   * numbers map to this optimizer's parameters group by group, in order, as torch. Everything is
   * checked before anything changes: group and parameter counts, hyperparameter types and ranges,
   * each state tensor's shape and dtype against its parameter; the first problem throws.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const { name, hyper, buffers } = this.spec;
    const op = `${name}.loadStateDict`;
    if (!isBag(sd) || !isBag(sd.state) || !Array.isArray(sd.param_groups)) {
      throw new TypeError(`${op}: expected { state, param_groups }, got ${describe(sd)}`);
    }
    if (sd.param_groups.length !== this.paramGroups.length) {
      throw new RangeError(
        `${op}: param_groups expected ${this.paramGroups.length} groups, got ${sd.param_groups.length}`,
      );
    }
    const byId = new Map<number, { p: Variable; h: H }>();
    const hypers = this.paramGroups.map((group, gi) => {
      const saved = sd.param_groups[gi] as unknown;
      const where = `param_groups[${gi}]`;
      if (!isBag(saved) || !Array.isArray(saved.params)) {
        throw new TypeError(`${op}: ${where} expected { params, ... }, got ${describe(saved)}`);
      }
      if (saved.params.length !== group.params.length) {
        throw new RangeError(
          `${op}: ${where}.params expected ${group.params.length} parameters, got ${saved.params.length}`,
        );
      }
      if (saved.maximize === true) throw new RangeError(`${op}: ${where}.maximize = true is not supported`);
      const h = {} as Bag;
      for (const f of hyper) h[f.key] = readHyper(op, `${where}.${f.dictKey}`, saved[f.dictKey], f.kind);
      this.spec.validate(h as unknown as H, `${op}: ${where}`);
      (saved.params as unknown[]).forEach((id, k) => {
        if (!Number.isInteger(id))
          throw new TypeError(`${op}: ${where}.params[${k}] expected an integer, got ${id}`);
        byId.set(id as number, { p: group.params[k]!, h: h as unknown as H });
      });
      return h;
    });
    const loaded = new Map<Variable, { step: number; tensors: Map<string, Tensor>; h: H }>();
    for (const [key, entry] of Object.entries(sd.state as Bag)) {
      const target = byId.get(Number(key));
      if (target === undefined)
        throw new RangeError(`${op}: state[${key}] names no parameter of param_groups`);
      const { p, h } = target;
      if (!isBag(entry))
        throw new TypeError(`${op}: state[${key}] expected an object, got ${describe(entry)}`);
      const step = this.spec.counts ? readStep(op, `state[${key}].step`, entry.step) : 0;
      const tensors = new Map<string, Tensor>();
      for (const b of buffers) {
        const t = entry[b.key];
        const arg = `state[${key}].${b.key}`;
        if (t === undefined || t === null) {
          if (b.required(h)) throw new TypeError(`${op}: ${arg} is missing (expected a ${p.dtype} Tensor)`);
          continue;
        }
        if (!(t instanceof Tensor))
          throw new TypeError(`${op}: ${arg} expected a Tensor, got ${describe(t)}`);
        if (t.dtype !== p.dtype) throw dtypeMismatch(op, arg, `${p.dtype} (its parameter's)`, t.dtype);
        if (!sameDims(t.shape, p.shape)) {
          throw new ShapeError(
            op,
            arg,
            formatShape(p.shape),
            formatShape(t.shape),
            `${op}: ${arg} has shape ${formatShape(t.shape)}, expected ${formatShape(p.shape)} (the shape of parameter ${key})`,
          );
        }
        tensors.set(b.key, t);
      }
      loaded.set(p, { step, tensors, h });
    }
    // validated: apply
    for (const [gi, group] of this.paramGroups.entries()) Object.assign(group, hypers[gi]);
    for (const p of this.params()) {
      const l = loaded.get(p);
      if (l === undefined) {
        // the state is the optimizer's alone (stateDict hands out copies): free it
        const old = this.state.get(p);
        if (old !== undefined) disposeState(old);
        this.state.delete(p);
        continue;
      }
      const s = (this.state.get(p) ?? keepState(this.spec.init(p.data, l.h))) as Bag;
      if (this.spec.counts) s.step = l.step;
      for (const b of buffers) {
        const t = l.tensors.get(b.key);
        const own = s[b.key] as Tensor | null | undefined;
        if (t === undefined) {
          if (b.required(l.h)) continue;
          if (own instanceof Tensor) dispose(own);
          s[b.key] = null;
        } else s[b.key] = own instanceof Tensor ? copyInto(own, t) : keep(t.clone());
      }
      this.state.set(p, s as S);
    }
  }
}

/** Exempt every state tensor from tidy (they outlive the step that created them). */
function keepState<S extends object>(s: S): S {
  for (const v of Object.values(s)) if (v instanceof Tensor) keep(v);
  return s;
}

function disposeState(s: object): void {
  for (const v of Object.values(s)) if (v instanceof Tensor) dispose(v);
}

function hyperKeys<H, S>(spec: OptimizerSpec<H, S>): string[] {
  return spec.hyper.map((f) => f.key);
}
