export * from './activation-grad.js';
export {
  arange,
  type CreateOptions,
  eye,
  full,
  fullLike,
  linspace,
  ones,
  onesLike,
  rand,
  randint,
  randn,
  type TensorLike,
  tensor,
  zeros,
  zerosLike,
} from './create.js';
export { DTYPES, type DType, dtypeOf, isDType, itemSize, type TypedArray } from './dtype.js';
export * from './elementwise.js';
export { dtypeMismatch, formatShape, ShapeError } from './errors.js';
export * from './indexing.js';
export { fdlibm } from './internal/fdlibm.js';
export * from './matmul.js';
export { Generator, getDefaultGenerator, manualSeed, type RandomOptions } from './random.js';
export * from './reduce.js';
export {
  broadcastShapes,
  contiguousStrides,
  normalizeAxes,
  normalizeAxis,
  sameShape,
  sizeOf,
} from './shape.js';
export {
  type Allocator,
  allocate,
  allocateUninit,
  getAllocator,
  heapAllocator,
  setAllocator,
  setPoisonUninit,
} from './storage.js';
export { type NestedArray, Tensor } from './tensor.js';
export * from './wasm/index.js';
