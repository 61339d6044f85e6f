// The wasm matmul split over a 2-thread kernel pool against one thread:
//   node --conditions=@normkit/source --import tsx bench/matmul-pool.bench.ts
// Per shape: median of 9 batches (each >= 20 ms) per variant, interleaved batch by batch; the
// split result must equal the single-thread one bit for bit (same float32 sums in the same order).
import { matmul, randn, setBackend, zeros } from '../src/index.js';
import { setGemmPoolMinMacs } from '../src/internal/wasm/gemm-wasm.js';
import { startKernelPool } from '../src/node.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

function batch(f: () => void): number {
  let reps = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    f();
    reps++;
    t = performance.now();
  } while (t - t0 < 20);
  return (t - t0) / reps;
}

setBackend('wasm');
const pool = startKernelPool({ threads: 2 });
console.log('M x K x N            1 thread ms  2 threads ms  speedup  GFLOP/s 2t');
for (const [m, k, n] of [
  [64, 64, 64],
  [128, 128, 128],
  [256, 256, 256],
  [512, 512, 512],
  [8192, 128, 384],
  [8192, 512, 128],
] as const) {
  const a = randn([m, k], { seed: 1 });
  const b = randn([k, n], { seed: 2 });
  const c = zeros([m, n]);
  const f = () => matmul(a, b, c);
  setGemmPoolMinMacs(Number.POSITIVE_INFINITY);
  f();
  const single = Float32Array.from(c.data);
  setGemmPoolMinMacs(0);
  c.data.fill(Number.NaN);
  f();
  if (!single.every((v, i) => Object.is(v, c.data[i]))) throw new Error(`${m}x${k}x${n}: split differs`);
  const t1: number[] = [];
  const t2: number[] = [];
  for (let r = 0; r < 9; r++) {
    setGemmPoolMinMacs(Number.POSITIVE_INFINITY);
    t1.push(batch(f));
    setGemmPoolMinMacs(0);
    t2.push(batch(f));
  }
  const [x1, x2] = [median(t1), median(t2)];
  console.log(
    `${m} x ${k} x ${n}`.padEnd(20),
    x1.toFixed(4).padStart(12),
    x2.toFixed(4).padStart(13),
    (x1 / x2).toFixed(2).padStart(8),
    ((2 * m * n * k) / x2 / 1e6).toFixed(1).padStart(11),
  );
}
await pool.stop();
