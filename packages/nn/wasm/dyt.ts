// DyT (dynamic tanh) forward and backward for float32 data, float64 arithmetic (f64x2: two lanes),
// in the same order of operations as the JS kernel (src/norms/dyt.ts), each result rounded once.
//
// Dimension names: `count` float32 elements in rows of N (count = M N); x, y, dy, dx [M, N];
// weight, bias [N] as float64 in `scratch` (the wrapper writes them: ones / zeros when absent).
// Arguments are byte addresses in the shared memory; nothing is allocated. N = 1 (alpha alone, or
// weight/bias of one element) is "scalar mode": weight and bias are splatted and the data is cut
// into rows of CHUNK elements instead of rows of 1 (a row of 1 would be all tail).
//
//   forward:  y = w * t + b,  t = tanh(alpha x)                 (lib/tanh.ts: JS's tanh, bit for bit)
//   backward: gs = (dy w) (1 - t^2),  dx = gs alpha,  dalpha = sum gs x,
//             dWeight = sum over rows dy t,  dBias = sum over rows dy
// Every element's value (y, dx, and each term of the sums) is the same double as in the JS kernel.
// Only the sums' order differs: float64 partial sums per lane over BLOCK rows, then added into
// float64 totals (two-level summation); the JS kernel adds the terms one by one.
//
// Each row is first scanned for |alpha x| > 9 or NaN (anyLarge: a max of |x|, 16 at a time). A row
// without one (the usual case) runs tanhSmall2V, two pairs at a time with no per-element test; a
// row with one runs tanhAnyV, pair by pair (a test and branch per pair measured ~20% slower).
import { addTo, at4, at8, hsum, load1, load2, store1, store2 } from './lib/simd';
import { anyLarge, tanhAnyV, tanhSecond, tanhSmall2V, tanhSmallV } from './lib/tanh';

/** Rows per block of partial sums. */
const BLOCK = 64;
/** Row length in scalar mode (N = 1). */
const CHUNK = 1024;
// flags of dytBackward
const WANT_DX = 1;
const WANT_PARAMS = 2;

function tanh(z: v128, large: bool): v128 {
  return large ? inline.always(tanhAnyV(z)) : inline.always(tanhSmallV(z));
}
/** The weight (or bias) pair at element j: splatted in scalar mode. */
function param(p: usize, j: i32, scalar: bool): v128 {
  return scalar ? f64x2.splat(load<f64>(p)) : v128.load(at8(p, j));
}

// ---- forward

/** y[j], y[j + 1] = w * t + b */
function forwardPair(py: usize, j: i32, t: v128, w64: usize, b64: usize, scalar: bool): void {
  store2(at4(py, j), f64x2.add(f64x2.mul(inline.always(param(w64, j, scalar)), t), param(b64, j, scalar)));
}

/** y = w * tanh(alpha x) + b over a row of n elements. */
function forwardRow(
  px: usize,
  py: usize,
  n: i32,
  al: v128,
  w64: usize,
  b64: usize,
  scalar: bool,
  large: bool,
): void {
  let j = 0;
  if (!large) {
    for (; j + 4 <= n; j += 4) {
      const t0 = inline.always(
        tanhSmall2V(f64x2.mul(al, load2(at4(px, j))), f64x2.mul(al, load2(at4(px, j + 2)))),
      );
      inline.always(forwardPair(py, j, t0, w64, b64, scalar));
      inline.always(forwardPair(py, j + 2, tanhSecond, w64, b64, scalar));
    }
  }
  for (; j + 2 <= n; j += 2) {
    inline.always(
      forwardPair(py, j, inline.always(tanh(f64x2.mul(al, load2(at4(px, j))), large)), w64, b64, scalar),
    );
  }
  if (j < n) {
    const t = inline.always(tanh(f64x2.mul(al, load1(at4(px, j))), large));
    const w = f64x2.splat(load<f64>(at8(w64, scalar ? 0 : j)));
    const b = f64x2.splat(load<f64>(at8(b64, scalar ? 0 : j)));
    store1(at4(py, j), f64x2.add(f64x2.mul(w, t), b));
  }
}

/**
 * y = weight * tanh(alpha x) + bias over `count` float32 in rows of N.
 * scratch: float64 [2N]: weight, bias.
 */
export function dytForward(x: usize, y: usize, count: i32, N: i32, alpha: f64, scratch: usize): void {
  const w64 = scratch;
  const b64 = at8(scratch, N);
  const al = f64x2.splat(alpha);
  const scalar = N === 1;
  const L = scalar ? CHUNK : N;
  for (let o = 0; o < count; o += L) {
    const n = min(L, count - o);
    const px = at4(x, o);
    const py = at4(y, o);
    if (!anyLarge(px, n, abs(alpha))) {
      if (scalar) inline.always(forwardRow(px, py, n, al, w64, b64, true, false));
      else inline.always(forwardRow(px, py, n, al, w64, b64, false, false));
    } else if (scalar) forwardRow(px, py, n, al, w64, b64, true, true);
    else forwardRow(px, py, n, al, w64, b64, false, true);
  }
}

// ---- backward

/**
 * One pair of the backward, given t: writes dx (wantDx), adds dy t and dy to the partial sums of
 * dWeight/dBias (params: pW/pB at j, or their lane sums at pW/pB in scalar mode); returns the
 * dalpha terms gs x.
 */
function backwardPair(
  xv: v128,
  g: v128,
  t: v128,
  w: v128,
  pdx: usize,
  j: i32,
  al: v128,
  pW: usize,
  pB: usize,
  scalar: bool,
  wantDx: bool,
  params: bool,
): v128 {
  // (dy w) (1 - t^2): dy * weight * tanh'(alpha x), in the JS kernel's order
  const gs = f64x2.mul(f64x2.mul(g, w), f64x2.sub(f64x2.splat(1), f64x2.mul(t, t)));
  if (wantDx) store2(at4(pdx, j), f64x2.mul(gs, al));
  if (params) {
    addTo(scalar ? pW : at8(pW, j), f64x2.mul(g, t));
    addTo(scalar ? pB : at8(pB, j), g);
  }
  return f64x2.mul(gs, xv);
}

/** The backward of one row of n; returns its dalpha terms summed per lane. */
function backwardRow(
  px: usize,
  pdy: usize,
  pdx: usize,
  n: i32,
  al: v128,
  w64: usize,
  pW: usize,
  pB: usize,
  scalar: bool,
  wantDx: bool,
  params: bool,
  large: bool,
): v128 {
  let sA = f64x2.splat(0);
  let j = 0;
  if (!large) {
    for (; j + 4 <= n; j += 4) {
      const x0 = load2(at4(px, j));
      const x1 = load2(at4(px, j + 2));
      const t0 = inline.always(tanhSmall2V(f64x2.mul(al, x0), f64x2.mul(al, x1)));
      const t1 = tanhSecond;
      const g0 = load2(at4(pdy, j));
      const g1 = load2(at4(pdy, j + 2));
      const w0 = inline.always(param(w64, j, scalar));
      const w1 = inline.always(param(w64, j + 2, scalar));
      sA = f64x2.add(
        sA,
        inline.always(backwardPair(x0, g0, t0, w0, pdx, j, al, pW, pB, scalar, wantDx, params)),
      );
      sA = f64x2.add(
        sA,
        inline.always(backwardPair(x1, g1, t1, w1, pdx, j + 2, al, pW, pB, scalar, wantDx, params)),
      );
    }
  }
  for (; j + 2 <= n; j += 2) {
    const xv = load2(at4(px, j));
    const t = inline.always(tanh(f64x2.mul(al, xv), large));
    const w = inline.always(param(w64, j, scalar));
    const g = load2(at4(pdy, j));
    sA = f64x2.add(sA, inline.always(backwardPair(xv, g, t, w, pdx, j, al, pW, pB, scalar, wantDx, params)));
  }
  if (j < n) {
    // lane 1 is zero in x, dy and w, so its terms are exactly 0
    const xv = load1(at4(px, j));
    const g = load1(at4(pdy, j));
    const t = inline.always(tanh(f64x2.mul(al, xv), large));
    const w = f64x2.replace_lane(f64x2.splat(0), 0, load<f64>(at8(w64, scalar ? 0 : j)));
    const gs = f64x2.mul(f64x2.mul(g, w), f64x2.sub(f64x2.splat(1), f64x2.mul(t, t)));
    if (wantDx) store1(at4(pdx, j), f64x2.mul(gs, al));
    sA = f64x2.add(sA, f64x2.mul(gs, xv));
    if (params) {
      if (scalar) {
        addTo(pW, f64x2.mul(g, t));
        addTo(pB, g);
      } else {
        store<f64>(at8(pW, j), load<f64>(at8(pW, j)) + f64x2.extract_lane(f64x2.mul(g, t), 0));
        store<f64>(at8(pB, j), load<f64>(at8(pB, j)) + f64x2.extract_lane(g, 0));
      }
    }
  }
  return sA;
}

/**
 * The backward of dytForward. Returns dalpha; writes dx (flag WANT_DX) and, with WANT_PARAMS,
 * dWeight and dBias as float64 totals in scratch [3N, 5N) (the wrapper rounds them).
 * scratch: float64 [5N + 4]: weight, dW/dB block partials, dW/dB totals, and in scalar mode the
 * block partials' two lanes each at [5N, 5N + 4).
 */
export function dytBackward(
  dy: usize,
  x: usize,
  dx: usize,
  count: i32,
  N: i32,
  alpha: f64,
  flags: i32,
  scratch: usize,
): f64 {
  const wantDx = (flags & WANT_DX) !== 0;
  const params = (flags & WANT_PARAMS) !== 0;
  if (N === 1) {
    if (wantDx && params) return backwardAll(dy, x, dx, count, 1, alpha, scratch, true, true, true);
    if (wantDx) return backwardAll(dy, x, dx, count, 1, alpha, scratch, true, true, false);
    if (params) return backwardAll(dy, x, dx, count, 1, alpha, scratch, true, false, true);
    return backwardAll(dy, x, dx, count, 1, alpha, scratch, true, false, false);
  }
  if (wantDx && params) return backwardAll(dy, x, dx, count, N, alpha, scratch, false, true, true);
  if (wantDx) return backwardAll(dy, x, dx, count, N, alpha, scratch, false, true, false);
  if (params) return backwardAll(dy, x, dx, count, N, alpha, scratch, false, false, true);
  return backwardAll(dy, x, dx, count, N, alpha, scratch, false, false, false);
}

/** dytBackward specialised (scalar mode, dx wanted, dW/dB wanted) at compile time. */
function backwardAll(
  dy: usize,
  x: usize,
  dx: usize,
  count: i32,
  N: i32,
  alpha: f64,
  scratch: usize,
  scalar: bool,
  wantDx: bool,
  params: bool,
): f64 {
  const w64 = scratch;
  const tW = at8(scratch, 3 * N);
  const tB = at8(scratch, 4 * N);
  // partial sums: per column, or in scalar mode one pair of lanes each
  const pW = scalar ? at8(scratch, 5 * N) : at8(scratch, N);
  const pB = scalar ? at8(scratch, 5 * N + 2) : at8(scratch, 2 * N);
  const width = scalar ? 2 : N;
  const al = f64x2.splat(alpha);
  const L = scalar ? CHUNK : N;
  const rows = scalar ? (count + CHUNK - 1) / CHUNK : count / N;
  if (params) memory.fill(tW, 0, (<usize>(2 * N)) << 3);
  let dAlpha: f64 = 0;
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = min(rows, r0 + BLOCK);
    if (params) {
      memory.fill(pW, 0, (<usize>width) << 3);
      memory.fill(pB, 0, (<usize>width) << 3);
    }
    let sA = f64x2.splat(0);
    for (let r = r0; r < r1; r++) {
      const o = r * L;
      const n = min(L, count - o);
      const px = at4(x, o);
      const pdy = at4(dy, o);
      const pdx = at4(dx, o);
      const row = !anyLarge(px, n, abs(alpha))
        ? inline.always(backwardRow(px, pdy, pdx, n, al, w64, pW, pB, scalar, wantDx, params, false))
        : backwardRow(px, pdy, pdx, n, al, w64, pW, pB, scalar, wantDx, params, true);
      sA = f64x2.add(sA, row);
    }
    dAlpha += hsum(sA);
    if (params) {
      if (scalar) {
        store<f64>(tW, load<f64>(tW) + hsum(v128.load(pW)));
        store<f64>(tB, load<f64>(tB) + hsum(v128.load(pB)));
      } else {
        for (let j = 0; j < 2 * N; j++) store<f64>(at8(tW, j), load<f64>(at8(tW, j)) + load<f64>(at8(pW, j)));
      }
    }
  }
  return dAlpha;
}
