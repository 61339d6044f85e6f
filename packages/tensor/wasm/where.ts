// where(cond, a, b) on float32 rows for @normkit/tensor (AssemblyScript, 128-bit SIMD). Built by
// scripts/build-wasm.mjs into src/internal/wasm/where.wasm.generated.ts; driven by where.ts
// through src/internal/wasm/where-wasm.ts, one call per contiguous output row.
//
// o[j] = c[j] != 0 ? a[j] : b[j] for j < n, c and o contiguous; a and b each either contiguous
// (its flag 0) or one value broadcast along the row (flag 1; the value is passed, not read). The
// test is IEEE c != 0 (f32x4.ne), so a NaN condition selects a, -0 selects b, as the JS kernel;
// the selected bits are copied unchanged. o may equal an input (each vector is read first).
import { at4 } from './lib/simd';

/** One of the four loops, chosen by flags that are constants once inlined (each call below). */
function select(
  c: usize,
  a: usize,
  av: f32,
  b: usize,
  bv: f32,
  o: usize,
  n: i32,
  aOne: bool,
  bOne: bool,
): void {
  const zero = f32x4.splat(0);
  const as = f32x4.splat(av);
  const bs = f32x4.splat(bv);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const p = (<usize>j) << 2;
    const mask = f32x4.ne(v128.load(c + p), zero);
    const x = aOne ? as : v128.load(a + p);
    const y = bOne ? bs : v128.load(b + p);
    v128.store(o + p, v128.bitselect(x, y, mask));
  }
  for (; j < n; j++) {
    const x = aOne ? av : load<f32>(at4(a, j));
    const y = bOne ? bv : load<f32>(at4(b, j));
    store<f32>(at4(o, j), load<f32>(at4(c, j)) !== 0 ? x : y);
  }
}

export function whereRow(
  c: usize,
  a: usize,
  av: f32,
  aOne: i32,
  b: usize,
  bv: f32,
  bOne: i32,
  o: usize,
  n: i32,
): void {
  if (aOne) {
    if (bOne) inline.always(select(c, a, av, b, bv, o, n, true, true));
    else inline.always(select(c, a, av, b, bv, o, n, true, false));
  } else if (bOne) inline.always(select(c, a, av, b, bv, o, n, false, true));
  else inline.always(select(c, a, av, b, bv, o, n, false, false));
}
