import { describe, expect, it } from 'vitest';
import { wasmBase64 as activation } from './activation.wasm.generated.js';
import { decodeBase64 } from './base64.js';
import { wasmBase64 as elementwise } from './elementwise.wasm.generated.js';
import { wasmBase64 as gemm } from './gemm.wasm.generated.js';
import { wasmBase64 as reduce } from './reduce.wasm.generated.js';
import { wasmBase64 as rows } from './rows.wasm.generated.js';
import { wasmBase64 as unary } from './unary.wasm.generated.js';
import { unshareMemoryImport } from './unshare.js';
import { wasmBase64 as where } from './where.wasm.generated.js';

/** The parts of the WebAssembly API used here (TypeScript declares it only in the DOM lib). */
interface Api {
  Module: (new (bytes: Uint8Array) => object) & { imports(m: object): object[] };
  Instance: new (m: object, imports: object) => object;
  Memory: new (descriptor: { initial: number; maximum: number }) => object;
}
const wasm = (globalThis as unknown as { WebAssembly: Api }).WebAssembly;

const modules = { activation, elementwise, gemm, reduce, rows, unary, where };
const plainMemory = () => new wasm.Memory({ initial: 1, maximum: 1 });

// (module (import "env" "f" (func)) (import "env" "g" (global i32))
//         (import "env" "memory" (memory 0 1 shared)))  written out byte by byte
const env = (name: string) => [3, 101, 110, 118, name.length, ...Array.from(name, (c) => c.charCodeAt(0))];
const HAND_MADE = new Uint8Array([
  ...[0, 97, 115, 109, 1, 0, 0, 0], // magic, version
  ...[1, 4, 1, 96, 0, 0], // type section: () -> ()
  ...[2, 33, 3], // import section, 33 bytes, 3 imports
  ...[...env('f'), 0, 0], // env.f: function of type 0
  ...[...env('g'), 3, 127, 0], // env.g: immutable i32 global
  ...[...env('memory'), 2, 3, 0, 1], // env.memory: limits flag 3 (maximum, shared), 0, maximum 1
]);

describe('unshareMemoryImport', () => {
  it.each(Object.entries(modules))('makes the %s module link a non-shared memory', (_, base64) => {
    const bytes = decodeBase64(base64);
    // as built: it links only a shared memory
    expect(() => new wasm.Instance(new wasm.Module(bytes), { env: { memory: plainMemory() } })).toThrow(
      /shared/,
    );
    const patched = unshareMemoryImport(bytes);
    expect(patched).not.toBe(bytes);
    expect(bytes.length).toBe(patched.length);
    // exactly one byte differs: the limits flag, 0x03 (maximum, shared) -> 0x01 (maximum)
    const diff = [...bytes.keys()].filter((i) => bytes[i] !== patched[i]);
    expect(diff.length).toBe(1);
    expect([bytes[diff[0]!], patched[diff[0]!]]).toEqual([3, 1]);
    const module = new wasm.Module(patched);
    expect(wasm.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    expect(() => new wasm.Instance(module, { env: { memory: plainMemory() } })).not.toThrow();
  });

  it('skips function and global imports before the memory, and leaves a non-shared import alone', () => {
    const patched = unshareMemoryImport(HAND_MADE);
    expect(patched[patched.length - 3]).toBe(1);
    const imports = {
      env: { f: () => {}, g: 7, memory: new wasm.Memory({ initial: 0, maximum: 1 }) },
    };
    expect(() => new wasm.Instance(new wasm.Module(patched), imports)).not.toThrow();
    expect(unshareMemoryImport(patched)).toBe(patched);
    expect(unshareMemoryImport(HAND_MADE)).not.toBe(HAND_MADE); // a copy: the input is not modified
    expect(HAND_MADE[HAND_MADE.length - 3]).toBe(3);
  });
});
