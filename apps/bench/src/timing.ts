/**
 * Timing: warm up, then take `reps` samples and report the median (robust to a stray GC pause or
 * a noisy neighbour) and the minimum. A call shorter than ~2 ms is repeated `inner` times per
 * sample so that timer resolution and call overhead stay small against the measured time. A call
 * longer than 100 ms gets a single warm-up. With a finite `budgetMs` (quick mode) a call takes
 * min(reps, budgetMs / first call) samples, at least one: tfjs-cpu needs seconds per call on the
 * big shapes, and a 100x gap does not need a median of five to be seen.
 */
export interface RepPolicy {
  reps: number;
  budgetMs: number;
}

export interface Timing {
  medianMs: number;
  minMs: number;
  reps: number;
  inner: number;
}

const TARGET_SAMPLE_MS = 2;

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

function innerCount(firstMs: number): number {
  if (firstMs >= TARGET_SAMPLE_MS) return 1;
  return Math.min(10_000, Math.ceil(TARGET_SAMPLE_MS / Math.max(firstMs, 1e-4)));
}

export function repsFor(policy: RepPolicy, firstMs: number): number {
  const affordable = Math.floor(policy.budgetMs / Math.max(firstMs, 1e-6));
  return Math.max(1, Math.min(policy.reps, affordable));
}

export function measure(fn: () => void, policy: RepPolicy): Timing {
  let t = performance.now();
  fn();
  const first = performance.now() - t;
  if (first < 100) fn(); // second warm-up: lets the optimizing compiler settle on the hot loop
  const inner = innerCount(first);
  const reps = repsFor(policy, first);
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    t = performance.now();
    for (let i = 0; i < inner; i++) fn();
    samples.push((performance.now() - t) / inner);
  }
  return { medianMs: median(samples), minMs: Math.min(...samples), reps, inner };
}

export async function measureAsync(fn: () => Promise<unknown> | unknown, policy: RepPolicy): Promise<Timing> {
  let t = performance.now();
  await fn();
  const first = performance.now() - t;
  if (first < 100) await fn();
  const inner = innerCount(first);
  const reps = repsFor(policy, first);
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    t = performance.now();
    for (let i = 0; i < inner; i++) await fn();
    samples.push((performance.now() - t) / inner);
  }
  return { medianMs: median(samples), minMs: Math.min(...samples), reps, inner };
}

/**
 * The copy floor: Float32Array.prototype.set copying (bytes / 2) bytes, i.e. reading half the
 * traffic and writing the other half, measured once per traffic size in the current run. A kernel
 * that moves `bytes` cannot beat it by much; kernel time / copy time says how far from it it is.
 */
export class CopyFloor {
  private readonly cache = new Map<number, Timing>();

  constructor(private readonly policy: RepPolicy) {}

  timing(bytes: number): Timing {
    const n = Math.max(1, Math.round(bytes / 8));
    let t = this.cache.get(n);
    if (!t) {
      const src = new Float32Array(n);
      for (let i = 0; i < n; i++) src[i] = i;
      const dst = new Float32Array(n);
      dst.fill(1); // touch every page before timing
      t = measure(() => dst.set(src), this.policy);
      this.cache.set(n, t);
    }
    return t;
  }
}

/** Just the policy fields (a KernelPlan is one, but only these cross to a peer worker). */
export function policyOf(p: RepPolicy): RepPolicy {
  return { reps: p.reps, budgetMs: p.budgetMs };
}
