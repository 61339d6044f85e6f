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

/**
 * Time several functions in rotation: after each one's warm-up, every round takes one sample of
 * each (its own `inner` and reps, as measure would choose), so a disturbance of the machine
 * (another job, a slow phase of a shared VM: ~1.5x swings were seen here within one process) falls
 * on all of them alike and their ratios stay honest. A function that throws is dropped from the
 * rotation; its slot holds the error.
 */
export function measureRotation(fns: readonly (() => void)[], policy: RepPolicy): (Timing | Error)[] {
  const plans = fns.map((fn) => {
    try {
      const t = performance.now();
      fn();
      const first = performance.now() - t;
      if (first < 100) fn();
      return { inner: innerCount(first), reps: repsFor(policy, first), samples: [] as number[] };
    } catch (error) {
      return asError(error);
    }
  });
  const rounds = Math.max(0, ...plans.map((p) => (p instanceof Error ? 0 : p.reps)));
  for (let round = 0; round < rounds; round++) {
    fns.forEach((fn, k) => {
      const p = plans[k]!;
      if (p instanceof Error || p.samples.length >= p.reps) return;
      try {
        // a short call (repeated `inner` times) starts warm, as it would timed alone: its operands
        // in cache, not evicted by the others' (long calls move more data than the caches hold)
        if (p.inner > 1) fn();
        const t = performance.now();
        for (let i = 0; i < p.inner; i++) fn();
        p.samples.push((performance.now() - t) / p.inner);
      } catch (error) {
        plans[k] = asError(error);
      }
    });
  }
  return plans.map((p) =>
    p instanceof Error
      ? p
      : { medianMs: median(p.samples), minMs: Math.min(...p.samples), reps: p.reps, inner: p.inner },
  );
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
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
 * The copy floor: Float32Array.prototype.set copying bytes / 8 float32 values (each read and
 * written: `bytes` of traffic), the arrays made once. A kernel that moves `bytes` cannot beat it by
 * much; kernel time / copy time says how far from it it is. The source is written first: a
 * never-written array reads the OS's shared zero page, faster than memory.
 */
export function copyOf(bytes: number): () => void {
  const n = Math.max(1, Math.round(bytes / 8));
  const src = new Float32Array(n);
  for (let i = 0; i < n; i++) src[i] = i;
  const dst = new Float32Array(n);
  dst.fill(1); // touch every page before timing
  return () => dst.set(src);
}

/** Just the policy fields (a KernelPlan is one, but only these cross to a peer worker). */
export function policyOf(p: RepPolicy): RepPolicy {
  return { reps: p.reps, budgetMs: p.budgetMs };
}
