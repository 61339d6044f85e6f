import {
  batchNormBackward,
  batchNormBackwardReference,
  batchNormForward,
  batchNormReference,
  groupNormBackward,
  groupNormBackwardReference,
  groupNormForward,
  groupNormReference,
  instanceNormBackward,
  instanceNormBackwardReference,
  instanceNormForward,
  instanceNormReference,
  layerNormBackward,
  layerNormBackwardReference,
  layerNormForward,
  layerNormReference,
  rmsNormBackward,
  rmsNormBackwardReference,
  rmsNormForward,
  rmsNormReference,
} from '@normkit/norms';
import { allocate, Tensor } from '@normkit/tensor';
import { EPS, groupsOf, layoutOf, type NormCase } from './cases.js';
import type { NormInputs } from './inputs.js';

/** Named outputs of one call: y (forward) or dx, dWeight, dBias (backward). */
export type Outputs = Record<string, ArrayLike<number>>;

export interface Prepared {
  /** One call, writing into preallocated buffers (as a training loop does). */
  run(): void;
  outputs(): Outputs;
  /** Every operand and output of the call (to check where they live: see backends.ts). */
  tensors?(): (Tensor | undefined)[];
  /** Free what the implementation holds outside the JS heap (tfjs tensors in wasm memory). */
  dispose?(): void;
}

type Dtype = 'float32' | 'float64';

interface Operands {
  x: Tensor;
  dy: Tensor;
  weight: Tensor;
  bias: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;
}

/** Copies of the inputs, allocated by the current backend (JS heap, or wasm memory). */
function operands(inp: NormInputs, dtype: Dtype): Operands {
  const make = (a: Float32Array, shape: number[]) => {
    const data = allocate(dtype, a.length);
    data.set(a);
    return new Tensor(data, shape);
  };
  const P = [inp.weight.length];
  return {
    x: make(inp.x, inp.xShape),
    dy: make(inp.dy, inp.xShape),
    weight: make(inp.weight, P),
    bias: make(inp.bias, P),
    runningMean: make(inp.runningMean, P),
    runningVar: make(inp.runningVar, P),
  };
}

interface Stats {
  mean?: Tensor;
  rstd: Tensor;
}

/**
 * The forward of case c: `reference` selects the slow float64 twin. Returns y and the statistics
 * the backward needs. Running statistics (batchNorm training) are updated in place, as in training.
 */
function forward(
  c: NormCase,
  o: Operands,
  reference: boolean,
  out?: { y: Tensor; mean?: Tensor; rstd: Tensor },
) {
  const L = layoutOf(c.op, c.shape);
  const D = c.shape[1];
  const { x, weight, bias } = o;
  const o2 = reference ? {} : { out };
  switch (c.op) {
    case 'layerNorm':
      return (reference ? layerNormReference : layerNormForward)(x, [D], { weight, bias, eps: EPS, ...o2 });
    case 'rmsNorm':
      return (reference ? rmsNormReference : rmsNormForward)(x, [D], { weight, eps: EPS, ...o2 });
    case 'batchNorm':
    case 'batchNormEval': {
      const training = c.op === 'batchNorm';
      const { runningMean, runningVar } = o;
      const opts = { weight, bias, runningMean, runningVar, training, eps: EPS, ...o2 };
      return (reference ? batchNormReference : batchNormForward)(x, opts);
    }
    case 'groupNorm':
      return (reference ? groupNormReference : groupNormForward)(x, groupsOf(L), {
        weight,
        bias,
        eps: EPS,
        ...o2,
      });
    case 'instanceNorm':
      return (reference ? instanceNormReference : instanceNormForward)(x, { weight, bias, eps: EPS, ...o2 });
  }
}

function backward(c: NormCase, o: Operands, stats: Stats, reference: boolean, out?: Record<string, Tensor>) {
  const L = layoutOf(c.op, c.shape);
  const D = c.shape[1];
  const { dy, x, weight } = o;
  const saved = { mean: stats.mean!, rstd: stats.rstd };
  const o2 = reference ? {} : { out };
  switch (c.op) {
    case 'layerNorm':
      return (reference ? layerNormBackwardReference : layerNormBackward)(dy, x, [D], saved, {
        weight,
        ...o2,
      });
    case 'rmsNorm':
      return (reference ? rmsNormBackwardReference : rmsNormBackward)(
        dy,
        x,
        [D],
        { rstd: stats.rstd },
        { weight, ...o2 },
      );
    case 'batchNorm':
      return (reference ? batchNormBackwardReference : batchNormBackward)(dy, x, saved, { weight, ...o2 });
    case 'groupNorm':
      return (reference ? groupNormBackwardReference : groupNormBackward)(dy, x, groupsOf(L), saved, {
        weight,
        ...o2,
      });
    case 'instanceNorm':
      return (reference ? instanceNormBackwardReference : instanceNormBackward)(dy, x, saved, {
        weight,
        ...o2,
      });
    case 'batchNormEval':
      throw new Error('batchNormEval has no backward case');
  }
}

function gradients(r: { dx: Tensor | null; dWeight: Tensor | null; dBias?: Tensor | null }): Outputs {
  const out: Outputs = {};
  if (r.dx) out.dx = r.dx.data;
  if (r.dWeight) out.dWeight = r.dWeight.data;
  if (r.dBias) out.dBias = r.dBias.data;
  return out;
}

/** The float64 reference outputs of case c (the slow twins from @normkit/norms on float64 copies). */
export function referenceOutputs(c: NormCase, inp: NormInputs): Outputs {
  const o = operands(inp, 'float64');
  const f = forward(c, o, true);
  if (c.pass === 'forward') return { y: f.y.data };
  return gradients(backward(c, operands(inp, 'float64'), f, true));
}

/**
 * normkit's float32 kernel for case c, with its output buffers allocated once. Every tensor is
 * allocated by the current backend, so under setBackend('wasm') the operands and outputs all live
 * in the wasm memory and the kernel takes its wasm path where it has one.
 */
export function prepareNormkit(c: NormCase, inp: NormInputs): Prepared {
  const o = operands(inp, 'float32');
  const given = [o.x, o.weight, o.bias, o.runningMean, o.runningVar];
  if (c.pass === 'forward') {
    // reuse the first call's outputs as the preallocated buffers (RMSNorm saves no mean)
    const first = forward(c, o, false);
    const mean = (first as { mean?: Tensor }).mean;
    const out = mean ? { y: first.y, mean, rstd: first.rstd } : { y: first.y, rstd: first.rstd };
    return {
      run: () => void forward(c, o, false, out),
      outputs: () => ({ y: out.y.data }),
      tensors: () => [...given, ...Object.values(out)],
    };
  }
  // the backward reads the statistics of a forward on the same x (float64, as normkit saves them);
  // running statistics, which that forward updates, play no part in the backward
  const stats = forward(c, o, false);
  const g = backward(c, o, stats, false);
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(g)) if (v) out[k] = v as Tensor;
  return {
    run: () => void backward(c, o, stats, false, out),
    outputs: () => gradients(g as { dx: Tensor | null; dWeight: Tensor | null; dBias?: Tensor | null }),
    tensors: () => [...given, o.dy, stats.rstd, (stats as Stats).mean, ...Object.values(out)],
  };
}
