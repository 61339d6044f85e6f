// Elementwise kernel timings: node --import tsx bench/elementwise.bench.ts
// Each line is the mean of `reps` calls after a warm-up, on [1024,1024] tensors (1M elements),
// next to a hand-written loop for scale. Numbers move with machine load; compare within one run.
import {
  add,
  addInPlace,
  axpy,
  exp,
  gelu,
  gt,
  mul,
  randn,
  sigmoid,
  type Tensor,
  where,
  zeros,
} from '../src/index.js';

function time(name: string, f: () => void, reps = 30): void {
  for (let i = 0; i < 10; i++) f();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) f();
  const us = ((performance.now() - t0) / reps) * 1000;
  console.log(`${name.padEnd(46)} ${us.toFixed(1).padStart(9)} us`);
}

const N = 1024;
for (const dtype of ['float32', 'float64'] as const) {
  console.log(`--- ${dtype} [${N},${N}]`);
  const a = randn([N, N], { seed: 1, dtype });
  const b = randn([N, N], { seed: 2, dtype });
  const row = randn([N], { seed: 3, dtype });
  const col = randn([N, 1], { seed: 4, dtype });
  const out = zeros([N, N], { dtype });
  const plain = (x: Tensor, y: Tensor, o: Tensor) => {
    const xd = x.data;
    const yd = y.data;
    const od = o.data;
    for (let i = 0; i < od.length; i++) od[i] = xd[i]! + yd[i]!;
  };
  time('hand-written loop o[i] = a[i] + b[i]', () => plain(a, b, out));
  time('add(a, b, out)', () => add(a, b, out));
  time('add(a, b) (fresh output)', () => add(a, b));
  time('add(a, 1.5, out)', () => add(a, 1.5, out));
  time('add(a, row [N], out)', () => add(a, row, out));
  time('mul(a, col [N,1], out)', () => mul(a, col, out));
  time('add(a.T, b, out)', () => add(a.transpose(), b, out));
  time('addInPlace(out.T, b)', () => addInPlace(out.transpose(), b));
  time('axpy(0.1, a, out)', () => axpy(0.1, a, out));
  time('exp(a, out)', () => exp(a, out));
  time('sigmoid(a, out)', () => sigmoid(a, out));
  time('gelu(a, {}, out)', () => gelu(a, {}, out));
  time("gelu(a, { approximate: 'tanh' }, out)", () => gelu(a, { approximate: 'tanh' }, out));
  const mask = gt(a, 0);
  time('where(random mask, a, -inf, out)', () => where(mask, a, -Infinity, out));
}
const s1 = randn([64], { seed: 1 });
const s2 = randn([64], { seed: 2 });
const so = zeros([64]);
time('per-call overhead: add([64], [64], out)', () => add(s1, s2, so), 100_000);
const m1 = randn([4, 16], { seed: 1 });
const m2 = randn([16], { seed: 2 });
const mo = zeros([4, 16]);
time('per-call overhead: add([4,16], [16], out)', () => add(m1, m2, mo), 100_000);
