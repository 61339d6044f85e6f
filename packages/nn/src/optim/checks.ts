import { isVariable } from '@normkit/autograd';
import { formatShape, Tensor } from '@normkit/tensor';

/** Argument checks shared by the optimizers and their state-dict loading. */

/** Throw a RangeError unless v is a finite number >= 0. */
export function nonNegative(where: string, arg: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new RangeError(`${where}: ${arg} expected a finite number >= 0, got ${v}`);
  }
}

/** Catch torch spellings (weight_decay) and typos, which would otherwise be ignored silently. */
export function checkKeys(name: string, o: object, what: string, known: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) {
      throw new TypeError(`${name}: unknown ${what} '${key}' (expected one of ${known.join(', ')})`);
    }
  }
}

export function asGroup<G>(name: string, g: unknown, i: number): G {
  if (isBag(g) && !isVariable(g) && g.params !== undefined && typeof g.params === 'object') {
    return g as unknown as G;
  }
  throw new TypeError(
    `${name}: params[${i}] expected a param group { params, ... } (params[0] is one), got ${describe(g)}`,
  );
}

export function readHyper(op: string, arg: string, v: unknown, kind: 'number' | 'boolean' | 'pair'): unknown {
  const ok =
    kind === 'number'
      ? typeof v === 'number'
      : kind === 'boolean'
        ? typeof v === 'boolean'
        : Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number');
  if (!ok) {
    const want = kind === 'pair' ? 'a pair of numbers' : `a ${kind}`;
    throw new TypeError(`${op}: ${arg} expected ${want}, got ${describe(v)}`);
  }
  return kind === 'pair' ? [...(v as number[])] : v;
}

export function readStep(op: string, arg: string, v: unknown): number {
  // torch keeps step as a one-element tensor; a JSON or normkit state dict has a number
  const n = v instanceof Tensor && v.size === 1 ? v.item() : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`${op}: ${arg} expected a non-negative integer, got ${describe(v)}`);
  }
  return n;
}

export function isBag(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (x instanceof Tensor) return `a Tensor of shape ${formatShape(x.shape)}`;
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === 'object') return x.constructor?.name ?? 'an object';
  return typeof x === 'string' ? JSON.stringify(x) : `${typeof x} ${String(x)}`;
}
