import { add, embedding, matmul, mul, transpose, type Variable, variable } from '@normkit/autograd';
import { arange, randn, tensor } from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { TransformerBlock } from './block.js';
import type { NormKind, PlacementSpec } from './config.js';
import { GPT } from './gpt.js';

// Each placement's formula, checked on a one-layer model: the block's sub-modules are called
// directly and composed here as the papers write them; the model's logits must agree.
const dims = { vocabSize: 11, blockSize: 6, nLayer: 1, nHead: 2, nEmbd: 8, dtype: 'float64' as const };
const idx = [
  [1, 4, 0, 9, 3, 7],
  [10, 2, 2, 5, 8, 6],
];

/** Give every norm parameter random values so no norm is the identity. */
function perturbNorms(m: GPT | TransformerBlock, seed: number): void {
  m.namedParameters().forEach(([name, p], i) => {
    if (/ln_|_norm/.test(name)) p.data = randn(p.shape, { seed: seed + i, dtype: 'float64' });
  });
}

type Parts = {
  A: (h: Variable) => Variable;
  M: (h: Variable) => Variable;
  N1: (h: Variable) => Variable;
  N2: (h: Variable) => Variable;
};

function parts(
  b: TransformerBlock,
): Parts & { N1o: (h: Variable) => Variable; N2o: (h: Variable) => Variable } {
  const n = (m: { forward(x: Variable): Variable } | null) => (h: Variable) =>
    m === null ? h : m.forward(h);
  return {
    A: (h) => b.attn.forward(h),
    M: (h) => b.mlp.forward(h),
    N1: n(b.ln_1),
    N2: n(b.ln_2),
    N1o: n(b.ln_1_out),
    N2o: n(b.ln_2_out),
  };
}

// The formulas, as the papers write them (a: DeepNorm's alpha, s: LayerNorm Scaling's 1/sqrt(l)).
const formulas = {
  post: ({ A, M, N1, N2 }: Parts, x: Variable) => {
    const h = N1(add(x, A(x)));
    return N2(add(h, M(h)));
  },
  pre: ({ A, M, N1, N2 }: Parts, x: Variable, s = 1) => {
    const h = add(x, A(mul(N1(x), s)));
    return add(h, M(mul(N2(h), s)));
  },
  peri: ({ A, M, N1, N2, N1o, N2o }: ReturnType<typeof parts>, x: Variable) => {
    const h = add(x, N1o(A(N1(x))));
    return add(h, N2o(M(N2(h))));
  },
  deepnorm: ({ A, M, N1, N2 }: Parts, x: Variable, a: number) => {
    const h = N1(add(mul(x, a), A(x)));
    return N2(add(mul(h, a), M(h)));
  },
  b2t: ({ A, M, N1, N2 }: Parts, x: Variable) => {
    const h = N1(add(x, A(x)));
    return N2(add(add(x, h), M(h)));
  },
};

interface Case {
  placement: PlacementSpec;
  block: (b: TransformerBlock, x: Variable) => Variable;
  finalNorm: boolean;
}

const cases: Record<string, Case> = {
  post: { placement: 'post', block: (b, x) => formulas.post(parts(b), x), finalNorm: false },
  pre: { placement: 'pre', block: (b, x) => formulas.pre(parts(b), x), finalNorm: true },
  peri: { placement: 'peri', block: (b, x) => formulas.peri(parts(b), x), finalNorm: true },
  sandwich: { placement: 'sandwich', block: (b, x) => formulas.peri(parts(b), x), finalNorm: true },
  deepnorm: {
    placement: 'deepnorm',
    block: (b, x) => formulas.deepnorm(parts(b), x, 2 ** 0.25),
    finalNorm: false,
  },
  'mix (ratio 0.25: floor(0.25) = 0 post layers)': {
    placement: { kind: 'mix' },
    block: (b, x) => formulas.pre(parts(b), x),
    finalNorm: true,
  },
  'mix (ratio 1: all post)': {
    placement: { kind: 'mix', ratio: 1 },
    block: (b, x) => formulas.post(parts(b), x),
    finalNorm: false,
  },
  b2t: { placement: 'b2t', block: (b, x) => formulas.b2t(parts(b), x), finalNorm: false },
};

describe('one-layer GPT = the placement formula composed by hand', () => {
  for (const norm of ['layer', 'rms', 'dyt'] as NormKind[]) {
    it.each(Object.entries(cases))(`%s (${norm})`, (_name, c) => {
      const m = new GPT({ ...dims, placement: c.placement, norm, seed: 5 });
      perturbNorms(m, 100);
      const tr = m.transformer;
      const ids = tensor(idx, undefined, { dtype: 'float64' });
      const x = add(
        embedding(tr.wte.weight, ids),
        embedding(tr.wpe.weight, arange(0, 6, 1, { dtype: 'float64' })),
      );
      let y = c.block(tr.h.at(0), x);
      expect(tr.ln_f !== null).toBe(c.finalNorm);
      if (c.finalNorm) y = tr.ln_f!.forward(y);
      const logits = matmul(y, transpose(tr.wte.weight, 0, 1));
      assertClose(m.forward(idx).logits.data.toTypedArray(), logits.data.toTypedArray(), {
        atol: 1e-12,
        label: 'logits',
      });
    });
  }
});

describe('TransformerBlock constants that depend on the layer', () => {
  const x = variable(randn([2, 5, 8], { seed: 9, dtype: 'float64' }), { requiresGrad: false });
  const make = (placement: PlacementSpec, layer: number, numLayers: number) => {
    const b = new TransformerBlock({
      nEmbd: 8,
      nHead: 2,
      blockSize: 5,
      placement,
      layer,
      numLayers,
      dtype: 'float64',
    });
    perturbNorms(b, 7);
    return b;
  };

  it('pre with depthScaling scales the norm outputs of layer l by 1/sqrt(l) (Sun et al. 2025)', () => {
    const b = make({ kind: 'pre', depthScaling: true }, 3, 4);
    expect(b.inputScale).toBe(1 / Math.sqrt(3));
    assertClose(
      b.forward(x).data.toTypedArray(),
      formulas.pre(parts(b), x, 1 / Math.sqrt(3)).data.toTypedArray(),
      { atol: 1e-12 },
    );
  });

  it('deepnorm uses alpha = (2L)^(1/4) of the whole model, and an explicit alpha when given', () => {
    const b = make('deepnorm', 2, 6);
    expect(b.residualScale).toBeCloseTo(12 ** 0.25, 15);
    assertClose(
      b.forward(x).data.toTypedArray(),
      formulas.deepnorm(parts(b), x, 12 ** 0.25).data.toTypedArray(),
      { atol: 1e-12 },
    );
    const c = make({ kind: 'deepnorm', alpha: 3 }, 1, 6);
    assertClose(c.forward(x).data.toTypedArray(), formulas.deepnorm(parts(c), x, 3).data.toTypedArray(), {
      atol: 1e-12,
    });
  });

  it('mix is post for layers 1..floor(ratio L), pre after (Li et al. 2024)', () => {
    const forms = Array.from({ length: 8 }, (_, i) => make({ kind: 'mix' }, i + 1, 8).form);
    expect(forms).toEqual(['post', 'post', 'pre', 'pre', 'pre', 'pre', 'pre', 'pre']);
    const post = make({ kind: 'mix' }, 2, 8);
    assertClose(post.forward(x).data.toTypedArray(), formulas.post(parts(post), x).data.toTypedArray(), {
      atol: 1e-12,
    });
  });

  it("norm 'none' registers no norm and every N is the identity", () => {
    const b = new TransformerBlock({
      nEmbd: 8,
      nHead: 2,
      blockSize: 5,
      placement: 'b2t',
      norm: 'none',
      dtype: 'float64',
    });
    expect(b.namedParameters().some(([n]) => n.startsWith('ln_'))).toBe(false);
    const m = new GPT({ ...dims, norm: 'none' });
    expect(Object.keys(m.stateDict()).filter((k) => k.includes('ln_'))).toEqual([]);
  });

  it('sandwich builds exactly the peri model (an alias: same keys, same weights, same logits)', () => {
    const peri = new GPT({ ...dims, nLayer: 2, placement: 'peri', seed: 4 });
    const sandwich = new GPT({ ...dims, nLayer: 2, placement: 'sandwich', seed: 4 });
    expect(Object.keys(sandwich.stateDict())).toEqual(Object.keys(peri.stateDict()));
    expect(Object.keys(peri.stateDict())).toContain('transformer.h.1.ln_2_out.weight');
    assertClose(
      sandwich.forward(idx).logits.data.toTypedArray(),
      peri.forward(idx).logits.data.toTypedArray(),
      { atol: 0 },
    );
  });
});
