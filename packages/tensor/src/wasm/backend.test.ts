import { describe, expect, it } from 'vitest';
import { zeros } from '../create.js';
import { decodeBase64 } from '../internal/wasm/base64.js';
import { wasmBase64 } from '../internal/wasm/gemm.wasm.generated.js';
import { getBackend, setBackend } from './backend.js';
import { instantiateWasm } from './instantiate.js';
import { getWasmMemory, wasmSupported } from './memory.js';

describe('backend switch', () => {
  it('defaults to wasm (where SIMD is supported) unless NORMKIT_BACKEND=js; wasm and back', () => {
    expect(wasmSupported()).toBe(true); // Node 20 has wasm SIMD
    expect(getBackend()).toBe(process.env.NORMKIT_BACKEND === 'js' ? 'js' : 'wasm');
    setBackend('wasm');
    expect(getBackend()).toBe('wasm');
    expect(zeros([3]).data.buffer).toBe(getWasmMemory().buffer);
    setBackend('js');
    expect(getBackend()).toBe('js');
    expect(zeros([3]).data.buffer).not.toBe(getWasmMemory().buffer);
  });

  it('rejects unknown backends', () => {
    expect(() => setBackend('webgpu' as 'js')).toThrow(
      `setBackend: backend must be 'js' or 'wasm', got "webgpu"`,
    );
    expect(getBackend()).toBe('js');
  });
});

interface ModuleApi {
  Module: { new (bytes: Uint8Array): object; imports(module: object): unknown[] };
}

describe('embedded modules', () => {
  it('decodeBase64 matches Node Buffer on every length and byte value', () => {
    for (let n = 0; n < 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n * 31) & 255);
      const text = Buffer.from(bytes).toString('base64');
      expect(Array.from(decodeBase64(text)), `n=${n}`).toEqual(Array.from(bytes));
    }
    expect(() => decodeBase64('AB$=')).toThrow('decodeBase64: invalid character at position 2');
  });

  it('a kernel module imports only the shared memory and is instantiated once', () => {
    // TypeScript types WebAssembly only in the DOM lib; the part used here:
    const WA = (globalThis as unknown as { WebAssembly: ModuleApi }).WebAssembly;
    const module = new WA.Module(decodeBase64(wasmBase64));
    expect(WA.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    expect(instantiateWasm(wasmBase64)).toBe(instantiateWasm(wasmBase64));
  });
});
