/**
 * Grad mode: whether ops record a graph. Off inside `noGrad(fn)` and while `backward` runs its
 * rules (rules compute with plain tensors, so a rule never records a second-order graph).
 * The mode is a module-level flag, so `fn` must be synchronous: an `await` inside `noGrad`
 * would resume after the flag has been restored.
 */
let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** Set the mode and return the previous one (prefer `noGrad`, which restores it even on throw). */
export function setGradEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** Run `fn` without recording a graph (evaluation, optimizer updates); returns its result. */
export function noGrad<T>(fn: () => T): T {
  const previous = setGradEnabled(false);
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}

/** Run `fn` with graph recording on, even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  const previous = setGradEnabled(true);
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}
