import { setNormPrecision } from '@normkit/norms';
import type { Backend } from '@normkit/tensor';
import type { PeerRow } from '../peers/protocol.js';
import { TF_NO_BACKWARD } from '../peers/tfjs.js';
import type { Progress } from '../progress.js';
import type { KernelRow, KernelSection } from '../results.js';
import { CopyFloor, measure, policyOf, type RepPolicy } from '../timing.js';
import { implOf, measuredBackends, onBackend, placementProblem } from './backends.js';
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
 * reference, check normkit's kernel against it and time it on each backend (normkit-wasm, then
 * normkit-js; here, in the main isolate, which nothing has detached), time the copy floor for the
 * same traffic, then ask each peer worker for the same.
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
    const reference = onBackend('js', () => referenceOutputs(c, inp)); // float64, on the heap
    const measured: PeerRow[] = measuredBackends().map((b) => measureNormkit(b, c, inp, reference, plan));
    if (HIGH_OPS.includes(c.op) && measuredBackends().includes('wasm'))
      measured.push(measureNormkit('wasm', c, inp, reference, plan, 'high'));
    const bytes = bytesOf(c);
    const copyMs = copy.timing(bytes).medianMs;
    if (host && c.pass === 'forward')
      measured.push(...(await host.ask({ type: 'norm', case: c, seed, policy: policyOf(plan), reference })));
    if (host && c.pass === 'backward')
      for (const m of measured) m.note = [m.note, 'no peer backward'].filter(Boolean).join('; ');
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

/** The ops that have a precision 'high' kernel (setNormPrecision): timed again as normkit-wasm-high. */
const HIGH_OPS: readonly NormCase['op'][] = ['layerNorm', 'rmsNorm'];

/**
 * normkit's kernel on one backend: operands and outputs allocated there, checked, then timed;
 * with precision 'high', under setNormPrecision('high') (restored to the default afterwards).
 */
function measureNormkit(
  backend: Backend,
  c: NormCase,
  inp: ReturnType<typeof normInputs>,
  reference: Outputs,
  policy: RepPolicy,
  precision: 'highest' | 'high' = 'highest',
): PeerRow {
  const impl = precision === 'high' ? 'normkit-wasm-high' : implOf(backend);
  setNormPrecision(precision);
  try {
    // inside onBackend's tidy: the case's wasm tensors are freed when it returns
    return onBackend(backend, (): PeerRow => {
      const run = prepareNormkit(c, inp);
      run.run();
      const check = checkOutputs(run.outputs(), reference);
      const misplaced = placementProblem(backend, run.tensors?.() ?? []);
      if (misplaced)
        return { impl, timing: null, check: { ...check, ok: false }, note: `not timed: ${misplaced}` };
      return { impl, timing: check.ok ? measure(run.run, policy) : null, check, note: '' };
    });
  } catch (error) {
    return {
      impl,
      timing: null,
      check: null,
      note: `failed: ${(error as Error).message.split('\n')[0]}`,
    };
  } finally {
    setNormPrecision('highest');
  }
}
