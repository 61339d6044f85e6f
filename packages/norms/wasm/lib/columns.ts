// Loops for BatchNorm on [N, C] (one element per (sample, channel) plane): each channel has its own
// float64 accumulator or coefficient, so the lanes run across channels (c, c + 1) and a row of x
// is read in memory order. Reductions take four rows per accumulator load and store (as the JS
// kernel, channel-rows.ts). Element (n, c) is at n * C + c; per-channel float64 arrays have C
// entries.
import { at4, at8, load2, store2 } from './simd';

/** acc[c] += sum over rows of x[n, c]. */
export function colSums(x: usize, N: i32, C: i32, acc: usize): void {
  const row = (<usize>C) << 2;
  let n = 0;
  for (; n + 4 <= N; n += 4) {
    const p = at4(x, n * C);
    let c = 0;
    for (; c + 2 <= C; c += 2) {
      const q = at4(p, c);
      const s = f64x2.add(
        f64x2.add(load2(q), load2(q + row)),
        f64x2.add(load2(q + 2 * row), load2(q + 3 * row)),
      );
      v128.store(at8(acc, c), f64x2.add(v128.load(at8(acc, c)), s));
    }
    for (; c < C; c++) {
      const q = at4(p, c);
      const s =
        <f64>load<f32>(q) +
        <f64>load<f32>(q + row) +
        (<f64>load<f32>(q + 2 * row) + <f64>load<f32>(q + 3 * row));
      store<f64>(at8(acc, c), load<f64>(at8(acc, c)) + s);
    }
  }
  for (; n < N; n++) {
    const p = at4(x, n * C);
    for (let c = 0; c < C; c++) store<f64>(at8(acc, c), load<f64>(at8(acc, c)) + <f64>load<f32>(at4(p, c)));
  }
}

/** sd[c] += sum of d, sq[c] += sum of d^2, d = x[n, c] - m[c]; four rows per accumulator update. */
export function colDeviations(x: usize, N: i32, C: i32, m: usize, sd: usize, sq: usize): void {
  const row = (<usize>C) << 2;
  let n = 0;
  for (; n + 4 <= N; n += 4) {
    const p = at4(x, n * C);
    let c = 0;
    for (; c + 2 <= C; c += 2) {
      const q = at4(p, c);
      const mv = v128.load(at8(m, c));
      const d0 = f64x2.sub(load2(q), mv);
      const d1 = f64x2.sub(load2(q + row), mv);
      const d2 = f64x2.sub(load2(q + 2 * row), mv);
      const d3 = f64x2.sub(load2(q + 3 * row), mv);
      const s = f64x2.add(f64x2.add(d0, d1), f64x2.add(d2, d3));
      const t = f64x2.add(
        f64x2.add(f64x2.mul(d0, d0), f64x2.mul(d1, d1)),
        f64x2.add(f64x2.mul(d2, d2), f64x2.mul(d3, d3)),
      );
      v128.store(at8(sd, c), f64x2.add(v128.load(at8(sd, c)), s));
      v128.store(at8(sq, c), f64x2.add(v128.load(at8(sq, c)), t));
    }
    for (; c < C; c++) {
      const q = at4(p, c);
      const mc = load<f64>(at8(m, c));
      const d0 = <f64>load<f32>(q) - mc;
      const d1 = <f64>load<f32>(q + row) - mc;
      const d2 = <f64>load<f32>(q + 2 * row) - mc;
      const d3 = <f64>load<f32>(q + 3 * row) - mc;
      store<f64>(at8(sd, c), load<f64>(at8(sd, c)) + (d0 + d1 + (d2 + d3)));
      store<f64>(at8(sq, c), load<f64>(at8(sq, c)) + (d0 * d0 + d1 * d1 + (d2 * d2 + d3 * d3)));
    }
  }
  for (; n < N; n++) {
    const p = at4(x, n * C);
    for (let c = 0; c < C; c++) {
      const d = <f64>load<f32>(at4(p, c)) - load<f64>(at8(m, c));
      store<f64>(at8(sd, c), load<f64>(at8(sd, c)) + d);
      store<f64>(at8(sq, c), load<f64>(at8(sq, c)) + d * d);
    }
  }
}

/** y[n, c] = (x[n, c] - m[c]) * sc[c] + sh[c]. */
export function colAffine(x: usize, y: usize, N: i32, C: i32, m: usize, sc: usize, sh: usize): void {
  for (let n = 0; n < N; n++) {
    const p = at4(x, n * C);
    const q = at4(y, n * C);
    let c = 0;
    for (; c + 2 <= C; c += 2) {
      const d = f64x2.sub(load2(at4(p, c)), v128.load(at8(m, c)));
      store2(at4(q, c), f64x2.add(f64x2.mul(d, v128.load(at8(sc, c))), v128.load(at8(sh, c))));
    }
    for (; c < C; c++) {
      const d = <f64>load<f32>(at4(p, c)) - load<f64>(at8(m, c));
      store<f32>(at4(q, c), <f32>(d * load<f64>(at8(sc, c)) + load<f64>(at8(sh, c))));
    }
  }
}

/** sdy[c] += sum of dy, sdx[c] += sum of dy * (x - m[c]); four rows per accumulator update. */
export function colGradSums(dy: usize, x: usize, N: i32, C: i32, m: usize, sdy: usize, sdx: usize): void {
  const row = (<usize>C) << 2;
  let n = 0;
  for (; n + 4 <= N; n += 4) {
    const p = at4(x, n * C);
    const g = at4(dy, n * C);
    let c = 0;
    for (; c + 2 <= C; c += 2) {
      const q = at4(p, c);
      const h = at4(g, c);
      const mv = v128.load(at8(m, c));
      const g0 = load2(h);
      const g1 = load2(h + row);
      const g2 = load2(h + 2 * row);
      const g3 = load2(h + 3 * row);
      const s = f64x2.add(f64x2.add(g0, g1), f64x2.add(g2, g3));
      const t = f64x2.add(
        f64x2.add(f64x2.mul(g0, f64x2.sub(load2(q), mv)), f64x2.mul(g1, f64x2.sub(load2(q + row), mv))),
        f64x2.add(
          f64x2.mul(g2, f64x2.sub(load2(q + 2 * row), mv)),
          f64x2.mul(g3, f64x2.sub(load2(q + 3 * row), mv)),
        ),
      );
      v128.store(at8(sdy, c), f64x2.add(v128.load(at8(sdy, c)), s));
      v128.store(at8(sdx, c), f64x2.add(v128.load(at8(sdx, c)), t));
    }
    for (; c < C; c++) {
      const q = at4(p, c);
      const h = at4(g, c);
      const mc = load<f64>(at8(m, c));
      const g0 = <f64>load<f32>(h);
      const g1 = <f64>load<f32>(h + row);
      const g2 = <f64>load<f32>(h + 2 * row);
      const g3 = <f64>load<f32>(h + 3 * row);
      const t =
        g0 * (<f64>load<f32>(q) - mc) +
        g1 * (<f64>load<f32>(q + row) - mc) +
        (g2 * (<f64>load<f32>(q + 2 * row) - mc) + g3 * (<f64>load<f32>(q + 3 * row) - mc));
      store<f64>(at8(sdy, c), load<f64>(at8(sdy, c)) + (g0 + g1 + (g2 + g3)));
      store<f64>(at8(sdx, c), load<f64>(at8(sdx, c)) + t);
    }
  }
  for (; n < N; n++) {
    const p = at4(x, n * C);
    const g = at4(dy, n * C);
    for (let c = 0; c < C; c++) {
      const gs = <f64>load<f32>(at4(g, c));
      store<f64>(at8(sdy, c), load<f64>(at8(sdy, c)) + gs);
      store<f64>(
        at8(sdx, c),
        load<f64>(at8(sdx, c)) + gs * (<f64>load<f32>(at4(p, c)) - load<f64>(at8(m, c))),
      );
    }
  }
}

/**
 * dx[n, c] = a[c] * dy + ((x - m[c]) * r[c]) * k[c] + b[c]. The five per-channel arrays are
 * consecutive: m at coef, r, a, k, b each C further.
 */
export function colDx(dy: usize, x: usize, dx: usize, N: i32, C: i32, coef: usize): void {
  const m = coef;
  const r = at8(coef, C);
  const a = at8(coef, 2 * C);
  const k = at8(coef, 3 * C);
  const b = at8(coef, 4 * C);
  for (let n = 0; n < N; n++) {
    const p = at4(x, n * C);
    const g = at4(dy, n * C);
    const q = at4(dx, n * C);
    let c = 0;
    for (; c + 2 <= C; c += 2) {
      const xh = f64x2.mul(f64x2.sub(load2(at4(p, c)), v128.load(at8(m, c))), v128.load(at8(r, c)));
      const t = f64x2.add(
        f64x2.mul(v128.load(at8(a, c)), load2(at4(g, c))),
        f64x2.mul(xh, v128.load(at8(k, c))),
      );
      store2(at4(q, c), f64x2.add(t, v128.load(at8(b, c))));
    }
    for (; c < C; c++) {
      const xh = (<f64>load<f32>(at4(p, c)) - load<f64>(at8(m, c))) * load<f64>(at8(r, c));
      const t = load<f64>(at8(a, c)) * <f64>load<f32>(at4(g, c)) + xh * load<f64>(at8(k, c));
      store<f32>(at4(q, c), <f32>(t + load<f64>(at8(b, c))));
    }
  }
}
