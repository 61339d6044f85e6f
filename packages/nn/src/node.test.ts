import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator, randn, type Tensor, tensor } from '@normkit/tensor';
import {
  assertClose,
  type FixtureTensor,
  fixturePath,
  fixtureTensorData,
  loadFixture,
} from '@normkit/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSafetensors, loadSafetensorsSync, saveSafetensors, saveSafetensorsSync } from './node.js';
import { encodeSafetensors } from './safetensors.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'normkit-nn-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const dict = () => ({
  'h.0.weight': randn([4, 3], { generator: new Generator(1) }),
  'h.0.bias': tensor([0.5, -1, 2], [3], { dtype: 'float64' }),
});

/** A tensor whose storage throws when read: the writer fails after the header is on disk. */
function failingTensor(onRead: () => void): Tensor {
  const t = tensor([1, 2, 3]);
  Object.defineProperty(t, 'data', {
    get() {
      onRead();
      throw new Error('disk full (injected)');
    },
  });
  return t;
}

describe('saveSafetensors / loadSafetensors', () => {
  it('sync and async saves write the encoder bytes; loads return the tensors and metadata', async () => {
    const d = dict();
    const meta = { step: '100' };
    const a = join(dir, 'a.safetensors');
    const b = join(dir, 'b.safetensors');
    saveSafetensorsSync(a, d, meta);
    await saveSafetensors(b, d, meta);
    const want = encodeSafetensors(d, meta);
    expect(new Uint8Array(readFileSync(a))).toEqual(want);
    expect(new Uint8Array(readFileSync(b))).toEqual(want);
    for (const loaded of [loadSafetensorsSync(a), await loadSafetensors(b)]) {
      expect(loaded.metadata).toEqual(meta);
      assertClose(loaded.tensors['h.0.weight']!.toTypedArray(), d['h.0.weight'].toTypedArray(), { atol: 0 });
      expect(loaded.tensors['h.0.bias']!.dtype).toBe('float64');
    }
    expect(readdirSync(dir).sort()).toEqual(['a.safetensors', 'b.safetensors']);
  });

  it('replaces an existing file', async () => {
    const path = join(dir, 'm.safetensors');
    writeFileSync(path, 'old');
    await saveSafetensors(path, { x: tensor([7]) });
    expect((await loadSafetensors(path)).tensors.x!.item()).toBe(7);
  });

  it('loads the Python-written fixture, with options.dtype', async () => {
    const expected = loadFixture<{ tensors: Record<string, FixtureTensor> }>(
      packageDir,
      'mixed.expected.json',
    );
    const { tensors } = await loadSafetensors(fixturePath(packageDir, 'mixed.safetensors'), {
      dtype: 'float64',
    });
    assertClose(tensors['bf16.randn']!.toTypedArray(), fixtureTensorData(expected.tensors['bf16.randn']!), {
      atol: 0,
    });
  });

  it('load errors name the path', async () => {
    const path = join(dir, 'bad.safetensors');
    writeFileSync(path, new Uint8Array([200, 0, 0, 0, 0, 0, 0, 0, 123, 125]));
    const message = `loadSafetensors(${path}): header length expected at most 2 bytes (the file has 10 bytes), got 200`;
    await expect(loadSafetensors(path)).rejects.toThrow(message);
    expect(() => loadSafetensorsSync(path)).toThrow(`loadSafetensorsSync(${path}): header length expected`);
    await expect(loadSafetensors(join(dir, 'missing.safetensors'))).rejects.toThrow(/ENOENT/);
  });
});

describe('atomic save', () => {
  for (const mode of ['sync', 'async'] as const) {
    const save = (path: string, d: Record<string, Tensor>) =>
      mode === 'sync' ? Promise.resolve().then(() => saveSafetensorsSync(path, d)) : saveSafetensors(path, d);

    it(`${mode}: a failure midway leaves the old file intact and no temporary file`, async () => {
      const path = join(dir, 'model.safetensors');
      writeFileSync(path, 'previous checkpoint');
      const seen: { name: string; size: number }[] = [];
      // sorted data order: "a" (written first), then "z", whose bytes throw
      const d = {
        a: tensor([1, 2, 3, 4]),
        z: failingTensor(() => {
          for (const name of readdirSync(dir)) seen.push({ name, size: statSync(join(dir, name)).size });
        }),
      };
      await expect(save(path, d)).rejects.toThrow('disk full (injected)');
      // while writing, a temporary sibling held the header and the first tensor
      const tmp = seen.find((f) => f.name !== 'model.safetensors');
      expect(tmp?.name).toMatch(new RegExp(`^\\.model\\.safetensors\\.${process.pid}\\.[0-9a-f]{12}\\.tmp$`));
      expect(tmp!.size).toBe(encodeSafetensors({ a: d.a, z: tensor([0, 0, 0]) }).length - 12);
      expect(readFileSync(path, 'utf8')).toBe('previous checkpoint');
      expect(readdirSync(dir)).toEqual(['model.safetensors']);
    });

    it(`${mode}: a failing rename (target is a directory) cleans up`, async () => {
      const path = join(dir, 'taken');
      mkdirSync(path);
      writeFileSync(join(path, 'keep'), 'x');
      await expect(save(path, dict())).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST|EPERM/);
      expect(readdirSync(dir)).toEqual(['taken']);
      expect(readFileSync(join(path, 'keep'), 'utf8')).toBe('x');
    });

    it(`${mode}: a missing directory or invalid tensors create nothing`, async () => {
      await expect(save(join(dir, 'no', 'such', 'x.safetensors'), dict())).rejects.toThrow(/ENOENT/);
      await expect(save(join(dir, 'x.safetensors'), { w: 'nope' as unknown as Tensor })).rejects.toThrow(
        /tensors\["w"\] expected a Tensor, got string/,
      );
      expect(readdirSync(dir)).toEqual([]);
    });
  }
});
