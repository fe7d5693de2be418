// Putting versions back on disk: which version of each file was current at a
// moment, and writing a version's content into a folder safely. Every path
// comes from validated records (safe relative parts) and every directory on
// the way is entered only if it is a real directory, never a symlink, so no
// record can make a write land outside the folder (nor a removal, nor a read
// of what is there). Files are written under a temporary name and renamed
// into place: nobody sees half a file. A file is removed only while it holds
// a version known to history (removeIfHolds): nothing unrecorded is deleted.
// A restore puts each file back on its own (putBack): damaged data, or a path
// that leads into the repository (a target holding it), costs that file only,
// and whatever was on disk there stays as it was.

import { createHash, randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { chmod, link, lstat, mkdir, open, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError, UnsafePathError } from '../errors';
import { InsideRepositoryError, type RepositoryFence } from '../fs/repository-guard';
import type { FileHistory } from './history';
import { sameKey, statKey } from './state/seen';
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

/**
 * Writes `content` to `root/rel` (creating folders), with `mode`; replaces a
 * file there, never a folder or a link's target. With `fence`, a folder on the
 * way that is the repository is refused (InsideRepositoryError) before
 * anything is written.
 */
export async function writeInto(root: string, rel: string, content: AsyncIterable<Uint8Array>, mode: number, fence?: RepositoryFence): Promise<void> {
  if (!isSafeRelativePath(rel)) throw new UnsafePathError(rel, 'not a safe relative path');
  const parts = rel.split('/');
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    dir = join(dir, part);
    try {
      const st = await lstat(dir, { bigint: true });
      if (st.isSymbolicLink()) throw new UnsafePathError(rel, `${dir} is a symlink; writing through it could leave the folder`);
      if (!st.isDirectory()) throw new EngineError('INVALID_ARGUMENT', `cannot write ${rel}: ${dir} is not a folder`);
      fence?.check(st, rel);
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

/** A file a restore did not put back, and why. */
export interface NotPutBack {
  path: string;
  message: string;
}

/**
 * writeInto for restores, one file of many: damaged or missing data (a blob
 * that fails authentication, a pack cut short or gone) or a path into the
 * repository costs this file only. Nothing is written then (a file already
 * there stays as it was, byte for byte) and the reason comes back, for the
 * caller to name and go on; any other error is thrown.
 */
export async function putBack(root: string, rel: string, content: AsyncIterable<Uint8Array>, mode: number, fence: RepositoryFence | undefined): Promise<'written' | { damaged: string } | { refused: string }> {
  try {
    await writeInto(root, rel, content, mode, fence);
    return 'written';
  } catch (error) {
    if (error instanceof InsideRepositoryError) return { refused: error.reason };
    if (error instanceof EngineError && error.code === 'DAMAGED') return { damaged: error.message };
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

/**
 * Removes the file at `root/rel` only while its content is `sha256` (a
 * version in history), else leaves it: 'kept' (something else is there: a
 * file changed since it was recorded, a folder, a link), 'gone' (nothing is
 * there). The file is moved aside first (one atomic rename) and removed only
 * if it is still the file that was checked, so a save landing meanwhile is
 * never what gets deleted; if it changed, it is put back.
 */
export async function removeIfHolds(root: string, rel: string, sha256: string): Promise<'removed' | 'kept' | 'gone'> {
  const dir = await parentInside(root, rel);
  if (dir === undefined) return 'gone';
  const name = rel.split('/').at(-1) as string;
  const path = join(dir, name);
  let checked: Stats;
  try {
    checked = await lstat(path);
    if (!checked.isFile()) return 'kept';
    if ((await fileSha256(path)) !== sha256) return 'kept';
    if (!sameKey(statKey(checked), statKey(await lstat(path)))) return 'kept'; // written while being read
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return 'gone';
    throw error;
  }
  const aside = join(dir, `.strata-tmp-${randomBytes(8).toString('hex')}`);
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return 'gone';
    throw error;
  }
  const moved = await lstat(aside); // a rename changes the ctime, not the inode, size or mtime
  if (moved.ino === checked.ino && moved.size === checked.size && moved.mtimeMs === checked.mtimeMs) {
    await unlink(aside);
    return 'removed';
  }
  // Changed between the check and the move: back where it was (beside a file saved there since, if one was).
  try {
    await link(aside, path);
    await unlink(aside);
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST') await rename(aside, join(dir, `${name}.strata-kept-${randomBytes(4).toString('hex')}`));
    else await rename(aside, path); // no hard links on this file system
  }
  return 'kept';
}
