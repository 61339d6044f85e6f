import { readFileSync } from 'node:fs';
import { decodeSafetensors, StateDictError } from '@normkit/nn';
import { full, type Tensor } from '@normkit/tensor';
import { assertClose, fixturePath } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { caseConfig, fixtureTensors, packageDir, parity } from '../test/parity-fixture.js';
import { GPT } from './gpt.js';

// nanogpt.safetensors: the pre-layer parity model as torch's state_dict() on torch < 2 saves it
// (both tied names, causal-mask buffers transformer.h.<i>.attn.bias [1, 1, 8, 8]).
const bytes = readFileSync(fixturePath(packageDir, 'nanogpt.safetensors'));
const preLayer = parity.cases.find((c) => c.name === 'pre-layer')!;
const expected64 = fixtureTensors('parity-f64.safetensors')['pre-layer/logits']!.toTypedArray();
const fresh = (dtype: 'float32' | 'float64' = 'float64') =>
  new GPT({ ...caseConfig(preLayer, dtype), seed: 1 });
const checkpoint = (): Record<string, Tensor> => decodeSafetensors(bytes, { dtype: 'float64' }).tensors;
const logitsOf = (m: GPT) => m.forward(parity.idx).logits.data.toTypedArray();

function loadError(dict: Record<string, Tensor>): StateDictError {
  const model = fresh();
  const before = model.transformer.wte.weight.data.clone();
  try {
    model.loadStateDict(dict);
  } catch (e) {
    expect(e).toBeInstanceOf(StateDictError);
    // nothing was written
    assertClose(model.transformer.wte.weight.data.toTypedArray(), before.toTypedArray(), { atol: 0 });
    return e as StateDictError;
  }
  throw new Error('loadStateDict did not throw');
}

describe('loading a nanoGPT checkpoint', () => {
  it('the fixture is nanoGPT-shaped', () => {
    const keys = Object.keys(checkpoint());
    expect(keys).toContain('lm_head.weight');
    expect(keys).toContain('transformer.h.1.attn.bias');
    expect(checkpoint()['transformer.h.0.attn.c_attn.weight']!.shape).toEqual([24, 8]); // nn.Linear [out, in]
  });

  it('loads strictly and reproduces PyTorch logits (float64 and float32)', () => {
    const m = fresh();
    expect(m.loadSafetensors(bytes)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    assertClose(logitsOf(m), expected64, { atol: 1e-9, label: 'float64 logits' });
    const m32 = fresh('float32');
    m32.loadSafetensors(bytes);
    assertClose(logitsOf(m32), expected64, { atol: 1e-4, label: 'float32 logits' });
  });

  it('accepts the tied head under either name alone (safetensors save_model keeps one)', () => {
    for (const drop of ['transformer.wte.weight', 'lm_head.weight']) {
      const dict = checkpoint();
      delete dict[drop];
      const m = fresh();
      m.loadStateDict(dict);
      assertClose(logitsOf(m), expected64, { atol: 1e-9, label: `without ${drop}` });
    }
  });

  it('lists every missing, unexpected and wrong-shaped tensor in one error and writes nothing', () => {
    const dict = checkpoint();
    delete dict['transformer.h.1.mlp.c_fc.bias'];
    dict['transformer.wpe.weight'] = full([9, 8], 0, { dtype: 'float64' });
    dict['transformer.h.0.attn.c_proj.weight'] = full([8, 9], 0, { dtype: 'float64' });
    dict['transformer.h.0.ln_3.weight'] = full([8], 1, { dtype: 'float64' });
    const e = loadError(dict);
    expect(e.missingKeys).toEqual(['transformer.h.1.mlp.c_fc.bias']);
    expect(e.unexpectedKeys).toEqual(['transformer.h.0.ln_3.weight']);
    expect(e.mismatched.map((m) => m.key).sort()).toEqual([
      'transformer.h.0.attn.c_proj.weight',
      'transformer.wpe.weight',
    ]);
    expect(e.message).toMatch(/missing key\(s\): "transformer.h.1.mlp.c_fc.bias"/);
    expect(e.message).toMatch(
      /mismatch for "transformer.wpe.weight": the model expects shape \[8,8\], the state dict has shape \[9,8\]/,
    );
  });

  it('reports a mask of the wrong shape and an untied head together with the other problems', () => {
    const dict = checkpoint();
    dict['transformer.h.0.attn.bias'] = full([1, 1, 4, 4], 1, { dtype: 'float64' });
    dict['lm_head.weight'] = full([17, 8], 0.5, { dtype: 'float64' });
    delete dict['transformer.ln_f.bias'];
    const e = loadError(dict);
    expect(e.missingKeys).toEqual(['transformer.ln_f.bias']);
    expect(e.message).toMatch(
      /"transformer.h.0.attn.bias": the model expects nanoGPT's causal mask of shape \[1,1,8,8\], the state dict has shape \[1,1,4,4\]/,
    );
    expect(e.message).toMatch(
      /"lm_head.weight": the model expects the values of transformer.wte.weight \(the head is tied to it\)/,
    );
  });

  it('non-strict loading reports what it skipped', () => {
    const dict = checkpoint();
    delete dict['transformer.ln_f.weight'];
    dict.extra = full([1], 0, { dtype: 'float64' });
    expect(fresh().loadStateDict(dict, { strict: false })).toEqual({
      missingKeys: ['transformer.ln_f.weight'],
      unexpectedKeys: ['extra'],
    });
  });

  it('toSafetensors writes a file that loads back strictly with the same logits', () => {
    const m = fresh();
    m.loadSafetensors(bytes);
    const saved = m.toSafetensors();
    expect(Object.keys(decodeSafetensors(saved).tensors)).toContain('lm_head.weight');
    const again = fresh();
    again.loadSafetensors(saved);
    assertClose(logitsOf(again), logitsOf(m), { atol: 0, label: 'reloaded logits' });
  });
});
