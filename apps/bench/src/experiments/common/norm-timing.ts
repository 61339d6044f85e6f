import { variable } from '@normkit/autograd';
import { DyT, LayerNorm, RMSNorm } from '@normkit/nn';
import { randn, tidy } from '@normkit/tensor';

export type TimedNorm = 'layer' | 'rms' | 'dyt';

/**
 * Median wall time (ms) of one forward + backward of each norm module (with its affine
 * parameters) on x [rows, d] in float32, as a training step runs it: y = norm(x), then
 * y.backward(dy). The kinds are timed round-robin, rep by rep, so a slower or busier moment of the
 * machine falls on every kind alike rather than on one of them.
 */
export function timeNorms(rows: number, d: number, reps: number, seed: number): Record<TimedNorm, number> {
  const modules = { layer: new LayerNorm(d), rms: new RMSNorm(d), dyt: new DyT(d) };
  const x = randn([rows, d], { seed });
  const dy = randn([rows, d], { seed: seed + 1 });
  const times: Record<TimedNorm, number[]> = { layer: [], rms: [], dyt: [] };
  const kinds = Object.keys(modules) as TimedNorm[];
  for (let rep = -2; rep < reps; rep++) {
    for (const k of kinds) {
      // tidy frees the output and the graph before the next rep (wasm backend); the leaves'
      // gradients are kept by backward (they outlive a tidy), so zeroGrad disposes them
      const ms = tidy(() => {
        const xv = variable(x, { requiresGrad: true });
        const t0 = performance.now();
        modules[k].forward(xv).backward(dy);
        const elapsed = performance.now() - t0;
        xv.zeroGrad();
        modules[k].zeroGrad();
        return elapsed;
      });
      if (rep >= 0) times[k].push(ms); // the first two reps warm the JIT up
    }
  }
  return { layer: median(times.layer), rms: median(times.rms), dyt: median(times.dyt) };
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
