// Restoring file versions over damaged data (issue 10, point 3, for versions):
// a pack cut short or gone costs the files whose versions need it, named in
// the outcome; every other file is restored, and in place a file whose old
// version cannot be read is left on disk exactly as it was.

import { readFile, readdir, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/engine/repo/format';
import { initLocalStoreAt, initRepositoryAt, openRepositoryAt } from '../../src/engine/repo/location';
import { Repository } from '../../src/engine/repo/repository';
import { LocalBackend } from '../../src/engine/storage/local';
import { syncRepositories } from '../../src/engine/sync/replicate';
import { addFolder, scan } from '../../src/engine/ops/folders';
import { log } from '../../src/engine/ops/history';
import { restoreVersions } from '../../src/engine/ops/restore-versions';
import { sessionOf } from './sessions';
import { fastKdf, seededBytes, tempDirPerTest, writeSettled } from '../helpers';
import { damagedTimeline } from './damaged-timeline';

const dir = tempDirPerTest('strata-put-back-damage-');

const damageMessage = (how: 'truncated' | 'missing'): RegExp => (how === 'missing' ? /pack is missing/ : /pack is truncated/);

describe('restoring versions over a damaged pack', () => {
  for (const how of ['truncated', 'missing'] as const) {
    it(`elsewhere (--at): names the file a ${how} pack costs, restores the others, leaves nothing half-written`, async () => {
      const { session, course, at } = await damagedTimeline(dir.path, how);
      const target = join(dir.path, 'out');
      const outcome = await restoreVersions(session, course, { at, target });
      expect(outcome.written).toEqual(['a.bin']);
      expect(outcome.damaged.map((d) => d.path)).toEqual(['b.bin']);
      expect(outcome.damaged[0]?.message).toMatch(damageMessage(how));
      expect(outcome.refused).toEqual([]);
      expect(Buffer.from(await readFile(join(target, 'a.bin'))).equals(Buffer.from(seededBytes(1, 150_000)))).toBe(true);
      expect(await readdir(target)).toEqual(['a.bin']); // no b.bin, no temporary file
      await session.repo.backend.close();
    });

    it(`elsewhere (--version): a file whose version needs a ${how} pack is named, not thrown`, async () => {
      const { session, course } = await damagedTimeline(dir.path, how);
      const target = join(dir.path, 'out');
      const outcome = await restoreVersions(session, join(course, 'b.bin'), { version: 1, target });
      expect(outcome.written).toEqual([]);
      expect(outcome.damaged.map((d) => d.path)).toEqual(['b.bin']);
      expect(await readdir(target)).toEqual([]);
      await session.repo.backend.close();
    });

    it(`in place (--at): a file whose old version needs a ${how} pack stays as it is on disk; the rest is put back`, async () => {
      const { session, course, at } = await damagedTimeline(dir.path, how);
      const outcome = await restoreVersions(session, course, { at });
      expect(outcome.written).toEqual(['a.bin']);
      expect(outcome.removed).toEqual(['c.bin']);
      expect(outcome.damaged.map((d) => d.path)).toEqual(['b.bin']);
      expect(outcome.damaged[0]?.message).toMatch(damageMessage(how));
      expect(Buffer.from(await readFile(join(course, 'a.bin'))).equals(Buffer.from(seededBytes(1, 150_000)))).toBe(true);
      expect(Buffer.from(await readFile(join(course, 'b.bin'))).equals(Buffer.from(seededBytes(4, 170_000)))).toBe(true); // untouched
      expect(existsSync(join(course, 'c.bin'))).toBe(false);
      expect((await readdir(course)).sort()).toEqual(['a.bin', 'b.bin']);
      // Recorded: a.bin put back, c.bin deleted; b.bin's history gains nothing (it was not put back).
      expect(outcome.versions.map((v) => [v.path, v.op]).sort()).toEqual([['a.bin', 'restore'], ['c.bin', 'delete']]);
      expect((await log(session, join(course, 'b.bin'))).map((e) => e.record.op)).toEqual(['edit', 'add']);
      await session.repo.backend.close();
    });
  }

  it('in place: a file renamed since, whose old version cannot be read, is not removed under its new name', async () => {
    const repoDir = join(dir.path, 'repo');
    const repo = await Repository.init(await LocalBackend.create(repoDir), 'pw', { kdf: fastKdf() });
    const course = join(dir.path, 'course');
    await writeSettled(join(course, 'keep.txt'), 'keep\n');
    const session = await sessionOf(repo, repoDir);
    await addFolder(session, course);
    await scan(session, [], { settleMs: 0 });
    await writeSettled(join(course, 'clip.bin'), seededBytes(6, 150_000));
    await scan(session, [], { settleMs: 0 });
    await new Promise((r) => setTimeout(r, 20));
    const at = new Date();
    await new Promise((r) => setTimeout(r, 20));
    await rename(join(course, 'clip.bin'), join(course, 'moved.bin'));
    await scan(session, [], { settleMs: 0 });
    expect((await log(session, join(course, 'moved.bin'))).map((e) => e.record.op)).toEqual(['rename', 'add']);
    await repo.ensureIndex();
    const chunk = (await session.versions()).history.allFiles().flatMap((f) => f.versions).find((v) => v.path === 'clip.bin')?.content?.[0] as string;
    const pack = repo.index.get(fromHex(chunk))?.pack as string;
    await repo.backend.close();
    await rm(join(repoDir, 'data', pack.slice(0, 2), pack));

    const reopened = await sessionOf(await Repository.open(new LocalBackend(repoDir), 'pw'), repoDir);
    const outcome = await restoreVersions(reopened, course, { at });
    expect(outcome.damaged.map((d) => d.path)).toEqual(['clip.bin']);
    expect(outcome.removed).toEqual([]); // its only copy, under its new name, stays
    expect(Buffer.from(await readFile(join(course, 'moved.bin'))).equals(Buffer.from(seededBytes(6, 150_000)))).toBe(true);
    await reopened.repo.backend.close();
  });

  it('a full restore of an adopted folder that could not put back every file leaves it unconfirmed: the missing file is not recorded as deleted', async () => {
    // Device A tracks two files and syncs; device B adopts the folder by name with one of them.
    const remote = await LocalBackend.create(join(dir.path, 'remote'));
    const repoA = join(dir.path, 'A');
    const folderA = join(dir.path, 'on-A');
    await writeSettled(join(folderA, 'a.md'), '# a\n');
    await writeSettled(join(folderA, 'clip.bin'), seededBytes(7, 150_000));
    const A = await sessionOf(await initRepositoryAt(repoA, 'pw', { kdf: fastKdf() }), repoA);
    await addFolder(A, folderA, 'course');
    await scan(A, [], { settleMs: 0 });
    await syncRepositories(A.repo.backend, remote);
    const repoB = join(dir.path, 'B');
    await syncRepositories(await initLocalStoreAt(repoB), remote);
    const folderB = join(dir.path, 'on-B');
    await writeSettled(join(folderB, 'a.md'), '# a\n');
    const B = await sessionOf(await openRepositoryAt(repoB, 'pw'), repoB);
    expect((await addFolder(B, folderB, 'course')).observed).toBe(false);
    // B's copy of clip.bin's pack is lost.
    await B.repo.ensureIndex();
    const chunk = (await B.versions()).history.allFiles().flatMap((f) => f.versions).find((v) => v.path === 'clip.bin')?.content?.[0] as string;
    const pack = B.repo.index.get(fromHex(chunk))?.pack as string;
    await rm(join(repoB, 'data', pack.slice(0, 2), pack));

    const outcome = await restoreVersions(B, folderB, { at: new Date() });
    expect(outcome.damaged.map((d) => d.path)).toEqual(['clip.bin']);
    expect((await B.versions()).state.folders.list()[0]?.observed).toBe(false);
    const scanned = await scan(B, [], { settleMs: 0 });
    expect(scanned.versions).toEqual([]);
    expect(scanned.notHere).toEqual(['course/clip.bin']);
    await A.repo.backend.close();
    await B.repo.backend.close();
  });
});
