import { EPS, groupsOf, layoutOf, type NormCase } from '../kernels/cases.js';
import type { NormInputs } from '../kernels/inputs.js';
import type { ModelSpec } from './onnx-proto.js';

/**
 * One-node ONNX models for the norm cases, in the same layout as normkit's (kernels/cases.ts).
 * Parameters are initializers (constants, as in an exported model); x is the only run-time input.
 * IR versions follow the opset (ONNX versioning table): opset 17 -> IR 8, 21 -> IR 10, 23 -> IR 11.
 */
export function normModel(c: NormCase, inp: NormInputs): ModelSpec | { unsupported: string } {
  if (c.pass === 'backward') return { unsupported: 'no backward ops in the ONNX inference runtime' };
  const L = layoutOf(c.op, c.shape);
  const D = c.shape[1];
  const x = { name: 'X', dims: L.xShape };
  const y = { name: 'Y', dims: L.xShape };
  const P = [L.params];
  const scale = { name: 'scale', dims: P, data: inp.weight };
  const bias = { name: 'bias', dims: P, data: inp.bias };
  const epsilon = { name: 'epsilon', float: EPS };
  switch (c.op) {
    case 'layerNorm':
      return {
        node: {
          opType: 'LayerNormalization',
          inputs: ['X', 'scale', 'bias'],
          outputs: ['Y'],
          attributes: [{ name: 'axis', int: -1 }, epsilon],
        },
        inputs: [x],
        outputs: [y],
        initializers: [scale, bias],
        opset: 17,
        irVersion: 8,
      };
    case 'rmsNorm':
      return {
        node: {
          opType: 'RMSNormalization',
          inputs: ['X', 'scale'],
          outputs: ['Y'],
          attributes: [{ name: 'axis', int: -1 }, epsilon],
        },
        inputs: [x],
        outputs: [y],
        initializers: [{ ...scale, dims: [D] }],
        opset: 23,
        irVersion: 11,
      };
    case 'batchNorm':
      return {
        node: {
          opType: 'BatchNormalization',
          inputs: ['X', 'scale', 'bias', 'mean', 'var'],
          outputs: ['Y', 'running_mean', 'running_var'],
          attributes: [epsilon, { name: 'momentum', float: 0.9 }, { name: 'training_mode', int: 1 }],
        },
        inputs: [x],
        outputs: [y, { name: 'running_mean', dims: P }, { name: 'running_var', dims: P }],
        initializers: [
          scale,
          bias,
          { name: 'mean', dims: P, data: inp.runningMean },
          { name: 'var', dims: P, data: inp.runningVar },
        ],
        opset: 15,
        irVersion: 8,
      };
    case 'batchNormEval':
      return {
        node: {
          opType: 'BatchNormalization',
          inputs: ['X', 'scale', 'bias', 'mean', 'var'],
          outputs: ['Y'],
          attributes: [epsilon],
        },
        inputs: [x],
        outputs: [y],
        initializers: [
          scale,
          bias,
          { name: 'mean', dims: P, data: inp.runningMean },
          { name: 'var', dims: P, data: inp.runningVar },
        ],
        opset: 15,
        irVersion: 8,
      };
    case 'groupNorm':
      return {
        node: {
          opType: 'GroupNormalization',
          inputs: ['X', 'scale', 'bias'],
          outputs: ['Y'],
          attributes: [epsilon, { name: 'num_groups', int: groupsOf(L) }],
        },
        inputs: [x],
        outputs: [y],
        initializers: [scale, bias],
        opset: 21,
        irVersion: 10,
      };
    case 'instanceNorm':
      return {
        node: {
          opType: 'InstanceNormalization',
          inputs: ['X', 'scale', 'bias'],
          outputs: ['Y'],
          attributes: [epsilon],
        },
        inputs: [x],
        outputs: [y],
        initializers: [scale, bias],
        opset: 17,
        irVersion: 8,
      };
  }
}

export function matmulModel(m: number, k: number, n: number): ModelSpec {
  return {
    node: { opType: 'MatMul', inputs: ['A', 'B'], outputs: ['Y'] },
    inputs: [
      { name: 'A', dims: [m, k] },
      { name: 'B', dims: [k, n] },
    ],
    outputs: [{ name: 'Y', dims: [m, n] }],
    initializers: [],
    opset: 13,
    irVersion: 7,
  };
}
