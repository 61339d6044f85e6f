// Shared by the optimizer tests: reads test/fixtures/optim.json (test/gen_optim_fixtures.py) and
// rebuilds each torch case with normkit's optimizers.
import { fileURLToPath } from 'node:url';
import { type Variable, variable } from '@normkit/autograd';
import { Tensor } from '@normkit/tensor';
import { type FixtureTensor, fixtureTensorData, loadFixture } from '@normkit/test-utils';
import { Adam, AdamW } from '../src/optim/adam.js';
import type { OptimizerStateDict } from '../src/optim/optimizer.js';
import { SGD } from '../src/optim/sgd.js';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));

export interface TorchStateDict {
  state: Record<string, Record<string, number | FixtureTensor>>;
  param_groups: Record<string, unknown>[];
}

export interface OptimCase {
  name: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW';
  options: Record<string, unknown>;
  groups: Record<string, unknown>[] | null;
  lrs: number[] | null;
  initial: FixtureTensor[];
  after: FixtureTensor[][];
  state3: TorchStateDict;
  state5: TorchStateDict;
}

export interface ClipCase {
  name: string;
  grads: FixtureTensor[];
  maxNorm: number;
  normType: number | string;
  total: number | string;
  clipped: FixtureTensor[];
}

export interface OptimFixture {
  torch: string;
  grads: (FixtureTensor | null)[][];
  optimizers: OptimCase[];
  clip: ClipCase[];
}

export const fixture = loadFixture<OptimFixture>(packageDir, 'optim.json');

export function toTensor(t: FixtureTensor): Tensor {
  return new Tensor(fixtureTensorData(t), t.shape);
}

/** torch's option names to normkit's. */
export function camelOptions(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())] = v;
  return out;
}

export type AnyOptimizer = SGD | Adam | AdamW;

export function build(c: OptimCase, params: Variable[]): AnyOptimizer {
  const groups = c.groups?.map((g, i) => ({ params: [params[i]!], ...camelOptions(g) }));
  const options = camelOptions(c.options);
  const input = groups ?? params;
  if (c.optimizer === 'SGD') return new SGD(input, options as { lr: number });
  if (c.optimizer === 'Adam') return new Adam(input, options);
  return new AdamW(input, options);
}

export function freshParams(c: OptimCase): Variable[] {
  return c.initial.map((t) => variable(toTensor(t)));
}

/** Set step s's gradients (null: no gradient, skipped) and lr, then step. */
export function runStep(c: OptimCase, opt: AnyOptimizer, params: Variable[], s: number): void {
  fixture.grads[s]!.forEach((g, i) => {
    params[i]!.grad = g === null ? null : toTensor(g);
  });
  if (c.lrs !== null) opt.lr = c.lrs[s]!;
  opt.step();
}

/** torch's state dict (JSON) as normkit's, tensors decoded. */
export function torchStateDict(sd: TorchStateDict): OptimizerStateDict {
  const state: OptimizerStateDict['state'] = {};
  for (const [k, entry] of Object.entries(sd.state)) {
    state[Number(k)] = Object.fromEntries(
      Object.entries(entry).map(([key, v]) => [key, typeof v === 'number' ? v : toTensor(v)]),
    );
  }
  return { state, param_groups: structuredClone(sd.param_groups) as OptimizerStateDict['param_groups'] };
}
