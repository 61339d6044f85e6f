import { getBackend, setBackend, Tensor, wasmMemoryStats, wasmSupported, zeros } from '@normkit/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerRow } from '../peers/protocol.js';
import { isNormkit, onBackend, placementProblem } from './backends.js';
import { caseRows } from './rows.js';

const previous = getBackend();
afterEach(() => setBackend(previous));

const timed = (impl: string, ms: number): PeerRow => ({
  impl,
  timing: { medianMs: ms, minMs: ms, reps: 1, inner: 1 },
  check: { maxdiff: 0, ok: true, worst: 'y', detail: '' },
  note: '',
});
const info = { kernel: 'k', layout: 'l', shape: [1], bytes: 1e6, flops: 0, copyMs: 0.5 };

describe('normkit on two backends', () => {
  it('peers are compared with normkit-wasm when it was timed, else with normkit-js', () => {
    const both = caseRows(info, [timed('normkit-wasm', 2), timed('normkit-js', 6), timed('peer', 4)]);
    expect(both.map((r) => [r.impl, r.vsNormkit, r.xCopy])).toEqual([
      ['normkit-wasm', null, 4],
      ['normkit-js', 3, 12],
      ['peer', 2, 8],
    ]);
    const failed = { ...timed('normkit-wasm', 2), timing: null };
    const jsOnly = caseRows(info, [failed, timed('normkit-js', 6), timed('peer', 3)]);
    expect(jsOnly.map((r) => r.vsNormkit)).toEqual([null, null, 0.5]);
    expect(
      ['normkit-wasm', 'normkit-js', 'normkit-wasm-high', 'normkit', 'tfjs-wasm'].map(isNormkit),
    ).toEqual([true, true, true, false, false]);
    // the precision 'high' row is compared with normkit-wasm (the default precision), not the reverse
    const high = caseRows(info, [
      timed('normkit-wasm', 2),
      timed('normkit-js', 6),
      timed('normkit-wasm-high', 1),
    ]);
    expect(high.map((r) => [r.impl, r.vsNormkit])).toEqual([
      ['normkit-wasm', null],
      ['normkit-js', 3],
      ['normkit-wasm-high', 0.5],
    ]);
  });

  it.skipIf(!wasmSupported())(
    'onBackend allocates on that backend, frees it afterwards, restores the previous one',
    () => {
      setBackend('js');
      const before = wasmMemoryStats().liveBlocks;
      const where = onBackend('wasm', () => {
        const t = zeros([1000]);
        return [getBackend(), placementProblem('wasm', [t]), placementProblem('js', [t])];
      });
      expect(where).toEqual(['wasm', '', '1 tensors are in the wasm memory']);
      expect(getBackend()).toBe('js');
      expect(wasmMemoryStats().liveBlocks).toBe(before);
      // a heap tensor under the wasm name would time the JS kernel: flagged
      expect(placementProblem('wasm', [new Tensor(new Float32Array(4), [4]), null])).toBe(
        '1 of 1 tensors are not in the wasm memory (is it full? configureWasm({ memoryMiB }))',
      );
    },
  );
});
