import { allocate, type Backend, matmul, Tensor } from '@normkit/tensor';
import type { PeerRow } from '../peers/protocol.js';
import type { Progress } from '../progress.js';
import type { KernelRow, KernelSection } from '../results.js';
import { CopyFloor, measure, policyOf, type RepPolicy } from '../timing.js';
import { implOf, measuredBackends, onBackend, placementProblem } from './backends.js';
import { checkMatmulSample, samplePositions } from './check.js';
import { formatCaseLine } from './format.js';
import { matmulInputs } from './inputs.js';
import type { PeerHost } from './peer-host.js';
import type { KernelPlan, MatmulShape } from './plan.js';
import { caseRows } from './rows.js';

/** Output elements checked per matmul against a float64 dot product (all of them when fewer). */
const SAMPLES = 256;

/**
 * The matmul table: C = A B with A [M, K], B [K, N] float32, GFLOP/s = 2 M N K / time; bytes are
 * A + B read and C written once (the traffic floor; a blocked matmul re-reads tiles from cache).
 */
export async function runMatmulTable(
  plan: KernelPlan,
  seed: number,
  progress: Progress,
  host: PeerHost | null,
): Promise<KernelSection> {
  const copy = new CopyFloor(plan);
  const rows: KernelRow[] = [];
  const weight = (s: MatmulShape) => s.m * s.n * s.k + 1e7; // ETA weights: flops plus fixed costs
  progress.start(
    'matmul',
    plan.matmul.length,
    plan.matmul.reduce((sum, s) => sum + weight(s), 0),
  );
  for (const s of plan.matmul) {
    const { m, k, n } = s;
    const { a, b } = matmulInputs(m, k, n, seed);
    const samples = samplePositions(m, n, Math.min(SAMPLES, m * n), seed);
    const measured: PeerRow[] = measuredBackends().map((be) => measureNormkit(be, s, a, b, samples, plan));
    const bytes = 4 * (m * k + k * n + m * n);
    const copyMs = copy.timing(bytes).medianMs;
    if (host)
      measured.push(...(await host.ask({ type: 'matmul', m, k, n, seed, policy: policyOf(plan), samples })));
    const info = { kernel: 'matmul', layout: s.label, shape: [m, k, n], bytes, flops: 2 * m * n * k, copyMs };
    const list = caseRows(info, measured);
    rows.push(...list);
    progress.log(formatCaseLine(`matmul ${s.label}`, list));
    progress.advance(weight(s));
  }
  progress.finish();
  return { reps: plan.reps, budgetMs: plan.budgetMs, rows, peers: host?.status ?? [] };
}

/**
 * normkit's matmul on one backend: A, B and C allocated there (wasm: in the wasm memory, so the
 * SIMD kernel runs with no copy in or out), checked on the sample, then timed.
 */
function measureNormkit(
  backend: Backend,
  s: MatmulShape,
  a: Float32Array,
  b: Float32Array,
  samples: [number, number][],
  policy: RepPolicy,
): PeerRow {
  const impl = implOf(backend);
  try {
    return onBackend(backend, (): PeerRow => {
      const make = (src: Float32Array | null, shape: [number, number]) => {
        const data = allocate('float32', shape[0] * shape[1]);
        if (src) data.set(src);
        return new Tensor(data, shape);
      };
      const A = make(a, [s.m, s.k]);
      const B = make(b, [s.k, s.n]);
      const C = make(null, [s.m, s.n]);
      const run = () => void matmul(A, B, C);
      run();
      const check = checkMatmulSample(a, b, C.data, s.m, s.k, s.n, samples);
      const misplaced = placementProblem(backend, [A, B, C]);
      if (misplaced)
        return { impl, timing: null, check: { ...check, ok: false }, note: `not timed: ${misplaced}` };
      return { impl, timing: check.ok ? measure(run, policy) : null, check, note: '' };
    });
  } catch (error) {
    return {
      impl,
      timing: null,
      check: null,
      note: `failed: ${(error as Error).message.split('\n')[0]}`,
    };
  }
}
