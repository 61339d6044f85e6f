import { axpy, type DType, randn, type Tensor } from '@normkit/tensor';
import * as A from '../src/index.js';

/**
 * A small MLP regression step shared by the memory bench and the memory test:
 * x [16, 8] -> Linear(8, 32) -> tanh -> Linear(32, 1) -> mse against y, then SGD in place.
 */
export interface Mlp {
  params: A.Variable[];
  step(): number;
}

export function makeMlp(dtype: DType = 'float32', lr = 0.05): Mlp {
  const r = (shape: number[], seed: number, std = 1) => randn(shape, { seed, dtype, std });
  const x: Tensor = r([16, 8], 1);
  const y: Tensor = r([16, 1], 2);
  const w1 = A.variable(r([8, 32], 3, 1 / Math.sqrt(8)), { name: 'w1' });
  const b1 = A.variable(r([32], 4, 0.01), { name: 'b1' });
  const w2 = A.variable(r([32, 1], 5, 1 / Math.sqrt(32)), { name: 'w2' });
  const params = [w1, b1, w2];
  return {
    params,
    step() {
      A.zeroGrad(params, { setToNone: false });
      const h = A.tanh(A.add(A.matmul(x, w1), b1));
      const loss = A.mean(A.square(A.sub(A.matmul(h, w2), y)));
      loss.backward();
      for (const p of params) axpy(-lr, p.grad!, p.data);
      return loss.item();
    },
  };
}
