/**
 * A shape that does not fit what an op expects. Carries the op, the argument, what was expected
 * and what was given, so callers can inspect the failure without parsing the message, e.g.
 *   add: cannot broadcast [2,3] with [4]
 */
export class ShapeError extends Error {
  readonly op: string;
  readonly arg: string;
  readonly expected: string;
  readonly actual: string;

  constructor(op: string, arg: string, expected: string, actual: string, message?: string) {
    super(message ?? `${op}: ${arg} expected ${expected}, got ${actual}`);
    this.name = 'ShapeError';
    this.op = op;
    this.arg = arg;
    this.expected = expected;
    this.actual = actual;
  }
}

/** `[2,3]`, the spelling every error message uses for a shape. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** A dtype mismatch between tensors: normkit never promotes silently (unlike NumPy). */
export function dtypeMismatch(op: string, arg: string, expected: string, actual: string): TypeError {
  return new TypeError(
    `${op}: ${arg} has dtype ${actual}, expected ${expected} (normkit does not mix dtypes; convert with .astype())`,
  );
}
