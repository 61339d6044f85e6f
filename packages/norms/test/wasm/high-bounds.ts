import { type Tensor, tensor } from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';

/**
 * The error bounds of precision 'high' (docs/wasm.md, "Precision 'high'"; derived in the comments
 * of wasm/row-norms-f32.ts), in units of u = 2^-24 (the float32 unit roundoff: 2u = 1 float32 ulp
 * at 1.0), and the scales they multiply, computed here in float64 from the inputs and the float64
 * reference statistics. With xhat = (x - mean) * rstd, g = dy * w, mean|.| over the row:
 *   LayerNorm y   <= 12 u ((1 + |xhat|) |w| + |b|)     RMSNorm y   <= 6 u |y|
 *   mean          <=  5 u std (5 u / rstd)              rstd        <= 5 u rstd (RMSNorm 3 u)
 *   dx            <= 14 u rstd (|g| + mean|g| + (1 + |xhat|) mean|g xhat|)   (RMSNorm: no mean|g|)
 *   dWeight       <= 14 u sum_rows |dy| (1 + |xhat|)    dBias       <=  8 u sum_rows |dy|
 * plus, for every output, SUB = 2^-146 (8 steps of float32's subnormal spacing 2^-149): a float32
 * result below 2^-126 has no relative precision left, at either precision.
 */
export const U = 2 ** -24;
export const SUB = 2 ** -146;
export const K = { y: 12, rmsY: 6, mean: 5, rstd: 5, rmsRstd: 3, dx: 14, dW: 14, dB: 8 };

/** A float32 tensor's values in a float64 tensor (exact), for the float64 references. */
export function as64(t: Tensor | undefined): Tensor | undefined {
  return t && tensor(Float64Array.from(t.toTypedArray()), t.shape, { dtype: 'float64' });
}

export const values = (t: Tensor | null | undefined): Float64Array =>
  Float64Array.from(t?.toTypedArray() ?? []);

/**
 * |actual - expected| <= k u scale + SUB elementwise; NaN exactly where expected is NaN. Prints the
 * worst (|actual - expected| - SUB) / scale (in units of u) through assertClose's maxdiff.
 */
export function assertWithin(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  scale: ArrayLike<number>,
  k: number,
  label: string,
): void {
  if (actual.length !== expected.length)
    throw new Error(`${label}: length ${actual.length} != ${expected.length}`);
  const err = new Float64Array(expected.length);
  for (let i = 0; i < err.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) || Number.isNaN(a)) err[i] = Number.isNaN(e) && Number.isNaN(a) ? 0 : Number.NaN;
    else err[i] = a === e ? 0 : Math.max(0, Math.abs(a - e) - SUB) / scale[i]! / U;
  }
  assertClose(err, new Float64Array(err.length), {
    atol: k,
    rtol: 0,
    label: `${label} (|error| / scale in u)`,
  });
}

interface Rows {
  x: Float64Array;
  M: number;
  N: number;
  /** null for RMSNorm */
  mean: Float64Array | null;
  rstd: Float64Array;
  w: Float64Array | null;
}

const xhatOf = (r: Rows, i: number) => {
  const row = Math.floor(i / r.N);
  return (r.x[i]! - (r.mean ? r.mean[row]! : 0)) * r.rstd[row]!;
};

/** (1 + |xhat|) |w| + |b| (LayerNorm) or |xhat w| (RMSNorm), per element */
export function yScale(r: Rows, b: Float64Array | null): Float64Array {
  return Float64Array.from(r.x, (_, i) => {
    const w = r.w ? Math.abs(r.w[i % r.N]!) : 1;
    const xh = Math.abs(xhatOf(r, i));
    return r.mean ? (1 + xh) * w + (b ? Math.abs(b[i % r.N]!) : 0) : xh * w;
  });
}

/** rstd (|g| + mean|g| + (1 + |xhat|) mean|g xhat|) per element (RMSNorm: no mean|g|) */
export function dxScale(r: Rows, dy: Float64Array): Float64Array {
  const out = new Float64Array(r.x.length);
  for (let row = 0; row < r.M; row++) {
    let mg = 0;
    let mgx = 0;
    const o = row * r.N;
    const g = (j: number) => dy[o + j]! * (r.w ? r.w[j]! : 1);
    for (let j = 0; j < r.N; j++) {
      mg += Math.abs(g(j)) / r.N;
      mgx += Math.abs(g(j) * xhatOf(r, o + j)) / r.N;
    }
    for (let j = 0; j < r.N; j++) {
      const xh = Math.abs(xhatOf(r, o + j));
      out[o + j] = r.rstd[row]! * (Math.abs(g(j)) + (r.mean ? mg : 0) + (1 + xh) * mgx);
    }
  }
  return out;
}

/** sum over rows of |dy| (1 + |xhat|) (dWeight) and of |dy| (dBias), per column */
export function paramScales(r: Rows, dy: Float64Array): { dW: Float64Array; dB: Float64Array } {
  const dW = new Float64Array(r.N);
  const dB = new Float64Array(r.N);
  for (let i = 0; i < r.x.length; i++) {
    dW[i % r.N] += Math.abs(dy[i]!) * (1 + Math.abs(xhatOf(r, i)));
    dB[i % r.N] += Math.abs(dy[i]!);
  }
  return { dW, dB };
}
