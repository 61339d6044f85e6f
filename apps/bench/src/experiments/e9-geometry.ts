import { layerNormForward, rmsNormForward } from '@normkit/norms';
import { Tensor, tidy } from '@normkit/tensor';
import { corpusFor, type ReferenceLevels } from '../data/corpus.js';
import { residualStreams } from './common/hidden.js';
import { buildGpt, type ModelSpec } from './common/model.js';
import { levelsOf, lossChart, outcomeOf, thresholdText } from './common/outcomes.js';
import { type TrainRecord, type TrainSpec, trainOnCorpus } from './common/train.js';
import { defineExperiment } from './types.js';
import { claim, decide, fmt, mean, premise } from './verdicts.js';

/**
 * E9: the geometry of LayerNorm, measured on the residual stream of a trained GPT. With eps = 0
 * and no affine, LN(x) = (x - mean(x)) / std(x) lies on the sphere of radius sqrt(d) (sum of y^2 =
 * d) inside the hyperplane orthogonal to the all-ones vector (sum of y = 0) (Brody, Alon & Yahav
 * 2023, "On the Expressivity Role of LayerNorm in Transformers' Attention"), and RMSNorm(x) =
 * x / sqrt(mean(x^2)) equals LayerNorm on zero-mean inputs, so LN(x) = RMSNorm(x - mean(x)) (Zhang
 * & Sennrich 2019). The identities are checked with normkit's kernels in float32 and float64; the
 * measurement that is not an identity is how far real hidden states are from zero mean, i.e. how
 * different RMSNorm and LayerNorm really are on them.
 */

export type E9Config = {
  model: ModelSpec;
  train: TrainSpec;
  /** Held-out windows whose hidden states are measured. */
  windows: number;
  /** Tolerances on the identities, relative, per dtype. */
  tol32: number;
  tol64: number;
};

/** Per stream position (embeddings, then after each block): maxima over tokens unless noted. */
export type LayerGeometry = {
  /** max | ||LN(x)|| / sqrt(d) - 1 | with the float32 and float64 kernels. */
  sphere32: number;
  sphere64: number;
  /** max |cos(LN(x), 1)| = |sum LN(x)| / (sqrt(d) ||LN(x)||). */
  ones32: number;
  ones64: number;
  /** max |RMSNorm(x - mean x) - LN(x)| (float64). */
  rmsOfCentered64: number;
  /** Mean and max over tokens of mean(x)^2 / mean(x^2): 0 for zero-mean states. */
  meanShareAvg: number;
  meanShareMax: number;
  /** Mean over tokens of ||RMSNorm(x) - LN(x)|| / ||LN(x)|| (float64). */
  rmsVsLnAvg: number;
};

export type E9Measurements = {
  levels: ReferenceLevels | null;
  floor: number | null;
  train: TrainRecord;
  /** The same statistics at initialisation and after training, one entry per stream position. */
  init: LayerGeometry[];
  trained: LayerGeometry[];
};

export const e9 = defineExperiment<E9Config, E9Measurements>({
  id: 'E9',
  title: 'Geometry of LayerNorm and RMSNorm on real hidden states',
  claim:
    'With eps = 0, LayerNorm outputs lie on the sphere of radius sqrt(d) in the hyperplane orthogonal to ' +
    'the all-ones vector (Brody et al. 2023), and RMSNorm equals LayerNorm on zero-mean inputs (Zhang & ' +
    'Sennrich 2019); measured on the residual stream of a trained GPT, with how far it is from zero mean.',
  inQuickRun: true,
  configs: {
    quick: {
      model: { nLayer: 4, nEmbd: 32, nHead: 4, blockSize: 32 },
      train: { steps: 200, batchSize: 8, lr: 0.01, warmupSteps: 40, decay: 'cosine' },
      windows: 16,
      tol32: 1e-5,
      tol64: 1e-12,
    },
    full: {
      model: { nLayer: 6, nEmbd: 64, nHead: 4, blockSize: 32 },
      train: { steps: 500, batchSize: 8, lr: 0.005, warmupSteps: 50, decay: 'cosine' },
      windows: 32,
      tol32: 1e-5,
      tol64: 1e-12,
    },
  },
  async run(c, ctx) {
    const corpus = corpusFor(ctx);
    const model = buildGpt(c.model, { placement: 'pre' }, corpus.vocabSize, ctx.seed);
    const batch = corpus.evalBatch(c.windows, c.model.blockSize, ctx.seed);
    const measure = () =>
      tidy(() => residualStreams(model, batch.idx).map((x) => geometry(x, c.model.nEmbd)));
    const init = measure();
    const train = await trainOnCorpus(model, corpus, c.train, ctx);
    return {
      levels: corpus.levels,
      floor: corpus.lossFloor(c.model.blockSize),
      train,
      init,
      trained: measure(),
    };
  },
  verdict(runs, c) {
    const m = runs.find((r) => r.measurements !== null)?.measurements;
    if (!m) return { verdict: 'inconclusive', summary: 'the run failed: no hidden states to measure' };
    const g = m.trained;
    const worst = (k: keyof LayerGeometry) => Math.max(...g.map((l) => l[k]));
    const v = decide([
      premise(
        `the model trained (final loss ${fmt(m.train.finalLoss)}; ${thresholdText(levelsOf(runs))})`,
        outcomeOf(m) === 'trained',
      ),
      claim(
        `max | ||LN(x)||/sqrt(d) - 1 | ${fmt(worst('sphere32'))} (float32, <= ${fmt(c.tol32)}), ${fmt(worst('sphere64'))} (float64, <= ${fmt(c.tol64)})`,
        worst('sphere32') <= c.tol32 && worst('sphere64') <= c.tol64,
      ),
      claim(
        `max |cos(LN(x), 1)| ${fmt(worst('ones32'))} (float32), ${fmt(worst('ones64'))} (float64)`,
        worst('ones32') <= c.tol32 && worst('ones64') <= c.tol64,
      ),
      claim(
        `max |RMSNorm(x - mean) - LN(x)| ${fmt(worst('rmsOfCentered64'))} (float64, <= ${fmt(c.tol64)})`,
        worst('rmsOfCentered64') <= c.tol64,
      ),
    ]);
    const share = g.map((l) => fmt(l.meanShareAvg, 2)).join(', ');
    const diff = g.map((l) => fmt(l.rmsVsLnAvg, 2)).join(', ');
    return {
      verdict: v.verdict,
      summary:
        `${v.summary} Real states are not zero-mean: mean^2/mean(x^2) per stream position (embeddings first) ${share} ` +
        `(at init ${fmt(mean(m.init.map((l) => l.meanShareAvg)), 2)} on average), so RMSNorm(x) differs from LN(x) by ${diff} (relative).`,
    };
  },
  charts(runs) {
    const m = runs.find((r) => r.measurements !== null)?.measurements;
    if (!m) return [];
    const layers = m.trained.map((_, i) => (i === 0 ? 'emb' : `${i}`));
    return [
      {
        kind: 'profile',
        title: 'E9: share of the mean in the second moment, mean(x)^2 / mean(x^2), per stream position',
        yLabel: 'mean over tokens',
        layers,
        series: [
          { name: 'trained', values: m.trained.map((l) => l.meanShareAvg) },
          { name: 'init', values: m.init.map((l) => l.meanShareAvg) },
        ],
      },
      {
        kind: 'profile',
        title: 'E9: ||RMSNorm(x) - LN(x)|| / ||LN(x)|| per stream position (eps = 0)',
        yLabel: 'mean over tokens',
        logY: true,
        layers,
        series: [
          { name: 'trained', values: m.trained.map((l) => l.rmsVsLnAvg) },
          { name: 'init', values: m.init.map((l) => l.rmsVsLnAvg) },
        ],
      },
      {
        kind: 'profile',
        title: 'E9: identity residuals (max over tokens): sphere and all-ones, float32 kernel',
        yLabel: 'relative deviation',
        logY: true,
        layers,
        series: [
          { name: '| ||LN(x)||/sqrt(d) - 1 |', values: m.trained.map((l) => l.sphere32) },
          { name: '|cos(LN(x), 1)|', values: m.trained.map((l) => l.ones32) },
        ],
      },
      lossChart('E9: training loss of the measured model', runs, m.floor),
    ];
  },
});

/** The statistics of LayerGeometry for states x [M, d] (float64, row-major). */
export function geometry(x: Float64Array, d: number): LayerGeometry {
  const M = x.length / d;
  const x64 = new Tensor(x, [M, d]);
  const x32 = new Tensor(Float32Array.from(x), [M, d]);
  const ln64 = layerNormForward(x64, [d], { eps: 0 }).y.data;
  const ln32 = layerNormForward(x32, [d], { eps: 0 }).y.data;
  const centered = new Float64Array(x.length);
  const out: LayerGeometry = {
    sphere32: 0,
    sphere64: 0,
    ones32: 0,
    ones64: 0,
    rmsOfCentered64: 0,
    meanShareAvg: 0,
    meanShareMax: 0,
    rmsVsLnAvg: 0,
  };
  for (let r = 0; r < M; r++) {
    let mu = 0;
    let sq = 0;
    for (let j = 0; j < d; j++) {
      mu += x[r * d + j]!;
      sq += x[r * d + j]! ** 2;
    }
    mu /= d;
    sq /= d;
    for (let j = 0; j < d; j++) centered[r * d + j] = x[r * d + j]! - mu;
    const share = sq > 0 ? (mu * mu) / sq : 0;
    out.meanShareAvg += share / M;
    out.meanShareMax = Math.max(out.meanShareMax, share);
    for (const [y, sphere, ones] of [
      [ln32, 'sphere32', 'ones32'],
      [ln64, 'sphere64', 'ones64'],
    ] as const) {
      let s = 0;
      let n2 = 0;
      for (let j = 0; j < d; j++) {
        s += y[r * d + j]!;
        n2 += y[r * d + j]! ** 2;
      }
      out[sphere] = Math.max(out[sphere], Math.abs(Math.sqrt(n2 / d) - 1));
      out[ones] = Math.max(out[ones], Math.abs(s) / Math.sqrt(d * n2));
    }
  }
  const rmsCentered = rmsNormForward(new Tensor(centered, [M, d]), [d], { eps: 0 }).y.data;
  const rms = rmsNormForward(x64, [d], { eps: 0 }).y.data;
  for (let r = 0; r < M; r++) {
    let diff = 0;
    let n2 = 0;
    for (let j = 0; j < d; j++) {
      const i = r * d + j;
      out.rmsOfCentered64 = Math.max(out.rmsOfCentered64, Math.abs(rmsCentered[i]! - ln64[i]!));
      diff += (rms[i]! - ln64[i]!) ** 2;
      n2 += ln64[i]! ** 2;
    }
    out.rmsVsLnAvg += Math.sqrt(diff / n2) / M;
  }
  return out;
}
