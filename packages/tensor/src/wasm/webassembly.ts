/**
 * The part of the WebAssembly JS API normkit uses. TypeScript declares `WebAssembly` only in its
 * DOM lib, which normkit's packages (written for Node and browsers alike) do not load, so the
 * global is typed here and read through globalThis.
 */
export interface WasmMemory {
  /** ArrayBuffer, or SharedArrayBuffer for a shared memory (a new object after each grow). */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(deltaPages: number): number;
}

export type WasmExports = Record<string, unknown>;

interface WebAssemblyApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: WasmExports };
  validate(bytes: Uint8Array<ArrayBuffer>): boolean;
}

/** The runtime's WebAssembly object, or undefined where there is none. */
export function webAssembly(): WebAssemblyApi | undefined {
  return (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
}
