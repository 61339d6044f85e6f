/**
 * @normkit/nn/node: file I/O for Node (the main entry stays browser-safe).
 *
 * Saves are atomic: the file is written to a temporary sibling (`.<name>.<pid>.<random>.tmp`, same
 * directory so the rename cannot cross file systems), fsynced, then renamed over the target. A
 * reader sees the old file or the new one, never a half-written one; on any failure the temporary
 * file is removed and an existing target is left untouched. Tensors are streamed one at a time, so
 * saving needs no second in-memory copy of the whole model.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { type FileHandle, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Tensor } from '@normkit/tensor';
import { planSafetensors, type SafetensorsPlan, tensorBytes } from './internal/safetensors-write.js';
import { type DecodedSafetensors, type DecodeSafetensorsOptions, decodeSafetensors } from './safetensors.js';

export type LoadSafetensorsOptions = Omit<DecodeSafetensorsOptions, 'source'>;

/**
 * The chunks of a planned file, produced lazily: the header, then one tensor at a time. Planning
 * (which validates the arguments) happens before any file is touched.
 */
function* chunksOf(plan: SafetensorsPlan): Generator<Uint8Array> {
  yield plan.header;
  for (const { tensor } of plan.tensors) yield tensorBytes(tensor);
}

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Write `chunks` to `path` atomically (temp file, fsync, rename). Exported for other savers of
 * this package; a throw from the chunk source aborts the write like an I/O error does.
 */
export function writeFileAtomicSync(path: string, chunks: Iterable<Uint8Array>): void {
  const tmp = tempPathFor(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx');
    for (const chunk of chunks) {
      for (let done = 0; done < chunk.length; ) done += writeSync(fd, chunk, done, chunk.length - done);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {}
    }
    try {
      unlinkSync(tmp);
    } catch {}
    throw error;
  }
  syncDirectorySync(dirname(path));
}

/** Async twin of writeFileAtomicSync. */
export async function writeFileAtomic(path: string, chunks: Iterable<Uint8Array>): Promise<void> {
  const tmp = tempPathFor(path);
  let handle: FileHandle | undefined;
  try {
    handle = await open(tmp, 'wx');
    for (const chunk of chunks) {
      for (let done = 0; done < chunk.length; ) {
        done += (await handle.write(chunk, done, chunk.length - done)).bytesWritten;
      }
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
  } catch (error) {
    await handle?.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw error;
  }
  syncDirectorySync(dirname(path));
}

/** Persist the rename itself (POSIX); best effort, since Windows cannot open a directory. */
function syncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Save named tensors (and string metadata) to a .safetensors file, atomically. */
export async function saveSafetensors(
  path: string,
  dict: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  const plan = planSafetensors('saveSafetensors', dict, metadata);
  await writeFileAtomic(path, chunksOf(plan));
}

export function saveSafetensorsSync(
  path: string,
  dict: Record<string, Tensor>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomicSync(path, chunksOf(planSafetensors('saveSafetensorsSync', dict, metadata)));
}

/** Load a .safetensors file; errors name the path (see decodeSafetensors for what is checked). */
export async function loadSafetensors(
  path: string,
  options: LoadSafetensorsOptions = {},
): Promise<DecodedSafetensors> {
  const bytes = await readFile(path);
  return decodeSafetensors(bytes, { ...options, source: `loadSafetensors(${path})` });
}

export function loadSafetensorsSync(path: string, options: LoadSafetensorsOptions = {}): DecodedSafetensors {
  const bytes = readFileSync(path);
  return decodeSafetensors(bytes, { ...options, source: `loadSafetensorsSync(${path})` });
}
