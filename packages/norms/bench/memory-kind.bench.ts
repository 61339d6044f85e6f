// Are kernels slower on a shared (SharedArrayBuffer-backed) wasm memory than on a plain one?
//   node --conditions=@normkit/source --import tsx bench/memory-kind.bench.ts [rounds]
// The memory kind is fixed per process, so the driver runs child processes alternately (shared,
// plain, shared, plain, ...; NORMKIT_WASM_SHARED=0 makes a plain one) on the same seeded inputs.
// Each child reports, per op, the median of 9 timed batches (each >= 20 ms) after a warm-up; the
// driver prints the median over rounds per kind and the ratio shared / plain. Other load on the
// machine hits both kinds alike, so compare the ratios, not the absolute times.
// Ops: a plain copy of the bytes (TypedArray.set, the floor; the library's copies and fills go
// through wasm memory.copy / memory.fill on a shared memory), zeros() reusing a freed block (its
// zero-fill), JS kernels reading and writing wasm tensors (backend
// 'js' with preallocated wasm outputs), and the wasm kernels (LayerNorm/RMSNorm forward, add,
// matmul). LayerNorm [8192, 768] float32 is Issue 9's target shape.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  add,
  copyInto,
  dispose,
  isWasmMemoryShared,
  matmul,
  randn,
  setBackend,
  wasmByteOffset,
  zeros,
} from '@normkit/tensor';
import { layerNormForward, rmsNormForward } from '../src/index.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Milliseconds per call: median of 9 batches, each repeating f for >= 20 ms. */
function time(f: () => void): number {
  for (let i = 0; i < 3; i++) f();
  const batches: number[] = [];
  for (let b = 0; b < 9; b++) {
    let reps = 0;
    const t0 = performance.now();
    let t = t0;
    do {
      f();
      reps++;
      t = performance.now();
    } while (t - t0 < 20);
    batches.push((t - t0) / reps);
  }
  return median(batches);
}

function child(): void {
  setBackend('wasm');
  const [M, N] = [8192, 768];
  const x = randn([M, N], { seed: 1 });
  const x2 = randn([M, N], { seed: 2 });
  const w = randn([N], { seed: 3 });
  const b = randn([N], { seed: 4 });
  const y = zeros([M, N]);
  const mean = zeros([M], { dtype: 'float64' });
  const rstd = zeros([M], { dtype: 'float64' });
  const a5 = randn([512, 512], { seed: 5 });
  const b5 = randn([512, 512], { seed: 6 });
  const c5 = zeros([512, 512]);
  const a2 = randn([256, 256], { seed: 7 });
  const c2 = zeros([256, 256]);
  for (const t of [x, x2, w, b, y, mean, rstd, a5, b5, c5, a2, c2]) {
    if (wasmByteOffset(t) === null) throw new Error('bench: a tensor is not in the wasm memory');
  }
  const out = { y, mean, rstd };
  const results: Record<string, number> = {};
  const run = (name: string, backend: 'js' | 'wasm', f: () => void) => {
    setBackend(backend);
    results[name] = time(f);
  };
  run('TypedArray.set [8192,768]', 'wasm', () => y.data.set(x.data));
  run('copyInto [8192,768]', 'wasm', () => copyInto(y, x));
  run('zeros [8192,768] reused', 'wasm', () => dispose(zeros([M, N])));
  run('js add [8192,768]', 'js', () => add(x, x2, y));
  run('js layerNorm [8192,768]', 'js', () => layerNormForward(x, [N], { weight: w, bias: b, out }));
  run('js rmsNorm [8192,768]', 'js', () => rmsNormForward(x, [N], { weight: w, out: { y, rstd } }));
  run('js matmul 256^3', 'js', () => matmul(a2, a2, c2));
  run('wasm add [8192,768]', 'wasm', () => add(x, x2, y));
  run('wasm layerNorm [8192,768]', 'wasm', () => layerNormForward(x, [N], { weight: w, bias: b, out }));
  run('wasm rmsNorm [8192,768]', 'wasm', () => rmsNormForward(x, [N], { weight: w, out: { y, rstd } }));
  run('wasm matmul 512^3', 'wasm', () => matmul(a5, b5, c5));
  console.log(JSON.stringify({ shared: isWasmMemoryShared(), results }));
}

function driver(rounds: number): void {
  const self = fileURLToPath(import.meta.url);
  const runs: Record<'shared' | 'plain', Record<string, number>[]> = { shared: [], plain: [] };
  for (let r = 0; r < rounds; r++) {
    for (const kind of ['shared', 'plain'] as const) {
      const env = { ...process.env, NORMKIT_WASM_SHARED: kind === 'plain' ? '0' : '1' };
      const args = ['--conditions=@normkit/source', '--import', 'tsx', self, '--child'];
      const line = execFileSync(process.execPath, args, { env, encoding: 'utf8' }).trim().split('\n').pop()!;
      const { shared, results } = JSON.parse(line) as { shared: boolean; results: Record<string, number> };
      if (shared !== (kind === 'shared'))
        throw new Error(`bench: asked for a ${kind} memory, got shared=${shared}`);
      runs[kind].push(results);
    }
  }
  console.log(`median over ${rounds} alternating runs per kind, ms per call`);
  console.log('op'.padEnd(28), 'shared'.padStart(9), 'plain'.padStart(9), 'shared/plain'.padStart(13));
  for (const op of Object.keys(runs.shared[0]!)) {
    const s = median(runs.shared.map((x) => x[op]!));
    const p = median(runs.plain.map((x) => x[op]!));
    console.log(
      op.padEnd(28),
      s.toFixed(3).padStart(9),
      p.toFixed(3).padStart(9),
      (s / p).toFixed(3).padStart(13),
    );
  }
}

if (process.argv.includes('--child')) child();
else driver(Number(process.argv[2] ?? 5));
