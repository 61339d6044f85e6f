/**
 * matmul benchmark: `pnpm --filter @normkit/tensor bench` (node --import tsx bench/matmul.bench.ts).
 *
 * As llm.c's dev/ kernels: every case is first validated against a plain float64 triple loop
 * (maxdiff printed; the run fails if it is out of tolerance), then timed: WARMUP untimed calls,
 * then REPS timed calls, median reported. GFLOP/s = 2*M*N*K / time. The baseline is the naive
 * i-k-j triple loop (float64 accumulate into the float32 output row, unit stride over B's rows)
 * on the same operands and layout, timed the same way.
 *
 * matmul is timed writing into a preallocated `out` (the kernel, as a training loop calls it);
 * "best" is the fastest of those runs (a hint when the machine is busy), GFLOP/s uses the median;
 * the "fresh" column is matmul(a, b) allocating its result each call (includes page faults).
 */
import { cpus } from 'node:os';
import { matmul, randn, type Tensor, zeros } from '../src/index.js';

const WARMUP = 2;
const REPS = 9;

interface Case {
  name: string;
  a: Tensor;
  b: Tensor;
}

const f32 = (shape: number[], seed: number) => randn(shape, { seed });
const cases: Case[] = [
  { name: '512x512 @ 512x512', a: f32([512, 512], 1), b: f32([512, 512], 2) },
  { name: '[8192,128] @ [128,512]  (MLP up)', a: f32([64 * 128, 128], 3), b: f32([128, 512], 4) },
  { name: '[8192,512] @ [512,128]  (MLP down)', a: f32([64 * 128, 512], 5), b: f32([512, 128], 6) },
  { name: '[8192,128] @ W^T, W [512,128]', a: f32([64 * 128, 128], 7), b: f32([512, 128], 8).transpose() },
];

/** Operand as (data, offset, row stride, column stride) for the plain loops below. */
function layout(t: Tensor) {
  return { d: t.data, off: t.offset, rs: t.strides[0]!, cs: t.strides[1]! };
}

/** The oracle: C[i,j] = sum_p A[i,p] B[p,j], one float64 dot product per element. */
function reference(a: Tensor, b: Tensor): Float64Array {
  const [M, K] = a.shape as [number, number];
  const N = b.shape[1]!;
  const A = layout(a);
  const B = layout(b);
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let p = 0; p < K; p++) s += A.d[A.off + i * A.rs + p * A.cs]! * B.d[B.off + p * B.rs + j * B.cs]!;
      c[i * N + j] = s;
    }
  }
  return c;
}

/** Baseline: the textbook i-k-j loop, row of C accumulated in float64, then stored. */
function naive(a: Tensor, b: Tensor, out: Float32Array, row: Float64Array): void {
  const [M, K] = a.shape as [number, number];
  const N = b.shape[1]!;
  const A = layout(a);
  const B = layout(b);
  for (let i = 0; i < M; i++) {
    row.fill(0);
    for (let p = 0; p < K; p++) {
      const av = A.d[A.off + i * A.rs + p * A.cs]!;
      const q = B.off + p * B.rs;
      for (let j = 0; j < N; j++) row[j]! += av * B.d[q + j * B.cs]!;
    }
    for (let j = 0; j < N; j++) out[i * N + j] = row[j]!;
  }
}

/** Median and best of REPS timed runs, after WARMUP untimed ones. */
function time(fn: () => void): { median: number; best: number } {
  for (let i = 0; i < WARMUP; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return { median: times[REPS >> 1]!, best: times[0]! };
}

console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} (${cpus().length} cores)`);
console.log(`float32 operands; median of ${REPS} runs after ${WARMUP} warmup runs\n`);
const header = [
  'case',
  'maxdiff',
  'matmul ms',
  'best ms',
  'GFLOP/s',
  'fresh ms',
  'naive ms',
  'naive GF/s',
  'speedup',
];
const rows: string[][] = [];
let failed = false;
for (const { name, a, b } of cases) {
  const [M, K] = a.shape as [number, number];
  const N = b.shape[1]!;
  const flops = 2 * M * N * K;
  const out = zeros([M, N]);

  // validate first: float32 result vs float64 reference
  matmul(a, b, out);
  const want = reference(a, b);
  let maxdiff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    maxdiff = Math.max(maxdiff, Math.abs(out.data[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  if (!(maxdiff <= 1e-6 * Math.max(1, scale))) failed = true; // float32 rounding of the result only

  const { median: ms, best } = time(() => matmul(a, b, out));
  const fresh = time(() => matmul(a, b)).median;
  const naiveOut = new Float32Array(M * N);
  const row = new Float64Array(N);
  const naiveMs = time(() => naive(a, b, naiveOut, row)).median;
  rows.push([
    name,
    maxdiff.toExponential(2),
    ms.toFixed(1),
    best.toFixed(1),
    (flops / ms / 1e6).toFixed(2),
    fresh.toFixed(1),
    naiveMs.toFixed(1),
    (flops / naiveMs / 1e6).toFixed(2),
    `${(naiveMs / ms).toFixed(1)}x`,
  ]);
}

const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
const line = (cells: string[]) =>
  cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!))).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
if (failed) {
  console.error('\nvalidation FAILED: a maxdiff exceeds 1e-6 * max|reference|');
  process.exitCode = 1;
}
