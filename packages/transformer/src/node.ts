/**
 * @normkit/transformer/node: training checkpoints as files (the main entry stays browser-safe).
 * Writes are atomic (@normkit/nn/node's writeFileAtomic: temp file, fsync, rename).
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@normkit/nn/node';

/** train()'s `checkpoint` option saving to `path` (overwritten each time) every `every` updates. */
export function fileCheckpoint(
  path: string,
  every: number,
): { every: number; save: (bytes: Uint8Array) => Promise<void> } {
  return { every, save: (bytes) => writeFileAtomic(path, [bytes]) };
}

/** A checkpoint file's bytes, for train({ resume }). */
export async function readCheckpoint(path: string): Promise<Uint8Array> {
  const buf = await readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
