import { type NormPrecision, setNormPrecision } from '@normkit/norms';
import type { Backend } from '@normkit/tensor';
import { TF_NO_BACKWARD } from '../peers/tfjs.js';
import type { Progress } from '../progress.js';
import type { KernelRow, KernelSection } from '../results.js';
import { copyOf, policyOf } from '../timing.js';
import { implOf, measuredBackends, onBackend } from './backends.js';
import { bytesOf, caseLabel, layoutOf, type NormCase, normCases } from './cases.js';
import { checkOutputs } from './check.js';
import { formatCaseLine } from './format.js';
import { type NormInputs, normInputs } from './inputs.js';
import { type Outputs, prepareNormkit, referenceOutputs } from './normkit.js';
import type { PeerHost } from './peer-host.js';
import type { KernelPlan } from './plan.js';
import { caseRows } from './rows.js';
import { measureVariants, type Variant } from './variants.js';

/** Why backward rows have no peer (ORT inference and tfjs-core for Node have no usable autodiff). */
export const NO_BACKWARD_PEER = `Backward rows have no peer: onnxruntime has no gradient ops in its inference build; ${TF_NO_BACKWARD}.`;

/**
 * The norm kernel table. For each case: build the inputs from the seed, compute the float64
 * reference, check normkit's kernel against it on each backend (normkit-wasm, normkit-js, and
 * normkit-wasm-high; here, in the main isolate, which nothing has detached) and time them in
 * rotation with the copy floor for the same traffic (measureVariants), then ask each peer worker
 * for the same (timed in its own worker, after normkit).
 */
export async function runNormTable(
  plan: KernelPlan,
  seed: number,
  progress: Progress,
  host: PeerHost | null,
): Promise<KernelSection> {
  const cases = normCases(plan.shapes, plan.ops);
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
    const bytes = bytesOf(c);
    const { rows: measured, floor } = measureVariants(
      normkitVariants(c, inp, reference),
      copyOf(bytes),
      plan,
    );
    const copyMs = floor instanceof Error ? Number.NaN : floor.medianMs;
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
 * normkit's kernel on each backend (operands and outputs allocated there) and, for HIGH_OPS on
 * wasm, at precision 'high' (set around each call, the default restored after it).
 */
function normkitVariants(c: NormCase, inp: NormInputs, reference: Outputs): Variant[] {
  const variant = (backend: Backend, precision: NormPrecision): Variant => ({
    impl: precision === 'high' ? 'normkit-wasm-high' : implOf(backend),
    backend,
    prepare: () => {
      const prepared = prepareNormkit(c, inp);
      const run = () => {
        setNormPrecision(precision);
        try {
          prepared.run();
        } finally {
          setNormPrecision('highest');
        }
      };
      run();
      return { run, check: checkOutputs(prepared.outputs(), reference), tensors: prepared.tensors?.() ?? [] };
    },
  });
  const variants = measuredBackends().map((b) => variant(b, 'highest'));
  if (HIGH_OPS.includes(c.op) && measuredBackends().includes('wasm')) variants.push(variant('wasm', 'high'));
  return variants;
}
