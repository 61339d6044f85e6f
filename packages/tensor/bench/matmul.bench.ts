/**
 * matmul benchmark: `pnpm --filter @normkit/tensor bench` (node --import tsx bench/matmul.bench.ts).
 *
 * float32 C = A B three ways on the same values, side by side:
 * - js:   the JS kernel (internal/gemm.ts, float64 sums), tensors on the JS heap;
 * - wasm: the WebAssembly SIMD kernel (wasm/gemm.ts, float32 sums), tensors in the wasm memory;
 * - tfjs-wasm: @tensorflow/tfjs-backend-wasm (XNNPACK, one thread), when apps/bench's
 *   node_modules has it (the column says n/a otherwise). tf.matMul runs synchronously in that
 *   backend, so it is timed like the bench app does: matMul, then dispose the previous result.
 * As llm.c's dev/ kernels: every implementation is first validated against a plain float64 triple
 * loop (maxdiff printed; the run fails if it is out of tolerance), then timed. The three are timed
 * interleaved (one call each per round, WARMUP untimed rounds first) so a busy machine slows them
 * alike, and the median of REPS rounds is reported; ratios are of medians from the same run.
 * GFLOP/s = 2*M*N*K / time. Everything writes into a preallocated output (as a training loop).
 */
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { matmul, randn, setBackend, type Tensor, zeros } from '../src/index.js';
import { reference } from './compare.js';

const WARMUP = 3;
const REPS = 9;

interface Case {
  name: string;
  m: number;
  k: number;
  n: number;
  /** Which operand is a transposed view: 'b' is x @ W^T (W [N, K]), 'a' is x^T @ dy (x [K, M]). */
  transposed?: 'a' | 'b';
}

const cases: Case[] = [
  { name: '512^3', m: 512, k: 512, n: 512 },
  { name: 'GPT qkv', m: 8192, k: 128, n: 384 },
  { name: 'GPT MLP up', m: 8192, k: 128, n: 512 },
  { name: 'GPT MLP down', m: 8192, k: 512, n: 128 },
  { name: 'GPT x @ W^T', m: 8192, k: 128, n: 512, transposed: 'b' },
  { name: 'GPT dW = x^T @ dy', m: 128, k: 8192, n: 512, transposed: 'a' },
  { name: 'thin (bench app)', m: 65536, k: 64, n: 64 },
  { name: 'attention-sized', m: 64, k: 32, n: 64 },
];

interface TfMatmul {
  run: () => void;
  result: () => Float32Array;
  dispose: () => void;
}

/** tfjs-core + tfjs-backend-wasm from apps/bench's dependencies, or null when not installed. */
async function loadTfjsWasm(): Promise<{ note: string; prepare: (a: Tensor, b: Tensor) => TfMatmul } | null> {
  // biome-ignore lint/suspicious/noExplicitAny: an optional peer, loaded without its types
  let tf: any;
  try {
    const require = createRequire(new URL('../../../apps/bench/package.json', import.meta.url));
    tf = require('@tensorflow/tfjs-core');
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    tf.enableProdMode();
    if (!(await tf.setBackend('wasm'))) return null;
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    return {
      note: `tfjs-core ${tf.version_core}, wasm ${wasm.version_wasm}, ${simd ? 'SIMD' : 'no SIMD'}, ${wasm.getThreadsCount()} thread(s)`,
      prepare: (a, b) => {
        // the same values, in tfjs's own memory; a transposed operand is handed over as such
        const ta = a.isContiguous()
          ? tf.tensor(a.toTypedArray(), a.shape)
          : tf.tensor(a.transpose().toTypedArray(), [a.shape[1], a.shape[0]]);
        const tb = b.isContiguous()
          ? tf.tensor(b.toTypedArray(), b.shape)
          : tf.tensor(b.transpose().toTypedArray(), [b.shape[1], b.shape[0]]);
        let last: { dispose(): void; dataSync(): Float32Array } | null = null;
        return {
          run: () => {
            last?.dispose();
            last = tf.matMul(ta, tb, !a.isContiguous(), !b.isContiguous());
          },
          result: () => last!.dataSync(),
          dispose: () => tf.dispose([ta, tb, ...(last ? [last] : [])]),
        };
      },
    };
  } catch {
    return null;
  }
}

/** The operands of a case as tensors of the current backend (same seeds, so the same values). */
function operands(c: Case): { a: Tensor; b: Tensor; out: Tensor } {
  const a =
    c.transposed === 'a' ? randn([c.k, c.m], { seed: 1 }).transpose() : randn([c.m, c.k], { seed: 1 });
  const b =
    c.transposed === 'b' ? randn([c.n, c.k], { seed: 2 }).transpose() : randn([c.k, c.n], { seed: 2 });
  return { a, b, out: zeros([c.m, c.n]) };
}

/**
 * maxdiff against the reference, and whether it is within tolerance. float32 sums (wasm, XNNPACK):
 * Higham's gamma_K * sum|a b| with u = 2^-24. float64 sums rounded once (js): half an ulp of the
 * result, 2^-24 |c|, plus the float64 summation error gamma_K * sum|a b| with u = 2^-53 (it shows
 * where terms cancel and c is tiny).
 */
function validate(
  got: ArrayLike<number>,
  ref: { c: Float64Array; abs: Float64Array },
  k: number,
  f32Sums: boolean,
) {
  const gamma = (u: number) => (k * u) / (1 - k * u);
  const g32 = gamma(2 ** -24);
  const g64 = gamma(2 ** -53);
  let maxdiff = 0;
  let ok = true;
  for (let i = 0; i < ref.c.length; i++) {
    const d = Math.abs(got[i]! - ref.c[i]!);
    maxdiff = Math.max(maxdiff, d);
    const bound = f32Sums ? g32 * ref.abs[i]! : 2 ** -24 * Math.abs(ref.c[i]!) + g64 * ref.abs[i]!;
    if (!(d <= bound)) ok = false;
  }
  return { maxdiff, ok };
}

const median = (t: number[]) => [...t].sort((x, y) => x - y)[t.length >> 1]!;
const ms = (t: number) => t.toFixed(t < 1 ? 4 : 2);

const tf = await loadTfjsWasm();
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} (${cpus().length} cores)`);
console.log(`tfjs-wasm: ${tf ? tf.note : 'n/a (not installed in apps/bench)'}`);
console.log(`float32; median of ${REPS} interleaved rounds after ${WARMUP} warmup rounds\n`);
// V8 first runs wasm through its baseline compiler and swaps in optimized code (compiled in the
// background) once a function is hot; on a busy machine that can take a few hundred ms. Warm every
// implementation up on a mid-sized product first so the first case is not timed half-optimized.
{
  const warm: Case = { name: 'warm-up', m: 256, k: 256, n: 256 };
  setBackend('wasm');
  const w = operands(warm);
  setBackend('js');
  const peer = tf?.prepare(w.a, w.b);
  const until = performance.now() + 1500;
  setBackend('wasm');
  while (performance.now() < until) {
    matmul(w.a, w.b, w.out);
    peer?.run();
  }
  setBackend('js');
  peer?.dispose();
}

const header = [
  'case',
  'M x K x N',
  'js ms',
  'wasm ms',
  'tfjs-wasm ms',
  'wasm GF/s',
  'wasm/js',
  'wasm/tfjs',
  'maxdiff wasm',
];
const rows: string[][] = [];
let failed = false;
for (const c of cases) {
  setBackend('js');
  const js = operands(c);
  setBackend('wasm');
  const wasm = operands(c);
  setBackend('js');
  const ref = reference(js.a, js.b);
  const peer: TfMatmul | null = tf ? tf.prepare(js.a, js.b) : null;

  const runs: [string, () => void][] = [
    ['js', () => matmul(js.a, js.b, js.out)],
    ['wasm', () => matmul(wasm.a, wasm.b, wasm.out)],
  ];
  if (peer) runs.push(['tfjs-wasm', peer.run]);
  // validate first (the first call also instantiates and tiers up nothing: warmup follows)
  setBackend('wasm'); // the wasm kernel runs only under the wasm backend
  for (const [, run] of runs) run();
  const checks = {
    js: validate(js.out.data, ref, c.k, false),
    wasm: validate(wasm.out.data, ref, c.k, true),
    tfjs: peer ? validate(peer.result(), ref, c.k, true) : null,
  };
  for (const [name, check] of Object.entries(checks)) {
    if (check && !check.ok) {
      failed = true;
      console.error(`${c.name}: ${name} out of tolerance (maxdiff ${check.maxdiff.toExponential(2)})`);
    }
  }
  for (let w = 0; w < WARMUP; w++) for (const [, run] of runs) run();
  const times = runs.map(() => [] as number[]);
  for (let r = 0; r < REPS; r++) {
    runs.forEach(([, run], i) => {
      const t0 = performance.now();
      run();
      times[i]!.push(performance.now() - t0);
    });
  }
  setBackend('js');
  peer?.dispose();
  const [jsMs, wasmMs, tfMs] = times.map(median) as [number, number, number | undefined];
  const flops = 2 * c.m * c.n * c.k;
  const t = c.transposed ? ` (${c.transposed}^T)` : '';
  rows.push([
    c.name,
    `${c.m}x${c.k}x${c.n}${t}`,
    ms(jsMs),
    ms(wasmMs),
    tfMs === undefined ? 'n/a' : ms(tfMs),
    (flops / wasmMs / 1e6).toFixed(1),
    `${(jsMs / wasmMs).toFixed(1)}x`,
    tfMs === undefined ? 'n/a' : `${(tfMs / wasmMs).toFixed(2)}x`,
    checks.wasm.maxdiff.toExponential(1),
  ]);
}

const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
const line = (cells: string[]) =>
  cells.map((s, c) => (c < 2 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!))).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
console.log(
  '\nwasm/js, wasm/tfjs: how many times faster the wasm kernel is (ratio of medians of the same run)',
);
if (failed) {
  console.error('\nvalidation FAILED (see above)');
  process.exitCode = 1;
}
