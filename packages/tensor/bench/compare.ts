// The shared pieces of the tensor benches: the js-vs-wasm harness (elementwise.bench.ts,
// reduce.bench.ts), batch timing, and the float64 matmul oracle (matmul*.bench.ts).
import { setBackend, type Tensor } from '../src/index.js';

type Backend = 'js' | 'wasm';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Milliseconds per call of one batch: repeat f until minMs have passed. */
export function batchMs(f: () => void, minMs: number): number {
  let reps = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    f();
    reps++;
    t = performance.now();
  } while (t - t0 < minMs);
  return (t - t0) / reps;
}

/** Microseconds per call of one 2 ms batch. */
const batch = (f: () => void) => batchMs(f, 2) * 1000;

/**
 * Prints the median of 9 batches of `make()`'s call on each backend (operands built on that
 * backend, so each lives where that backend allocates) next to a plain copy of `bytes`
 * (TypedArray.set, the floor). Calls run 100 ms per backend first (tiered up before timing); js,
 * wasm and copy batches are interleaved so load from other processes hits all alike.
 */
export function compare(label: string, make: () => () => void, bytes: number): void {
  const fns = new Map<Backend, () => void>();
  for (const b of ['js', 'wasm'] as const) {
    setBackend(b);
    fns.set(b, make());
  }
  const src = new Float32Array(bytes / 4);
  const dst = new Float32Array(bytes / 4);
  const copy = () => dst.set(src);
  const times = new Map<string, number[]>([
    ['js', []],
    ['wasm', []],
    ['copy', []],
  ]);
  for (const [b, f] of fns) {
    setBackend(b);
    const t0 = performance.now();
    while (performance.now() - t0 < 100) f();
  }
  for (let i = 0; i < 9; i++) {
    for (const [b, f] of fns) {
      setBackend(b);
      times.get(b)!.push(batch(f));
    }
    times.get('copy')!.push(batch(copy));
  }
  const [js, wasm, floor] = ['js', 'wasm', 'copy'].map((k) => median(times.get(k)!)) as [
    number,
    number,
    number,
  ];
  console.log(
    `${label.padEnd(48)} js ${js.toFixed(2).padStart(8)}  wasm ${wasm.toFixed(2).padStart(8)}  ` +
      `copy ${floor.toFixed(2).padStart(7)} us   js/wasm ${(js / wasm).toFixed(2).padStart(5)}x`,
  );
}

/** The oracle: C[i,j] = sum_p A[i,p] B[p,j] in float64, and sum_p |A[i,p] B[p,j]| (error scale). */
export function reference(a: Tensor, b: Tensor): { c: Float64Array; abs: Float64Array } {
  const [M, K] = a.shape as [number, number];
  const N = b.shape[1]!;
  const A = a.toTypedArray();
  const Bt = b.transpose().toTypedArray(); // column j of B contiguous
  const c = new Float64Array(M * N);
  const abs = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let sa = 0;
      for (let p = 0; p < K; p++) {
        const x = A[i * K + p]! * Bt[j * K + p]!;
        s += x;
        sa += Math.abs(x);
      }
      c[i * N + j] = s;
      abs[i * N + j] = sa;
    }
  }
  return { c, abs };
}
