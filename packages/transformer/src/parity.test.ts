import { backward } from '@normkit/autograd';
import type { DType } from '@normkit/tensor';
import { assertClose, dot } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { caseModel, fixtureTensors, type ParityCase, parity, probe } from '../test/parity-fixture.js';

// PyTorch 1.13 parity (test/gen_parity_fixtures.py): logits, loss and every parameter's gradient
// for every placement x norm kind (7 x 4) plus QK-norm and bias-free cases, on one fixed batch.
// Gradients: two random projections per parameter for every case, whole gradients where stored.
const TOL: Record<DType, number> = { float64: 1e-9, float32: 1e-4 };

function check(c: ParityCase, dtype: DType): void {
  const out = fixtureTensors(dtype === 'float64' ? 'parity-f64.safetensors' : 'parity-f32.safetensors');
  const atol = TOL[dtype];
  const model = caseModel(c, dtype);
  const { logits, loss } = model.forward(parity.idx, parity.targets);
  backward(loss!);
  const label = `${c.name} ${dtype}`;
  assertClose(logits.data.toTypedArray(), out[`${c.name}/logits`]!.toTypedArray(), {
    atol,
    label: `${label} logits`,
  });
  assertClose([loss!.item()], [dtype === 'float64' ? c.loss64 : c.loss32], { atol, label: `${label} loss` });

  const params = new Map(model.namedParameters());
  expect([...params.keys()].sort()).toEqual([...c.parameters].sort());
  const gproj = out[`${c.name}/gproj`]!.toTypedArray();
  const full = out[`${c.name}/grad`]?.toTypedArray();
  let offset = 0;
  c.parameters.forEach((name, k) => {
    const g = params.get(name)!.grad!.toTypedArray();
    const proj = [dot(g, probe(g.length, 0)), dot(g, probe(g.length, 1))];
    assertClose(proj, [gproj[2 * k]!, gproj[2 * k + 1]!], {
      atol,
      label: `${label} grad projections of ${name}`,
    });
    if (full)
      assertClose(g, full.subarray(offset, offset + g.length), { atol, label: `${label} grad of ${name}` });
    offset += g.length;
  });
  if (full) expect(offset).toBe(full.length);
}

describe('GPT matches PyTorch', () => {
  it('covers every placement and norm kind', () => {
    const kinds = new Set(parity.cases.map((c) => `${JSON.stringify(c.placement)} ${c.norm}`));
    expect(kinds.size).toBe(28);
    expect(parity.cases.filter((c) => c.full).length).toBeGreaterThanOrEqual(11);
  });

  for (const dtype of ['float64', 'float32'] as const) {
    describe(dtype, () => {
      it.each(parity.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => check(c, dtype));
    });
  }
});
