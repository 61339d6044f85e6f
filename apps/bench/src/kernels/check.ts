/**
 * Every variant is checked against the float64 reference before it is timed (llm.c's dev/cuda
 * discipline). maxdiff = max |actual - reference| over all outputs. The check passes when, for every
 * output, maxdiff <= TOLERANCE * max(1, max |reference|): float32 storage alone gives ~6e-8
 * relative; a peer that accumulates a 65536-row dWeight in float32 stays near 1e-5; a wrong formula
 * is off by O(1).
 */
export const TOLERANCE = 1e-3;

export interface CheckResult {
  maxdiff: number;
  ok: boolean;
  /** Which output was worst, e.g. "dWeight". */
  worst: string;
  detail: string;
}

export function checkOutputs(
  actual: Record<string, ArrayLike<number>>,
  reference: Record<string, ArrayLike<number>>,
): CheckResult {
  let maxdiff = 0;
  let worst = '';
  let ok = true;
  const failures: string[] = [];
  for (const [name, ref] of Object.entries(reference)) {
    const got = actual[name];
    if (!got || got.length !== ref.length) {
      ok = false;
      failures.push(`${name}: missing or length ${got?.length ?? 0} != ${ref.length}`);
      continue;
    }
    let d = 0;
    let scale = 1;
    for (let i = 0; i < ref.length; i++) {
      const e = ref[i]!;
      const diff = Math.abs(got[i]! - e);
      // NaN anywhere is a failure: the inputs are finite
      if (!(diff <= d)) d = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
      if (Math.abs(e) > scale) scale = Math.abs(e);
    }
    if (d >= maxdiff) {
      maxdiff = d;
      worst = name;
    }
    if (!(d <= TOLERANCE * scale)) {
      ok = false;
      failures.push(`${name} maxdiff ${d.toExponential(2)} > ${(TOLERANCE * scale).toExponential(2)}`);
    }
  }
  return { maxdiff, ok, worst, detail: failures.join('; ') };
}

/**
 * Matmul check on a sample of output elements: the float64 dot product of the float32 operands,
 * with the classical bound |error| <= K * 2^-24 * sum_k |a_ik b_kj| (float32 accumulation in any
 * order; normkit accumulates in float64 and is far inside it).
 */
export function checkMatmulSample(
  a: Float32Array,
  b: Float32Array,
  c: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
  samples: readonly [number, number][],
): CheckResult {
  let maxdiff = 0;
  let ok = true;
  let detail = '';
  for (const [i, j] of samples) {
    if (!(i >= 0 && i < m && j >= 0 && j < n))
      throw new RangeError(`checkMatmulSample: position [${i},${j}] outside [${m},${n}]`);
    let dot = 0;
    let abs = 0;
    for (let p = 0; p < k; p++) {
      const t = a[i * k + p]! * b[p * n + j]!;
      dot += t;
      abs += Math.abs(t);
    }
    const diff = Math.abs(c[i * n + j]! - dot);
    const bound = k * 2 ** -24 * abs + 1e-30;
    if (!(diff <= maxdiff)) maxdiff = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
    if (!(diff <= bound) && ok) {
      ok = false;
      detail = `C[${i},${j}] = ${c[i * n + j]} but the float64 dot product is ${dot} (bound ${bound.toExponential(2)})`;
    }
  }
  return { maxdiff, ok, worst: 'C', detail };
}

/** A deterministic sample of output positions (row, col): corners plus pseudo-random ones. */
export function samplePositions(m: number, n: number, count: number, seed: number): [number, number][] {
  const out: [number, number][] = [
    [0, 0],
    [m - 1, n - 1],
    [0, n - 1],
    [m - 1, 0],
  ];
  let s = seed >>> 0 || 1;
  const next = () => {
    // xorshift32: enough for choosing sample positions
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  while (out.length < count) out.push([Math.floor(next() * m), Math.floor(next() * n)]);
  return out;
}
