import { EPS, groupsOf, layoutOf, type NormCase } from '../kernels/cases.js';
import type { NormInputs } from '../kernels/inputs.js';
import type { Prepared } from '../kernels/normkit.js';

/**
 * TensorFlow.js peers (backends 'wasm': XNNPACK kernels, and 'cpu': plain JS). tfjs-core has no
 * layers, so each norm is composed the way a tfjs user writes it: tf.moments + arithmetic, and
 * tf.batchNorm for BatchNorm; forward only (see TF_NO_BACKWARD). Both backends compute synchronously, so a call is timed without dataSync().
 */
type TF = typeof import('@tensorflow/tfjs-core');
type T = import('@tensorflow/tfjs-core').Tensor;

export async function loadTf(backend: 'wasm' | 'cpu'): Promise<{ tf: TF; version: string; note: string }> {
  const tf = await import('@tensorflow/tfjs-core');
  // production mode: no debug checks, and no "install tfjs-node" banner on stdout
  tf.env().set('PROD', true);
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  else await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to initialise`);
  await tf.ready();
  let note = '';
  if (backend === 'wasm') {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    note = `wasm ${simd ? 'SIMD' : 'no SIMD'}, ${threads ? 'multi-threaded' : 'single thread'}`;
  }
  return { tf, version: tf.version_core, note };
}

type NormFn = (x: T, w: T, b: T) => T;

function composed(tf: TF, c: NormCase, eps: T, rm: T, rv: T): NormFn {
  const L = layoutOf(c.op, c.shape);
  const [N, C, D] = L.xShape as [number, number, number];
  const normalize = (x: T, axis: number) => {
    const { mean, variance } = tf.moments(x, axis, true);
    return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  };
  switch (c.op) {
    case 'layerNorm':
      return (x, w, b) => tf.add(tf.mul(normalize(x, -1), w), b);
    case 'rmsNorm':
      return (x, w) => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), w);
    case 'batchNorm':
      return (x, w, b) => {
        const { mean, variance } = tf.moments(x, 0);
        return tf.batchNorm(x, mean, variance, b, w, EPS);
      };
    case 'batchNormEval':
      return (x, w, b) => tf.batchNorm(x, rm, rv, b, w, EPS);
    case 'groupNorm': {
      const G = groupsOf(L);
      return (x, w, b) => {
        const xhat = tf.reshape(normalize(tf.reshape(x, [N, G, (C / G) * D]), -1), [N, C, D]);
        return tf.add(tf.mul(xhat, tf.reshape(w, [1, C, 1])), tf.reshape(b, [1, C, 1]));
      };
    }
    case 'instanceNorm':
      return (x, w, b) =>
        tf.add(tf.mul(normalize(x, -1), tf.reshape(w, [1, C, 1])), tf.reshape(b, [1, C, 1]));
  }
}

/**
 * Why no tfjs backward: tfjs-core's Node build (tf-core.node.js) registers no gradient functions;
 * they ship only as ES modules (dist/register_all_gradients.js) that the @tensorflow/tfjs union
 * package loads, and that package is not a dependency here. tf.grads would fail on the first op.
 */
export const TF_NO_BACKWARD =
  'tfjs-core for Node ships no gradients (they come with @tensorflow/tfjs, not installed)';

export function prepareTfNorm(tf: TF, c: NormCase, inp: NormInputs): Prepared | { unsupported: string } {
  if (c.pass === 'backward') return { unsupported: TF_NO_BACKWARD };
  const P = [inp.weight.length];
  const x = tf.tensor(inp.x, inp.xShape, 'float32');
  const w = tf.tensor(inp.weight, P, 'float32');
  const b = tf.tensor(inp.bias, P, 'float32');
  const rm = tf.tensor(inp.runningMean, P, 'float32');
  const rv = tf.tensor(inp.runningVar, P, 'float32');
  const eps = tf.scalar(EPS);
  const f = composed(tf, c, eps, rm, rv);
  let last: T | null = null;
  return {
    run: () => {
      last?.dispose();
      last = tf.tidy(() => f(x, w, b));
    },
    outputs: () => ({ y: last!.dataSync() as Float32Array }),
    // the next case must not find this one's tensors still holding wasm memory
    dispose: () => tf.dispose([x, w, b, rm, rv, eps, ...(last ? [last] : [])]),
  };
}

export function prepareTfMatmul(
  tf: TF,
  a: Float32Array,
  bData: Float32Array,
  m: number,
  k: number,
  n: number,
): Prepared {
  const A = tf.tensor(a, [m, k], 'float32');
  const B = tf.tensor(bData, [k, n], 'float32');
  let last: T | null = null;
  return {
    run: () => {
      last?.dispose();
      last = tf.matMul(A, B);
    },
    outputs: () => ({ C: last!.dataSync() as Float32Array }),
    dispose: () => tf.dispose([A, B, ...(last ? [last] : [])]),
  };
}
