// Sum/mean reductions, where() and allocation on the js and the wasm backend, next to the floor of
// a plain copy of the bytes the op reads (TypedArray.set): node --import tsx bench/reduce.bench.ts
// Shapes are those of a small GPT's training step (B 8, T 32, C 32..128, 4 heads). Each figure is
// the median of 9 timed batches (each loops until >= 2 ms) after a warm-up, in microseconds per
// call; js and wasm batches are interleaved so load from other processes hits both alike. Every
// op returns a fresh tensor inside tidy(), as in a training step. Read the ratios.
import { allocate, allocateUninit, gt, mean, randn, sum, sumTo, tidy, where } from '../src/index.js';
import { compare } from './compare.js';

const fresh = (f: () => unknown) => () => tidy(() => void f());
const t = (shape: number[], seed: number) => randn(shape, { seed });

console.log('--- float32; medians of 9, us per call (fresh output in tidy)');
for (const [r, c] of [
  [256, 32],
  [256, 128],
  [2048, 128],
]) {
  const B = 4 * r * c;
  compare(
    `sum(x [${r}, ${c}], 0) (bias gradient)`,
    () => {
      const x = t([r, c], 1);
      return fresh(() => sum(x, 0));
    },
    B,
  );
  compare(
    `sum(x [${r}, ${c}], -1)`,
    () => {
      const x = t([r, c], 1);
      return fresh(() => sum(x, -1));
    },
    B,
  );
}
compare(
  'sum(x [8, 4, 32, 32], -1) (softmax backward)',
  () => {
    const x = t([8, 4, 32, 32], 2);
    return fresh(() => sum(x, -1, { keepdims: true }));
  },
  4 * 8 * 4 * 32 * 32,
);
compare(
  'sumTo(x [8, 32, 32], [32, 32]) (pos. embedding)',
  () => {
    const x = t([8, 32, 32], 3);
    return fresh(() => sumTo(x, [32, 32]));
  },
  4 * 8 * 32 * 32,
);
compare(
  'mean(x [65536]) (all elements)',
  () => {
    const x = t([65536], 4);
    return fresh(() => mean(x));
  },
  4 * 65536,
);
compare(
  'where(x > 0 [256, 128], x, y)',
  () => {
    const [x, y] = [t([256, 128], 5), t([256, 128], 6)];
    const c = gt(x, 0);
    return fresh(() => where(c, x, y));
  },
  4 * 256 * 128,
);
compare(
  'where(mask [32, 32], -inf, att [8, 4, 32, 32])',
  () => {
    const att = t([8, 4, 32, 32], 7);
    const mask = gt(randn([32, 32], { seed: 8 }), 0);
    return fresh(() => where(mask, Number.NEGATIVE_INFINITY, att));
  },
  4 * 8 * 4 * 32 * 32,
);

// allocation alone: allocate zero-fills a reused block, allocateUninit does not
console.log('--- allocation of a reused block (wasm backend; js = a new heap array), us per call');
for (const n of [1024, 32_768, 262_144]) {
  const label = (f: string) => `${f}('float32', ${n})`;
  compare(label('allocate'), () => fresh(() => allocate('float32', n)), 4 * n);
  compare(label('allocateUninit'), () => fresh(() => allocateUninit('float32', n)), 4 * n);
}
