// Putting versions back on disk: which version of each file was current at a
// moment, and writing a version's content into a folder safely. Every path
// comes from validated records (safe relative parts) and every directory on
// the way is entered only if it is a real directory, never a symlink, so no
// record can make a write land outside the folder (nor a removal, nor a read
// of what is there). Files are written under a temporary name and renamed
// into place: nobody sees half a file.

import { createHash, randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { chmod, lstat, mkdir, open, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError, UnsafePathError } from '../errors';
import type { FileHistory } from './history';
import { isSafeRelativePath, type VersionRecord } from './records';

/** Each file's version current at `at` (its newest at or before it), if it existed then. */
export function stateAt(files: FileHistory[], at: Date): Map<string, { file: FileHistory; record: VersionRecord }> {
  const state = new Map<string, { file: FileHistory; record: VersionRecord }>();
  const limit = at.getTime();
  for (const file of files) {
    let current: VersionRecord | undefined;
    for (const v of file.versions) if (Date.parse(v.time) <= limit) current = v;
    if (current && current.op !== 'delete') state.set(current.path, { file, record: current });
  }
  return state;
}

/** Writes `content` to `root/rel` (creating folders), with `mode`; replaces a file there, never a folder or a link's target. */
export async function writeInto(root: string, rel: string, content: AsyncIterable<Uint8Array>, mode: number): Promise<void> {
  if (!isSafeRelativePath(rel)) throw new UnsafePathError(rel, 'not a safe relative path');
  const parts = rel.split('/');
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    dir = join(dir, part);
    try {
      const st = await lstat(dir);
      if (st.isSymbolicLink()) throw new UnsafePathError(rel, `${dir} is a symlink; writing through it could leave the folder`);
      if (!st.isDirectory()) throw new EngineError('INVALID_ARGUMENT', `cannot write ${rel}: ${dir} is not a folder`);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw error;
      await mkdir(dir);
    }
  }
  const dest = join(dir, parts[parts.length - 1] as string);
  try {
    const st = await lstat(dest);
    if (st.isDirectory()) throw new EngineError('INVALID_ARGUMENT', `cannot write ${rel}: a folder is in the way`);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
  }
  const temp = join(dir, `.strata-tmp-${randomBytes(8).toString('hex')}`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    for await (const piece of content) await handle.write(piece);
    await handle.sync();
    await handle.close();
    await chmod(temp, mode & 0o1777);
    await rename(temp, dest); // replaces a file or a symlink itself, never what a link points to
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
}

/** The folders on the way to `root/rel`, each checked to be a real folder; undefined if one is missing. */
async function parentInside(root: string, rel: string): Promise<string | undefined> {
  if (!isSafeRelativePath(rel)) throw new UnsafePathError(rel, 'not a safe relative path');
  let dir = root;
  for (const part of rel.split('/').slice(0, -1)) {
    dir = join(dir, part);
    try {
      const st = await lstat(dir);
      if (st.isSymbolicLink()) throw new UnsafePathError(rel, `${dir} is a symlink; following it could leave the folder`);
      if (!st.isDirectory()) return undefined;
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return undefined;
      throw error;
    }
  }
  return dir;
}

/** What is at `root/rel` (not following a symlink there, nor one on the way): its stat and, for a regular file, its SHA-256; undefined if nothing. */
export async function onDiskAt(root: string, rel: string): Promise<{ st: Stats; sha256?: string } | undefined> {
  const dir = await parentInside(root, rel);
  if (dir === undefined) return undefined;
  const path = join(dir, rel.split('/').at(-1) as string);
  let st: Stats;
  try {
    st = await lstat(path);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!st.isFile()) return { st };
  return { st, sha256: await fileSha256(path) };
}

/** Hex SHA-256 of a file's content, read in 1 MiB pieces. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    for (let position = 0; ; ) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** Removes the file at `root/rel` (a symlink there itself, never its target); nothing if it is gone. */
export async function removeInside(root: string, rel: string): Promise<void> {
  const dir = await parentInside(root, rel);
  if (dir === undefined) return;
  try {
    await unlink(join(dir, rel.split('/').at(-1) as string));
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
  }
}
