import { backward, Variable } from '@normkit/autograd';
import type { DType, Tensor } from '@normkit/tensor';
import { type FixtureTensor, loadFixture } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { expectFixture, fromFixture, packageDir } from '../test/fixture-tensors.js';
import { Sequential } from './containers.js';
import { GELU, ReLU, Sigmoid, SiLU, Tanh } from './layers/activation.js';
import { Embedding, Linear } from './layers/linear.js';
import type { Module } from './module.js';
import { BatchNorm1d, BatchNorm2d, InstanceNorm1d, InstanceNorm2d } from './norms/batch-norm.js';
import { DyT } from './norms/dyt.js';
import { GroupNorm, LayerNorm, RMSNorm } from './norms/modules.js';

/**
 * Every module against PyTorch 1.13 (test/gen_modules_fixtures.py): parameters loaded through
 * loadStateDict with torch's state-dict keys, then each step's output, the gradients of the input
 * and of every parameter, and the state (running statistics, num_batches_tracked) after the step.
 */

interface Step {
  mode: 'train' | 'eval';
  x: FixtureTensor;
  dy: FixtureTensor;
  y: FixtureTensor;
  grads: Record<string, FixtureTensor>;
  stateAfter: Record<string, FixtureTensor>;
}

interface Case {
  name: string;
  ctor: string;
  args: unknown[];
  options: Record<string, unknown>;
  state: Record<string, FixtureTensor>;
  steps: Step[];
}

type Forward = Module & { forward(x: unknown): Variable };
// biome-ignore lint/suspicious/noExplicitAny: fixture arguments are JSON
type Build = (a: any[], o: any, dtype: DType) => Forward;

const builders: Record<string, Build> = {
  Linear: (a, o, dtype) => new Linear(a[0], a[1], { ...o, dtype, seed: 0 }),
  Embedding: (a, _o, dtype) => new Embedding(a[0], a[1], { dtype, seed: 0 }),
  LayerNorm: (a, o, dtype) => new LayerNorm(a[0], { ...o, dtype }),
  RMSNorm: (a, o, dtype) => new RMSNorm(a[0], { ...o, dtype }),
  BatchNorm1d: (a, o, dtype) => new BatchNorm1d(a[0], { ...o, dtype }),
  BatchNorm2d: (a, o, dtype) => new BatchNorm2d(a[0], { ...o, dtype }),
  GroupNorm: (a, o, dtype) => new GroupNorm(a[0], a[1], { ...o, dtype }),
  InstanceNorm1d: (a, o, dtype) => new InstanceNorm1d(a[0], { ...o, dtype }),
  InstanceNorm2d: (a, o, dtype) => new InstanceNorm2d(a[0], { ...o, dtype }),
  DyT: (a, o, dtype) => new DyT(a[0], { ...o, dtype }),
  GELU: (_a, o) => new GELU(o),
  ReLU: () => new ReLU(),
  SiLU: () => new SiLU(),
  Tanh: () => new Tanh(),
  Sigmoid: () => new Sigmoid(),
  Sequential: (_a, _o, dtype) =>
    new Sequential(
      new Linear(5, 4, { dtype, seed: 1 }),
      new GELU(),
      new LayerNorm(4, { dtype }),
      new Linear(4, 2, { dtype, seed: 2 }),
    ),
};

const fixture = loadFixture<{ cases: Case[] }>(packageDir, 'modules.json');

function stateOf(fixtureState: Record<string, FixtureTensor>, dtype: DType): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(fixtureState))
    out[k] = fromFixture(v, v.dtype === 'int64' ? 'float64' : dtype);
  return out;
}

function runCase(c: Case, dtype: DType): number {
  const m = builders[c.ctor]!(c.args, c.options, dtype);
  // torch's keys, in torch's order
  expect(Object.keys(m.stateDict())).toEqual(Object.keys(c.state));
  m.loadStateDict(stateOf(c.state, dtype));
  let worst = 0;
  c.steps.forEach((s, i) => {
    const label = `${c.name} ${dtype} step ${i} (${s.mode})`;
    m.train(s.mode === 'train');
    m.zeroGrad();
    const isIds = s.x.dtype === 'int64';
    const x = isIds ? null : new Variable(fromFixture(s.x, dtype));
    const y = m.forward(isIds ? fromFixture(s.x) : x);
    worst = Math.max(worst, expectFixture(y.data, s.y, dtype, `${label} y`));
    backward(y, fromFixture(s.dy, dtype));
    const params = new Map(m.namedParameters());
    expect([...Object.keys(s.grads)].sort()).toEqual([...params.keys(), ...(x ? ['x'] : [])].sort());
    for (const [k, g] of Object.entries(s.grads)) {
      const actual = k === 'x' ? x!.grad : params.get(k)!.grad;
      worst = Math.max(worst, expectFixture(actual, g, dtype, `${label} grad ${k}`));
    }
    const state = m.stateDict();
    for (const [k, v] of Object.entries(s.stateAfter)) {
      worst = Math.max(worst, expectFixture(state[k], v, dtype, `${label} state ${k}`));
    }
  });
  return worst;
}

describe('modules against PyTorch fixtures', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    describe(dtype, () => {
      for (const c of fixture.cases) {
        it(`${c.name}: forward, input and parameter gradients, state after each step`, () => {
          const worst = runCase(c, dtype);
          expect(worst).toBeLessThan(dtype === 'float64' ? 1e-10 : 1e-4);
        });
      }
    });
  }

  it('covers every module kind the fixture generator writes', () => {
    const kinds = new Set(fixture.cases.map((c) => c.ctor));
    expect([...kinds].sort()).toEqual(Object.keys(builders).sort());
    expect(fixture.cases.filter((c) => c.steps.length === 3).length).toBeGreaterThanOrEqual(4);
  });
});
