import { Tensor } from '@normkit/tensor';
import type { OptimizerStateDict } from './optimizer.js';

/**
 * An optimizer state dict as what safetensors stores, named tensors plus a map of strings, so a
 * checkpoint can keep the model and the optimizer in one file:
 *   encodeSafetensors({ ...model.stateDict(), ...tensors }, metadata)
 * Tensors are named `${prefix}state.${index}.${key}` (prefix 'optimizer.' by default, which no
 * module parameter name starts with); the step counts and param_groups go to one metadata entry
 * `${prefix}json` as JSON ({ steps, param_groups }). Reading takes the tensors with the prefix and
 * ignores the others (the model's).
 */
export interface FlatOptimizerState {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

export function optimizerStateToTensors(sd: OptimizerStateDict, prefix = 'optimizer.'): FlatOptimizerState {
  const tensors: Record<string, Tensor> = {};
  const steps: Record<string, number> = {};
  const indices: number[] = [];
  for (const [i, entry] of Object.entries(sd.state)) {
    indices.push(Number(i));
    for (const [key, v] of Object.entries(entry)) {
      if (v instanceof Tensor) tensors[`${prefix}state.${i}.${key}`] = v;
      else if (key === 'step') steps[i] = v;
    }
  }
  const json = JSON.stringify({ indices, steps, param_groups: sd.param_groups });
  return { tensors, metadata: { [`${prefix}json`]: json } };
}

export function optimizerStateFromTensors(
  tensors: Record<string, Tensor>,
  metadata: Record<string, string>,
  prefix = 'optimizer.',
): OptimizerStateDict {
  const op = 'optimizerStateFromTensors';
  const text = metadata[`${prefix}json`];
  if (typeof text !== 'string') {
    throw new TypeError(`${op}: metadata['${prefix}json'] is missing (not an optimizer checkpoint?)`);
  }
  let parsed: { indices?: unknown; steps?: unknown; param_groups?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TypeError(`${op}: metadata['${prefix}json'] is not valid JSON: ${(error as Error).message}`);
  }
  const { indices, steps, param_groups } = parsed;
  if (
    !Array.isArray(indices) ||
    typeof steps !== 'object' ||
    steps === null ||
    !Array.isArray(param_groups)
  ) {
    throw new TypeError(`${op}: metadata['${prefix}json'] expected { indices, steps, param_groups }`);
  }
  const state: OptimizerStateDict['state'] = {};
  for (const i of indices as number[]) {
    state[i] = {};
    const step = (steps as Record<string, number>)[String(i)];
    if (step !== undefined) state[i].step = step;
  }
  const head = `${prefix}state.`;
  for (const [name, t] of Object.entries(tensors)) {
    if (!name.startsWith(head)) continue;
    const rest = name.slice(head.length);
    const dot = rest.indexOf('.');
    const i = Number(rest.slice(0, dot));
    if (dot < 0 || !Number.isInteger(i) || state[i] === undefined) {
      throw new RangeError(
        `${op}: tensor '${name}' expected a name ${head}<index>.<key> with a listed index`,
      );
    }
    state[i][rest.slice(dot + 1)] = t;
  }
  return { state, param_groups };
}
