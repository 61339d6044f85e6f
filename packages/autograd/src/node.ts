import type { DType, Tensor } from '@normkit/tensor';
import type { Variable } from './variable.js';

/** What a backward rule sees: which inputs need a gradient, their shapes, and what forward saved. */
export interface BackwardContext<S = unknown> {
  /** The op's name, for error messages. */
  readonly name: string;
  /** needsInputGrad[i]: input i is a Variable that requires grad; a rule may skip the others. */
  readonly needsInputGrad: readonly boolean[];
  /** Shape of each input (null for a number or a missing optional input). */
  readonly inputShapes: readonly (readonly number[] | null)[];
  /** Whatever forward returned as `saved` (tensors, numbers, anything). */
  readonly saved: S;
}

/** Internal form of every rule: gradients of all outputs in, one gradient (or null) per input out. */
export type BackwardFn = (
  ctx: BackwardContext<unknown>,
  grads: readonly (Tensor | null)[],
  options: unknown,
) => readonly (Tensor | null | undefined)[];

/**
 * One recorded op application (PyTorch's grad_fn). It holds references to its differentiable
 * inputs and to the saved context only until a backward without `retainGraph` walks past it;
 * `release()` then drops both, so the forward's intermediates can be garbage collected.
 */
export class Node implements BackwardContext<unknown> {
  readonly name: string;
  readonly inputNames: readonly string[];
  /** inputs[i] is the Variable behind input i when it needs a grad, else null. */
  inputs: (Variable | null)[];
  readonly needsInputGrad: readonly boolean[];
  readonly inputShapes: readonly (readonly number[] | null)[];
  saved: unknown;
  options: unknown;
  readonly outputShapes: readonly (readonly number[])[];
  readonly outputDtypes: readonly DType[];
  backwardFn: BackwardFn | null;
  freed = false;
  /** Non-leaf outputs that asked for `.grad` with retainGrad(), by output index. */
  retained: (Variable | undefined)[] | null = null;

  constructor(
    name: string,
    inputNames: readonly string[],
    inputs: (Variable | null)[],
    needsInputGrad: readonly boolean[],
    inputShapes: readonly (readonly number[] | null)[],
    outputShapes: readonly (readonly number[])[],
    outputDtypes: readonly DType[],
    backwardFn: BackwardFn,
    saved: unknown,
    options: unknown,
  ) {
    this.name = name;
    this.inputNames = inputNames;
    this.inputs = inputs;
    this.needsInputGrad = needsInputGrad;
    this.inputShapes = inputShapes;
    this.outputShapes = outputShapes;
    this.outputDtypes = outputDtypes;
    this.backwardFn = backwardFn;
    this.saved = saved;
    this.options = options;
  }

  /** Drop the saved context and the input references (after a backward without retainGraph). */
  release(): void {
    this.saved = undefined;
    this.options = undefined;
    this.inputs = [];
    this.backwardFn = null;
    this.retained = null;
    this.freed = true;
  }
}

/** The argument name used in messages for input i. */
export function inputName(names: readonly string[], i: number): string {
  return names[i] ?? `inputs[${i}]`;
}
