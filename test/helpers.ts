// Shared test helpers: temporary folders, fast KDF parameters, tree builders
// and tree comparison (content and metadata).

import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, utimes, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { defaultKdfParams, type KdfParams } from '../src/engine/crypto/kdf';
import { OBJECT_NAMES } from '../src/engine/repo/format';

/** Cheap scrypt parameters so tests don't spend seconds per key slot. */
export function fastKdf(): KdfParams {
  return { ...defaultKdfParams(), N: 1024 };
}

export async function tempDir(prefix = 'strata-test-'): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** A fresh temporary folder for each test of the file (made before, removed after); read `.path` inside a test. */
export function tempDirPerTest(prefix = 'strata-test-'): { readonly path: string } {
  let current: { path: string; cleanup: () => Promise<void> } | undefined;
  beforeEach(async () => {
    current = await tempDir(prefix);
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return {
    get path(): string {
      if (!current) throw new Error('tempDirPerTest: .path is only there inside a test');
      return current.path;
    },
  };
}

/** The version batches in a folder repository's `versions/`, by file name (sorted); anything else there is left out. */
export async function batchFiles(repoDir: string): Promise<string[]> {
  return (await readdir(join(repoDir, 'versions'))).filter((n) => OBJECT_NAMES.versions.pattern.test(`versions/${n}`)).sort();
}

/**
 * Writes a file (making its folder) dated `ageMs` in the past, so that a scan
 * records it now instead of waiting for it to settle.
 */
export async function writeSettled(path: string, content: string | Uint8Array, ageMs = 60_000): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  const t = (Date.now() - ageMs) / 1000;
  await utimes(path, t, t);
}

/** A deterministic pseudo-random generator (xorshift32) for reproducible data. */
export function seededBytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
    if (i + 1 < length) out[i + 1] = (x >>> 8) & 0xff;
    if (i + 2 < length) out[i + 2] = (x >>> 16) & 0xff;
    if (i + 3 < length) out[i + 3] = (x >>> 24) & 0xff;
  }
  return out;
}

export const MARKER = 'STRATA-PLAINTEXT-MARKER-7f3a9c';

/** Builds the edge-case tree the round-trip tests use. Returns nothing; compare with snapshotOfDisk. */
export async function buildEdgeCaseTree(root: string): Promise<void> {
  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'empty.txt'), '');
  await writeFile(join(root, 'lesson.md'), `# Lesson\n\n${MARKER}\n${'The quick brown fox jumps over the lazy dog. '.repeat(2000)}\n`);
  await writeFile(join(root, 'video.mp4'), seededBytes(7, 3 * 1024 * 1024 + 123));
  await writeFile(join(root, 'Ünïcödé — 日本語 😀.txt'), 'unicode name\n');
  await writeFile(join(root, 'script.sh'), '#!/bin/sh\necho hi\n');
  await chmod(join(root, 'script.sh'), 0o755);
  await writeFile(join(root, 'readonly.txt'), 'read only\n');
  await chmod(join(root, 'readonly.txt'), 0o444);
  await symlink('lesson.md', join(root, 'link-to-lesson'));
  await symlink('/nonexistent/target', join(root, 'dangling-link'));
  let deep = join(root, 'deep');
  for (let i = 0; i < 40; i++) deep = join(deep, `level-${i}`);
  await mkdir(deep, { recursive: true });
  await writeFile(join(deep, 'bottom.txt'), 'at the bottom\n');
  await mkdir(join(root, 'empty-dir'));
  await mkdir(join(root, 'course', 'week1'), { recursive: true });
  for (let i = 0; i < 30; i++) await writeFile(join(root, 'course', 'week1', `note-${i}.md`), `note ${i}\n${'x'.repeat(i * 37)}`);
  await utimes(join(root, 'lesson.md'), new Date('2020-02-03T04:05:06.789Z'), new Date('2020-02-03T04:05:06.789Z'));
}

export interface DiskEntry {
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  mtimeMs?: number;
  size?: number;
  sha256?: string;
  target?: string;
}

/** Everything restore promises to keep, per relative path. Directory mtimes included. */
export async function snapshotOfDisk(root: string): Promise<Map<string, DiskEntry>> {
  const result = new Map<string, DiskEntry>();
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const relPath = rel ? `${rel}/${name}` : name;
      const st = await lstat(path);
      if (st.isDirectory()) {
        result.set(relPath, { type: 'dir', mode: st.mode & 0o7777, mtimeMs: Math.floor(st.mtimeMs) });
        await walk(path, relPath);
      } else if (st.isSymbolicLink()) {
        result.set(relPath, { type: 'symlink', mode: 0, target: await readlink(path) });
      } else {
        const sha256 = createHash('sha256').update(await readFile(path)).digest('hex');
        result.set(relPath, { type: 'file', mode: st.mode & 0o7777, mtimeMs: Math.floor(st.mtimeMs), size: st.size, sha256 });
      }
    }
  };
  await walk(root, '');
  return result;
}

export async function duSize(dir: string): Promise<number> {
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else total += (await lstat(p)).size;
    }
  };
  await walk(dir);
  return total;
}

/** Every file under dir, for scanning for plaintext. */
export async function allFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else files.push(p);
    }
  };
  await walk(dir);
  return files;
}

export { randomBytes };
