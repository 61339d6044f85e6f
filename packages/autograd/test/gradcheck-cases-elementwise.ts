import { Generator, tensor } from '@normkit/tensor';
import * as A from '../src/index.js';
import { caseList, type F, layouts } from './gradcheck-case.js';
import { awayFromZero, broadcastPair, input, positive, randomShape } from './helpers.js';

/** gradcheck cases of the elementwise ops: binary (broadcasting), unary math, activations. */
const { cases, add } = caseList();

export { cases as elementwiseCases };

// binary ops: random broadcasting pairs, and the fixed pairs [3,1] x [1,4], [2,3] x [] (0-d)
const binaryOps: [A.RuleName, F, 'any' | 'positiveB' | 'powBase'][] = [
  ['add', (a, b) => A.add(a!, b!), 'any'],
  ['sub', (a, b) => A.sub(a!, b!), 'any'],
  ['mul', (a, b) => A.mul(a!, b!), 'any'],
  ['div', (a, b) => A.div(a!, b!), 'positiveB'],
  ['pow', (a, b) => A.pow(a!, b!), 'powBase'],
  ['maximum', (a, b) => A.maximum(a!, b!), 'any'],
  ['minimum', (a, b) => A.minimum(a!, b!), 'any'],
];
for (const [op, f, domain] of binaryOps) {
  const pairs = [[3, 1], [1, 4], [2, 3], [], [1, 2, 3], [4, 1, 1]];
  for (let s = 0; s < 4; s++) pairs.push(...broadcastPair(100 + s));
  for (let k = 0; k < pairs.length; k += 2) {
    const [sa, sb] = [pairs[k]!, pairs[k + 1]!];
    const layout = layouts[(k / 2) % 3]!;
    add(op, `${op} ${JSON.stringify(sa)} ${JSON.stringify(sb)} ${layout}`, f, () => {
      const a = input(sa, k + 1, layout);
      const b = input(sb, k + 2, 'contiguous');
      if (domain === 'positiveB') positive(b, 0.5);
      if (domain === 'powBase') positive(a, 0.5);
      return [a, b];
    });
  }
}
// numbers and constant tensors as operands (one side differentiated)
add(
  'add',
  'add(x, 2.5) and add(3, x)',
  (x) => A.mul(A.add(x!, 2.5), A.add(3, x!)),
  () => [input([2, 3], 1)],
);
add(
  'sub',
  'sub(1, x)',
  (x) => A.sub(1, x!),
  () => [input([4], 2)],
);
add(
  'div',
  'div(2, x)',
  (x) => A.div(2, x!),
  () => [positive(input([2, 2], 3))],
);
add(
  'pow',
  'pow(x, 3) and pow(x, 0.5)',
  (x) => A.add(A.pow(x!, 3), A.pow(x!, 0.5)),
  () => [positive(input([5], 4))],
);
add(
  'pow',
  'pow(2, x)',
  (x) => A.pow(2, x!),
  () => [input([2, 3], 5)],
);
add(
  'mul',
  'mul by a constant Tensor',
  (x) => A.mul(x!, tensor([1, -2, 3], [3], { dtype: 'float64' })),
  () => [input([2, 3], 6, 'transposed')],
);

// unary math and activations on each layout
const unaryOps: [A.RuleName, F, 'any' | 'positive' | 'nonzero' | 'aboveMinusOne'][] = [
  ['neg', (x) => A.neg(x!), 'any'],
  ['abs', (x) => A.abs(x!), 'nonzero'],
  ['square', (x) => A.square(x!), 'any'],
  ['reciprocal', (x) => A.reciprocal(x!), 'nonzero'],
  ['exp', (x) => A.exp(x!), 'any'],
  ['expm1', (x) => A.expm1(x!), 'any'],
  ['log', (x) => A.log(x!), 'positive'],
  ['log1p', (x) => A.log1p(x!), 'positive'],
  ['sqrt', (x) => A.sqrt(x!), 'positive'],
  ['rsqrt', (x) => A.rsqrt(x!), 'positive'],
  ['sin', (x) => A.sin(x!), 'any'],
  ['cos', (x) => A.cos(x!), 'any'],
  ['erf', (x) => A.erf(x!), 'any'],
  ['tanh', (x) => A.tanh(x!), 'any'],
  ['sigmoid', (x) => A.sigmoid(x!), 'any'],
  ['relu', (x) => A.relu(x!), 'nonzero'],
  ['silu', (x) => A.silu(x!), 'any'],
  ['gelu', (x) => A.gelu(x!), 'any'],
  ['gelu', (x) => A.gelu(x!, { approximate: 'tanh' }), 'any'],
];
unaryOps.forEach(([op, f, domain], i) => {
  for (const layout of layouts) {
    const gen = new Generator(200 + i);
    const shape = randomShape(gen, 2, 3, 4);
    add(op, `${op}#${i} ${JSON.stringify(shape)} ${layout}`, f, () => {
      const x = input(shape, 300 + i, layout);
      if (domain === 'positive') positive(x);
      if (domain === 'nonzero') awayFromZero(x);
      return [x];
    });
  }
});
add(
  'clamp',
  'clamp both bounds',
  (x) => A.clamp(x!, -0.5, 0.7),
  () => [clampInput()],
);
add(
  'clamp',
  'clamp min only',
  (x) => A.clamp(x!, -0.5),
  () => [clampInput()],
);
add(
  'clamp',
  'clamp max only',
  (x) => A.clamp(x!, undefined, 0.7),
  () => [clampInput()],
);
add(
  'dropout',
  'dropout p=0.3 seeded',
  (x) => A.dropout(x!, 0.3, { seed: 7 }),
  () => [input([4, 5], 8, 'sliced')],
);

function clampInput() {
  // values away from the bounds -0.5 and 0.7 by at least 0.05
  const x = input([3, 4], 9);
  x.data.forEach((v, k) => {
    const near = [-0.5, 0.7].find((b) => Math.abs(v - b) < 0.05);
    if (near !== undefined) x.data[k] = near + 0.1;
  });
  return x;
}
