/**
 * LayerNorm/RMSNorm float32 kernels on the wasm backend at precision 'highest' (float64 lanes) and
 * 'high' (float32 lanes), against a plain copy of the same bytes, all in one run:
 *
 *   node --conditions=@normkit/source --import tsx bench/precision.bench.ts [--reps 15] [--quick]
 *        [--shape 8192x768 ...]
 *
 * Inputs as apps/bench (src/kernels/inputs.ts): x rows N(0, 1) plus a per-row offset uniform in
 * [-2, 2], dy N(0, 1), weight N(1, 0.1), bias N(0, 0.1), eps 1e-5, outputs preallocated. Bytes as
 * apps/bench (src/kernels/cases.ts, bytesOf): every tensor read once and written once (forward:
 * x, y, weight, bias, float64 mean/rstd; backward: dy, x, dx, stats, weight, dWeight, dBias), and
 * "copy" is apps/bench's floor (src/timing.ts, CopyFloor): Float32Array.prototype.set of bytes / 8
 * float32 values into a preallocated array (each value read and written: 8 bytes), timed as the
 * app times it: WARMUP then REPS calls back to back. The two kernels are timed in rotation, one
 * call of each per round (a disturbance from other jobs on a shared machine hits both alike);
 * after WARMUP rounds, the median of REPS rounds is reported with the minimum in parentheses (the
 * least disturbed call), and "x copy" = median / copy median. Every kernel is first checked
 * against the float64 reference (maxdiff printed, relative to the largest |reference| of each
 * output).
 */
import { loadavg } from 'node:os';
import { Generator, setBackend, type Tensor, tensor, tidy, zeros } from '@normkit/tensor';
import * as norms from '../src/index.js';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const REPS = Number(argv[argv.indexOf('--reps') + 1]) || 15;
const WARMUP = 3;
const ASKED = argv
  .flatMap((a, i) => (argv[i - 1] === '--shape' ? [a.split('x').map(Number) as [number, number]] : []))
  .filter(([m, n]) => m! > 0 && n! > 0);
const SHAPES: [number, number][] = ASKED.length
  ? ASKED
  : QUICK
    ? [[8192, 768]]
    : [
        [8192, 768],
        [2048, 4096],
        [65536, 64],
        [512, 768],
      ];
const EPS = 1e-5;

setBackend('wasm');

interface Inputs {
  M: number;
  N: number;
  x: Tensor;
  dy: Tensor;
  w: Tensor;
  b: Tensor;
}

function inputs(M: number, N: number, seed: number): Inputs {
  const g = new Generator(seed);
  const x = new Float32Array(M * N);
  for (let r = 0; r < M; r++) {
    const offset = 2 * (2 * g.uniform() - 1);
    for (let j = 0; j < N; j++) x[r * N + j] = g.normal() + offset;
  }
  const normals = (n: number, scale: number, shift: number) =>
    Float32Array.from({ length: n }, () => g.normal() * scale + shift);
  return {
    M,
    N,
    x: tensor(x, [M, N]),
    dy: tensor(normals(M * N, 1, 0), [M, N]),
    w: tensor(normals(N, 0.1, 1), [N]),
    b: tensor(normals(N, 0.1, 0), [N]),
  };
}

interface Case {
  name: string;
  bytes: number;
  run: () => void;
  /** outputs of the last run, and the float64 reference */
  outputs: () => Record<string, Tensor>;
  reference: Record<string, Tensor>;
}

function cases({ M, N, x, dy, w, b }: Inputs): Case[] {
  const E = M * N;
  const f64 = { dtype: 'float64' as const };
  const y = zeros([M, N]);
  const ln = { y, mean: zeros([M], f64), rstd: zeros([M], f64) };
  const rms = { y: zeros([M, N]), rstd: zeros([M], f64) };
  const g = { dx: zeros([M, N]), dWeight: zeros([N]), dBias: zeros([N]) };
  const rg = { dx: zeros([M, N]), dWeight: zeros([N]) };
  // the backward reads the statistics of a 'highest' forward (what the reference uses too)
  norms.setNormPrecision('highest');
  const lnStats = norms.layerNormForward(x, [N], { weight: w, bias: b, eps: EPS });
  const rmsStats = norms.rmsNormForward(x, [N], { weight: w, eps: EPS });
  const lnRef = norms.layerNormReference(x, [N], { weight: w, bias: b, eps: EPS });
  const rmsRef = norms.rmsNormReference(x, [N], { weight: w, eps: EPS });
  return [
    {
      name: 'layerNorm fwd',
      bytes: 2 * E * 4 + 2 * N * 4 + 2 * M * 8,
      run: () => void norms.layerNormForward(x, [N], { weight: w, bias: b, eps: EPS, out: ln }),
      outputs: () => ({ y: ln.y, mean: ln.mean, rstd: ln.rstd }),
      reference: { y: lnRef.y, mean: lnRef.mean, rstd: lnRef.rstd },
    },
    {
      name: 'layerNorm bwd',
      bytes: 3 * E * 4 + 2 * M * 8 + N * 4 + 2 * N * 4,
      run: () => void norms.layerNormBackward(dy, x, [N], lnStats, { weight: w, out: g }),
      outputs: () => g,
      reference: grads(norms.layerNormBackwardReference(dy, x, [N], lnStats, { weight: w })),
    },
    {
      name: 'rmsNorm fwd',
      bytes: 2 * E * 4 + N * 4 + M * 8,
      run: () => void norms.rmsNormForward(x, [N], { weight: w, eps: EPS, out: rms }),
      outputs: () => rms,
      reference: { y: rmsRef.y, rstd: rmsRef.rstd },
    },
    {
      name: 'rmsNorm bwd',
      bytes: 3 * E * 4 + M * 8 + N * 4 + N * 4,
      run: () => void norms.rmsNormBackward(dy, x, [N], rmsStats, { weight: w, out: rg }),
      outputs: () => rg,
      reference: { dx: norms.rmsNormBackwardReference(dy, x, [N], rmsStats, { weight: w }).dx! },
    },
  ];
}

/** the gradients a backward computed, by name */
function grads(r: {
  dx: Tensor | null;
  dWeight: Tensor | null;
  dBias: Tensor | null;
}): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(r)) if (v) out[k] = v;
  return out;
}

/** max over outputs of max |a - ref| / max |ref| */
function check(c: Case): string {
  let worst = 0;
  let which = '';
  for (const [k, ref] of Object.entries(c.reference)) {
    const a = c.outputs()[k]!.toTypedArray();
    const r = ref.toTypedArray();
    let d = 0;
    let scale = 0;
    for (let i = 0; i < r.length; i++) {
      const e = Math.abs(a[i]! - r[i]!);
      if (!(e <= d)) d = Number.isNaN(e) ? Number.POSITIVE_INFINITY : e;
      scale = Math.max(scale, Math.abs(r[i]!));
    }
    if (d / scale >= worst) {
      worst = d / scale;
      which = k;
    }
  }
  return `${worst.toExponential(1)} (${which})`;
}

/** Float32Array.prototype.set of bytes / 8 values, as apps/bench's CopyFloor */
function copier(bytes: number): () => void {
  const n = Math.max(1, Math.round(bytes / 8));
  const src = new Float32Array(n);
  for (let i = 0; i < n; i++) src[i] = i;
  const dst = new Float32Array(n).fill(1);
  return () => dst.set(src);
}

function median(a: number[]): number {
  const s = a.slice().sort((p, q) => p - q);
  return s[(s.length - 1) >> 1]!;
}

function time(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

const fmt = (ms: number) => (ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));
console.log(
  `# precision bench, ${REPS} rounds after ${WARMUP} warmups, load average ${loadavg()[0]!.toFixed(1)}`,
);
console.log(
  '| shape | op | copy ms | highest ms | x copy | high ms | x copy | highest/high | high maxdiff |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const [M, N] of SHAPES) tidy(() => benchShape(M, N));
norms.setNormPrecision('highest');

/** One shape's four kernels, inside tidy(): its tensors are freed before the next shape. */
function benchShape(M: number, N: number): void {
  for (const c of cases(inputs(M, N, 1))) {
    const copy = copier(c.bytes);
    const times: Record<string, number[]> = { copy: [], highest: [], high: [] };
    for (let i = 0; i < WARMUP + REPS; i++) {
      const t = time(copy);
      if (i >= WARMUP) times.copy!.push(t);
    }
    const variants = {
      highest: () => {
        norms.setNormPrecision('highest');
        c.run();
      },
      high: () => {
        norms.setNormPrecision('high');
        c.run();
      },
    };
    variants.high();
    const maxdiff = check(c);
    for (let round = 0; round < WARMUP + REPS; round++) {
      for (const [k, f] of Object.entries(variants)) {
        const t = time(f);
        if (round >= WARMUP) times[k]!.push(t);
      }
    }
    const [tc, th, tf] = ['copy', 'highest', 'high'].map((k) => median(times[k]!)) as [
      number,
      number,
      number,
    ];
    const [mc, mh, mf] = ['copy', 'highest', 'high'].map((k) => Math.min(...times[k]!)) as [
      number,
      number,
      number,
    ];
    const cell = (t: number, m: number) => `${fmt(t)} (${fmt(m)})`;
    console.log(
      `| [${M},${N}] | ${c.name} | ${cell(tc, mc)} | ${cell(th, mh)} | ${(th / tc).toFixed(2)} | ${cell(tf, mf)} | ${(tf / tc).toFixed(2)} | ${(th / tf).toFixed(2)} | ${maxdiff} |`,
    );
  }
}
