// Row kernels for @normkit/tensor (AssemblyScript, 128-bit SIMD): softmax along the last axis of a
// contiguous float32 tensor, driven by src/internal/wasm/rows-wasm.ts. x, o: byte addresses of
// [rows, n] float32 (o may not overlap x); e: float64 scratch of n elements.
//
// Numerics as the JS kernel (src/softmax.ts): m = the row maximum (NaN if any element is NaN),
// e_j = exp(x_j - m) with x_j - m in float64 and lib/exp.ts, s = sum e_j in float64 (two lanes,
// then added: a different order than the JS loop, same float64 accuracy), o_j = e_j * (1 / s)
// rounded once to float32.
import { expV } from './lib/exp';
import { at4, at8, hsum, load2, store2 } from './lib/simd';

/** Row maximum with NaN propagation (f32x4.max and max are IEEE maximum: NaN wins). */
function rowMax(x: usize, n: i32): f32 {
  let v = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 4 <= n; j += 4) v = f32x4.max(v, v128.load(at4(x, j)));
  let m = max(
    max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)),
    max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)),
  );
  for (; j < n; j++) m = max(m, load<f32>(at4(x, j)));
  return m;
}

export function softmaxRows(x: usize, o: usize, rows: i32, n: i32, e: usize): void {
  const rowBytes = (<usize>n) << 2;
  for (let r = 0; r < rows; r++, x += rowBytes, o += rowBytes) {
    const mv = f64x2.splat(<f64>rowMax(x, n));
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const e0 = inline.always(expV(f64x2.sub(load2(at4(x, j)), mv)));
      const e1 = inline.always(expV(f64x2.sub(load2(at4(x, j + 2)), mv)));
      v128.store(at8(e, j), e0);
      v128.store(at8(e, j + 2), e1);
      s0 = f64x2.add(s0, e0);
      s1 = f64x2.add(s1, e1);
    }
    let s = hsum(s0) + hsum(s1);
    for (; j < n; j++) {
      const ej = f64x2.extract_lane(
        inline.always(expV(f64x2.splat(<f64>load<f32>(at4(x, j)) - f64x2.extract_lane(mv, 0)))),
        0,
      );
      store<f64>(at8(e, j), ej);
      s += ej;
    }
    const inv = 1 / s;
    const iv = f64x2.splat(inv);
    j = 0;
    for (; j + 2 <= n; j += 2) store2(at4(o, j), f64x2.mul(v128.load(at8(e, j)), iv));
    for (; j < n; j++) store<f32>(at4(o, j), <f32>(load<f64>(at8(e, j)) * inv));
  }
}
