import {
  add,
  addInPlace,
  dtypeMismatch,
  formatShape,
  full,
  keep,
  ShapeError,
  sameShape,
  Tensor,
} from '@normkit/tensor';
import { setGradEnabled } from './grad-mode.js';
import { inputName, type Node } from './node.js';
import type { Variable } from './variable.js';

export interface BackwardOptions {
  /** Keep the graph (saved tensors and input references) for another backward through it. */
  retainGraph?: boolean;
}

/** Gradients flowing into one node's outputs while backward runs; `owned` marks engine-made sums. */
interface Slot {
  grads: (Tensor | null)[];
  owned: boolean[];
}

/**
 * Reverse-mode backward from `output`: every leaf Variable that requires grad and that `output`
 * depends on gets d(seed . output)/d(leaf) added (+=) to its `.grad`. Nodes run once each, in
 * reverse topological order, after all their consumers have contributed (so fan-out and diamonds
 * accumulate correctly). The seed defaults to 1 for a one-element output and is required
 * otherwise. Without `retainGraph` every node visited releases its saved context and inputs.
 *
 * A leaf's `.grad` is state that outlives the step, like the parameter it belongs to: when backward
 * creates it, it is keep()-ed, so a backward run inside the user's tidy() leaves `p.grad` valid
 * after the tidy returns (on the wasm backend tidy would otherwise free it, and its block could be
 * handed to the next tensor: silent garbage under p.grad). It is freed where it is dropped:
 * `zeroGrad` (setToNone) disposes it, and the garbage collector frees it once its Variable is gone.
 * Adding into an existing `.grad` allocates nothing. A retainGrad() non-leaf's `.grad` is not
 * kept: like the non-leaf's own value it belongs to the step and the step's tidy frees it.
 *
 *   backward(loss)                         backward(y, dy)       backward(loss, { retainGraph: true })
 */
export function backward(
  output: Variable,
  seed?: Tensor | number | BackwardOptions,
  options?: BackwardOptions,
): void {
  let seedValue: Tensor | number | undefined;
  let opts = options ?? {};
  if (seed === undefined || typeof seed === 'number' || seed instanceof Tensor) seedValue = seed;
  else opts = seed;
  if (!output.requiresGrad) {
    throw new Error(
      `backward: the output ${describe(output)} does not require grad: no input of the computation is a ` +
        'Variable with requiresGrad, or it was computed inside noGrad',
    );
  }
  run(output, seedValue, opts.retainGraph ?? false, true);
}

/**
 * backward for grad(), valueAndGrad() and gradcheck(): their leaves are temporaries made for one
 * call and the gradients are results handed to the caller, so they are not kept (a tidy around the
 * call frees them unless it returns them, as any op result). Not exported from the package.
 */
export function backwardToResults(output: Variable, seed?: Tensor): void {
  run(output, seed, false, false);
}

function run(
  output: Variable,
  seedValue: Tensor | number | undefined,
  retainGraph: boolean,
  keepGrads: boolean,
): void {
  const root = output.node;
  if (root?.freed) throw freedError(root);
  const seedTensor = makeSeed(output, seedValue);
  const previous = setGradEnabled(false);
  try {
    if (root === null) {
      accumulateLeaf(output, seedTensor, keepGrads);
      return;
    }
    const order = topologicalOrder(root);
    const slots = new Map<Node, Slot>();
    const rootSlot = newSlot(root);
    rootSlot.grads[output.outputIndex] = seedTensor;
    slots.set(root, rootSlot);
    for (const node of order) {
      const slot = slots.get(node);
      if (slot) {
        slots.delete(node);
        runNode(node, slot, slots, keepGrads);
      }
      if (!retainGraph) node.release();
    }
  } finally {
    setGradEnabled(previous);
  }
}

function runNode(node: Node, slot: Slot, slots: Map<Node, Slot>, keepGrads: boolean): void {
  if (node.retained) {
    for (let k = 0; k < node.retained.length; k++) {
      const v = node.retained[k];
      const g = slot.grads[k];
      if (v && g) accumulateLeaf(v, g, false);
    }
  }
  const grads = node.backwardFn!(node, slot.grads, node.options);
  for (let i = 0; i < node.inputs.length; i++) {
    if (!node.needsInputGrad[i]) continue;
    const g = grads[i];
    if (g === null || g === undefined) continue;
    const v = node.inputs[i]!;
    checkGrad(node, i, g, v);
    if (v.node === null) {
      accumulateLeaf(v, g, keepGrads);
      continue;
    }
    let target = slots.get(v.node);
    if (!target) {
      target = newSlot(v.node);
      slots.set(v.node, target);
    }
    const k = v.outputIndex;
    const prev = target.grads[k];
    if (!prev) {
      // first contribution: keep the rule's tensor as is (it may be a view; never written to)
      target.grads[k] = g;
    } else if (target.owned[k]) {
      addInPlace(prev, g);
    } else {
      target.grads[k] = add(prev, g);
      target.owned[k] = true;
    }
  }
}

/**
 * grad += g, with a fresh contiguous copy the first time (g may alias another gradient), kept when
 * `keepGrad` (a leaf's gradient outlives the tidy it is made in; see backward).
 */
function accumulateLeaf(v: Variable, g: Tensor, keepGrad: boolean): void {
  if (v.grad === null) v.grad = keepGrad ? keep(g.clone()) : g.clone();
  else addInPlace(v.grad, g);
}

function newSlot(node: Node): Slot {
  const n = node.outputShapes.length;
  return { grads: new Array<Tensor | null>(n).fill(null), owned: new Array<boolean>(n).fill(false) };
}

/** Nodes reachable from root, each before all of its inputs (reverse DFS postorder, no recursion). */
function topologicalOrder(root: Node): Node[] {
  const post: Node[] = [];
  const visited = new Set<Node>([root]);
  const stack: Node[] = [root];
  const next: number[] = [0];
  while (stack.length > 0) {
    const top = stack.length - 1;
    const node = stack[top]!;
    const i = next[top]!;
    if (i < node.inputs.length) {
      next[top] = i + 1;
      const child = node.inputs[i]?.node;
      if (child && !visited.has(child)) {
        if (child.freed) throw freedError(child);
        visited.add(child);
        stack.push(child);
        next.push(0);
      }
    } else {
      stack.pop();
      next.pop();
      post.push(node);
    }
  }
  return post.reverse();
}

function makeSeed(output: Variable, seed: Tensor | number | undefined): Tensor {
  if (seed instanceof Tensor) {
    if (seed.dtype !== output.dtype) throw dtypeMismatch('backward', 'seed', output.dtype, seed.dtype);
    if (!sameShape(seed.shape, output.shape)) {
      throw new ShapeError(
        'backward',
        'seed',
        `the output's shape ${formatShape(output.shape)}`,
        formatShape(seed.shape),
      );
    }
    return seed;
  }
  if (seed === undefined && output.size !== 1) {
    throw new Error(
      `backward: the output ${describe(output)} has ${output.size} elements; a non-scalar output needs a ` +
        `seed: backward(y, seed) with seed of shape ${formatShape(output.shape)} (the gradient of a scalar loss with respect to y)`,
    );
  }
  return full(output.shape, seed ?? 1, { dtype: output.dtype });
}

function checkGrad(node: Node, i: number, g: Tensor, v: Variable): void {
  const expected = node.inputShapes[i]!;
  const arg = inputName(node.inputNames, i);
  if (!sameShape(g.shape, expected)) {
    throw new ShapeError(
      node.name,
      arg,
      formatShape(expected),
      formatShape(g.shape),
      `${node.name}: backward returned a gradient of shape ${formatShape(g.shape)} for ${arg}, expected its shape ${formatShape(expected)}`,
    );
  }
  if (g.dtype !== v.dtype) {
    throw new TypeError(
      `${node.name}: backward returned a ${g.dtype} gradient for ${arg}, expected ${v.dtype} (the input's dtype)`,
    );
  }
}

function describe(v: Variable): string {
  const what = v.node ? `of ${v.node.name}` : v.name ? `'${v.name}'` : '(a leaf)';
  return `${what} ${formatShape(v.shape)} ${v.dtype}`.trim();
}

function freedError(node: Node): Error {
  const shapes = node.outputShapes.map(formatShape).join(', ');
  return new Error(
    `backward: the graph behind ${node.name} (output ${shapes}) was freed by an earlier backward; ` +
      'pass { retainGraph: true } to the first call',
  );
}
