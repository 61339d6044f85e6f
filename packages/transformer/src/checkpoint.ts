import type { Variable } from '@normkit/autograd';
import {
  decodeSafetensors,
  encodeSafetensors,
  type Module,
  type OptimizerStateDict,
  optimizerStateFromTensors,
  optimizerStateToTensors,
} from '@normkit/nn';
import type { Generator, Tensor } from '@normkit/tensor';

/** What train() needs of an optimizer (AdamW, SGD, ... from @normkit/nn). */
export interface TrainOptimizer {
  lr: number;
  step(): void;
  zeroGrad(): void;
  params(): Variable[];
  stateDict(): OptimizerStateDict;
  loadStateDict(sd: OptimizerStateDict): void;
}

/** The loop's own state, kept in the checkpoint's metadata as JSON. */
export interface LoopState {
  /** Updates completed. */
  step: number;
  /** The first loss of the run (divergence is judged against it). */
  initialLoss: number | null;
  /** Generator states by name (Generator.getState(); the spare normal NaN is stored as null). */
  generators: Record<string, (number | null)[]>;
}

const META = 'normkit.train';
const FORMAT = 'normkit-train-checkpoint/1';
const PREFIX = 'optimizer.';

/**
 * One training checkpoint as safetensors bytes: the model's state dict under its own keys (so the
 * file is also a plain nanoGPT-style weights file), the optimizer's tensors under
 * `optimizer.state.<i>.<key>` with its step counts and hyperparameters in metadata
 * (@normkit/nn's optimizerStateToTensors), and the loop state as JSON in metadata `normkit.train`.
 * Browser-safe: bytes in, bytes out (file IO lives in @normkit/transformer/node).
 */
export function encodeCheckpoint(
  model: Module,
  optimizer: TrainOptimizer,
  loop: { step: number; initialLoss: number | null; generators: Record<string, Generator> },
): Uint8Array {
  const flat = optimizerStateToTensors(optimizer.stateDict(), PREFIX);
  const generators: LoopState['generators'] = {};
  for (const [k, g] of Object.entries(loop.generators)) {
    generators[k] = g.getState().map((v) => (Number.isNaN(v) ? null : v));
  }
  const state: LoopState = { step: loop.step, initialLoss: loop.initialLoss, generators };
  return encodeSafetensors(
    { ...model.stateDict(), ...flat.tensors },
    { format: FORMAT, ...flat.metadata, [META]: JSON.stringify(state) },
  );
}

/**
 * Restore a checkpoint into `model` (strict state-dict load), `optimizer` and the named
 * generators; returns the loop state. Every generator named in the checkpoint must be given.
 * The model is checked before anything is written; an optimizer state that does not fit its
 * parameters is reported after the model was loaded (restore into fresh objects).
 */
export function restoreCheckpoint(
  bytes: Uint8Array,
  target: { model: Module; optimizer: TrainOptimizer; generators: Record<string, Generator> },
): LoopState {
  const op = 'restoreCheckpoint';
  const { tensors, metadata } = decodeSafetensors(bytes, { source: op });
  if (metadata.format !== FORMAT || typeof metadata[META] !== 'string') {
    throw new TypeError(
      `${op}: bytes expected a training checkpoint (metadata format '${FORMAT}'), got format ${JSON.stringify(metadata.format ?? null)}`,
    );
  }
  const state = JSON.parse(metadata[META]) as LoopState;
  const modelState: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(tensors)) if (!k.startsWith(PREFIX)) modelState[k] = t;
  for (const name of Object.keys(state.generators)) {
    if (!(name in target.generators)) {
      throw new RangeError(
        `${op}: the checkpoint has generator '${name}', not among the targets (${Object.keys(target.generators).join(', ')})`,
      );
    }
  }
  target.model.loadStateDict(modelState);
  target.optimizer.loadStateDict(optimizerStateFromTensors(tensors, metadata, PREFIX));
  for (const [name, s] of Object.entries(state.generators)) {
    target.generators[name]!.setState(s.map((v) => (v === null ? Number.NaN : v)));
  }
  return state;
}
