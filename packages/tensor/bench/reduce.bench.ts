// Sum/mean reductions, where() and allocation on the js and the wasm backend, next to the floor of
// a plain copy of the bytes the op reads (TypedArray.set): node --import tsx bench/reduce.bench.ts
// Shapes are those of a small GPT's training step (B 8, T 32, C 32..128, 4 heads). Each figure is
// the median of 9 timed batches (each loops until >= 2 ms) after a warm-up, in microseconds per
// call; js and wasm batches are interleaved so load from other processes hits both alike. Every
// op returns a fresh tensor inside tidy(), as in a training step. Read the ratios.
import {
  allocate,
  allocateUninit,
  gt,
  mean,
  randn,
  setBackend,
  sum,
  sumTo,
  tidy,
  where,
} from '../src/index.js';

type Backend = 'js' | 'wasm';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Microseconds per call of one batch: repeat f until 2 ms have passed. */
function batch(f: () => void): number {
  let reps = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    f();
    reps++;
    t = performance.now();
  } while (t - t0 < 2);
  return ((t - t0) / reps) * 1000;
}

/** make() builds the operands on the current backend and returns the timed call. */
function compare(label: string, make: () => () => void, bytes: number): void {
  const fns = new Map<Backend, () => void>();
  for (const b of ['js', 'wasm'] as const) {
    setBackend(b);
    fns.set(b, make());
  }
  const src = new Float32Array(bytes / 4);
  const dst = new Float32Array(bytes / 4);
  const copy = () => dst.set(src);
  const times = new Map<string, number[]>([
    ['js', []],
    ['wasm', []],
    ['copy', []],
  ]);
  for (const [b, f] of fns) {
    setBackend(b);
    const t0 = performance.now();
    while (performance.now() - t0 < 100) f(); // tiered up before timing
  }
  for (let i = 0; i < 9; i++) {
    for (const [b, f] of fns) {
      setBackend(b);
      times.get(b)!.push(batch(f));
    }
    times.get('copy')!.push(batch(copy));
  }
  const [js, wasm, floor] = ['js', 'wasm', 'copy'].map((k) => median(times.get(k)!)) as [
    number,
    number,
    number,
  ];
  console.log(
    `${label.padEnd(44)} js ${js.toFixed(2).padStart(8)}  wasm ${wasm.toFixed(2).padStart(8)}  ` +
      `copy ${floor.toFixed(2).padStart(6)} us   js/wasm ${(js / wasm).toFixed(1).padStart(5)}x`,
  );
}

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
