// Heap use of a forward + backward + SGD training loop on a small MLP (bench/mlp.ts).
// Run: pnpm bench   (node --expose-gc --import tsx bench/memory.bench.ts [steps])
// Prints heapUsed after a forced gc at checkpoints: a released graph keeps it flat.
import { makeMlp } from './mlp.js';

const steps = Number(process.argv[2] ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;
const heapMB = () => {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const mlp = makeMlp('float32');
for (let i = 0; i < 200; i++) mlp.step(); // warm-up: JIT, lazily allocated internals
const base = heapMB();
console.log(`gc exposed: ${gc !== undefined}; heapUsed after 200 warm-up steps: ${base.toFixed(2)} MB`);
const t0 = performance.now();
let loss = 0;
for (let i = 1; i <= steps; i++) {
  loss = mlp.step();
  if (i % (steps / 5) === 0) {
    const h = heapMB();
    console.log(
      `step ${String(i).padStart(6)}: heapUsed ${h.toFixed(2)} MB (${(h - base >= 0 ? '+' : '') + (h - base).toFixed(2)} MB), loss ${loss.toExponential(3)}`,
    );
  }
}
const ms = performance.now() - t0;
console.log(
  `${steps} steps in ${(ms / 1000).toFixed(2)} s (${((ms * 1000) / steps).toFixed(0)} us/step, gc checks included)`,
);
