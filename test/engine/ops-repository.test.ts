// The repository, snapshot and maintenance operations (engine/ops) every host
// calls: creating and opening by location, keys, backup through the session's
// writer queue, listing and restoring snapshots, check's note when this
// machine's state cannot be read, and check with a policy file that cannot be
// (the history and the state still read once, this device's own batch checked).

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { defaultKdfParams } from '../../src/engine/crypto/kdf';
import { machineStateDir } from '../../src/engine/fs/state-home';
import { addFolder, scan } from '../../src/engine/ops/folders';
import { check, repairIndex, stats } from '../../src/engine/ops/maintenance';
import {
  addKey,
  assertRepositoryAt,
  changePassphrase,
  initRepository,
  kdfWithN,
  listKeys,
  onStray,
  openSession,
  removeKey,
  repositoryExists,
} from '../../src/engine/ops/repository';
import type { Session } from '../../src/engine/ops/session';
import { backup, listSnapshotFiles, listSnapshots, restoreSnapshot } from '../../src/engine/ops/snapshots';
import { policyPath } from '../../src/engine/tiers/policy';
import { History } from '../../src/engine/versions/history';
import { LocalState } from '../../src/engine/versions/local-state';
import { batchFiles, fastKdf, tempDirPerTest, writeSettled } from '../helpers';

const dir = tempDirPerTest('strata-ops-');

async function withSession<T>(task: (s: Session, repoDir: string) => Promise<T>): Promise<T> {
  const repoDir = join(dir.path, 'repo');
  await initRepository(repoDir, 'pw', { kdf: fastKdf() });
  const s = await openSession(repoDir, 'pw');
  try {
    return await task(s, repoDir);
  } finally {
    await s.close();
  }
}

async function course(): Promise<string> {
  const source = join(dir.path, 'physics');
  await mkdir(join(source, 'week1'), { recursive: true });
  await writeFile(join(source, 'intro.md'), '# Intro\n');
  await writeFile(join(source, 'week1', 'notes.md'), 'notes\n'.repeat(100));
  return source;
}

describe('repository operations', () => {
  it('creates a repository, says where there is none before any passphrase, and opens it', async () => {
    const repoDir = join(dir.path, 'repo');
    await expect(assertRepositoryAt(repoDir)).rejects.toMatchObject({ code: 'NO_REPOSITORY' });
    expect(await repositoryExists(repoDir)).toBe(false);
    const created = await initRepository(repoDir, 'pw', { kdf: fastKdf() });
    expect(created.location).toBe(repoDir);
    expect(created.id).toMatch(/^[0-9a-f]{64}$/);
    expect(created.keyId).toMatch(/^[0-9a-f]{64}$/);
    expect(await repositoryExists(repoDir)).toBe(true);
    await assertRepositoryAt(repoDir);
    await expect(openSession(repoDir, 'wrong')).rejects.toMatchObject({ code: 'WRONG_PASSPHRASE' });
    const s = await openSession(repoDir, 'pw');
    try {
      expect(s.id).toBe(created.id);
      expect(s.dir).toBe(repoDir);
    } finally {
      await s.close();
    }
  });

  it('adds, lists, removes keys and changes the passphrase in use', async () => {
    await withSession(async (s, repoDir) => {
      const [first] = await listKeys(s);
      expect(first).toMatchObject({ current: true, version: 2 });
      const added = await addKey(s, 'second', kdfWithN(1024));
      expect((await listKeys(s)).map((k) => k.id).sort()).toEqual([first?.id, added].sort());
      await expect(removeKey(s, first?.id ?? '')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(await removeKey(s, added.slice(0, 8))).toBe(added);
      const changed = await changePassphrase(s, 'third', fastKdf());
      expect((await listKeys(s)).map((k) => k.id)).toEqual([changed]);
      const again = await openSession(repoDir, 'third');
      await again.close();
    });
  });

  it('kdfWithN keeps the default parameters but N', () => {
    const kdf = kdfWithN(2048);
    expect(kdf.N).toBe(2048);
    expect(kdf.algorithm).toBe('scrypt');
    expect({ ...kdf, salt: 'each its own' }).toEqual({ ...defaultKdfParams(), N: 2048, salt: 'each its own' });
    expect(kdf.salt).not.toBe(kdfWithN(2048).salt); // a fresh salt each time, as the defaults have
  });

  it('reports each stray among the objects once, those found while opening too', async () => {
    const repoDir = join(dir.path, 'repo');
    await initRepository(repoDir, 'pw', { kdf: fastKdf() });
    await writeFile(join(repoDir, 'keys', '.DS_Store'), 'not an object');
    const s = await openSession(repoDir, 'pw');
    try {
      const heard: string[] = [];
      const stop = onStray(s, (name) => heard.push(name));
      expect(heard).toEqual(['keys/.DS_Store']);
      await mkdir(join(repoDir, 'snapshots'), { recursive: true });
      await writeFile(join(repoDir, 'snapshots', 'notes.txt'), 'not an object');
      await listSnapshots(s);
      await listSnapshots(s);
      expect(heard).toEqual(['keys/.DS_Store', 'snapshots/notes.txt']);
      stop();
      await writeFile(join(repoDir, 'snapshots', 'more.txt'), 'not an object');
      await listSnapshots(s);
      expect(heard).toHaveLength(2);
    } finally {
      await s.close();
    }
  });
});

describe('snapshot operations', () => {
  it('backs up, lists a snapshot\'s files and restores it with the snapshot\'s bytes as total', async () => {
    const source = await course();
    await withSession(async (s) => {
      const warnings: string[] = [];
      const saved = await backup(s, [source], { tags: ['first'], onWarning: (path) => warnings.push(path) });
      expect(warnings).toEqual([]);
      expect(saved.snapshot.tags).toEqual(['first']);
      const again = await backup(s, [source]);
      expect(again.snapshot.parent).toBe(saved.id);
      expect(again.snapshot.stats.reusedFiles).toBe(2);
      const forced = await backup(s, [source], { parent: false });
      expect(forced.snapshot.parent).toBeUndefined();

      expect((await listSnapshots(s)).map((e) => e.id)).toEqual([saved.id, again.id, forced.id]);
      const files = await listSnapshotFiles(s, saved.id.slice(0, 8));
      expect(files.map((f) => `${f.path}:${f.node.type}`)).toEqual([
        '/physics:dir',
        '/physics/intro.md:file',
        '/physics/week1:dir',
        '/physics/week1/notes.md:file',
      ]);

      const totals: number[] = [];
      const target = join(dir.path, 'restored');
      const restored = await restoreSnapshot(s, 'latest', { target, include: ['physics/week1'], onProgress: (_p, total) => totals.push(total) });
      expect(restored.id).toBe(forced.id);
      expect(restored.target).toBe(target);
      expect(restored.result).toMatchObject({ files: 1, failed: [], refused: [] });
      expect(totals.every((t) => t === forced.snapshot.stats.bytes)).toBe(true);
      expect(await readFile(join(target, 'physics', 'week1', 'notes.md'), 'utf8')).toBe('notes\n'.repeat(100));
    });
  });

  it('backs up one at a time with the session\'s other writers', async () => {
    const source = await course();
    await withSession(async (s) => {
      let release!: () => void;
      const writer = s.exclusive(() => new Promise<void>((resolve) => {
        release = resolve;
      }));
      let done = false;
      const saving = backup(s, [source]).then(() => {
        done = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(done).toBe(false);
      release();
      await writer;
      await saving;
      expect(done).toBe(true);
    });
  });
});

describe('maintenance operations', () => {
  it('checks, counts and rebuilds the index', async () => {
    const source = await course();
    await withSession(async (s) => {
      await backup(s, [source]);
      const notes: string[] = [];
      const result = await check(s, { readData: true, onNote: (n) => notes.push(n) });
      expect(notes).toEqual([]);
      expect(result).toMatchObject({ problems: [], snapshots: 1 });
      expect(result.bytesRead).toBeGreaterThan(0);
      expect(await stats(s)).toMatchObject({ snapshots: 1, files: 2 });
      const rebuilt = await repairIndex(s);
      expect(rebuilt).toMatchObject({ damaged: [] });
      expect(rebuilt.blobs).toBeGreaterThan(0);
    });
  });

  it('still checks when this machine\'s state cannot be read, and says what it could not check', async () => {
    await withSession(async (s, repoDir) => {
      await writeFile(join(await machineStateDir(repoDir), 'state.json'), '{ not json');
      const notes: string[] = [];
      const result = await check(s, { onNote: (n) => notes.push(n) });
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatch(/^this machine's state cannot be read \(.*state\.json.*\): its own newest version batch is not checked$/);
      expect(result.problems).toEqual([]);
      expect(result.notes).toEqual([]);
    });
  });

  it('checks this device\'s own newest batch when the policy file cannot be read, reading the history and the state once', async () => {
    const repoDir = join(dir.path, 'repo');
    const folder = join(dir.path, 'course');
    await writeSettled(join(folder, 'a.md'), 'one\n');
    await withSession(async (s) => {
      await addFolder(s, folder);
      await writeSettled(join(folder, 'a.md'), 'two\n');
      await scan(s);
    });
    const newest = (await batchFiles(repoDir)).at(-1) as string;
    await rm(join(repoDir, 'versions', newest)); // no batch in the repository names it: only this machine's state does
    await writeFile(await policyPath(repoDir), '{ not json');
    const historyLoads = vi.spyOn(History, 'load');
    const stateLoads = vi.spyOn(LocalState, 'load');
    const s = await openSession(repoDir, 'pw');
    try {
      const notes: string[] = [];
      const result = await check(s, { onNote: (n) => notes.push(n) });
      expect(notes).toEqual([]);
      expect(result.problems.map((p) => p.object)).toEqual([`versions/${newest}`]);
      // A damaged policy file stops what needs it (a scan: the pack lane of new chunks), not reading the history.
      expect((await s.versions()).history).toBeInstanceOf(History);
      await expect(s.media()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(scan(s)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(historyLoads).toHaveBeenCalledTimes(1);
      expect(stateLoads).toHaveBeenCalledTimes(1);
    } finally {
      vi.restoreAllMocks();
      await s.close();
    }
  });
});
