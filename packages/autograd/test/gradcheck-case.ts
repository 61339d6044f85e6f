import type { Tensor } from '@normkit/tensor';
import type * as A from '../src/index.js';
import type { Variable } from '../src/index.js';
import type { Layout } from './helpers.js';

/** One gradcheck case: the rule it exercises, a label, f, and a maker for its float64 inputs. */
export type F = (...v: Variable[]) => Variable;
export interface Case {
  op: A.RuleName;
  name: string;
  f: F;
  inputs: () => Tensor[];
}

export const layouts: Layout[] = ['contiguous', 'transposed', 'sliced'];

/** A case list with an `add(op, name, f, inputs)` that appends to it. */
export function caseList(): {
  cases: Case[];
  add: (op: A.RuleName, name: string, f: F, inputs: () => Tensor[]) => void;
} {
  const cases: Case[] = [];
  return { cases, add: (op, name, f, inputs) => cases.push({ op, name, f, inputs }) };
}
