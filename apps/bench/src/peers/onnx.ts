import type { NormCase } from '../kernels/cases.js';
import type { NormInputs } from '../kernels/inputs.js';
import type { Outputs } from '../kernels/normkit.js';
import { matmulModel, normModel } from './onnx-models.js';
import { encodeModel, type ModelSpec } from './onnx-proto.js';

/**
 * onnxruntime-node peer: a one-node model per case, run with intraOpNumThreads 1 (what a single-
 * threaded JS kernel is up against) and with ORT's default thread pool (one thread per core).
 * session.run is asynchronous, so a timed call includes the promise round trip users pay too.
 */
type Ort = typeof import('onnxruntime-node');

export const ORT_VARIANTS = [
  { impl: 'onnxruntime 1 thread', options: { intraOpNumThreads: 1, interOpNumThreads: 1 } },
  { impl: 'onnxruntime default threads', options: {} },
] as const;

export async function loadOrt(): Promise<{ ort: Ort; version: string }> {
  const ort = await import('onnxruntime-node');
  return { ort, version: ort.env.versions?.node ?? 'unknown' };
}

export interface OrtRunner {
  run(): Promise<unknown>;
  outputs(): Promise<Outputs>;
  release(): Promise<void>;
}

async function session(
  ort: Ort,
  spec: ModelSpec,
  options: object,
  feeds: Record<string, import('onnxruntime-node').Tensor>,
  outName: string,
): Promise<OrtRunner> {
  const s = await ort.InferenceSession.create(encodeModel(spec), {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    ...options,
  });
  return {
    run: () => s.run(feeds),
    outputs: async () => {
      const r = await s.run(feeds);
      return { [outName]: r.Y!.data as Float32Array };
    },
    release: () => s.release(),
  };
}

export async function prepareOrtNorm(
  ort: Ort,
  c: NormCase,
  inp: NormInputs,
  options: object,
): Promise<OrtRunner | { unsupported: string }> {
  const spec = normModel(c, inp);
  if ('unsupported' in spec) return spec;
  return session(ort, spec, options, { X: new ort.Tensor('float32', inp.x, inp.xShape) }, 'y');
}

export async function prepareOrtMatmul(
  ort: Ort,
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  options: object,
): Promise<OrtRunner> {
  const feeds = { A: new ort.Tensor('float32', a, [m, k]), B: new ort.Tensor('float32', b, [k, n]) };
  return session(ort, matmulModel(m, k, n), options, feeds, 'C');
}
