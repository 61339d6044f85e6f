import { ShapeError, type Tensor, tensor, zeros } from '@normkit/tensor';
import { describe, expect, it } from 'vitest';
import { fixture, freshParams, type OptimCase, runStep, torchStateDict } from '../../test/optim-fixture.js';
import { decodeSafetensors, encodeSafetensors } from '../safetensors.js';
import { Adam, AdamW } from './adam.js';
import type { OptimizerStateDict } from './optimizer.js';
import { optimizerStateFromTensors, optimizerStateToTensors } from './state-io.js';

const f64 = (values: number[]) => tensor(values, undefined, { dtype: 'float64' });
const caseNamed = (name: string): OptimCase => fixture.optimizers.find((c) => c.name === name)!;

describe('state dict round trips', () => {
  const c = caseNamed('adamw groups + warmup');

  function trained(steps: number, from?: { params: Tensor[]; sd: OptimizerStateDict }) {
    const params = freshParams(c);
    if (from) for (const [i, t] of from.params.entries()) params[i]!.data = t.clone();
    const opt = new AdamW(
      [
        { params: [params[0]!], weightDecay: 0 },
        { params: [params[1]!], weightDecay: 0.3, betas: [0.9, 0.95] },
      ],
      { lr: 0.01 },
    );
    if (from) opt.loadStateDict(from.sd);
    const start = from ? 3 : 0;
    for (let s = start; s < start + steps; s++) runStep(c, opt, params, s);
    return { params, opt };
  }

  it('3 steps + stateDict + load into fresh objects + 2 steps = 5 uninterrupted steps, exactly', () => {
    const full = trained(5);
    const half = trained(3);
    const resumed = trained(2, { params: half.params.map((p) => p.data), sd: half.opt.stateDict() });
    resumed.params.forEach((p, i) => {
      expect(p.data.toFlatArray()).toEqual(full.params[i]!.data.toFlatArray());
    });
  });

  it('the same through one safetensors file (model tensors + optimizer state) is exact too', () => {
    const full = trained(5);
    const half = trained(3);
    const flat = optimizerStateToTensors(half.opt.stateDict());
    const model = { w0: half.params[0]!.data, w1: half.params[1]!.data };
    const bytes = encodeSafetensors({ ...model, ...flat.tensors }, flat.metadata);
    const { tensors, metadata } = decodeSafetensors(bytes);
    const sd = optimizerStateFromTensors(tensors, metadata);
    const resumed = trained(2, { params: [tensors.w0!, tensors.w1!], sd });
    resumed.params.forEach((p, i) => {
      expect(p.data.toFlatArray()).toEqual(full.params[i]!.data.toFlatArray());
    });
  });

  it('stateDict holds copies: later steps do not change it; loading copies into the own buffers', () => {
    const { opt, params } = trained(3);
    const sd = opt.stateDict();
    const before = (sd.state[0]!.exp_avg as Tensor).toFlatArray();
    runStep(c, opt, params, 3);
    expect((sd.state[0]!.exp_avg as Tensor).toFlatArray()).toEqual(before);
    const other = trained(1);
    other.opt.loadStateDict(sd);
    (sd.state[0]!.exp_avg as Tensor).data.fill(7);
    expect((other.opt.stateDict().state[0]!.exp_avg as Tensor).toFlatArray()).toEqual(before);
  });

  it('optimizerStateFromTensors errors name the problem', () => {
    expect(() => optimizerStateFromTensors({}, {})).toThrow(/metadata\['optimizer.json'\] is missing/);
    expect(() => optimizerStateFromTensors({}, { 'optimizer.json': '{' })).toThrow(/is not valid JSON/);
    expect(() => optimizerStateFromTensors({}, { 'optimizer.json': '{}' })).toThrow(
      /expected \{ indices, steps, param_groups \}/,
    );
    const meta = { 'optimizer.json': JSON.stringify({ indices: [0], steps: {}, param_groups: [] }) };
    expect(() => optimizerStateFromTensors({ 'optimizer.state.4.exp_avg': zeros([1]) }, meta)).toThrow(
      /tensor 'optimizer.state.4.exp_avg' expected a name optimizer.state.<index>.<key> with a listed index/,
    );
  });
});

describe('loadStateDict validation: one clear error, nothing changed', () => {
  const c = caseNamed('adam amsgrad');
  const good = () => torchStateDict(c.state3);
  const fresh = () => new Adam(freshParams(c), { lr: 0.01, amsgrad: true, betas: [0.8, 0.99], eps: 1e-6 });
  type Edit = (sd: OptimizerStateDict & Record<string, unknown>) => unknown;
  const groups = (sd: OptimizerStateDict) => sd.param_groups as Record<string, unknown>[];
  const entry = (sd: OptimizerStateDict, i: number) => sd.state[i] as Record<string, unknown>;

  it.each<[string, Edit, ErrorConstructor | typeof ShapeError, RegExp]>([
    [
      'group count',
      (sd) => groups(sd).push({ params: [] }),
      RangeError,
      /param_groups expected 1 groups, got 2/,
    ],
    [
      'param count',
      (sd) => (groups(sd)[0]!.params = [0]),
      RangeError,
      /param_groups\[0\].params expected 2 parameters, got 1/,
    ],
    [
      'group not an object',
      (sd) => (sd.param_groups[0] = 'x' as never),
      TypeError,
      /param_groups\[0\] expected \{ params, ... \}/,
    ],
    [
      'maximize',
      (sd) => (groups(sd)[0]!.maximize = true),
      RangeError,
      /param_groups\[0\].maximize = true is not supported/,
    ],
    [
      'lr type',
      (sd) => (groups(sd)[0]!.lr = '0.1'),
      TypeError,
      /param_groups\[0\].lr expected a number, got "0.1"/,
    ],
    [
      'betas type',
      (sd) => (groups(sd)[0]!.betas = [0.9]),
      TypeError,
      /param_groups\[0\].betas expected a pair of numbers, got an array of length 1/,
    ],
    [
      'amsgrad type',
      (sd) => delete groups(sd)[0]!.amsgrad,
      TypeError,
      /param_groups\[0\].amsgrad expected a boolean, got undefined/,
    ],
    [
      'eps range',
      (sd) => (groups(sd)[0]!.eps = -1),
      RangeError,
      /Adam.loadStateDict: param_groups\[0\]: eps expected a finite number >= 0, got -1/,
    ],
    [
      'param id',
      (sd) => (groups(sd)[0]!.params = [0, 1.5]),
      TypeError,
      /param_groups\[0\].params\[1\] expected an integer, got 1.5/,
    ],
    [
      'unknown state index',
      (sd) => (sd.state[9] = {}),
      RangeError,
      /state\[9\] names no parameter of param_groups/,
    ],
    [
      'entry type',
      (sd) => (sd.state[0] = 5 as never),
      TypeError,
      /state\[0\] expected an object, got number 5/,
    ],
    [
      'step',
      (sd) => (entry(sd, 1).step = -1),
      RangeError,
      /state\[1\].step expected a non-negative integer, got number -1/,
    ],
    [
      'fractional step',
      (sd) => (entry(sd, 1).step = 2.5),
      RangeError,
      /state\[1\].step expected a non-negative integer/,
    ],
    [
      'missing buffer',
      (sd) => delete entry(sd, 0).max_exp_avg_sq,
      TypeError,
      /state\[0\].max_exp_avg_sq is missing \(expected a float64 Tensor\)/,
    ],
    [
      'buffer type',
      (sd) => (entry(sd, 0).exp_avg = [1, 2]),
      TypeError,
      /state\[0\].exp_avg expected a Tensor, got an array of length 2/,
    ],
    [
      'dtype',
      (sd) => (entry(sd, 1).exp_avg = zeros([5])),
      TypeError,
      /state\[1\].exp_avg has dtype float32, expected float64 \(its parameter's\)/,
    ],
    [
      'shape',
      (sd) => (entry(sd, 0).exp_avg_sq = zeros([4, 3], { dtype: 'float64' })),
      ShapeError,
      /state\[0\].exp_avg_sq has shape \[4,3\], expected \[3,4\] \(the shape of parameter 0\)/,
    ],
  ])('%s', (_name, edit, cls, message) => {
    const opt = fresh();
    const sd = good();
    edit(sd as OptimizerStateDict & Record<string, unknown>);
    const before = JSON.stringify(opt.paramGroups.map(({ params, ...h }) => h));
    expect(() => opt.loadStateDict(sd)).toThrow(cls);
    expect(() => opt.loadStateDict(sd)).toThrow(message);
    expect(JSON.stringify(opt.paramGroups.map(({ params, ...h }) => h))).toBe(before);
    expect(opt.stateDict().state).toEqual({});
  });

  it('rejects what is not a state dict', () => {
    expect(() => fresh().loadStateDict(42 as unknown as OptimizerStateDict)).toThrow(
      /Adam.loadStateDict: expected \{ state, param_groups \}, got number 42/,
    );
  });

  it("accepts torch's step as a one-element tensor", () => {
    const sd = good();
    entry(sd, 0).step = f64([3]);
    const opt = fresh();
    opt.loadStateDict(sd);
    expect(opt.stateDict().state[0]!.step).toBe(3);
  });
});
