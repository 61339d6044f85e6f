// Time of one GPT training update (train(): forward, backward, clip, AdamW) on the js and the wasm
// backend, in the same process, interleaved step by step: median of `steps` timed updates (default
// 5) after 2 warm-up ones per backend. On a shared machine use 30 or more steps: the median of 5 moves
// by 10-20% from run to run.
// Run: node --conditions=@normkit/source --import tsx bench/train-step.bench.ts [memoryMiB] [case label prefix] [steps]
// (memoryMiB: the wasm memory's size; empty for the library default, 1 GiB)
import { AdamW } from '@normkit/nn';
import { configureWasm, type Generator, randint, setBackend, wasmMemoryStats } from '@normkit/tensor';
import { GPT, type GPTConfig } from '../src/gpt.js';
import { type Batch, train } from '../src/train.js';

type Case = { label: string; config: GPTConfig; batch: number };

const cases: Case[] = [
  // the bench app's quick transformer experiments (E2, E3, E5): 4 layers, C 32, T 32, B 8
  { label: 'quick L4 C32 T32 B8', config: cfg(4, 32, 4, 32), batch: 8 },
  // E1's quick config: 6 layers, C 64, T 32, B 16
  { label: 'E1 quick L6 C64 T32 B16', config: cfg(6, 64, 4, 32), batch: 16 },
  // the GPT matmul shapes: C 128 with B*T = 8192 tokens (a step's high water is ~570 MiB:
  // it needs the 1 GiB default; see the heap fallbacks column)
  { label: 'L2 C128 T32 B256', config: cfg(2, 128, 4, 32), batch: 256 },
];

function cfg(nLayer: number, nEmbd: number, nHead: number, blockSize: number): GPTConfig {
  return { vocabSize: 64, blockSize, nLayer, nHead, nEmbd, seed: 1 };
}

function dataFor(c: Case): (step: number, rng: Generator) => Batch {
  const T = c.config.blockSize;
  const stream = randint(0, 64, [T * 64 + 1], { seed: 5, dtype: 'float64' }).toTypedArray();
  return (_step, rng) => {
    const rows = Array.from({ length: c.batch }, () => rng.integer(0, stream.length - T - 1));
    return {
      idx: rows.map((r) => Array.from(stream.subarray(r, r + T))),
      targets: rows.map((r) => Array.from(stream.subarray(r + 1, r + T + 1))),
    };
  };
}

type Runner = { backend: 'js' | 'wasm'; update: () => Promise<number> };

function runner(backend: 'js' | 'wasm', c: Case): Runner {
  setBackend(backend); // the model, optimizer state and every tensor of its steps live there
  const model = new GPT(c.config);
  const optimizer = new AdamW(model.parameters(), { lr: 1e-3 });
  const data = dataFor(c);
  return {
    backend,
    async update() {
      setBackend(backend);
      const t0 = performance.now();
      await train({ model, optimizer, data, steps: 1, clipGradNorm: 1 });
      return performance.now() - t0;
    },
  };
}

// an explicit wasm memory size (before the first wasm allocation); default 1 GiB
if (process.argv[2]) configureWasm({ memoryMiB: Number(process.argv[2]) });
const only = process.argv[3] ?? '';
const steps = Number(process.argv[4] ?? 5);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

for (const c of cases.filter((x) => x.label.startsWith(only))) {
  const runners = [runner('js', c), runner('wasm', c)];
  const times = new Map<string, number[]>(runners.map((r) => [r.backend, []]));
  for (let i = 0; i < steps + 2; i++) {
    for (const r of runners) {
      const ms = await r.update();
      if (i >= 2) times.get(r.backend)!.push(ms);
    }
  }
  const js = median(times.get('js')!);
  const wasm = median(times.get('wasm')!);
  const s = wasmMemoryStats();
  console.log(
    `${c.label.padEnd(26)} js ${js.toFixed(1).padStart(8)} ms  wasm ${wasm.toFixed(1).padStart(7)} ms  ` +
      `speedup ${(js / wasm).toFixed(2)}x  [js ${times
        .get('js')!
        .map((t) => t.toFixed(0))
        .join(' ')}; ` +
      `wasm ${times
        .get('wasm')!
        .map((t) => t.toFixed(0))
        .join(' ')}]  wasm live ${(s.liveBytes / 2 ** 20).toFixed(1)} MiB, ` +
      `high water ${(s.highWaterBytes / 2 ** 20).toFixed(1)} MiB, heap fallbacks ${s.heapFallbacks}`,
  );
}
