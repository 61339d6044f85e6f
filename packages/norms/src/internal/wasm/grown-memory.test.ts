import {
  configureWasm,
  dispose,
  isWasmBuffer,
  randn,
  setBackend,
  type Tensor,
  wasmByteOffset,
  wasmMemoryStats,
  zeros,
} from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layerNormBackward, layerNormForward, layerNormReference } from '../../layer-norm.js';
import { rmsNormForward, rmsNormReference } from '../../rms-norm.js';
import { wasmCalls } from './runtime.js';

// This file owns its worker's wasm memory: shared, 4 MiB to start, so it grows under the test.
// The norm kernels must take the wasm path on operands from different buffer generations of the
// grown memory (each generation's byteOffsets are addresses in the one memory).
beforeAll(() => {
  configureWasm({ shared: true, memoryMiB: 4, maxMemoryMiB: 512 });
  setBackend('wasm');
});
afterAll(() => setBackend('js'));

describe('norm kernels on a grown shared wasm memory', () => {
  it('LayerNorm and RMSNorm run in wasm on x from before the growth and weights from after', () => {
    const x = randn([32, 768], { seed: 1, mean: 3, std: 2 }); // first generation
    const firstBuffer = x.data.buffer;
    const filler = zeros([2 * 2 ** 20]); // 8 MiB: the memory grows
    expect(wasmMemoryStats().grows).toBeGreaterThan(0);
    const weight = randn([768], { seed: 2 }); // newest generation
    const bias = randn([768], { seed: 3 });
    expect(weight.data.buffer).not.toBe(firstBuffer);
    expect(isWasmBuffer(firstBuffer) && isWasmBuffer(weight.data.buffer)).toBe(true);

    const before = { f: wasmCalls.rowsForward ?? 0, b: wasmCalls.rowsBackward ?? 0 };
    const ln = layerNormForward(x, [768], { weight, bias });
    const rms = rmsNormForward(x, [768], { weight });
    expect(wasmCalls.rowsForward).toBe(before.f + 2); // both on the wasm path
    for (const t of [ln.y, ln.mean, ln.rstd, rms.y]) expect(wasmByteOffset(t)).not.toBeNull();
    // float32 outputs of float64 math: within a few float32 ulps of the float64 reference
    const lnRef = layerNormReference(x, [768], { weight, bias });
    const rmsRef = rmsNormReference(x, [768], { weight });
    assertClose(ln.y.toTypedArray(), lnRef.y.toTypedArray(), { atol: 4e-6, rtol: 4e-7, label: 'ln y' });
    assertClose(ln.rstd.toTypedArray(), lnRef.rstd.toTypedArray(), { rtol: 1e-12, label: 'ln rstd' });
    assertClose(rms.y.toTypedArray(), rmsRef.y.toTypedArray(), { atol: 4e-6, rtol: 4e-7, label: 'rms y' });

    const dy = randn([32, 768], { seed: 4 });
    const g = layerNormBackward(dy, x, [768], { mean: ln.mean, rstd: ln.rstd }, { weight });
    expect(wasmCalls.rowsBackward).toBe(before.b + 1);
    expect(wasmByteOffset(g.dx!)).not.toBeNull();
    const all: Tensor[] = [x, filler, weight, bias, ln.y, ln.mean, ln.rstd, rms.y, rms.rstd, dy];
    dispose([...all, g.dx!, g.dWeight!, g.dBias!]);
  });
});
