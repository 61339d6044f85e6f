export {
  defineMultiOp,
  defineOp,
  type ForwardContext,
  type InputGrads,
  type Lift,
  type MultiOp,
  type MultiOpDefinition,
  type Op,
  type OpDefinition,
  type OpInput,
  type OpInputs,
  type RawInput,
} from './define-op.js';
export { type BackwardOptions, backward } from './engine.js';
export { grad, valueAndGrad, type ZeroGradOptions, zeroGrad } from './functional.js';
export { enableGrad, isGradEnabled, noGrad, setGradEnabled } from './grad-mode.js';
export {
  type GradcheckElement,
  type GradcheckOptions,
  type GradcheckReport,
  gradcheck,
  gradcheckReport,
} from './gradcheck.js';
export type { BackwardContext } from './node.js';
export {
  clamp,
  type DropoutOptions,
  dropout,
  type GeluOptions,
  gelu,
  relu,
  sigmoid,
  silu,
  tanh,
} from './ops/activation.js';
export { add, div, maximum, minimum, mul, pow, sub } from './ops/binary.js';
export {
  embedding,
  gather,
  type Indices,
  indexSelect,
  maskedFill,
  tril,
  triu,
  where,
} from './ops/indexing.js';
export { concat, split, stack } from './ops/join.js';
export { matmul } from './ops/matmul.js';
export {
  type KeepdimsOptions,
  logsumexp,
  max,
  mean,
  min,
  std,
  sum,
  type VarianceOptions,
  variance,
} from './ops/reduce.js';
export {
  expand,
  flatten,
  narrow,
  permute,
  reshape,
  select,
  slice,
  squeeze,
  transpose,
  unsqueeze,
} from './ops/shape.js';
export { logSoftmax, softmax } from './ops/softmax.js';
export {
  abs,
  cos,
  erf,
  exp,
  expm1,
  log,
  log1p,
  neg,
  reciprocal,
  rsqrt,
  sin,
  sqrt,
  square,
} from './ops/unary.js';
export type { Axes } from './ops/util.js';
export { type RuleName, rules } from './rules.js';
export {
  isVariable,
  type Operand,
  type TensorOperand,
  tensorOf,
  Variable,
  type VariableOptions,
  variable,
} from './variable.js';
