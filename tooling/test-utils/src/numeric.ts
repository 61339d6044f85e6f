/**
 * Small float64 helpers for oracles in tests: reading values out, projection losses and central
 * finite differences. Typed structurally (test-utils does not depend on @normkit/tensor), so a
 * Tensor, a typed array or a plain array can be passed.
 */

/** Numbers in row-major order: an array, or anything with toTypedArray() (a Tensor). */
export type NumberSource = ArrayLike<number> | { toTypedArray(): ArrayLike<number> };

function numbersOf(t: NumberSource): ArrayLike<number> {
  return 'toTypedArray' in t ? t.toTypedArray() : t;
}

/** The values of t as a fresh Float64Array; a missing t (null, undefined) is a test bug and throws. */
export function toFloat64Array(t: NumberSource | null | undefined): Float64Array {
  if (!t) throw new Error('tensor missing');
  return Float64Array.from(numbersOf(t));
}

/**
 * sum(a[i] * b[i]) accumulated in float64. As a loss L = dot(y, r) its gradient with respect to y
 * is r, which turns a backward's vector-Jacobian product into a scalar to finite-difference.
 */
export function dot(a: NumberSource, b: NumberSource): number {
  const x = numbersOf(a);
  const y = numbersOf(b);
  if (x.length !== y.length) throw new Error(`dot: lengths differ, ${x.length} and ${y.length}`);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

/** Storage whose elements data[offset .. offset + size) are the variables (a contiguous Tensor). */
export interface Perturbable {
  data: { [index: number]: number };
  offset: number;
  size: number;
}

/**
 * Central finite differences of a scalar function of t's elements, each perturbed in place and then
 * restored exactly: dL/dt[i] ~ (L(t + h e_i) - L(t - h e_i)) / (2h). The error is O(h^2) * L''' from
 * truncation plus about eps64 * |L| / h from rounding (~1e-10 for |L| ~ 1 and h = 1e-6), so use
 * float64 data. t must be contiguous: element i is data[offset + i].
 */
export function numericGrad(f: () => number, t: Perturbable, h = 1e-6): Float64Array {
  const d = t.data;
  const g = new Float64Array(t.size);
  for (let i = 0; i < t.size; i++) {
    const p = t.offset + i;
    const v = d[p]!;
    d[p] = v + h;
    const up = f();
    d[p] = v - h;
    const down = f();
    d[p] = v;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}
