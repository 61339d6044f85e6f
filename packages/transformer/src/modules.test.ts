import { variable } from '@normkit/autograd';
import { randn, ShapeError, tensor } from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { CausalSelfAttention } from './attention.js';
import { TransformerBlock } from './block.js';
import { GPT } from './gpt.js';
import { MLP } from './mlp.js';

const dims = { vocabSize: 9, blockSize: 6, nLayer: 2, nHead: 2, nEmbd: 8 };

describe('CausalSelfAttention', () => {
  const attn = new CausalSelfAttention({
    nEmbd: 8,
    nHead: 2,
    blockSize: 6,
    dtype: 'float64',
    qkNorm: 'layer',
  });

  it('is causal: output t depends on inputs 0..t only', () => {
    const x = randn([1, 6, 8], { seed: 1, dtype: 'float64' });
    const y = attn.forward(variable(x)).data;
    const x2 = x.clone();
    for (let c = 0; c < 8; c++) x2.data[4 * 8 + c]! += 1; // change token 4
    const y2 = attn.forward(variable(x2)).data;
    assertClose(y2.slice(1, 0, 4).toFlatArray(), y.slice(1, 0, 4).toFlatArray(), {
      atol: 0,
      label: 'tokens 0..3',
    });
    expect(Math.abs(y2.get(0, 4, 0) - y.get(0, 4, 0))).toBeGreaterThan(0);
  });

  it('registers nanoGPT names plus q_norm/k_norm over the head dimension', () => {
    expect(Object.entries(attn.stateDict()).map(([k, t]) => `${k} [${t.shape}]`)).toEqual([
      'c_attn.weight [24,8]',
      'c_attn.bias [24]',
      'c_proj.weight [8,8]',
      'c_proj.bias [8]',
      'q_norm.weight [4]',
      'q_norm.bias [4]',
      'k_norm.weight [4]',
      'k_norm.bias [4]',
    ]);
  });

  it('rejects bad sizes and inputs, naming them', () => {
    expect(() => new CausalSelfAttention({ nEmbd: 8, nHead: 3, blockSize: 4 })).toThrow(
      'CausalSelfAttention: nEmbd must be divisible by nHead, got nEmbd=8, nHead=3',
    );
    expect(() => new CausalSelfAttention({ nEmbd: 8, nHead: 2, blockSize: 0 })).toThrow(
      'CausalSelfAttention: blockSize expected an integer >= 1, got 0',
    );
    expect(() => new CausalSelfAttention({ nEmbd: 8, nHead: 2, blockSize: 4, qkNorm: 'dyt' })).toThrow(
      "CausalSelfAttention: qkNorm.kind expected 'layer' or 'rms', got 'dyt'",
    );
    expect(() => new CausalSelfAttention({ nEmbd: 8, nHead: 2, blockSize: 4, dropout: 1 })).toThrow(
      'CausalSelfAttention: dropout expected a probability in [0, 1), got 1',
    );
    expect(() => attn.forward(variable(randn([1, 7, 8], { dtype: 'float64' })))).toThrow(
      /CausalSelfAttention: x expected 1 to blockSize = 6 tokens \(axis 1\), got \[1,7,8\]/,
    );
    expect(() => attn.forward(variable(randn([1, 3, 5], { dtype: 'float64' })))).toThrow(
      /CausalSelfAttention: x expected shape \[B, T, 8\], got \[1,3,5\]/,
    );
  });
});

describe('MLP, TransformerBlock and GPT arguments', () => {
  it('MLP has nanoGPT names and a 4x hidden layer by default', () => {
    const m = new MLP({ nEmbd: 4 });
    expect(Object.entries(m.stateDict()).map(([k, t]) => `${k} [${t.shape}]`)).toEqual([
      'c_fc.weight [16,4]',
      'c_fc.bias [16]',
      'c_proj.weight [4,16]',
      'c_proj.bias [4]',
    ]);
    expect(() => new MLP({ nEmbd: 4, mlpRatio: 0.3 })).toThrow(
      'MLP: mlpRatio * nEmbd expected an integer >= 1, got 0.3 * 4',
    );
  });

  it('TransformerBlock rejects a layer beyond numLayers and a bad placement', () => {
    expect(() => new TransformerBlock({ nEmbd: 4, nHead: 2, blockSize: 4, layer: 3, numLayers: 2 })).toThrow(
      'TransformerBlock: layer expected at most numLayers = 2, got 3',
    );
    expect(
      () => new TransformerBlock({ nEmbd: 4, nHead: 2, blockSize: 4, placement: 'middle' as never }),
    ).toThrow(/TransformerBlock: placement.kind expected one of post, pre/);
  });

  it('GPT has nanoGPT parameter names, Linear layout [out, in] and a tied head', () => {
    const m = new GPT({ ...dims, bias: false });
    const keys = Object.keys(m.stateDict());
    expect(keys.slice(0, 3)).toEqual([
      'transformer.wte.weight',
      'transformer.wpe.weight',
      'transformer.h.0.ln_1.weight',
    ]);
    expect(keys).toContain('transformer.h.1.mlp.c_proj.weight');
    expect(keys.at(-2)).toBe('transformer.ln_f.weight');
    expect(keys.at(-1)).toBe('lm_head.weight');
    expect(keys.some((k) => k.endsWith('.bias'))).toBe(false); // bias: false, as nanoGPT's bias=False
    for (const norm of ['rms', 'dyt'] as const) {
      const k = Object.keys(new GPT({ ...dims, norm, bias: false, qkNorm: 'layer' }).stateDict());
      expect(k.filter((n) => n.endsWith('.bias'))).toEqual([]);
    }
    expect(m.stateDict()['transformer.h.0.mlp.c_fc.weight']!.shape).toEqual([32, 8]);
    expect(m.lm_head.weight).toBe(m.transformer.wte.weight);
    expect(m.namedParameters().some(([n]) => n === 'lm_head.weight')).toBe(false); // listed once
  });

  it('GPT.forward checks its token batches', () => {
    const m = new GPT(dims);
    expect(() => m.forward([[1, 2, 9]])).toThrow(
      'GPT.forward: idx expected token ids in [0, 9), got 9 at [0, 2]',
    );
    expect(() => m.forward([[1, 2.5]])).toThrow(
      'GPT.forward: idx expected token ids in [0, 9), got 2.5 at [0, 1]',
    );
    expect(() => m.forward([[1, 2], [3]])).toThrow(
      /GPT.forward: idx expected rows of equal length \[B, T\], got rows of lengths 2, 1/,
    );
    expect(() => m.forward([[0, 1, 2, 3, 4, 5, 6]])).toThrow(
      /GPT.forward: idx expected shape \[B, T\] with B >= 1 and 1 <= T <= blockSize = 6/,
    );
    expect(() => m.forward([] as never)).toThrow(
      'GPT.forward: idx expected a Tensor [B, T] or a non-empty array of token-id arrays',
    );
    expect(() => m.forward([[1, 2]], [[1, 2, 3]])).toThrow(
      'GPT.forward: targets expected the shape of idx [1,2], got [1,3]',
    );
    expect(() => m.forward([[1, 2]], [[1, 2, 3]])).toThrow(ShapeError);
    expect(m.forward(tensor([[1, 2]])).logits.shape).toEqual([1, 2, 9]);
  });

  it('GPT rejects bad sizes, naming them', () => {
    expect(() => new GPT({ ...dims, nLayer: 0 })).toThrow('GPT: nLayer expected an integer >= 1, got 0');
    expect(() => new GPT({ ...dims, vocabSize: 1.5 })).toThrow(
      'GPT: vocabSize expected an integer >= 1, got 1.5',
    );
    expect(() => new GPT({ ...dims, dropout: -0.1 })).toThrow(
      'GPT: dropout expected a probability in [0, 1), got -0.1',
    );
    expect(() => new GPT({ ...dims, norm: { kind: 'layer', eps: -1 } })).toThrow(
      'GPT: norm.eps expected a finite number >= 0, got -1',
    );
  });
});
