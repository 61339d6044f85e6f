import { fill, formatShape, type Tensor, zerosLike } from '@normkit/tensor';
import { backwardToResults } from './engine.js';
import { enableGrad } from './grad-mode.js';
import { type TensorOperand, tensorOf, Variable } from './variable.js';

type Grads<A extends readonly TensorOperand[]> = { [K in keyof A]: Tensor };
type Vars<A extends readonly TensorOperand[]> = { [K in keyof A]: Variable };

/**
 * The gradient function of f (JAX style): `grad(f)(x, y)` calls f on fresh leaf Variables over the
 * same data and returns [df/dx, df/dy], one Tensor per argument (zeros where f does not depend on
 * it). f must return a one-element Variable. Existing Variables passed in are not modified: their
 * `.grad` is untouched and no graph behind them is used (f sees detached copies).
 * The returned gradients are plain results, not a Variable's kept `.grad`: inside tidy() they are
 * freed when it returns unless it returns them (or keep() them), like any other op's output.
 */
export function grad<A extends readonly TensorOperand[]>(
  f: (...args: Vars<A>) => Variable,
): (...args: A) => Grads<A> {
  return (...args: A) => evaluate('grad', f, args).grads;
}

/** As grad, returning the value too: `const { value, grads } = valueAndGrad(loss)(w, b)`. */
export function valueAndGrad<A extends readonly TensorOperand[]>(
  f: (...args: Vars<A>) => Variable,
): (...args: A) => { value: Tensor; grads: Grads<A> } {
  return (...args: A) => evaluate('valueAndGrad', f, args);
}

function evaluate<A extends readonly TensorOperand[]>(
  name: string,
  f: (...args: Vars<A>) => Variable,
  args: A,
): { value: Tensor; grads: Grads<A> } {
  const leaves = args.map((a) => new Variable(tensorOf(a), { requiresGrad: true }));
  const out = enableGrad(() => f(...(leaves as unknown as Vars<A>)));
  if (!(out instanceof Variable)) {
    throw new TypeError(`${name}: f must return a Variable, got ${out === null ? 'null' : typeof out}`);
  }
  if (out.size !== 1) {
    throw new RangeError(
      `${name}: f must return a one-element Variable (a scalar loss), got shape ${formatShape(out.shape)}; ` +
        'for a non-scalar output call backward(y, seed)',
    );
  }
  if (out.requiresGrad) backwardToResults(out);
  const grads = leaves.map((l) => l.grad ?? zerosLike(l.data));
  return { value: out.data, grads: grads as unknown as Grads<A> };
}

export interface ZeroGradOptions {
  /**
   * true (default, as PyTorch 2): free the gradient (dispose) and set grad = null. false: fill the
   * existing gradient with zeros in place (it is reused by the next backward).
   */
  setToNone?: boolean;
}

/**
 * Reset the gradients of parameters before the next backward (gradients accumulate otherwise).
 *
 * With setToNone (the default) each old gradient is disposed: on the wasm backend its storage
 * goes back to the allocator at once, so a training loop's gradients are recycled every step
 * whether or not the step runs inside tidy() (a gradient kept past a tidy is reached by nothing
 * else, so without this only the garbage collector would free it). The gradient belongs to its
 * Variable: a reference to `p.grad` taken before zeroGrad is invalid afterwards on the wasm backend
 * (clone it to keep a copy), and so is any tensor assigned to `p.grad` by hand, which zeroGrad
 * frees too. On the js backend dispose is a no-op and nothing changes.
 */
export function zeroGrad(params: Iterable<Variable>, options: ZeroGradOptions = {}): void {
  const setToNone = options.setToNone ?? true;
  for (const p of params) {
    if (setToNone) p.zeroGrad();
    else if (p.grad) fill(p.grad, 0);
  }
}
