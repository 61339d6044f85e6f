// Shared by the recurrent tests: test/fixtures/lstm.json (test/gen_lstm_fixtures.py).
import { add, mul, sum, type Variable } from '@normkit/autograd';
import type { Tensor } from '@normkit/tensor';
import { type FixtureTensor, loadFixture } from '@normkit/test-utils';
import { packageDir, toTensor } from './optim-fixture.js';

export interface LstmCase {
  params: Record<string, FixtureTensor>;
  xs: FixtureTensor;
  h0: FixtureTensor;
  c0: FixtureTensor;
  wo: FixtureTensor;
  wh: FixtureTensor;
  wc: FixtureTensor;
  outputs: FixtureTensor;
  h: FixtureTensor;
  c: FixtureTensor;
  loss: number;
  grads: Record<string, FixtureTensor>;
}

export interface LstmFixture {
  sizes: { I: number; H: number; B: number; T: number };
  lstm: LstmCase & {
    nnLSTM: { outputs: FixtureTensor; h: FixtureTensor; c: FixtureTensor };
    noBias: {
      params: Record<string, FixtureTensor>;
      outputs: FixtureTensor;
      h: FixtureTensor;
      c: FixtureTensor;
    };
  };
  lnlstm: LstmCase & { eps: number };
}

export const lstmFixture = loadFixture<LstmFixture>(packageDir, 'lstm.json');

export function tensors(d: Record<string, FixtureTensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, toTensor(v)]));
}

/** The fixture's loss: sum(outputs * wo) + sum(h * wh) + sum(c * wc). */
export function fixtureLoss(c: LstmCase, r: { outputs: Variable; h: Variable; c: Variable }): Variable {
  return add(
    add(sum(mul(r.outputs, toTensor(c.wo))), sum(mul(r.h, toTensor(c.wh)))),
    sum(mul(r.c, toTensor(c.wc))),
  );
}
