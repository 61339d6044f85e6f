export * from './batch-norm.js';
export * from './group-norm.js';
export * from './instance-norm.js';
export type { BackwardOut, BackwardResult, ForwardOut, NormNeeds } from './internal/common.js';
export * from './layer-norm.js';
export * from './precision.js';
export * from './rms-norm.js';
