/**
 * The precision of the float32 LayerNorm/RMSNorm kernels on the wasm backend, modelled on
 * torch.set_float32_matmul_precision:
 *   'highest' (default): every sum and product in float64, each output rounded once (1 float32 ulp);
 *   'high': float32 lanes (f32x4) where the error analysis of docs/wasm.md ("Precision 'high'")
 *           bounds the result within a few float32 ulps (y: 12 u of (1 + |xhat|) |w| + |b|;
 *           dx: 14 u of rstd (|g| + mean|g| + (1 + |xhat|) mean|g xhat|); u = 2^-24), rows where float32
 *           could be inaccurate (non-finite, constant, |x| near overflow or underflow) falling
 *           back to the 'highest' code.
 * Only float32 tensors on the wasm path change; the JS kernels, float64 data, the channel norms
 * (BatchNorm, GroupNorm, InstanceNorm) and the backward of rows under 128 values (where float32
 * lanes measured no faster) always compute at 'highest'. The setting is process-wide.
 */
export type NormPrecision = 'highest' | 'high';

let precision: NormPrecision = 'highest';

export function setNormPrecision(p: NormPrecision): void {
  if (p !== 'highest' && p !== 'high') {
    const got = typeof p === 'string' ? `'${p}'` : String(p);
    throw new RangeError(`setNormPrecision: precision must be 'highest' or 'high', got ${got}`);
  }
  precision = p;
}

export function getNormPrecision(): NormPrecision {
  return precision;
}
