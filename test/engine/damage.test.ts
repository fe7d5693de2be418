// Damaged repositories: check names what is broken, restore of unaffected
// files still works, the index can be rebuilt from packs, and hostile
// snapshots cannot write outside the restore target.

import { mkdir, readFile, readdir, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Repository } from '../../src/engine/repo/repository';
import { LocalBackend } from '../../src/engine/storage/local';
import { backup } from '../../src/engine/snapshot/archiver';
import { restore } from '../../src/engine/snapshot/restorer';
import { check } from '../../src/engine/maintenance/check';
import { rebuildIndex } from '../../src/engine/maintenance/rebuild-index';
import { BlobStore } from '../../src/engine/repo/blob-store';
import { BlobType, toHex } from '../../src/engine/repo/format';
import { encodeTree, type Snapshot } from '../../src/engine/snapshot/tree';
import { EngineError, UnsafePathError } from '../../src/engine/errors';
import { fastKdf, seededBytes, tempDir } from '../helpers';

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.cleanup();
});

/** Two folders backed up separately, so their data sits in different packs. */
async function setup(): Promise<{ repo: Repository; repoDir: string; source: string; snapshot: Snapshot; snapshotA: Snapshot; snapshotB: Snapshot }> {
  const repoDir = join(dir.path, 'repo');
  const repo = await Repository.init(await LocalBackend.create(repoDir), 'pw', { kdf: fastKdf(), packSize: 1024 * 1024 });
  const source = join(dir.path, 'src');
  await mkdir(join(source, 'a'), { recursive: true });
  await mkdir(join(source, 'b'), { recursive: true });
  await writeFile(join(source, 'a', 'one.bin'), seededBytes(1, 3 * 1024 * 1024));
  await writeFile(join(source, 'b', 'two.bin'), seededBytes(2, 3 * 1024 * 1024));
  const { snapshot: snapshotA } = await backup(repo, { paths: [join(source, 'a')] });
  const packsOfA = new Set([...repo.index.entries()].map((e) => e.pack));
  const { snapshot: snapshotB } = await backup(repo, { paths: [join(source, 'b')] });
  bPacks = [...new Set([...repo.index.entries()].map((e) => e.pack))].filter((p) => !packsOfA.has(p));
  const { snapshot } = await backup(repo, { paths: [source] });
  return { repo, repoDir, source, snapshot, snapshotA, snapshotB };
}

let bPacks: string[] = [];

async function packFiles(repoDir: string): Promise<string[]> {
  const files: string[] = [];
  for (const sub of await readdir(join(repoDir, 'data'))) {
    for (const name of await readdir(join(repoDir, 'data', sub))) files.push(join(repoDir, 'data', sub, name));
  }
  return files.sort();
}

async function reopen(repoDir: string): Promise<Repository> {
  return Repository.open(new LocalBackend(repoDir), 'pw');
}

describe('damage', () => {
  it('names a pack with a flipped byte; restore of files in other packs still works', async () => {
    const { repo, repoDir, snapshotA, snapshotB } = await setup();
    const victim = [...repo.index.entries()].find((e) => e.type === BlobType.data && bPacks.includes(e.pack));
    if (!victim) throw new Error('no data blob of b');
    const packPath = join(repoDir, 'data', victim.pack.slice(0, 2), victim.pack);
    const bytes = await readFile(packPath);
    bytes[victim.offset + 30] = (bytes[victim.offset + 30] ?? 0) ^ 0xff;
    await writeFile(packPath, bytes);

    const damaged = await reopen(repoDir);
    const quick = await check(damaged);
    expect(quick.problems).toEqual([]); // structure intact: only reading the data finds it
    const full = await check(damaged, { readData: true });
    expect(full.problems.length).toBeGreaterThan(0);
    expect(full.problems.every((p) => p.object === `data/${victim.pack.slice(0, 2)}/${victim.pack}`)).toBe(true);

    // The damaged file is reported and left out (no half-written file); the rest restores.
    const targetB = join(dir.path, 'restored-b');
    const partial = await restore(damaged, snapshotB, { target: targetB });
    expect(partial.failed.map((f) => f.path)).toEqual(['b/two.bin']);
    expect(partial.failed[0]?.message).toMatch(/damaged object/);
    expect(await readdir(join(targetB, 'b'))).toEqual([]);
    const targetA = join(dir.path, 'restored-a');
    expect((await restore(damaged, snapshotA, { target: targetA })).failed).toEqual([]);
    expect(Buffer.compare(await readFile(join(targetA, 'a', 'one.bin')), Buffer.from(seededBytes(1, 3 * 1024 * 1024)))).toBe(0);
  });

  it('names a truncated pack', async () => {
    const { repoDir } = await setup();
    const packs = await packFiles(repoDir);
    const victim = packs[0] as string;
    await truncate(victim, (await stat(victim)).size - 100);
    const result = await check(await reopen(repoDir));
    expect(result.problems.some((p) => victim.endsWith(p.object) && /truncated/.test(p.message))).toBe(true);
  });

  it('notices a deleted index and rebuilds it from the packs', async () => {
    const { repoDir, snapshot } = await setup();
    await rm(join(repoDir, 'index'), { recursive: true });
    const broken = await reopen(repoDir);
    const result = await check(broken);
    expect(result.problems.length).toBeGreaterThan(0);
    expect(result.problems.some((p) => /in no index/.test(p.message))).toBe(true);
    expect(result.notes.length).toBeGreaterThan(0);

    const rebuilt = await rebuildIndex(broken);
    expect(rebuilt.damaged).toEqual([]);
    expect(rebuilt.packs).toBe((await packFiles(repoDir)).length);
    const healed = await reopen(repoDir);
    expect((await check(healed, { readData: true })).problems).toEqual([]);
    const target = join(dir.path, 'restored');
    await restore(healed, snapshot, { target });
    expect((await readFile(join(target, 'src', 'a', 'one.bin'))).length).toBe(3 * 1024 * 1024);
  });

  it('rejects a wrong passphrase with WRONG_PASSPHRASE', async () => {
    const { repoDir } = await setup();
    const error = await Repository.open(new LocalBackend(repoDir), 'not it').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe('WRONG_PASSPHRASE');
  });
});

describe('hostile snapshots', () => {
  async function snapshotWithRoot(repo: Repository, nodes: unknown[]): Promise<Snapshot> {
    const store = new BlobStore(repo);
    const tree = store.save(BlobType.tree, new TextEncoder().encode(JSON.stringify({ nodes })));
    await tree.done;
    await store.flush();
    return {
      version: 1, time: new Date().toISOString(), host: 'h', user: 'u', paths: ['/x'], tree: toHex(tree.id), tags: [], program: 'test',
      stats: { files: 0, dirs: 0, bytes: 0, newBlobs: 0, newBytes: 0, storedBytes: 0, reusedFiles: 0 },
    };
  }

  async function emptyTreeId(repo: Repository): Promise<string> {
    const store = new BlobStore(repo);
    const saved = store.save(BlobType.tree, encodeTree({ nodes: [] }));
    await saved.done;
    await store.flush();
    return toHex(saved.id);
  }

  for (const name of ['..', '../escape', '/etc/passwd', 'a/../../b', '.', '']) {
    it(`refuses the name ${JSON.stringify(name)}`, async () => {
      const repo = await Repository.init(await LocalBackend.create(join(dir.path, 'repo')), 'pw', { kdf: fastKdf() });
      const snapshot = await snapshotWithRoot(repo, [{ name, type: 'dir', mode: 0o755, mtimeMs: 0, subtree: await emptyTreeId(repo) }]);
      const target = join(dir.path, 'target');
      const error = await restore(repo, snapshot, { target }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsafePathError);
      expect(await readdir(dir.path)).not.toContain('escape');
    });
  }

  it('refuses to restore through a symlink that exists in the target', async () => {
    const repo = await Repository.init(await LocalBackend.create(join(dir.path, 'repo')), 'pw', { kdf: fastKdf() });
    const source = join(dir.path, 'src');
    await mkdir(join(source, 'sub'), { recursive: true });
    await writeFile(join(source, 'sub', 'file.txt'), 'payload');
    const { snapshot } = await backup(repo, { paths: [source] });
    const target = join(dir.path, 'target');
    const outside = join(dir.path, 'outside');
    await mkdir(join(target, 'src'), { recursive: true });
    await mkdir(outside);
    await symlink(outside, join(target, 'src', 'sub'));
    const error = await restore(repo, snapshot, { target }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafePathError);
    expect(await readdir(outside)).toEqual([]);
  });

  it('refuses include paths that climb out', async () => {
    const repo = await Repository.init(await LocalBackend.create(join(dir.path, 'repo')), 'pw', { kdf: fastKdf() });
    const snapshot = await snapshotWithRoot(repo, []);
    await expect(restore(repo, snapshot, { target: join(dir.path, 't'), include: ['../x'] })).rejects.toBeInstanceOf(UnsafePathError);
  });
});
