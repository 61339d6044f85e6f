import { e1 } from './e1-grad-norm-init.js';
import { e2 } from './e2-warmup.js';
import { e3 } from './e3-depth.js';
import { e4 } from './e4-residual-variance.js';
import { e5 } from './e5-norm-kinds.js';
import { e6 } from './e6-qk-norm.js';
import { e7 } from './e7-batchnorm-batch-size.js';
import { e8 } from './e8-ln-lstm.js';
import { e9 } from './e9-geometry.js';
import type { AnyExperiment } from './types.js';

/**
 * The real experiments, in report order. To add one: write src/experiments/<id>.ts exporting an
 * Experiment (use defineExperiment), import it here and append it to the list. Workers import this
 * module too, so registration must be static (no registerExperiment calls from elsewhere at run time:
 * a worker would not see them).
 */
export const experiments: readonly AnyExperiment[] = [e1, e2, e3, e4, e5, e6, e7, e8, e9];

export function findExperiment(list: readonly AnyExperiment[], id: string): AnyExperiment | undefined {
  return list.find((e) => e.id === id);
}
