// LayerNorm / RMSNorm forward and backward, both precisions, split over the kernel pool (2
// threads) against one thread:
//   node --conditions=@normkit/source --import tsx bench/pool.bench.ts [forward|backward] [high|highest] [MxN ...]
// Per shape: the median of 9 batches (each >= 20 ms) per variant, the variants interleaved batch
// by batch so other load hits both; the copy floor is Float32Array.prototype.set on the JS heap
// moving the same bytes (forward: x read + y written; backward: dy, x read + dx written), as
// apps/bench's CopyFloor. The backward computes dx, dWeight and dBias. The split result must match
// the single-thread one: y to rounding (forward 'highest': a row's statistics shift depends on the
// rows before it in the same call), dx bit for bit.
import { randn, setBackend, zeros } from '@normkit/tensor';
import { startKernelPool } from '@normkit/tensor/node';
import {
  layerNormBackward,
  layerNormForward,
  type NormPrecision,
  rmsNormBackward,
  rmsNormForward,
  setNormPrecision,
} from '../src/index.js';
import {
  setBackwardParallelMinElements,
  setHighParallelMinElements,
  setParallelMinElements,
} from '../src/internal/wasm/rows.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const args = process.argv.slice(2);
const passes = (['forward', 'backward'] as const).filter(
  (p) => !args.some((a) => a.startsWith('f') || a.startsWith('b')) || args.includes(p),
);
const precisions = (['highest', 'high'] as NormPrecision[]).filter(
  (p) => !args.some((a) => a.startsWith('h')) || args.includes(p),
);

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

/** split (true) or one thread for the pass being measured */
function split(on: boolean) {
  setParallelMinElements(on ? 0 : Number.POSITIVE_INFINITY);
  setHighParallelMinElements(on ? 0 : Number.POSITIVE_INFINITY);
  setBackwardParallelMinElements(on ? 0 : Number.POSITIVE_INFINITY);
}

setBackend('wasm');
const pool = startKernelPool({ threads: 2 });
console.log(
  'shape          op         pass      precision  1 thread ms  2 threads ms  speedup  copy ms  copy/1t  copy/2t',
);
const shapeArgs = args
  .filter((a) => /^\d+x\d+$/.test(a))
  .map((a) => a.split('x').map(Number) as [number, number]);
const shapes: [number, number][] = shapeArgs.length
  ? shapeArgs
  : [
      [8192, 768],
      [2048, 768],
      [512, 768],
      [256, 768],
      [128, 768],
      [32, 768],
      [2048, 4096],
      [128, 4096],
    ];
for (const [M, N] of shapes) {
  const x = randn([M, N], { seed: 1 });
  const dy = randn([M, N], { seed: 4 });
  const w = randn([N], { seed: 2 });
  const b = randn([N], { seed: 3 });
  const y = zeros([M, N]);
  const dx = zeros([M, N]);
  const dW = zeros([N]);
  const dB = zeros([N]);
  const mean = zeros([M], { dtype: 'float64' });
  const rstd = zeros([M], { dtype: 'float64' });
  for (const pass of passes) {
    const src = new Float32Array(((pass === 'forward' ? 2 : 3) * M * N) / 2).fill(1);
    const dst = new Float32Array(src.length).fill(2);
    for (const precision of precisions) {
      setNormPrecision(precision);
      for (const op of ['layerNorm', 'rmsNorm'] as const) {
        const ln = op === 'layerNorm';
        const fwd = ln
          ? () => layerNormForward(x, [N], { weight: w, bias: b, out: { y, mean, rstd } })
          : () => rmsNormForward(x, [N], { weight: w, out: { y, rstd } });
        split(false);
        fwd();
        const f =
          pass === 'forward'
            ? fwd
            : ln
              ? () =>
                  layerNormBackward(
                    dy,
                    x,
                    [N],
                    { mean, rstd },
                    { weight: w, out: { dx, dWeight: dW, dBias: dB } },
                  )
              : () => rmsNormBackward(dy, x, [N], { rstd }, { weight: w, out: { dx, dWeight: dW } });
        const out = pass === 'forward' ? y : dx;
        f();
        const single = Float32Array.from(out.data);
        split(true);
        out.data.fill(Number.NaN);
        f();
        let diff = 0;
        for (let i = 0; i < single.length; i++) diff = Math.max(diff, Math.abs(single[i]! - out.data[i]!));
        const tol = pass === 'forward' ? 1e-5 : 0;
        if (!(diff <= tol))
          throw new Error(`${op} ${pass} [${M},${N}]: split differs from one thread by ${diff}`);
        const t1: number[] = [];
        const t2: number[] = [];
        const tc: number[] = [];
        for (let r = 0; r < 9; r++) {
          split(false);
          t1.push(batch(f));
          split(true);
          t2.push(batch(f));
          tc.push(batch(() => dst.set(src)));
        }
        const [a1, a2, c] = [median(t1), median(t2), median(tc)];
        console.log(
          `[${M},${N}]`.padEnd(14),
          op.padEnd(10),
          pass.padEnd(9),
          precision.padEnd(10),
          a1.toFixed(4).padStart(11),
          a2.toFixed(4).padStart(13),
          (a1 / a2).toFixed(2).padStart(8),
          c.toFixed(4).padStart(8),
          (c / a1).toFixed(2).padStart(8),
          (c / a2).toFixed(2).padStart(8),
        );
      }
    }
  }
}
setNormPrecision('highest');
await pool.stop();
