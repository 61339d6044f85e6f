// Training parity with PyTorch (test/gen_parity_fixture.py): an MLP with LayerNorm, BatchNorm and
// RMSNorm, 5 AdamW steps under a linear warmup with gradient clipping, from torch's initial state.
import type { Variable } from '@normkit/autograd';
import type { Tensor } from '@normkit/tensor';
import { assertClose, type FixtureTensor, fixtureTensorData, loadFixture } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { packageDir, toTensor } from '../../test/optim-fixture.js';
import { clipGradNorm } from '../clip.js';
import { Sequential } from '../containers.js';
import { GELU, ReLU } from '../layers/activation.js';
import { Linear } from '../layers/linear.js';
import { crossEntropy } from '../losses.js';
import { BatchNorm1d } from '../norms/batch-norm.js';
import { LayerNorm, RMSNorm } from '../norms/modules.js';
import { decodeSafetensors, encodeSafetensors } from '../safetensors.js';
import { linearWarmupSchedule } from '../schedules.js';
import { AdamW } from './adam.js';
import { optimizerStateFromTensors, optimizerStateToTensors } from './state-io.js';

interface ParityFixture {
  config: { peakLr: number; warmupSteps: number; weightDecay: number; maxNorm: number; rmsEps: number };
  initial: Record<string, FixtureTensor>;
  xs: FixtureTensor[];
  ys: number[][];
  steps: { lr: number; loss: number; gradNorm: number; state: Record<string, FixtureTensor> }[];
}

const fx = loadFixture<ParityFixture>(packageDir, 'parity.json');
const { peakLr, warmupSteps, weightDecay, maxNorm, rmsEps } = fx.config;
const dtype = 'float64';

function mlp(): Sequential {
  const model = new Sequential(
    new Linear(8, 16, { dtype, seed: 0 }),
    new LayerNorm(16, { dtype }),
    new GELU(),
    new Linear(16, 16, { dtype, seed: 1, bias: false }), // BatchNorm would make its bias's gradient noise
    new BatchNorm1d(16, { dtype }),
    new ReLU(),
    new Linear(16, 16, { dtype, seed: 2 }),
    new RMSNorm(16, { dtype, eps: rmsEps }),
    new Linear(16, 4, { dtype, seed: 3 }),
  );
  model.loadStateDict(Object.fromEntries(Object.entries(fx.initial).map(([k, v]) => [k, toTensor(v)])));
  return model;
}

const schedule = linearWarmupSchedule({ lr: peakLr, warmupSteps });

/** One training step s, as the script: zero_grad, loss, backward, clip, lr from the schedule, step. */
function trainStep(model: Sequential, opt: AdamW, s: number): { loss: number; gradNorm: number; lr: number } {
  opt.zeroGrad();
  const loss = crossEntropy(model.forward(toTensor(fx.xs[s]!)), fx.ys[s]!);
  loss.backward();
  const gradNorm = clipGradNorm(model.parameters(), maxNorm);
  opt.lr = schedule.lrAt(s);
  opt.step();
  return { loss: loss.item(), gradNorm, lr: opt.lr };
}

function snapshot(model: Sequential): Record<string, number[]> {
  return Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.toFlatArray()]));
}

describe('training parity with PyTorch: MLP with LayerNorm, BatchNorm1d, RMSNorm; AdamW + warmup + clipping', () => {
  it('loss, gradient norm, lr and every parameter and buffer agree with torch after each of 5 steps', () => {
    const model = mlp();
    const opt = new AdamW(model.parameters(), { lr: peakLr, weightDecay });
    fx.steps.forEach((want, s) => {
      const got = trainStep(model, opt, s);
      // lr * (s + 1) / W here, lr * min(1, (s + 1) / W) in the script: equal up to one rounding
      expect(Math.abs(got.lr - want.lr), `lr at step ${s + 1}`).toBeLessThanOrEqual(1e-16);
      expect(Math.abs(got.loss - want.loss), `loss at step ${s + 1}`).toBeLessThan(1e-12);
      expect(Math.abs(got.gradNorm - want.gradNorm), `grad norm at step ${s + 1}`).toBeLessThan(1e-12);
      const state = model.stateDict();
      expect(Object.keys(state).sort()).toEqual(Object.keys(want.state).sort());
      for (const [key, w] of Object.entries(want.state)) {
        assertClose(state[key]!.toTypedArray(), fixtureTensorData(w), {
          atol: 1e-10,
          label: `step ${s + 1} ${key}`,
        });
      }
    });
    // the fixture exercises both branches of the clipping
    expect(fx.steps.filter((s) => s.gradNorm > maxNorm).length).toBeGreaterThan(0);
    expect(fx.steps.filter((s) => s.gradNorm <= maxNorm).length).toBeGreaterThan(0);
  });

  it('3 steps, checkpoint (safetensors: model + optimizer), fresh objects, 2 steps = 5 steps, bit for bit', () => {
    const straight = mlp();
    const optStraight = new AdamW(straight.parameters(), { lr: peakLr, weightDecay });
    for (let s = 0; s < 5; s++) trainStep(straight, optStraight, s);

    const first = mlp();
    const optFirst = new AdamW(first.parameters(), { lr: peakLr, weightDecay });
    for (let s = 0; s < 3; s++) trainStep(first, optFirst, s);
    const flat = optimizerStateToTensors(optFirst.stateDict());
    const bytes = encodeSafetensors({ ...first.stateDict(), ...flat.tensors }, flat.metadata);

    const { tensors, metadata } = decodeSafetensors(bytes);
    const resumed = mlp();
    const model: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(tensors)) if (!k.startsWith('optimizer.')) model[k] = t;
    resumed.loadStateDict(model);
    const optResumed = new AdamW(resumed.parameters(), { lr: peakLr, weightDecay });
    optResumed.loadStateDict(optimizerStateFromTensors(tensors, metadata));
    const step = optResumed.stateDict().state[0]!.step as number;
    expect(step).toBe(3);
    for (let s = step; s < 5; s++) trainStep(resumed, optResumed, s);

    expect(snapshot(resumed)).toEqual(snapshot(straight));
  });

  it('the same round trip through stateDict() objects alone (no serialization)', () => {
    const straight = mlp();
    const optStraight = new AdamW(straight.parameters(), { lr: peakLr, weightDecay });
    for (let s = 0; s < 5; s++) trainStep(straight, optStraight, s);

    const first = mlp();
    const optFirst = new AdamW(first.parameters(), { lr: peakLr, weightDecay });
    for (let s = 0; s < 3; s++) trainStep(first, optFirst, s);
    const modelState = Object.fromEntries(Object.entries(first.stateDict()).map(([k, t]) => [k, t.clone()]));
    const optState = optFirst.stateDict();

    const resumed = mlp();
    resumed.loadStateDict(modelState);
    const params: Variable[] = resumed.parameters();
    const optResumed = new AdamW(params, { lr: peakLr, weightDecay });
    optResumed.loadStateDict(optState);
    for (let s = 3; s < 5; s++) trainStep(resumed, optResumed, s);
    expect(snapshot(resumed)).toEqual(snapshot(straight));
  });
});
