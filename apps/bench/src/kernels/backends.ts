import {
  type Backend,
  getBackend,
  setBackend,
  type Tensor,
  tidy,
  wasmByteOffset,
  wasmSupported,
} from '@normkit/tensor';

/**
 * normkit is measured twice per case, once per backend of @normkit/tensor:
 *   normkit-wasm: operands and outputs allocated under setBackend('wasm'), so they live in the wasm
 *                 memory and the kernels take their WebAssembly SIMD path (where they have one);
 *   normkit-js:   operands and outputs on the JS heap under setBackend('js'): the plain JS kernels;
 *   normkit-wasm-high: as normkit-wasm with setNormPrecision('high') (LayerNorm and RMSNorm only:
 *                 the float32-lane kernels, within a few float32 ulps; @normkit/norms docs/wasm.md).
 * The peers' t/normkit ratio is against normkit-wasm where it was timed (the default backend
 * where SIMD is supported), else against normkit-js; normkit-js's own ratio is then its slowdown
 * against the wasm path.
 */
export const NORMKIT_IMPLS = ['normkit-wasm', 'normkit-js', 'normkit-wasm-high'] as const;
export type NormkitImpl = (typeof NORMKIT_IMPLS)[number];

export function isNormkit(impl: string): impl is NormkitImpl {
  return (NORMKIT_IMPLS as readonly string[]).includes(impl);
}

export function implOf(backend: Backend): NormkitImpl {
  return backend === 'wasm' ? 'normkit-wasm' : 'normkit-js';
}

/** The backends this runtime can measure: wasm needs WebAssembly SIMD. */
export function measuredBackends(): Backend[] {
  return wasmSupported() ? ['wasm', 'js'] : ['js'];
}

/**
 * Run fn with `backend` installed (every tensor fn allocates lives there) inside tidy(), so the
 * wasm memory a case used is free for the next one; the previous backend is restored. fn must
 * return plain data (numbers, heap arrays), not tensors.
 */
export function onBackend<T>(backend: Backend, fn: () => T): T {
  const previous = getBackend();
  setBackend(backend);
  try {
    return tidy(fn);
  } finally {
    setBackend(previous);
  }
}

/**
 * Why a variant would time the wrong kernel, or '' when it is fine: on the wasm backend every
 * tensor must live in the wasm memory (a full memory hands out JS-heap arrays instead, and a
 * kernel with a heap operand takes the JS path); on the js backend none may.
 */
export function placementProblem(backend: Backend, tensors: readonly (Tensor | null | undefined)[]): string {
  const present = tensors.filter((t): t is Tensor => t != null);
  const inWasm = present.filter((t) => wasmByteOffset(t) !== null).length;
  if (backend === 'wasm' && inWasm < present.length) {
    return `${present.length - inWasm} of ${present.length} tensors are not in the wasm memory (is it full? configureWasm({ memoryMiB }))`;
  }
  if (backend === 'js' && inWasm > 0) return `${inWasm} tensors are in the wasm memory`;
  return '';
}
