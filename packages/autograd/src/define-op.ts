import { dtypeMismatch, Tensor } from '@normkit/tensor';
import { isGradEnabled } from './grad-mode.js';
import { type BackwardContext, type BackwardFn, inputName, Node } from './node.js';
import { Variable } from './variable.js';

/** What a forward receives for one input: the tensor behind a Variable, a Tensor, a number, or nothing. */
export type RawInput = Tensor | number | undefined;
/** What callers pass for one input. null/undefined stand for a missing optional input (e.g. no bias). */
export type OpInput = Variable | Tensor | number | null | undefined;
/** A forward's raw input type lifted to what the op accepts (a Tensor slot also takes a Variable). */
export type Lift<T> = T extends Tensor ? Variable | Tensor : T extends undefined ? null | undefined : T;
export type OpInputs<In extends readonly RawInput[]> = { [K in keyof In]: Lift<In[K]> };

export interface ForwardContext {
  readonly name: string;
  /** needsInputGrad[i]: input i is a Variable that requires grad (and grad mode is on). */
  readonly needsInputGrad: readonly boolean[];
  /** True when a node is recorded (some input needs a grad); forward may skip saving otherwise. */
  readonly requiresGrad: boolean;
}

/** A gradient per input (null/undefined: none, e.g. not needed); each in its input's exact shape. */
export type InputGrads = readonly (Tensor | null | undefined)[];

export interface OpDefinition<In extends readonly RawInput[], O, S> {
  name: string;
  /** Argument names for error messages (default inputs[i]). */
  inputNames?: readonly string[];
  /**
   * The gradient handed to backward may be any view (e.g. stride 0 after a sum). Set this for a
   * kernel that indexes its gradient directly: backward then always gets a contiguous tensor.
   */
  contiguousGrad?: boolean;
  /** Compute the output from raw tensors; return it, or { output, saved } to keep context for backward. */
  forward(ctx: ForwardContext, inputs: In, options: O): Tensor | { output: Tensor; saved: S };
  /** Vector-Jacobian product: from the output's gradient, one gradient per input. */
  backward(ctx: BackwardContext<S>, grad: Tensor, options: O): InputGrads;
}

export interface MultiOpDefinition<In extends readonly RawInput[], O, S> {
  name: string;
  inputNames?: readonly string[];
  contiguousGrad?: boolean;
  forward(ctx: ForwardContext, inputs: In, options: O): Tensor[] | { outputs: Tensor[]; saved: S };
  /** grads[k] is the gradient of output k, or null when no loss depends on that output. */
  backward(ctx: BackwardContext<S>, grads: readonly (Tensor | null)[], options: O): InputGrads;
}

type OptionsArg<O> = undefined extends O ? [options?: O] : [options: O];

export interface Op<In extends readonly RawInput[], O> {
  (inputs: OpInputs<In>, ...options: OptionsArg<O>): Variable;
  readonly opName: string;
  readonly definition: OpDefinition<In, O, unknown>;
}

export interface MultiOp<In extends readonly RawInput[], O> {
  (inputs: OpInputs<In>, ...options: OptionsArg<O>): Variable[];
  readonly opName: string;
  readonly definition: MultiOpDefinition<In, O, unknown>;
}

interface Recipe {
  name: string;
  inputNames: readonly string[];
  run(ctx: ForwardContext, raw: RawInput[], options: unknown): { outputs: Tensor[]; saved: unknown };
  backward: BackwardFn;
}

/**
 * Make a differentiable op from a forward and its vector-Jacobian product. The op takes Variables,
 * Tensors (constants), numbers or null (missing optional inputs) plus one options object (any
 * non-differentiable arguments: axes, eps, indices, ...), and returns a Variable. A graph node is
 * recorded only when grad mode is on and some input is a Variable that requires grad; it keeps
 * `saved` and `options` until a backward without retainGraph has used them.
 */
export function defineOp<In extends readonly RawInput[], O = undefined, S = unknown>(
  def: OpDefinition<In, O, S>,
): Op<In, O> {
  const recipe: Recipe = {
    name: def.name,
    inputNames: def.inputNames ?? [],
    run(ctx, raw, options) {
      const r = def.forward(ctx, raw as unknown as In, options as O);
      if (r instanceof Tensor) return { outputs: [r], saved: undefined };
      if (!(r?.output instanceof Tensor)) throw badForward(def.name, 'a Tensor or { output, saved }', r);
      return { outputs: [r.output], saved: r.saved };
    },
    backward: (ctx, grads, options) => {
      const g = def.contiguousGrad ? grads[0]!.contiguous() : grads[0]!;
      return def.backward(ctx as BackwardContext<S>, g, options as O);
    },
  };
  const op = (inputs: OpInputs<In>, options?: O) => apply(recipe, inputs as readonly OpInput[], options)[0]!;
  return Object.assign(op, { opName: def.name, definition: def }) as unknown as Op<In, O>;
}

/** As defineOp, for a forward that returns several outputs (each a Variable sharing one node). */
export function defineMultiOp<In extends readonly RawInput[], O = undefined, S = unknown>(
  def: MultiOpDefinition<In, O, S>,
): MultiOp<In, O> {
  const recipe: Recipe = {
    name: def.name,
    inputNames: def.inputNames ?? [],
    run(ctx, raw, options) {
      const r = def.forward(ctx, raw as unknown as In, options as O);
      const outputs = Array.isArray(r) ? r : r?.outputs;
      if (!Array.isArray(outputs) || !outputs.every((t) => t instanceof Tensor)) {
        throw badForward(def.name, 'Tensor[] or { outputs: Tensor[], saved }', r);
      }
      return { outputs, saved: Array.isArray(r) ? undefined : r.saved };
    },
    backward: (ctx, grads, options) => {
      const gs = def.contiguousGrad ? grads.map((g) => g?.contiguous() ?? null) : grads;
      return def.backward(ctx as BackwardContext<S>, gs, options as O);
    },
  };
  const op = (inputs: OpInputs<In>, options?: O) => apply(recipe, inputs as readonly OpInput[], options);
  return Object.assign(op, { opName: def.name, definition: def }) as unknown as MultiOp<In, O>;
}

function apply(recipe: Recipe, inputs: readonly OpInput[], options: unknown): Variable[] {
  const n = inputs.length;
  const raw: RawInput[] = new Array(n);
  const needs: boolean[] = new Array(n);
  const shapes: (readonly number[] | null)[] = new Array(n);
  const grad = isGradEnabled();
  let anyNeeds = false;
  let dtype: string | null = null;
  let dtypeArg = '';
  for (let i = 0; i < n; i++) {
    const x = inputs[i];
    let t: RawInput;
    if (x instanceof Variable) {
      t = x.data;
      needs[i] = grad && x.requiresGrad;
      anyNeeds ||= needs[i]!;
    } else if (x instanceof Tensor || typeof x === 'number' || x === undefined || x === null) {
      t = x ?? undefined;
      needs[i] = false;
    } else {
      throw new TypeError(
        `${recipe.name}: ${inputName(recipe.inputNames, i)} must be a Variable, Tensor or number, got ${describe(x)}`,
      );
    }
    raw[i] = t;
    if (t instanceof Tensor) {
      shapes[i] = t.shape;
      // normkit never promotes: one op, one dtype
      if (dtype === null) {
        dtype = t.dtype;
        dtypeArg = inputName(recipe.inputNames, i);
      } else if (t.dtype !== dtype) {
        throw dtypeMismatch(
          recipe.name,
          inputName(recipe.inputNames, i),
          `${dtype} (the dtype of ${dtypeArg})`,
          t.dtype,
        );
      }
    } else shapes[i] = null;
  }
  const ctx: ForwardContext = { name: recipe.name, needsInputGrad: needs, requiresGrad: anyNeeds };
  const { outputs, saved } = recipe.run(ctx, raw, options);
  if (!anyNeeds) return outputs.map((t) => new Variable(t, { requiresGrad: false }));
  const node = new Node(
    recipe.name,
    recipe.inputNames,
    inputs.map((x, i) => (needs[i] ? (x as Variable) : null)),
    needs,
    shapes,
    outputs.map((t) => t.shape),
    outputs.map((t) => t.dtype),
    recipe.backward,
    saved,
    options,
  );
  return outputs.map((t, k) => new Variable(t, {}, node, k));
}

function badForward(name: string, expected: string, got: unknown): TypeError {
  return new TypeError(`${name}: forward must return ${expected}, got ${describe(got)}`);
}

function describe(x: unknown): string {
  if (Array.isArray(x)) return 'an array';
  if (x !== null && typeof x === 'object') return x.constructor?.name ?? 'an object';
  return typeof x;
}
