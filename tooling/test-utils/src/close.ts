/**
 * Tolerance checks for numeric arrays. A failure names the label, the worst element (flat index),
 * its actual and expected values and the maxdiff, so a failing kernel test says how far off it is.
 * Passes when |actual - expected| <= atol + rtol * |expected| for every element (numpy.allclose);
 * NaN matches NaN only at the same position, and infinities must match exactly.
 */
export interface CloseOptions {
  atol?: number;
  rtol?: number;
  label?: string;
}

export interface CloseReport {
  maxdiff: number;
  worstIndex: number;
}

type Numeric = ArrayLike<number>;

export function maxAbsDiff(actual: Numeric, expected: Numeric): CloseReport {
  let maxdiff = 0;
  let worstIndex = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(a) && Number.isNaN(e)) continue;
    if (a === e) continue;
    const d = Math.abs(a - e);
    if (!(d <= maxdiff)) {
      maxdiff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
      worstIndex = i;
    }
  }
  return { maxdiff, worstIndex };
}

export function assertClose(actual: Numeric, expected: Numeric, options: CloseOptions = {}): CloseReport {
  const { atol = 1e-6, rtol = 0, label = 'values' } = options;
  if (actual.length !== expected.length) {
    throw new Error(`${label}: length ${actual.length} does not match expected length ${expected.length}`);
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(e) && Number.isNaN(a)) continue;
      worst = i;
      worstExcess = Number.POSITIVE_INFINITY;
      break;
    }
    if (a === e) continue;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Number.POSITIVE_INFINITY : excess;
    }
  }
  const report = maxAbsDiff(actual, expected);
  if (worst >= 0) {
    throw new Error(
      `${label}: not close at index ${worst}: actual ${actual[worst]}, expected ${expected[worst]} ` +
        `(maxdiff ${report.maxdiff.toExponential(3)} at index ${report.worstIndex}, atol ${atol}, rtol ${rtol}, ` +
        `${expected.length} elements)`,
    );
  }
  return report;
}
