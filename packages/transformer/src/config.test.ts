import { describe, expect, it } from 'vitest';
import {
  deepnormConstants,
  layerForm,
  needsFinalNorm,
  placements,
  resolveNorm,
  resolvePlacement,
} from './config.js';

describe('placements', () => {
  it('deepnorm constants are (2L)^(1/4) and (8L)^(-1/4) (Wang et al. 2022, decoder-only)', () => {
    // L = 1: alpha = 2^(1/4), beta = 8^(-1/4); L = 18: alpha = 36^(1/4) = sqrt 6, beta = 144^(-1/4)
    expect(deepnormConstants(1).alpha).toBeCloseTo(Math.SQRT2 ** 0.5, 15);
    expect(deepnormConstants(1).beta).toBeCloseTo(1 / Math.sqrt(2 * Math.SQRT2), 15);
    expect(deepnormConstants(18).alpha ** 2).toBeCloseTo(6, 13);
    expect(deepnormConstants(18).beta ** -4).toBeCloseTo(144, 10);
    expect(placements.deepnorm(18)).toEqual({ kind: 'deepnorm', ...deepnormConstants(18) });
    expect(resolvePlacement('deepnorm', 18)).toEqual(placements.deepnorm(18));
    expect(resolvePlacement({ kind: 'deepnorm', alpha: 2 }, 18)).toEqual({
      kind: 'deepnorm',
      alpha: 2,
      beta: deepnormConstants(18).beta,
    });
  });

  it('fills defaults: pre without depth scaling, mix ratio 0.25', () => {
    expect(resolvePlacement('pre', 4)).toEqual({ kind: 'pre', depthScaling: false });
    expect(placements.pre({ depthScaling: true })).toEqual({ kind: 'pre', depthScaling: true });
    expect(resolvePlacement({ kind: 'mix' }, 4)).toEqual({ kind: 'mix', ratio: 0.25 });
    expect(placements.mix()).toEqual({ kind: 'mix', ratio: 0.25 });
    for (const k of ['post', 'peri', 'sandwich', 'b2t'] as const)
      expect(resolvePlacement(k, 3)).toEqual({ kind: k });
  });

  it('layerForm: sandwich is peri; mix is post up to floor(ratio L)', () => {
    expect(layerForm({ kind: 'sandwich' }, 1, 2)).toBe('peri');
    const mix = { kind: 'mix', ratio: 0.3 } as const;
    expect([1, 2, 3, 4, 5, 6, 7].map((l) => layerForm(mix, l, 7))).toEqual([
      'post',
      'post',
      'pre',
      'pre',
      'pre',
      'pre',
      'pre',
    ]);
  });

  it('needsFinalNorm: pre, peri and mix ending in pre', () => {
    expect(needsFinalNorm(placements.pre(), 2)).toBe(true);
    expect(needsFinalNorm(placements.peri(), 2)).toBe(true);
    expect(needsFinalNorm(placements.sandwich(), 2)).toBe(true);
    expect(needsFinalNorm(placements.post(), 2)).toBe(false);
    expect(needsFinalNorm(placements.deepnorm(2), 2)).toBe(false);
    expect(needsFinalNorm(placements.b2t(), 2)).toBe(false);
    expect(needsFinalNorm(placements.mix(0.5), 2)).toBe(true);
    expect(needsFinalNorm(placements.mix(1), 2)).toBe(false);
  });

  it('rejects bad placements, naming the field', () => {
    expect(() => resolvePlacement('postln' as never, 2)).toThrow(
      'resolvePlacement: placement.kind expected one of post, pre, peri, sandwich, deepnorm, mix, b2t, got "postln"',
    );
    expect(() => resolvePlacement({ kind: 'mix', ratio: 1.5 }, 2)).toThrow(
      'resolvePlacement: placement.ratio expected a number in [0, 1], got 1.5',
    );
    expect(() => resolvePlacement({ kind: 'deepnorm', alpha: 0 }, 2)).toThrow(
      'resolvePlacement: placement.alpha expected a finite number > 0, got 0',
    );
    expect(() => resolvePlacement({ kind: 'deepnorm', beta: Number.NaN }, 2)).toThrow(
      'resolvePlacement: placement.beta expected a finite number > 0, got NaN',
    );
    expect(() => resolvePlacement({ kind: 'pre', depthScaling: 1 as never }, 2)).toThrow(
      'resolvePlacement: placement.depthScaling expected a boolean, got number',
    );
    expect(() => resolvePlacement('pre', 0)).toThrow(
      'resolvePlacement: numLayers expected an integer >= 1, got 0',
    );
    expect(() => deepnormConstants(2.5)).toThrow(
      'deepnormConstants: numLayers expected an integer >= 1, got 2.5',
    );
  });
});

describe('norms', () => {
  it('fills eps 1e-5 and DyT alpha 0.5', () => {
    expect(resolveNorm('rms')).toEqual({ kind: 'rms', eps: 1e-5, alphaInit: 0.5 });
    expect(resolveNorm({ kind: 'layer', eps: 1e-6 })).toEqual({ kind: 'layer', eps: 1e-6, alphaInit: 0.5 });
  });

  it('rejects bad norms, naming the field', () => {
    expect(() => resolveNorm('batch' as never)).toThrow(
      'resolveNorm: norm.kind expected one of layer, rms, dyt, none, got "batch"',
    );
    expect(() => resolveNorm({ kind: 'layer', eps: -1 })).toThrow(
      'resolveNorm: norm.eps expected a finite number >= 0, got -1',
    );
    expect(() => resolveNorm({ kind: 'dyt', alphaInit: Number.POSITIVE_INFINITY })).toThrow(
      'resolveNorm: norm.alphaInit expected a finite number, got Infinity',
    );
  });
});
