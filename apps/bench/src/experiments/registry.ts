import { e1 } from './e1-grad-norm-init.js';
import { e2 } from './e2-warmup.js';
import { e9 } from './e9-geometry.js';
import type { AnyExperiment } from './types.js';

/**
 * The real experiments, in report order. To add one: write src/experiments/<id>.ts exporting an
 * Experiment (use defineExperiment), import it here and append it to the list. Workers import this
 * module too, so registration must be static (no registerExperiment calls from elsewhere at run time:
 * a worker would not see them).
 */
export const experiments: readonly AnyExperiment[] = [e1, e2, e9];

export function findExperiment(list: readonly AnyExperiment[], id: string): AnyExperiment | undefined {
  return list.find((e) => e.id === id);
}
