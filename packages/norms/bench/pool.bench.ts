// LayerNorm / RMSNorm forward split over the kernel pool (2 threads) against one thread:
//   node --conditions=@normkit/source --import tsx bench/pool.bench.ts
// Per shape: the median of 9 batches (each >= 20 ms) per variant, the variants interleaved batch
// by batch so other load hits both; the copy floor is Float32Array.prototype.set on the JS heap
// moving the same bytes (x read + y written), as apps/bench's CopyFloor. The split result must
// match the single-thread one to rounding (a row's statistics shift depends on the rows before it
// in the same call, so the last bits may differ).
import { randn, setBackend, zeros } from '@normkit/tensor';
import { startKernelPool } from '@normkit/tensor/node';
import { layerNormForward, rmsNormForward } from '../src/index.js';
import { setParallelMinElements } from '../src/internal/wasm/rows.js';

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
console.log('shape          op         1 thread ms  2 threads ms  speedup  copy ms  copy/1t  copy/2t');
for (const [M, N] of [
  [8192, 768],
  [2048, 768],
  [512, 768],
  [128, 768],
  [32, 768],
] as const) {
  const x = randn([M, N], { seed: 1 });
  const w = randn([N], { seed: 2 });
  const b = randn([N], { seed: 3 });
  const y = zeros([M, N]);
  const mean = zeros([M], { dtype: 'float64' });
  const rstd = zeros([M], { dtype: 'float64' });
  const src = new Float32Array(M * N).fill(1);
  const dst = new Float32Array(M * N).fill(2);
  for (const op of ['layerNorm', 'rmsNorm'] as const) {
    const f =
      op === 'layerNorm'
        ? () => layerNormForward(x, [N], { weight: w, bias: b, out: { y, mean, rstd } })
        : () => rmsNormForward(x, [N], { weight: w, out: { y, rstd } });
    setParallelMinElements(Number.POSITIVE_INFINITY);
    f();
    const single = Float32Array.from(y.data);
    setParallelMinElements(0);
    y.data.fill(Number.NaN);
    f();
    let diff = 0;
    for (let i = 0; i < single.length; i++) diff = Math.max(diff, Math.abs(single[i]! - y.data[i]!));
    if (!(diff <= 1e-5)) throw new Error(`${op} [${M},${N}]: split differs from one thread by ${diff}`);
    const t1: number[] = [];
    const t2: number[] = [];
    const tc: number[] = [];
    for (let r = 0; r < 9; r++) {
      setParallelMinElements(Number.POSITIVE_INFINITY);
      t1.push(batch(f));
      setParallelMinElements(0);
      t2.push(batch(f));
      tc.push(batch(() => dst.set(src)));
    }
    const [a1, a2, c] = [median(t1), median(t2), median(tc)];
    console.log(
      `[${M},${N}]`.padEnd(14),
      op.padEnd(10),
      a1.toFixed(4).padStart(11),
      a2.toFixed(4).padStart(13),
      (a1 / a2).toFixed(2).padStart(8),
      c.toFixed(4).padStart(8),
      (c / a1).toFixed(2).padStart(8),
      (c / a2).toFixed(2).padStart(8),
    );
  }
}
await pool.stop();
