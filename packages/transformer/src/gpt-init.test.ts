import { describe, expect, it } from 'vitest';
import { GPT } from './gpt.js';
import { isNormParameter } from './gpt-init.js';

// Initialisation statistics on a model big enough for sample moments (C = 64: 4096+ draws per
// weight, so a sample std is within ~2% of its target with overwhelming probability; bound 6%).
const dims = { vocabSize: 50, blockSize: 16, nLayer: 3, nHead: 4, nEmbd: 64 };

function stats(v: ArrayLike<number>): { mean: number; std: number } {
  let m = 0;
  for (let i = 0; i < v.length; i++) m += v[i]!;
  m /= v.length;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i]! - m) ** 2;
  return { mean: m, std: Math.sqrt(s / v.length) };
}

function expectStd(v: ArrayLike<number>, std: number, label: string): void {
  const s = stats(v);
  expect(Math.abs(s.std / std - 1), `${label}: std ${s.std} vs ${std}`).toBeLessThan(0.06);
  expect(Math.abs(s.mean), `${label}: mean`).toBeLessThan((4 * std) / Math.sqrt(v.length));
}

describe('GPT initialisation', () => {
  it("nanoGPT's: N(0, 0.02^2), c_proj N(0, (0.02/sqrt(2L))^2), zero biases, unit norm weights", () => {
    const m = new GPT({ ...dims, seed: 1 });
    for (const [name, p] of m.namedParameters()) {
      const v = p.data.toTypedArray();
      if (isNormParameter(name)) expect([...new Set(v)], name).toEqual([name.endsWith('.weight') ? 1 : 0]);
      else if (name.endsWith('.bias')) expect([...new Set(v)], name).toEqual([0]);
      else expectStd(v, name.endsWith('c_proj.weight') ? 0.02 / Math.sqrt(6) : 0.02, name);
    }
  });

  it('is fixed by the seed', () => {
    const a = new GPT({ ...dims, nLayer: 1, seed: 7 }).stateDict();
    const b = new GPT({ ...dims, nLayer: 1, seed: 7 }).stateDict();
    const c = new GPT({ ...dims, nLayer: 1, seed: 8 }).stateDict();
    const k = 'transformer.h.0.attn.c_attn.weight';
    expect(b[k]!.toFlatArray()).toEqual(a[k]!.toFlatArray());
    expect(c[k]!.toFlatArray()).not.toEqual(a[k]!.toFlatArray());
  });

  it('deepnorm: Xavier normal, gain beta on v, attn.c_proj and the MLP, gain 1 on q and k', () => {
    const m = new GPT({ ...dims, placement: 'deepnorm', seed: 2 });
    const beta = (8 * 3) ** -0.25;
    const C = 64;
    const xavier = (gain: number, fanIn: number, fanOut: number) => gain * Math.sqrt(2 / (fanIn + fanOut));
    const sd = m.stateDict();
    for (let l = 0; l < 3; l++) {
      const w = sd[`transformer.h.${l}.attn.c_attn.weight`]!;
      expectStd(w.narrow(0, 0, C).toTypedArray(), xavier(1, C, C), `q ${l}`);
      expectStd(w.narrow(0, C, C).toTypedArray(), xavier(1, C, C), `k ${l}`);
      expectStd(w.narrow(0, 2 * C, C).toTypedArray(), xavier(beta, C, C), `v ${l}`);
      expectStd(
        sd[`transformer.h.${l}.attn.c_proj.weight`]!.toTypedArray(),
        xavier(beta, C, C),
        `attn.c_proj ${l}`,
      );
      expectStd(
        sd[`transformer.h.${l}.mlp.c_fc.weight`]!.toTypedArray(),
        xavier(beta, C, 4 * C),
        `c_fc ${l}`,
      );
      expectStd(
        sd[`transformer.h.${l}.mlp.c_proj.weight`]!.toTypedArray(),
        xavier(beta, 4 * C, C),
        `mlp.c_proj ${l}`,
      );
    }
    expectStd(sd['transformer.wte.weight']!.toTypedArray(), 0.02, 'wte');
  });
});
