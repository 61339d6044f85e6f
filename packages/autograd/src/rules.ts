import { activationRules } from './ops/activation.js';
import { binaryRules } from './ops/binary.js';
import { indexingRules } from './ops/indexing.js';
import { joinRules } from './ops/join.js';
import { matmulRules } from './ops/matmul.js';
import { reduceRules } from './ops/reduce.js';
import { shapeRules } from './ops/shape.js';
import { softmaxRules } from './ops/softmax.js';
import { unaryRules } from './ops/unary.js';

/**
 * The table of every built-in op, one entry per op (tinygrad style): each entry is the op itself,
 * and `entry.definition` holds its forward and its backward rule side by side. The entries live
 * next to their public wrappers in src/ops/*.ts; this is the one place that lists them all.
 */
export const rules = {
  ...binaryRules,
  ...unaryRules,
  ...activationRules,
  ...reduceRules,
  ...softmaxRules,
  ...shapeRules,
  ...joinRules,
  ...indexingRules,
  ...matmulRules,
};

export type RuleName = keyof typeof rules;
