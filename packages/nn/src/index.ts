export { type ClipGradNormOptions, clipGradNorm } from './clip.js';
export { ModuleList, Sequential, type UnaryModule } from './containers.js';
export { F } from './functional.js';
export * from './init.js';
export {
  Dropout,
  type DropoutModuleOptions,
  GELU,
  Identity,
  ReLU,
  Sigmoid,
  SiLU,
  Tanh,
} from './layers/activation.js';
export { Embedding, Linear, type LinearOptions, linear } from './layers/linear.js';
export { type CrossEntropyOptions, crossEntropy, mse, type Reduction } from './losses.js';
export { type BufferOptions, type InitOptions, Module, type ModuleOptions, Parameter } from './module.js';
export {
  BatchNorm1d,
  BatchNorm2d,
  InstanceNorm1d,
  InstanceNorm2d,
  type RunningNormOptions,
} from './norms/batch-norm.js';
export {
  type AffineOptions,
  type BatchNormFunctionalOptions,
  batchNorm,
  groupNorm,
  type InstanceNormFunctionalOptions,
  instanceNorm,
  layerNorm,
  normOps,
  rmsNorm,
} from './norms/differentiable.js';
export { DyT, type DyTOptions, dyt } from './norms/dyt.js';
export {
  GroupNorm,
  type GroupNormModuleOptions,
  LayerNorm,
  type LayerNormModuleOptions,
  RMSNorm,
  type RMSNormModuleOptions,
} from './norms/modules.js';
export { Adam, type AdamHyper, type AdamOptions, AdamW } from './optim/adam.js';
export {
  type BaseHyper,
  type HyperField,
  Optimizer,
  type OptimizerSpec,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInit,
  type ParamsInput,
  type StateDictGroup,
} from './optim/optimizer.js';
export { SGD, type SGDHyper, type SGDOptions } from './optim/sgd.js';
export {
  type FlatOptimizerState,
  optimizerStateFromTensors,
  optimizerStateToTensors,
} from './optim/state-io.js';
export {
  LayerNormLSTM,
  LayerNormLSTMCell,
  type LayerNormLSTMCellOptions,
  type LayerNormLSTMOptions,
} from './recurrent/ln-lstm.js';
export {
  LSTMCell,
  type LSTMCellOptions,
  type LSTMState,
  type RecurrentCell,
  type RunLSTMOptions,
  runLSTM,
} from './recurrent/lstm.js';
export * from './safetensors.js';
export * from './schedules.js';
export {
  type LoadStateDictOptions,
  type LoadStateDictResult,
  StateDictError,
  type StateDictMismatch,
} from './state-dict.js';
