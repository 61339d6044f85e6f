import { Generator, randn, type Tensor } from '@normkit/tensor';

/** Float64 standard normal values of `shape`, in the requested memory layout. */
export type Layout = 'contiguous' | 'transposed' | 'sliced';

export function input(shape: readonly number[], seed: number, layout: Layout = 'contiguous'): Tensor {
  const opts = { seed, dtype: 'float64' as const };
  if (layout === 'transposed' && shape.length >= 2) {
    // stored with the last two axes swapped, then viewed back: same shape, non-contiguous strides
    const swapped = [...shape.slice(0, -2), shape[shape.length - 1]!, shape[shape.length - 2]!];
    return randn(swapped, opts).transpose(-2, -1);
  }
  if (layout === 'sliced' && shape.length >= 1) {
    // every other element of a buffer twice as long on the last axis, offset by one
    const wide = [...shape.slice(0, -1), 2 * shape[shape.length - 1]! + 1];
    return randn(wide, opts).slice(-1, 1, undefined, 2);
  }
  return randn(shape, opts);
}

/** Values kept at least `gap` away from 0 (for |x|, relu, 1/x): x + gap * sign(x). */
export function awayFromZero(t: Tensor, gap = 0.2): Tensor {
  const d = t.data;
  forEachPos(t, (p) => {
    d[p] = d[p]! + (d[p]! >= 0 ? gap : -gap);
  });
  return t;
}

/** Values in (lo, lo + width): a positive domain for log, sqrt, pow bases. */
export function positive(t: Tensor, lo = 0.3): Tensor {
  const d = t.data;
  forEachPos(t, (p) => {
    d[p] = lo + Math.abs(d[p]!);
  });
  return t;
}

function forEachPos(t: Tensor, f: (pos: number) => void): void {
  const index = new Array<number>(t.ndim).fill(0);
  let pos = t.offset;
  for (let k = 0; k < t.size; k++) {
    f(pos);
    for (let a = t.ndim - 1; a >= 0; a--) {
      pos += t.strides[a]!;
      if (++index[a]! < t.shape[a]!) break;
      pos -= t.strides[a]! * t.shape[a]!;
      index[a] = 0;
    }
  }
}

/** A random shape of rank in [minRank, maxRank] with sizes in [1, maxDim]. */
export function randomShape(gen: Generator, minRank: number, maxRank: number, maxDim = 3): number[] {
  const rank = gen.integer(minRank, maxRank + 1);
  return Array.from({ length: rank }, () => gen.integer(1, maxDim + 1));
}

/**
 * Two shapes that broadcast together, with size-1 axes and missing leading axes on either side:
 * from a full shape, each side independently sets some axes to 1 and may drop leading axes.
 */
export function broadcastPair(seed: number): [number[], number[]] {
  const gen = new Generator(seed);
  const full = randomShape(gen, 1, 3, 3).map((d) => d + 1);
  const derive = () => {
    const s = full.map((d) => (gen.uniform() < 0.35 ? 1 : d));
    return s.slice(gen.integer(0, s.length));
  };
  return [derive(), derive()];
}
