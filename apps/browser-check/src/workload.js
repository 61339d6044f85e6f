// The workload that runs both in Node and in a browser page (src/page.html): the kernels of
// @normkit/tensor and @normkit/norms on the wasm backend, each compared with the JS backend (the
// oracle) in the same runtime, and a short seeded GPT training run. It returns, per output, an
// FNV-1a digest of its bytes, so run.mjs can check that a browser computes the very same bits as
// Node, and the largest difference from the JS backend relative to the largest |value|.

import { AdamW, truncNormal_ } from '@normkit/nn';
import * as norms from '@normkit/norms';
import * as nk from '@normkit/tensor';
import { GPT, train } from '@normkit/transformer';

/** FNV-1a (32 bit) of the bytes of a tensor's data, as 8 hex digits */
function digest(t) {
  const a = t.data;
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** max |a - b| / max |b| over the elements (0 when both are all zeros) */
function relDiff(a, b) {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.data.length; i++) {
    d = Math.max(d, Math.abs(a.data[i] - b.data[i]));
    m = Math.max(m, Math.abs(b.data[i]));
  }
  return m === 0 ? d : d / m;
}

/** copies of a result's tensors (the next backend's run must not overwrite them) */
function snapshot(outputs) {
  return Object.fromEntries(
    Object.entries(outputs)
      .filter(([, t]) => t instanceof nk.Tensor)
      .map(([k, t]) => [k, nk.tensor(t.data.slice(), t.shape, { dtype: t.dtype })]),
  );
}

/** f run at the norms precision p (then 'highest', the default, again) */
const atPrecision = (p, f) => () => {
  norms.setNormPrecision(p);
  try {
    return f();
  } finally {
    norms.setNormPrecision('highest');
  }
};

/** the kernels: name -> function returning named output tensors (inputs fixed by the seed) */
function kernels() {
  const g = (seed) => ({ seed });
  const x = nk.randn([64, 768], { ...g(1), mean: 0.5, std: 2 });
  const dy = nk.randn([64, 768], g(2));
  const w = nk.randn([768], { ...g(3), mean: 1, std: 0.1 });
  const b = nk.randn([768], g(4));
  const img = nk.randn([4, 32, 8, 8], { ...g(5), mean: -1, std: 3 });
  const dimg = nk.randn([4, 32, 8, 8], g(6));
  const cw = nk.randn([32], { ...g(7), mean: 1, std: 0.1 });
  const a = nk.randn([96, 80], g(8));
  const c = nk.randn([80, 72], g(9));
  const a64 = nk.randn([96, 300], { ...g(10), dtype: 'float64' });
  const c64 = nk.randn([300, 72], { ...g(11), dtype: 'float64' });
  const lnBack = (p) =>
    atPrecision(p, () => {
      const f = norms.layerNormForward(x, [768], { weight: w, bias: b });
      return { ...f, ...norms.layerNormBackward(dy, x, [768], f, { weight: w }) };
    });
  const rmsBack = (p) =>
    atPrecision(p, () => {
      const f = norms.rmsNormForward(x, [768], { weight: w });
      return { ...f, ...norms.rmsNormBackward(dy, x, [768], f, { weight: w }) };
    });
  return {
    'layerNorm fwd+bwd highest': lnBack('highest'),
    'layerNorm fwd+bwd high': lnBack('high'),
    'rmsNorm fwd+bwd highest': rmsBack('highest'),
    'rmsNorm fwd+bwd high': rmsBack('high'),
    'batchNorm fwd+bwd': () => {
      const f = norms.batchNormForward(img, { weight: cw, bias: cw, training: true });
      return { ...f, ...norms.batchNormBackward(dimg, img, f, { weight: cw }) };
    },
    'groupNorm fwd+bwd': () => {
      const f = norms.groupNormForward(img, 8, { weight: cw, bias: cw });
      return { ...f, ...norms.groupNormBackward(dimg, img, 8, f, { weight: cw }) };
    },
    matmul: () => ({ y: nk.matmul(a, c) }),
    'matmul float64': () => ({ y: nk.matmul(a64, c64) }),
    // seeded streams: float64 normals (fdlibm's log/cos/sin) and a truncated normal in a tail,
    // sampled through the normal quantile (fdlibm's exp/log)
    'randn float64': () => ({ x: nk.randn([4096], { seed: 5, dtype: 'float64' }) }),
    'truncNormal_ [2, 3]': () => ({
      x: truncNormal_(nk.zeros([4096], { dtype: 'float64' }), { a: 2, b: 3, rng: 6 }),
    }),
    softmax: () => ({ y: nk.softmax(x) }),
    gelu: () => ({ y: nk.gelu(x) }),
  };
}

/** a seeded 30-step GPT run (the transformer README's model, smaller): the losses */
async function gptLosses() {
  const text = 'to be or not to be, that is the question. ';
  const chars = [...new Set(text)].sort();
  const ids = [...text.repeat(4)].map((ch) => chars.indexOf(ch));
  const model = new GPT({ vocabSize: chars.length, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 32, seed: 0 });
  const losses = [];
  await train({
    model,
    optimizer: new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 }),
    steps: 30,
    data: (_step, rng) => {
      const starts = [0, 1, 2, 3].map(() => rng.integer(0, ids.length - 17));
      return {
        idx: starts.map((s) => ids.slice(s, s + 16)),
        targets: starts.map((s) => ids.slice(s + 1, s + 17)),
      };
    },
    onStep: (s) => losses.push(s.loss),
  });
  return losses;
}

/** a seeded sampling of 64 tokens (temperature 1, top-k 8) from a fresh seeded GPT */
function gptSample() {
  const model = new GPT({ vocabSize: 32, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 32, seed: 3 });
  return model.generate([1, 2, 3], { maxTokens: 64, temperature: 1, topK: 8, seed: 9 });
}

/**
 * Runs everything; returns { env, kernels: [{ name, outputs: { out: digest }, relDiffJs }], gpt }.
 * The backend is left as it was found.
 */
export async function runWorkload() {
  const before = nk.getBackend();
  const env = {
    wasmSupported: nk.wasmSupported(),
    sharedMemorySupported: nk.sharedMemorySupported(),
    backend: before,
  };
  nk.setBackend('wasm');
  env.memoryShared = nk.isWasmMemoryShared();
  const results = [];
  try {
    for (const [name, run] of Object.entries(kernels())) {
      nk.setBackend('wasm');
      const wasm = snapshot(run());
      nk.setBackend('js');
      const js = snapshot(run());
      const outputs = {};
      let rel = 0;
      for (const [k, t] of Object.entries(wasm)) {
        outputs[k] = digest(t);
        rel = Math.max(rel, relDiff(t, js[k]));
      }
      results.push({ name, outputs, relDiffJs: rel });
    }
    nk.setBackend('wasm');
    const wasmLosses = await gptLosses();
    nk.setBackend('js');
    const jsLosses = await gptLosses();
    const jsSample = gptSample();
    nk.setBackend('wasm');
    const wasmSample = gptSample();
    return {
      env,
      kernels: results,
      gpt: { wasm: wasmLosses, js: jsLosses },
      sample: { wasm: wasmSample, js: jsSample },
    };
  } finally {
    nk.setBackend(before);
  }
}

/**
 * Median wall times (ms) of f without and with the installed pool, interleaved rep by rep (the
 * pool uninstalled for the one-thread runs), after one warm-up each: a noisy machine then slows
 * both alike.
 */
function interleavedMs(f, pool, reps = 21) {
  const one = [];
  const two = [];
  for (let i = -1; i < reps; i++) {
    for (const [times, installed] of [
      [one, null],
      [two, pool],
    ]) {
      nk.setKernelPool(installed);
      const t0 = performance.now();
      f();
      if (i >= 0) times.push(performance.now() - t0);
    }
  }
  nk.setKernelPool(pool);
  const median = (t) => t.sort((a, b) => a - b)[reps >> 1];
  return [median(one), median(two)];
}

/** calls big enough to split over a kernel pool (norms' and the matmul's thresholds) */
function poolKernels() {
  const x = nk.randn([2048, 768], { seed: 11, mean: 0.5, std: 2 });
  const dy = nk.randn([2048, 768], { seed: 12 });
  const w = nk.randn([768], { seed: 13, mean: 1, std: 0.1 });
  const a = nk.randn([512, 512], { seed: 14 });
  const c = nk.randn([512, 512], { seed: 15 });
  // preallocated outputs: the times are the kernels', not the allocator's
  const f64 = { dtype: 'float64' };
  const fwd = { y: nk.zeros([2048, 768]), mean: nk.zeros([2048], f64), rstd: nk.zeros([2048], f64) };
  const bwd = { dx: nk.zeros([2048, 768]), dWeight: nk.zeros([768]), dBias: nk.zeros([768]) };
  const prod = nk.zeros([512, 512]);
  const ln = (p) =>
    atPrecision(p, () => {
      const f = norms.layerNormForward(x, [768], { weight: w, bias: w, out: fwd });
      return { ...f, ...norms.layerNormBackward(dy, x, [768], f, { weight: w, out: bwd }) };
    });
  return {
    'layerNorm [2048,768] highest': ln('highest'),
    'layerNorm [2048,768] high': ln('high'),
    'matmul 512^3': () => ({ y: nk.matmul(a, c, prod) }),
  };
}

/**
 * The kernels of poolKernels() without a pool, then with the pool `startPool()` returns (a
 * WebKernelPool in a page): per output whether the bytes are the same (y, mean, rstd, dx must be:
 * rows are split, not reordered; dWeight/dBias add per-range float64 totals, so relDiff), the
 * pool's stats, and the median times of matmul 512^3 and LayerNorm [2048,768] 'high' both ways
 * (interleaved).
 */
export async function runPoolPhase(startPool) {
  nk.setBackend('wasm');
  const cases = Object.entries(poolKernels());
  const base = cases.map(([, run]) => snapshot(run()));
  const pool = startPool();
  try {
    for (const [, run] of cases) run(); // posts the modules to the workers
    await pool.whenReady();
    const before = pool.stats().worker;
    const outputs = cases.map(([name, run], i) => {
      const out = snapshot(run());
      return {
        name,
        same: Object.keys(out).filter((k) => digest(out[k]) === digest(base[i][k])),
        differ: Object.fromEntries(
          Object.keys(out)
            .filter((k) => digest(out[k]) !== digest(base[i][k]))
            .map((k) => [k, relDiff(out[k], base[i][k])]),
        ),
      };
    });
    const workerCalls = pool.stats().worker - before;
    const [matmulOne, matmulPool] = interleavedMs(cases[2][1], pool);
    const [lnOne, lnPool] = interleavedMs(cases[1][1], pool);
    return {
      outputs,
      workerCalls,
      oneThread: { matmulMs: matmulOne, layerNormHighMs: lnOne },
      pool: { matmulMs: matmulPool, layerNormHighMs: lnPool },
    };
  } finally {
    pool.stop();
  }
}
