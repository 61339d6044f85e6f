import { tensor } from '@normkit/tensor';
import type { Variable } from '../src/index.js';
import * as A from '../src/index.js';
import { caseList, layouts } from './gradcheck-case.js';
import { input, type Layout } from './helpers.js';

/** gradcheck cases of reductions, softmax, shape, join, indexing and matmul ops. */
const { cases, add } = caseList();

export { cases as structuralCases };

// reductions over all, one, several and negative axes, with and without keepdims
const reductions: [A.RuleName, (x: Variable, axes: A.Axes, keepdims: boolean) => Variable][] = [
  ['sum', (x, axes, keepdims) => A.sum(x, axes, { keepdims })],
  ['mean', (x, axes, keepdims) => A.mean(x, axes, { keepdims })],
  ['variance', (x, axes, keepdims) => A.variance(x, axes, { keepdims })],
  ['variance', (x, axes, keepdims) => A.variance(x, axes, { keepdims, correction: 0 })],
  ['std', (x, axes, keepdims) => A.std(x, axes, { keepdims })],
  ['max', (x, axes, keepdims) => A.max(x, axes, { keepdims })],
  ['min', (x, axes, keepdims) => A.min(x, axes, { keepdims })],
  ['logsumexp', (x, axes, keepdims) => A.logsumexp(x, axes, { keepdims })],
];
const axesChoices: [A.Axes, boolean][] = [
  [undefined, false],
  [1, false],
  [-1, true],
  [[0, 2], false],
  [[0, 2], true],
];
reductions.forEach(([op, r], i) => {
  axesChoices.forEach(([axes, keepdims], j) => {
    const layout = layouts[j % 3]!;
    add(
      op,
      `${op}#${i} axes=${JSON.stringify(axes)} keepdims=${keepdims} ${layout}`,
      (x) => r(x!, axes, keepdims),
      () => [input([2, 3, 4], 400 + 10 * i + j, layout)],
    );
  });
});
add(
  'softmax',
  'softmax last axis',
  (x) => A.softmax(x!),
  () => [input([3, 4], 11, 'transposed')],
);
add(
  'softmax',
  'softmax axis 0, weighted',
  (x) => A.mul(A.softmax(x!, 0), input([3, 4], 12)),
  () => [input([3, 4], 13)],
);
add(
  'logSoftmax',
  'logSoftmax last axis',
  (x) => A.logSoftmax(x!),
  () => [input([2, 5], 14, 'sliced')],
);
add(
  'logSoftmax',
  'logSoftmax axis 1 of 3-d',
  (x) => A.logSoftmax(x!, 1),
  () => [input([2, 3, 2], 15)],
);

// shape ops
add(
  'reshape',
  'reshape of a transposed input (copy path)',
  (x) => A.reshape(x!, [3, -1]),
  () => [input([2, 3, 2], 20, 'transposed')],
);
add(
  'flatten',
  'flatten(1)',
  (x) => A.flatten(x!, 1),
  () => [input([2, 3, 2], 21)],
);
add(
  'squeeze',
  'squeeze',
  (x) => A.squeeze(x!),
  () => [input([2, 1, 3, 1], 22)],
);
add(
  'unsqueeze',
  'unsqueeze(1)',
  (x) => A.unsqueeze(x!, 1),
  () => [input([2, 3], 23, 'sliced')],
);
add(
  'permute',
  'permute',
  (x) => A.permute(x!, [2, 0, 1]),
  () => [input([2, 3, 4], 24)],
);
add(
  'transpose',
  'transpose',
  (x) => A.transpose(x!, 0, -1),
  () => [input([2, 3, 4], 25, 'transposed')],
);
add(
  'expand',
  'expand',
  (x) => A.expand(x!, [2, 3, 4]),
  () => [input([3, 1], 26)],
);
add(
  'slice',
  'slice step 2',
  (x) => A.slice(x!, 1, 1, undefined, 2),
  () => [input([3, 6], 27)],
);
add(
  'slice',
  'slice negative',
  (x) => A.slice(x!, -1, -3, -1),
  () => [input([2, 5], 28, 'transposed')],
);
add(
  'slice',
  'narrow',
  (x) => A.narrow(x!, 0, 1, 2),
  () => [input([4, 2], 29)],
);
add(
  'select',
  'select',
  (x) => A.select(x!, 1, -1),
  () => [input([2, 3, 2], 30)],
);

// joins
add(
  'concat',
  'concat of three along axis 1',
  (a, b, c) => A.concat([a!, b!, c!], 1),
  () => [input([2, 1], 31), input([2, 3], 32, 'transposed'), input([2, 2], 33, 'sliced')],
);
add(
  'stack',
  'stack along the last axis',
  (a, b) => A.stack([a!, b!], -1),
  () => [input([2, 3], 34), input([2, 3], 35, 'sliced')],
);
add(
  'split',
  'split with an unused piece',
  (x) => {
    const [p, , r] = A.split(x!, [1, 2, 3], 1);
    return A.add(A.sum(A.square(r!), 1), A.sum(p!, 1));
  },
  () => [input([2, 6], 36, 'sliced')],
);
add(
  'split',
  'split into chunks of 2',
  (x) => A.mul(...(A.split(x!, 2, 0) as [Variable, Variable])),
  () => [input([4, 3], 37)],
);

// indexing
add(
  'indexSelect',
  'indexSelect with repeated 2-d indices',
  (x) => A.indexSelect(x!, 0, tensor([0, 2, 2, -1], [2, 2], { dtype: 'float64' })),
  () => [input([4, 3], 40)],
);
add(
  'indexSelect',
  'embedding',
  (w) =>
    A.embedding(
      w!,
      tensor(
        [
          [1, 1],
          [0, 3],
        ],
        [2, 2],
        { dtype: 'float64' },
      ),
    ),
  () => [input([4, 3], 41, 'transposed')],
);
add(
  'indexSelect',
  'indexSelect along axis 1',
  (x) => A.indexSelect(x!, 1, new Int32Array([2, 0, 2])),
  () => [input([2, 3], 42)],
);
add(
  'gather',
  'gather',
  (x) =>
    A.gather(
      x!,
      1,
      tensor(
        [
          [0, 0, 2],
          [1, 2, 2],
        ],
        [2, 3],
        { dtype: 'float64' },
      ),
    ),
  () => [input([2, 4], 43, 'sliced')],
);
const cond = tensor([1, 0, 1, 0, 0, 1], [2, 3], { dtype: 'float64' });
add(
  'where',
  'where with broadcasting',
  (a, b) => A.where(cond, a!, b!),
  () => [input([3], 44), input([2, 1], 45)],
);
add(
  'where',
  'where with a number branch',
  (a) => A.where(cond, a!, -1),
  () => [input([2, 3], 46, 'transposed')],
);
add(
  'maskedFill',
  'maskedFill',
  (x) => A.maskedFill(x!, cond, -2),
  () => [input([2, 3], 47)],
);
add(
  'tril',
  'tril',
  (x) => A.tril(x!),
  () => [input([2, 3, 3], 48)],
);
add(
  'triu',
  'triu(1)',
  (x) => A.triu(x!, 1),
  () => [input([3, 4], 49, 'transposed')],
);

// matmul: 2-D, batched with broadcasting both ways, 1-D on either side, transposed operands
const mm: [number[], number[], Layout][] = [
  [[3, 4], [4, 2], 'contiguous'],
  [[2, 1, 3, 4], [3, 4, 2], 'transposed'],
  [[3, 4], [2, 4, 2], 'sliced'],
  [[4], [2, 4, 3], 'contiguous'],
  [[2, 3, 4], [4], 'transposed'],
  [[4], [4], 'sliced'],
];
mm.forEach(([sa, sb, layout], i) => {
  add(
    'matmul',
    `matmul ${JSON.stringify(sa)} @ ${JSON.stringify(sb)} ${layout}`,
    (a, b) => A.matmul(a!, b!),
    () => [input(sa, 50 + i, layout), input(sb, 60 + i, layout === 'sliced' ? 'contiguous' : layout)],
  );
});
