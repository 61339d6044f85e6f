import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdamW, SGD, warmupCosineSchedule } from '@normkit/nn';
import { type Generator, randint } from '@normkit/tensor';
import { describe, expect, it } from 'vitest';
import { encodeCheckpoint, restoreCheckpoint } from './checkpoint.js';
import { GPT, type GPTConfig } from './gpt.js';
import { fileCheckpoint, readCheckpoint } from './node.js';
import { type Batch, type StepInfo, train } from './train.js';

const config: GPTConfig = {
  vocabSize: 13,
  blockSize: 8,
  nLayer: 2,
  nHead: 2,
  nEmbd: 16,
  dropout: 0.1,
  seed: 3,
};
// a random window of a fixed token stream: draws from the loop's (checkpointed) data generator
const stream = randint(0, 13, [200], { seed: 5, dtype: 'float64' }).toTypedArray();
const data = (_step: number, rng: Generator): Batch => {
  const rows = [0, 1].map(() => rng.integer(0, stream.length - 9));
  return {
    idx: rows.map((r) => Array.from(stream.subarray(r, r + 8))),
    targets: rows.map((r) => Array.from(stream.subarray(r + 1, r + 9))),
  };
};
const schedule = warmupCosineSchedule({ lr: 3e-3, warmupSteps: 3, totalSteps: 12, minLr: 3e-4 });

function setup(seed = 3) {
  const model = new GPT({ ...config, seed });
  return { model, optimizer: new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.1 }) };
}

describe('train', () => {
  it('reports loss, gradient norm, lr, tokens/s and eval loss per step', async () => {
    const { model, optimizer } = setup();
    const seen: StepInfo[] = [];
    const evalData = data(0, new (model.generator.constructor as typeof Generator)(99));
    const r = await train({
      model,
      data,
      optimizer,
      schedule,
      steps: 4,
      evalEvery: 2,
      evalData,
      onStep: (i) => void seen.push(i),
    });
    expect(r.status).toBe('completed');
    expect(r.step).toBe(4);
    expect(seen).toEqual(r.history);
    expect(seen.map((i) => i.step)).toEqual([1, 2, 3, 4]);
    expect(seen.map((i) => i.lr)).toEqual([0, 1, 2, 3].map((s) => schedule.lrAt(s)));
    for (const i of seen) {
      expect(i.loss).toBeGreaterThan(0);
      expect(i.gradNorm).toBeGreaterThan(0);
      expect(i.tokensPerSecond).toBeGreaterThan(0);
      expect(i.layers).toBeUndefined();
    }
    expect(seen.map((i) => i.evalLoss === undefined)).toEqual([true, false, true, false]);
    expect(model.training).toBe(true);
  });

  it('clips the gradient norm and reports the norm before clipping', async () => {
    const { model } = setup();
    const optimizer = new SGD(model.parameters(), { lr: 0 });
    const r = await train({ model, data, optimizer, steps: 1, clipGradNorm: 1e-3 });
    const total = Math.sqrt(
      model.parameters().reduce((s, p) => s + p.grad!.toFlatArray().reduce((a, g) => a + g * g, 0), 0),
    );
    expect(total).toBeCloseTo(1e-3, 6);
    expect(r.history[0]!.gradNorm).toBeGreaterThan(1e-3);
  });

  it('stops cleanly with status diverged when the loss blows up (huge lr)', async () => {
    const { model } = setup();
    const optimizer = new SGD(model.parameters(), { lr: 1e4 });
    const r = await train({ model, data, optimizer, steps: 50 });
    expect(r.status).toBe('diverged');
    expect(r.step).toBeLessThan(50);
    expect(r.history.length).toBe(r.step);
    expect(r.reason).toMatch(
      /^(loss (NaN|Infinity|-?\d\S*) (exceeds 5 x the initial loss|is)|gradient norm is)/,
    );
    expect(r.reason).toContain(`at update ${r.step + 1}`);
    expect(!Number.isFinite(r.loss) || r.loss > 5 * r.history[0]!.loss).toBe(true);
  });

  it('resumes from a checkpoint exactly (model, optimizer, data and dropout generators)', async () => {
    const a = setup();
    const saved = new Map<number, Uint8Array>();
    const full = await train({
      ...a,
      data,
      schedule,
      steps: 12,
      clipGradNorm: 1,
      checkpoint: { every: 6, save: (bytes, step) => void saved.set(step, bytes) },
    });
    expect([...saved.keys()]).toEqual([6, 12]);
    const b = setup(77); // different initial weights: everything must come from the checkpoint
    const resumed = await train({ ...b, data, schedule, steps: 12, clipGradNorm: 1, resume: saved.get(6) });
    expect(resumed.history.map((i) => i.step)).toEqual([7, 8, 9, 10, 11, 12]);
    expect(resumed.history.map((i) => i.loss)).toEqual(full.history.slice(6).map((i) => i.loss));
    const pa = a.model.stateDict();
    const pb = b.model.stateDict();
    for (const k of Object.keys(pa)) expect(pb[k]!.toFlatArray(), k).toEqual(pa[k]!.toFlatArray());
    expect(b.optimizer.stateDict().state).toEqual(a.optimizer.stateDict().state);
  });

  it('records instrumentation per step when the model has it on', async () => {
    const model = new GPT({ ...config, instrument: true });
    const r = await train({ model, data, optimizer: new SGD(model.parameters(), { lr: 0.01 }), steps: 1 });
    expect(r.history[0]!.layers!.map((l) => l.layer)).toEqual([1, 2]);
    expect(r.history[0]!.gradNorms!.length).toBe(model.namedParameters().length);
  });

  it('rejects bad options, naming them', async () => {
    const { model, optimizer } = setup();
    const base = { model, optimizer, data };
    await expect(train({ ...base, steps: -1 })).rejects.toThrow(
      'train: steps expected an integer >= 0, got -1',
    );
    await expect(train({ ...base, steps: 1, evalEvery: 0 })).rejects.toThrow(
      'train: evalEvery expected an integer >= 1, got 0',
    );
    await expect(train({ ...base, steps: 1, checkpoint: { every: 0.5, save: () => {} } })).rejects.toThrow(
      'train: checkpoint.every expected an integer >= 1, got 0.5',
    );
    await expect(train({ ...base, steps: 1, divergenceFactor: 1 })).rejects.toThrow(
      'train: divergenceFactor expected a number > 1, got 1',
    );
    await expect(train({ ...base, steps: 1, clipGradNorm: 0 })).rejects.toThrow(
      'train: clipGradNorm expected a number > 0, got 0',
    );
  });
});

describe('checkpoints', () => {
  it('restoreCheckpoint rejects a file that is not a training checkpoint, and unknown generators', () => {
    const { model, optimizer } = setup();
    expect(() => restoreCheckpoint(model.toSafetensors(), { model, optimizer, generators: {} })).toThrow(
      "restoreCheckpoint: bytes expected a training checkpoint (metadata format 'normkit-train-checkpoint/1'), got format null",
    );
    const bytes = encodeCheckpoint(model, optimizer, {
      step: 0,
      initialLoss: null,
      generators: { model: model.generator },
    });
    expect(() => restoreCheckpoint(bytes, { model, optimizer, generators: {} })).toThrow(
      "restoreCheckpoint: the checkpoint has generator 'model', not among the targets ()",
    );
  });

  it('fileCheckpoint and readCheckpoint round-trip through a file (./node)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'normkit-transformer-'));
    try {
      const path = join(dir, 'ckpt.safetensors');
      const { model, optimizer } = setup();
      const r = await train({ model, optimizer, data, steps: 2, checkpoint: fileCheckpoint(path, 2) });
      const b = setup(8);
      const again = await train({ ...b, data, steps: 3, resume: await readCheckpoint(path) });
      expect(again.history.map((i) => i.step)).toEqual([3]);
      expect(r.step).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
