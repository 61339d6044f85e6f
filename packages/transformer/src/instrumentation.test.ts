import { add, backward } from '@normkit/autograd';
import { arange, mul, type Tensor, tensor } from '@normkit/tensor';
import { describe, expect, it, vi } from 'vitest';
import { GPT } from './gpt.js';
import { gradientNorms, Instrumentation } from './instrumentation.js';

const dims = { vocabSize: 9, blockSize: 5, nLayer: 2, nHead: 2, nEmbd: 6, dtype: 'float64' as const };
const idx = [
  [1, 4, 0, 8, 3],
  [7, 2, 2, 5, 6],
];
const targets = [
  [4, 0, 8, 3, 1],
  [2, 2, 5, 6, 0],
];

/** max over b, heads, j <= i of q_i . k_j / sqrt(hd), with q, k = rows of x W^T + b: plain loops. */
function maxLogit(x: Tensor, w: Tensor, bias: Tensor, nHead: number): number {
  const [B, T, C] = x.shape as [number, number, number];
  const hd = C / nHead;
  const proj = (b: number, t: number, row: number) => {
    let s = bias.get(row);
    for (let c = 0; c < C; c++) s += x.get(b, t, c) * w.get(row, c);
    return s;
  };
  let best = Number.NEGATIVE_INFINITY;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < nHead; h++)
      for (let i = 0; i < T; i++)
        for (let j = 0; j <= i; j++) {
          let dot = 0;
          for (let d = 0; d < hd; d++) dot += proj(b, i, h * hd + d) * proj(b, j, C + h * hd + d);
          best = Math.max(best, dot / Math.sqrt(hd));
        }
  return best;
}

/** Population variance of all elements, and the mean Euclidean norm of the rows: plain loops. */
function residualStats(x: Tensor): { variance: number; norm: number } {
  const v = x.toFlatArray();
  const C = x.shape[2]!;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  let norm = 0;
  for (let r = 0; r < v.length; r += C) norm += Math.sqrt(v.slice(r, r + C).reduce((a, b) => a + b * b, 0));
  return { variance, norm: norm / (v.length / C) };
}

describe('instrumentation', () => {
  it('is off by default and then records nothing (no per-layer work)', () => {
    const spies = [
      vi.spyOn(Instrumentation.prototype, 'recordResidual'),
      vi.spyOn(Instrumentation.prototype, 'recordAttentionLogit'),
    ];
    const m = new GPT(dims);
    m.forward(idx);
    expect(m.instrumentation.enabled).toBe(false);
    expect(m.instrumentation.layers).toEqual([]);
    for (const s of spies) expect(s).not.toHaveBeenCalled();
    vi.restoreAllMocks();
  });

  it('records residual variance, norm and the max attention logit of each layer', () => {
    const m = new GPT({ ...dims, placement: 'post', instrument: true, seed: 4 });
    for (const p of m.parameters()) if (p.ndim === 2) p.data = mul(p.data, 25); // logits well away from 0
    m.forward(idx);
    const rec = m.instrumentation.layers.map((r) => ({ ...r }));
    expect(rec.map((r) => r.layer)).toEqual([1, 2]);
    // the same forward by hand: embeddings, then each block (post: the attention sees x itself)
    m.instrumentation.enabled = false;
    const tr = m.transformer;
    const ids = tensor(idx, undefined, { dtype: 'float64' });
    let h = add(tr.wte.forward(ids), tr.wpe.forward(arange(0, 5, 1, { dtype: 'float64' })));
    for (let l = 0; l < 2; l++) {
      const block = tr.h.at(l);
      const expected = maxLogit(h.data, block.attn.c_attn.weight.data, block.attn.c_attn.bias!.data, 2);
      expect(rec[l]!.maxAttentionLogit).toBeGreaterThan(1);
      expect(rec[l]!.maxAttentionLogit).toBeCloseTo(expected, 10);
      h = block.forward(h);
      const s = residualStats(h.data);
      expect(rec[l]!.residualVariance).toBeCloseTo(s.variance, 12);
      expect(rec[l]!.residualNorm).toBeCloseTo(s.norm, 12);
    }
  });

  it('with RMS QK-norm (unit weights) every logit is bounded by sqrt(headDim) (Cauchy-Schwarz)', () => {
    const m = new GPT({ ...dims, qkNorm: 'rms', instrument: true, seed: 1 });
    for (const p of m.parameters()) if (p.ndim === 2) p.data = mul(p.data, 100);
    m.forward(idx);
    for (const r of m.instrumentation.layers) {
      expect(Math.abs(r.maxAttentionLogit)).toBeLessThanOrEqual(Math.sqrt(3));
      expect(r.maxAttentionLogit).toBeGreaterThan(0.5);
    }
  });

  it('gradientNorms gives each parameter its gradient norm and layer', () => {
    const m = new GPT(dims);
    backward(m.forward(idx, targets).loss!);
    const norms = gradientNorms(m);
    expect(norms.map((r) => r.name)).toEqual(m.namedParameters().map(([n]) => n));
    const params = new Map(m.namedParameters());
    for (const r of norms) {
      const g = params.get(r.name)!.grad!.toFlatArray();
      expect(r.norm).toBeCloseTo(Math.sqrt(g.reduce((a, b) => a + b * b, 0)), 12);
      expect(r.layer).toBe(r.name.startsWith('transformer.h.') ? Number(r.name.split('.')[2]) + 1 : null);
    }
    expect(norms.find((r) => r.name === 'transformer.h.1.mlp.c_fc.weight')!.layer).toBe(2);
  });
});
