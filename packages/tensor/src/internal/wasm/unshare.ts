/**
 * The kernel modules are built importing a shared memory (`(import "env" "memory" (memory 0 65536
 * shared))`, scripts/build-wasm.mjs), because a module links only a memory of its declared kind.
 * Where the memory is not shared (no SharedArrayBuffer-backed wasm memory in this runtime, or
 * configureWasm({ shared: false })), the same binary is used with its memory import's limits
 * flag patched from 0x03 (maximum present, shared) to 0x01 (maximum present): one embedded
 * binary serves both. The kernels use no atomic instructions, so the patched module validates.
 *
 * Binary layout walked (wasm spec 5.5): magic and version (8 bytes), then sections (id byte,
 * LEB128 size); the import section (id 2) is a vector of (module name, field name, kind, desc),
 * names being LEB128-length-prefixed bytes; a memory import (kind 2) has limits: a flag byte, then
 * the initial and (flag bit 0) maximum page counts.
 */
export function unshareMemoryImport(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  let pos = 8;
  const leb = (): number => {
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = bytes[pos++]!;
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return result;
  };
  while (pos < bytes.length) {
    const id = bytes[pos++]!;
    const size = leb();
    const end = pos + size;
    if (id === 2) {
      for (let count = leb(); count > 0; count--) {
        // (not `pos += leb()`: that reads pos before leb() moves it past the length)
        for (let name = 0; name < 2; name++) {
          const length = leb(); // module name, then field name
          pos += length;
        }
        const kind = bytes[pos++]!;
        if (kind === 2) {
          const flag = bytes[pos]!;
          if ((flag & 2) === 0) return bytes; // not shared: nothing to do
          const patched = bytes.slice();
          patched[pos] = flag & ~2;
          return patched;
        }
        if (kind === 0)
          leb(); // function: type index
        else if (kind === 3)
          pos += 2; // global: value type, mutability
        else if (kind === 1) {
          pos++; // table: reference type, then limits
          const flag = bytes[pos++]!;
          leb();
          if (flag & 1) leb();
        }
      }
    }
    pos = end;
  }
  return bytes;
}
