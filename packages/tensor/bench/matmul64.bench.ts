// float64 matmul, the JS kernel against the WebAssembly SIMD kernel:
//   cd packages/tensor && node --conditions=@normkit/source --import tsx bench/matmul64.bench.ts
//
// js: internal/gemm.ts (4 x 3 float64 tile), tensors on the JS heap; wasm: wasm/gemm64.ts (4 x 4
// f64x2 tile), tensors in the wasm memory; the same values, one thread, a preallocated output.
// As matmul.bench.ts: each result is first validated (wasm bit for bit against the float64
// running sum s = s + a_ip b_pj, js within gamma_K sum|a b| of it; the run fails otherwise), then
// both are timed interleaved: WARMUP untimed rounds, then REPS rounds, each round one batch per
// kernel (the call repeated for >= BATCH_MS, time per call). Reported: the median per kernel and
// the ratio of medians. GFLOP/s = 2*M*N*K / time. A noisy machine slows both alike: read ratios.
import { cpus } from 'node:os';
import { matmul, randn, setBackend, type Tensor, zeros } from '../src/index.js';
import { batchMs, reference } from './compare.js';

const WARMUP = 2;
const REPS = 9;
const BATCH_MS = 20;

const cases = [
  { name: '64^3', m: 64, k: 64, n: 64 },
  { name: '256^3', m: 256, k: 256, n: 256 },
  { name: '512^3', m: 512, k: 512, n: 512 },
  { name: 'GPT [8192,128]x[128,512]', m: 8192, k: 128, n: 512 },
];

function operands(m: number, k: number, n: number): { a: Tensor; b: Tensor; out: Tensor } {
  const dtype = 'float64';
  return {
    a: randn([m, k], { seed: 1, dtype }),
    b: randn([k, n], { seed: 2, dtype }),
    out: zeros([m, n], { dtype }),
  };
}

/** Time per call (ms) of f repeated for at least BATCH_MS. */
const batch = (f: () => void) => batchMs(f, BATCH_MS);

const median = (t: number[]) => [...t].sort((x, y) => x - y)[t.length >> 1]!;
const fmt = (t: number) => t.toFixed(t < 1 ? 3 : 2);

console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} (${cpus().length} cores)`);
console.log(
  `float64, one thread; median of ${REPS} interleaved rounds (batches >= ${BATCH_MS} ms) after ${WARMUP}\n`,
);
// let V8 tier both kernels up (wasm: baseline code first, optimized code swapped in when hot)
{
  setBackend('wasm');
  const w = operands(256, 256, 256);
  setBackend('js');
  const h = operands(256, 256, 256);
  const until = performance.now() + 1500;
  while (performance.now() < until) {
    setBackend('wasm');
    matmul(w.a, w.b, w.out);
    setBackend('js');
    matmul(h.a, h.b, h.out);
  }
}

const rows: string[] = [];
let failed = false;
for (const { name, m, k, n } of cases) {
  setBackend('js');
  const js = operands(m, k, n);
  setBackend('wasm');
  const wasm = operands(m, k, n);
  const runJs = () => {
    setBackend('js');
    matmul(js.a, js.b, js.out);
  };
  const runWasm = () => {
    setBackend('wasm');
    matmul(wasm.a, wasm.b, wasm.out);
  };
  runJs();
  runWasm();
  const ref = reference(js.a, js.b);
  const g64 = (k * 2 ** -53) / (1 - k * 2 ** -53);
  let wasmExact = true;
  let jsOk = true;
  for (let i = 0; i < ref.c.length; i++) {
    if (!Object.is(wasm.out.data[i], ref.c[i])) wasmExact = false;
    if (!(Math.abs(js.out.data[i]! - ref.c[i]!) <= g64 * ref.abs[i]!)) jsOk = false;
  }
  if (!wasmExact || !jsOk) {
    console.error(`${name}: validation failed (wasm exact: ${wasmExact}, js within bound: ${jsOk})`);
    failed = true;
  }
  const tJs: number[] = [];
  const tWasm: number[] = [];
  for (let r = 0; r < WARMUP + REPS; r++) {
    const a = batch(runJs);
    const b = batch(runWasm);
    if (r >= WARMUP) {
      tJs.push(a);
      tWasm.push(b);
    }
  }
  const mj = median(tJs);
  const mw = median(tWasm);
  const gf = (t: number) => ((2 * m * n * k) / (t * 1e6)).toFixed(1);
  rows.push(
    `| ${name} | ${m}×${k}×${n} | ${fmt(mj)} | ${fmt(mw)} | ${gf(mj)} | ${gf(mw)} | ${(mj / mw).toFixed(2)}× |`,
  );
}
setBackend('js');
console.log('| case | M×K×N | js ms | wasm ms | js GFLOP/s | wasm GFLOP/s | js / wasm |');
console.log('|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
if (failed) process.exit(1);
