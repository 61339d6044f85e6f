/**
 * Kernel throughput of @normkit/norms (float32) on both backends, side by side in one run, llm.c
 * style: every kernel is first checked against its float64 reference (maxdiff printed), then timed.
 *
 *   node --conditions=@normkit/source --import tsx bench/norms.bench.ts [--quick]
 *
 * (--conditions runs @normkit/tensor from source; without it, build @normkit/tensor first.)
 * Each shape's inputs are made twice from the same seeds: once on the 'js' backend (JS-heap
 * arrays, JS kernels), once on 'wasm' (views of the wasm memory, WebAssembly SIMD kernels).
 * Timing: 3 warmup calls, then REPS timed calls; the median (and the minimum, which is less
 * disturbed by other processes on a shared machine) is reported. Outputs are preallocated and
 * reused through `out` (as a training loop does). GB/s = (bytes read + bytes written) / median,
 * with bytes counted once per tensor touched: e.g. LayerNorm forward on [M, N] reads x (4MN) and
 * weight/bias (8N) and writes y (4MN) and the float64 mean/rstd (16M); the backward reads dy, x
 * (8MN), weight (4N), mean/rstd (16M) and writes dx (4MN), dWeight, dBias (8N). "vs copy" divides
 * by the GB/s of Float32Array.prototype.set copying x into a preallocated array of the same
 * storage in the same run (4MN read + 4MN written): the memory-bound ceiling. "row offsets": x
 * with each row shifted by a uniform offset in [-2, 2] (apps/bench's inputs). "naive" is a
 * straightforward two-pass JS LayerNorm. BatchNorm runs on [M, N] (C = N); GroupNorm (4 groups)
 * and InstanceNorm on [M/8, 8, N].
 */
import { loadavg } from 'node:os';
import {
  configureWasm,
  Generator,
  randn,
  setBackend,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from '@normkit/tensor';
import * as norms from '../src/index.js';

const QUICK = process.argv.includes('--quick');
const SHAPES: [number, number][] = QUICK
  ? [
      [8192, 768],
      [512, 768],
    ]
  : [
      [8192, 768],
      [2048, 4096],
      [65536, 64],
      [512, 768],
    ];
const BACKENDS = ['js', 'wasm'] as const;
type Backend = (typeof BACKENDS)[number];
const WARMUP = 3;
const REPS = 9;

interface Op {
  name: string;
  bytes: number;
  /** max |fast - reference| over every output, both in float32 */
  check: () => number;
  run: () => void;
}

interface Timing {
  median: number;
  min: number;
}

/** { median, min } of REPS timed calls after WARMUP untimed ones, in ms. */
function timeIt(f: () => void): Timing {
  for (let i = 0; i < WARMUP; i++) f();
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[(REPS - 1) >> 1]!, min: times[0]! };
}

function maxdiff(pairs: [Tensor | null | undefined, Tensor | null | undefined][]): number {
  let m = 0;
  for (const [a, b] of pairs) {
    if (!a || !b) continue;
    const x = a.toTypedArray();
    const y = b.toTypedArray();
    for (let i = 0; i < x.length; i++) {
      const d = Math.abs(x[i]! - y[i]!);
      if (!(d <= m)) m = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
    }
  }
  return m;
}

/** The baseline: two passes for mean and variance, one for y, one accumulator, no specialization. */
function naiveLayerNorm(
  x: Float32Array,
  y: Float32Array,
  w: Float32Array,
  b: Float32Array,
  M: number,
  N: number,
) {
  for (let r = 0; r < M; r++) {
    let sum = 0;
    for (let i = 0; i < N; i++) sum += x[r * N + i]!;
    const mean = sum / N;
    let sq = 0;
    for (let i = 0; i < N; i++) sq += (x[r * N + i]! - mean) ** 2;
    const rstd = 1 / Math.sqrt(sq / N + 1e-5);
    for (let i = 0; i < N; i++) y[r * N + i] = (x[r * N + i]! - mean) * rstd * w[i]! + b[i]!;
  }
}

// The other families are looked up by name: they are optional in this script.
type Fn = (...args: unknown[]) => Record<string, Tensor | null>;
const api = norms as unknown as Record<string, Fn | undefined>;

interface Inputs {
  M: number;
  N: number;
  x: Tensor;
  /** x with a per-row offset uniform in [-2, 2] (as apps/bench's inputs: mean subtraction matters) */
  xOff: Tensor;
  dy: Tensor;
  w: Tensor;
  b: Tensor;
}

function rowOps({ M, N, x, xOff, dy, w, b }: Inputs, backend: Backend): Op[] {
  const f4 = 4 * M * N;
  const y = zeros([M, N]);
  const st = { y, mean: zeros([M], { dtype: 'float64' }), rstd: zeros([M], { dtype: 'float64' }) };
  const g = { dx: zeros([M, N]), dWeight: zeros([N]), dBias: zeros([N]) };
  const ln = norms.layerNormForward(x, [N], { weight: w, bias: b });
  const rms = norms.rmsNormForward(x, [N], { weight: w });
  const ops: Op[] = [
    {
      name: 'layerNorm fwd',
      bytes: 2 * f4 + 8 * N + 16 * M,
      check: () => {
        const r = norms.layerNormReference(x, [N], { weight: w, bias: b });
        norms.layerNormForward(x, [N], { weight: w, bias: b, out: st });
        return maxdiff([[st.y, r.y]]);
      },
      run: () => norms.layerNormForward(x, [N], { weight: w, bias: b, out: st }),
    },
    {
      name: 'layerNorm fwd, row offsets',
      bytes: 2 * f4 + 8 * N + 16 * M,
      check: () => {
        const r = norms.layerNormReference(xOff, [N], { weight: w, bias: b });
        norms.layerNormForward(xOff, [N], { weight: w, bias: b, out: st });
        return maxdiff([[st.y, r.y]]);
      },
      run: () => norms.layerNormForward(xOff, [N], { weight: w, bias: b, out: st }),
    },
    {
      name: 'layerNorm bwd',
      bytes: 3 * f4 + 12 * N + 16 * M,
      check: () => {
        const r = norms.layerNormBackwardReference(dy, x, [N], ln, { weight: w });
        const o = norms.layerNormBackward(dy, x, [N], ln, { weight: w, out: g });
        return maxdiff([
          [o.dx, r.dx],
          [o.dWeight, r.dWeight],
          [o.dBias, r.dBias],
        ]);
      },
      run: () => norms.layerNormBackward(dy, x, [N], ln, { weight: w, out: g }),
    },
    {
      name: 'rmsNorm fwd',
      bytes: 2 * f4 + 4 * N + 8 * M,
      check: () => {
        const o = norms.rmsNormForward(x, [N], { weight: w, out: { y, rstd: st.rstd } });
        return maxdiff([[o.y, norms.rmsNormReference(x, [N], { weight: w }).y]]);
      },
      run: () => norms.rmsNormForward(x, [N], { weight: w, out: { y, rstd: st.rstd } }),
    },
    {
      name: 'rmsNorm bwd',
      bytes: 3 * f4 + 8 * N + 8 * M,
      check: () => {
        const r = norms.rmsNormBackwardReference(dy, x, [N], rms, { weight: w });
        const o = norms.rmsNormBackward(dy, x, [N], rms, { weight: w, out: g });
        return maxdiff([
          [o.dx, r.dx],
          [o.dWeight, r.dWeight],
        ]);
      },
      run: () => norms.rmsNormBackward(dy, x, [N], rms, { weight: w, out: g }),
    },
  ];
  if (backend === 'js') {
    const [xd, yd, wd, bd] = [x, y, w, b].map((t) => t.data as Float32Array) as Float32Array[];
    ops.push({
      name: 'naive layerNorm fwd',
      bytes: 2 * f4 + 8 * N,
      check: () => {
        naiveLayerNorm(xd!, yd!, wd!, bd!, M, N);
        return maxdiff([[y, norms.layerNormReference(x, [N], { weight: w, bias: b }).y]]);
      },
      run: () => naiveLayerNorm(xd!, yd!, wd!, bd!, M, N),
    });
  }
  return ops;
}

/** A forward/backward pair of another family, looked up by name (skipped when absent). */
interface Family {
  name: string;
  bytes: [number, number];
  /** forward arguments (with `out`) */
  args: unknown[];
  /** leading backward arguments, given the saved statistics */
  lead: (saved: Record<string, Tensor | null>) => unknown[];
  weight: Tensor;
  grad: { dx: Tensor; dWeight: Tensor; dBias: Tensor };
}

function familyOps(f: Family): Op[] {
  const [F, B, R, RB] = ['Forward', 'Backward', 'Reference', 'BackwardReference'].map((k) => api[f.name + k]);
  if (!F || !B || !R || !RB) return [];
  let saved: Record<string, Tensor | null> = {};
  const backward = () => B(...f.lead(saved), { weight: f.weight, out: f.grad });
  return [
    {
      name: `${f.name} fwd`,
      bytes: f.bytes[0],
      check: () => {
        const r = R(...f.args);
        saved = F(...f.args);
        return maxdiff([[saved.y, r.y]]);
      },
      run: () => F(...f.args),
    },
    {
      name: `${f.name} bwd`,
      bytes: f.bytes[1],
      check: () => {
        const o = backward();
        const r = RB(...f.lead(saved), { weight: f.weight });
        return maxdiff([
          [o.dx, r.dx],
          [o.dWeight, r.dWeight],
          [o.dBias, r.dBias],
        ]);
      },
      run: backward,
    },
  ];
}

/**
 * BatchNorm (training; C = N channels, running statistics updated in place) on [M, N]; GroupNorm
 * (4 groups) and InstanceNorm on [M/8, 8, N]. Bytes: x and y, dy and dx as for LayerNorm, plus the
 * per-channel weight/bias (and running statistics, read and written) and float64 statistics.
 */
function channelOps({ M, N, x, dy, w, b }: Inputs): Op[] {
  const f4 = 4 * M * N;
  const stats = (shape: number[]) => ({
    mean: zeros(shape, { dtype: 'float64' }),
    rstd: zeros(shape, { dtype: 'float64' }),
  });
  const bn: Family = {
    name: 'batchNorm',
    bytes: [2 * f4 + 40 * N, 3 * f4 + 28 * N],
    args: [
      x,
      {
        weight: w,
        bias: b,
        runningMean: zeros([N]),
        runningVar: zeros([N]),
        training: true,
        out: { y: zeros([M, N]), ...stats([N]) },
      },
    ],
    lead: (s) => [dy, x, s],
    weight: w,
    grad: { dx: zeros([M, N]), dWeight: zeros([N]), dBias: zeros([N]) },
  };
  if (M % 8 !== 0) return familyOps(bn);
  const n = M / 8;
  const x3 = x.reshape([n, 8, N]);
  const dy3 = dy.reshape([n, 8, N]);
  const w8 = randn([8], { seed: 5 });
  const b8 = randn([8], { seed: 6 });
  const grad = { dx: zeros([n, 8, N]), dWeight: zeros([8]), dBias: zeros([8]) };
  const gn: Family = {
    name: 'groupNorm',
    bytes: [2 * f4 + 64 + 64 * n, 3 * f4 + 96 + 64 * n],
    args: [x3, 4, { weight: w8, bias: b8, out: { y: zeros([n, 8, N]), ...stats([n, 4]) } }],
    lead: (s) => [dy3, x3, 4, s],
    weight: w8,
    grad,
  };
  const inorm: Family = {
    name: 'instanceNorm',
    bytes: [2 * f4 + 64 + 128 * n, 3 * f4 + 96 + 128 * n],
    args: [x3, { weight: w8, bias: b8, out: { y: zeros([n, 8, N]), ...stats([n, 8]) } }],
    lead: (s) => [dy3, x3, s],
    weight: w8,
    grad,
  };
  return [bn, gn, inorm].flatMap(familyOps);
}

/** The same inputs (same seeds) in the storage of the current backend. */
function inputs(M: number, N: number): Inputs {
  const x = randn([M, N], { seed: 1 });
  const g = new Generator(7);
  const shifted = Float32Array.from(x.data as Float32Array);
  for (let r = 0; r < M; r++) {
    const offset = 4 * g.uniform() - 2;
    for (let j = 0; j < N; j++) shifted[r * N + j]! += offset;
  }
  return {
    M,
    N,
    x,
    xOff: tensor(shifted, [M, N]),
    dy: randn([M, N], { seed: 2 }),
    w: randn([N], { seed: 3 }),
    b: randn([N], { seed: 4 }),
  };
}

interface Result {
  diff: string;
  t: Timing | null;
  gbs: number;
}

function measure(op: Op): Result {
  try {
    // the references' outputs are freed right away (tidy), so the memory never fills up
    const diff = tidy(() => op.check()).toExponential(1);
    const t = timeIt(op.run);
    return { diff, t, gbs: op.bytes / t.median / 1e6 };
  } catch (error) {
    return { diff: `failed: ${(error as Error).message.slice(0, 50)}`, t: null, gbs: 0 };
  }
}

function benchShape(M: number, N: number, rows: string[][]): void {
  const shape = `[${M},${N}]`;
  const copyGBs: Record<string, number> = {};
  const ops: Record<string, Op[]> = {};
  const copyRow = [shape, 'copy (TypedArray.set)', '-', '-'];
  for (const backend of BACKENDS) {
    setBackend(backend);
    const inp = inputs(M, N);
    const dst = zeros([M, N]);
    const copy = timeIt(() => (dst.data as Float32Array).set(inp.x.data as Float32Array));
    copyGBs[backend] = (8 * M * N) / copy.median / 1e6;
    copyRow.push(`${copy.median.toFixed(3)} (${copy.min.toFixed(3)})`);
    ops[backend] = [...rowOps(inp, backend), ...channelOps(inp)];
  }
  rows.push([...copyRow, '-', `${copyGBs.wasm!.toFixed(1)}`, '1.00', '1.00']);
  for (const op of ops.js!) {
    const results: Partial<Record<Backend, Result>> = {};
    for (const backend of BACKENDS) {
      const twin = ops[backend]!.find((o) => o.name === op.name);
      if (!twin) continue;
      setBackend(backend);
      results[backend] = measure(twin);
    }
    const { js, wasm } = results;
    const ms = (r?: Result) => (r?.t ? `${r.t.median.toFixed(3)} (${r.t.min.toFixed(3)})` : '-');
    const ratio = (r: Result | undefined, backend: Backend) =>
      r?.t ? (r.gbs / copyGBs[backend]!).toFixed(3) : '-';
    rows.push([
      shape,
      op.name,
      js?.diff ?? '-',
      wasm?.diff ?? '-',
      ms(js),
      ms(wasm),
      js?.t && wasm?.t ? (js.t.median / wasm.t.median).toFixed(2) : '-',
      wasm?.t ? wasm.gbs.toFixed(2) : '-',
      ratio(js, 'js'),
      ratio(wasm, 'wasm'),
    ]);
  }
}

function main(): void {
  console.log(
    `node ${process.version}, load average ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}; times in ms: median (min) of ${REPS}`,
  );
  // room for two backends' worth of [8192, 768] tensors (sized up front: timed runs must not grow it)
  configureWasm({ memoryMiB: 1024 });
  const rows: string[][] = [
    [
      'shape',
      'op',
      'maxdiff js',
      'maxdiff wasm',
      'js ms',
      'wasm ms',
      'js/wasm',
      'wasm GB/s',
      'js vs copy',
      'wasm vs copy',
    ],
  ];
  // tidy frees every wasm tensor of a shape before the next one
  for (const [M, N] of SHAPES) tidy(() => benchShape(M, N, rows));
  setBackend('js');
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => `| ${r.map((v, c) => v.padEnd(widths[c]!)).join(' | ')} |`;
  console.log(line(rows[0]!));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows.slice(1)) console.log(line(r));
}

main();
