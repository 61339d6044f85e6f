/**
 * DyT against LayerNorm, forward + backward through autograd (module forward, backward from a
 * given dy: x, alpha, weight and bias gradients), float32, on the js and the wasm backend.
 *
 *   node --conditions=@normkit/source --import tsx bench/dyt.bench.ts [M] [N] [reps]
 *
 * Default [8192, 768] (a GPT-2 small batch of 8192 tokens), 15 timed reps after 3 warm-up ones.
 * The four configurations run interleaved rep by rep (other processes on a shared machine then
 * disturb all alike); the median and the minimum per configuration are reported, in ms. Each rep
 * runs inside tidy() (its temporaries are freed, so the wasm memory does not fill) after
 * zeroGrad() (which frees the previous rep's parameter gradients).
 */
import { variable } from '@normkit/autograd';
import { type Backend, randn, setBackend, type Tensor, tidy } from '@normkit/tensor';
import { DyT } from '../src/norms/dyt.js';
import { LayerNorm } from '../src/norms/modules.js';

const [M, N, REPS] = [
  Number(process.argv[2] ?? 8192),
  Number(process.argv[3] ?? 768),
  Number(process.argv[4] ?? 15),
];
const WARMUP = 3;

interface Config {
  label: string;
  backend: Backend;
  step: () => void;
  times: number[];
}

function configs(backend: Backend): Config[] {
  setBackend(backend); // inputs and parameters in this backend's storage
  const x = randn([M, N], { seed: 1 });
  const dy = randn([M, N], { seed: 2 });
  const make = (name: string, m: DyT | LayerNorm): Config => ({
    label: `${name} ${backend}`,
    backend,
    times: [],
    step: () => {
      m.zeroGrad();
      tidy(() => {
        const y = m.forward(variable(x, { requiresGrad: true }));
        y.backward(dy as Tensor);
      });
    },
  });
  return [make('DyT', new DyT(N, { alphaInit: 0.5 })), make('LayerNorm', new LayerNorm(N))];
}

const all = [...configs('js'), ...configs('wasm')];
for (let rep = -WARMUP; rep < REPS; rep++) {
  for (const c of all) {
    setBackend(c.backend);
    const t0 = performance.now();
    c.step();
    if (rep >= 0) c.times.push(performance.now() - t0);
  }
}

const median = (t: number[]) => [...t].sort((a, b) => a - b)[(t.length - 1) >> 1]!;
const med = new Map(all.map((c) => [c.label, median(c.times)]));
console.log(`DyT vs LayerNorm, forward + backward, float32 [${M}, ${N}], median of ${REPS} (min) in ms`);
for (const c of all) {
  console.log(
    `  ${c.label.padEnd(16)} ${med.get(c.label)!.toFixed(1).padStart(7)}  (${Math.min(...c.times).toFixed(1)})`,
  );
}
const r = (a: string, b: string) => (med.get(a)! / med.get(b)!).toFixed(2);
console.log(`  DyT / LayerNorm: js ${r('DyT js', 'LayerNorm js')}, wasm ${r('DyT wasm', 'LayerNorm wasm')}`);
console.log(`  js / wasm: DyT ${r('DyT js', 'DyT wasm')}, LayerNorm ${r('LayerNorm js', 'LayerNorm wasm')}`);
