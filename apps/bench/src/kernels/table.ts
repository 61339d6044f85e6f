import type { PeerRow } from '../peers/protocol.js';
import { TF_NO_BACKWARD } from '../peers/tfjs.js';
import type { Progress } from '../progress.js';
import type { KernelRow, KernelSection } from '../results.js';
import { CopyFloor, measure, policyOf, type RepPolicy } from '../timing.js';
import { bytesOf, caseLabel, layoutOf, type NormCase, normCases } from './cases.js';
import { checkOutputs } from './check.js';
import { formatCaseLine } from './format.js';
import { normInputs } from './inputs.js';
import { type Outputs, prepareNormkit, referenceOutputs } from './normkit.js';
import type { PeerHost } from './peer-host.js';
import type { KernelPlan } from './plan.js';
import { caseRows } from './rows.js';

/** Why backward rows have no peer (ORT inference and tfjs-core for Node have no usable autodiff). */
export const NO_BACKWARD_PEER = `Backward rows have no peer: onnxruntime has no gradient ops in its inference build; ${TF_NO_BACKWARD}.`;

/**
 * The norm kernel table. For each case: build the inputs from the seed, compute the float64
 * reference, check normkit's kernel against it and time it (here, in the main isolate, which nothing
 * has detached), time the copy floor for the same traffic, then ask each peer worker for the same.
 */
export async function runNormTable(
  plan: KernelPlan,
  seed: number,
  progress: Progress,
  host: PeerHost | null,
): Promise<KernelSection> {
  const cases = normCases(plan.shapes, plan.ops);
  const copy = new CopyFloor(plan);
  const rows: KernelRow[] = [];
  // ETA weights: work grows with the element count; 1e5 elements stand for the fixed costs per case
  const weight = (c: NormCase) => c.shape[0] * c.shape[1] + 1e5;
  progress.start(
    'kernels',
    cases.length,
    cases.reduce((sum, c) => sum + weight(c), 0),
  );
  for (const c of cases) {
    const inp = normInputs(c, seed);
    const reference = referenceOutputs(c, inp);
    const measured: PeerRow[] = [measureNormkit(c, inp, reference, plan)];
    const bytes = bytesOf(c);
    const copyMs = copy.timing(bytes).medianMs;
    if (host && c.pass === 'forward')
      measured.push(...(await host.ask({ type: 'norm', case: c, seed, policy: policyOf(plan), reference })));
    if (host && c.pass === 'backward')
      measured[0]!.note = [measured[0]!.note, 'no peer backward'].filter(Boolean).join('; ');
    const info = {
      kernel: `${c.op} ${c.pass}`,
      layout: layoutOf(c.op, c.shape).text,
      shape: c.shape,
      bytes,
      flops: 0,
      copyMs,
    };
    const caseRowsList = caseRows(info, measured);
    rows.push(...caseRowsList);
    progress.log(formatCaseLine(caseLabel(c), caseRowsList));
    progress.advance(weight(c));
  }
  progress.finish();
  return { reps: plan.reps, budgetMs: plan.budgetMs, rows, peers: host?.status ?? [] };
}

function measureNormkit(
  c: NormCase,
  inp: ReturnType<typeof normInputs>,
  reference: Outputs,
  policy: RepPolicy,
): PeerRow {
  try {
    const run = prepareNormkit(c, inp);
    run.run();
    const check = checkOutputs(run.outputs(), reference);
    return { impl: 'normkit', timing: check.ok ? measure(run.run, policy) : null, check, note: '' };
  } catch (error) {
    return {
      impl: 'normkit',
      timing: null,
      check: null,
      note: `failed: ${(error as Error).message.split('\n')[0]}`,
    };
  }
}
