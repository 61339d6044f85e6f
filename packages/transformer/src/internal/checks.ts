import { type DType, isDType } from '@normkit/tensor';

/** Argument checks shared by the modules; messages name the op and the argument. */

export function checkSize(op: string, arg: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 1)
    throw new RangeError(`${op}: ${arg} expected an integer >= 1, got ${n}`);
  return n;
}

export function checkDropout(op: string, p: number): number {
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
    throw new RangeError(`${op}: dropout expected a probability in [0, 1), got ${p}`);
  }
  return p;
}

/** The dtype option, float32 by default (normkit has float32 and float64 only). */
export function checkDtype(op: string, dtype: DType | undefined): DType {
  const d = dtype ?? 'float32';
  if (!isDType(d)) throw new TypeError(`${op}: dtype expected 'float32' or 'float64', got ${String(d)}`);
  return d;
}
