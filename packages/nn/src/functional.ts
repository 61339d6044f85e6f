import { dropout, embedding, gelu, logSoftmax, relu, sigmoid, silu, softmax, tanh } from '@normkit/autograd';
import { linear } from './layers/linear.js';
import { crossEntropy, mse } from './losses.js';
import { batchNorm, groupNorm, instanceNorm, layerNorm, rmsNorm } from './norms/differentiable.js';
import { dyt } from './norms/dyt.js';

/**
 * The functional forms (torch.nn.functional), one namespace object: `F.layerNorm(x, 768, { weight,
 * bias })`, `F.crossEntropy(logits, targets)`. Each is also a named export of its own file; the
 * activations and dropout are @normkit/autograd's ops.
 */
export const F = {
  linear,
  embedding,
  dropout,
  gelu,
  relu,
  silu,
  sigmoid,
  tanh,
  softmax,
  logSoftmax,
  layerNorm,
  rmsNorm,
  batchNorm,
  groupNorm,
  instanceNorm,
  dyt,
  crossEntropy,
  mse,
} as const;
