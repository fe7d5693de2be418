// Restores in the app over damaged data, and into a folder that holds the
// repository (issue 10, points 3 and 7): files.restoreTo and history.restore
// (elsewhere and in place) put back every file they can and say which they
// could not (`notRestored`): damaged data leaves what is on disk as it was, and
// nothing is ever written into the repository.

import { readFile, readdir, realpath, rm, stat, truncate } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededBytes, tempDirPerTest, writeSettled } from '../helpers';
import { PASSPHRASE, realService } from './fakes';

const tmp = tempDirPerTest('strata-app-restore-damage-');

/** Every pack file in the repository, by path. */
async function packs(repoPath: string): Promise<Set<string>> {
  const found = new Set<string>();
  for (const sub of await readdir(join(repoPath, 'data'))) {
    for (const name of await readdir(join(repoPath, 'data', sub))) found.add(join(repoPath, 'data', sub, name));
  }
  return found;
}

const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

/**
 * A course: a.bin, then b.bin in a scan of its own (its packs damaged as `how`
 * says), `at`, then both edited. `relock`: the damage is found by a later
 * session (locked and unlocked again), else while this one runs.
 */
async function damagedCourse(how: 'truncated' | 'missing', relock: boolean) {
  const real = await realService(tmp.path);
  const folder = join(tmp.path, 'Course');
  await writeSettled(join(folder, 'a.bin'), seededBytes(1, 150_000));
  await real.service['courses.add']({ path: folder });
  const before = await packs(real.repoPath);
  await writeSettled(join(folder, 'b.bin'), seededBytes(2, 150_000));
  expect(await real.service['courses.scan']()).toEqual({ versions: 1 });
  const victims = [...(await packs(real.repoPath))].filter((p) => !before.has(p));
  await pause();
  const at = new Date().toISOString();
  await pause();
  await writeSettled(join(folder, 'a.bin'), seededBytes(3, 160_000));
  await writeSettled(join(folder, 'b.bin'), seededBytes(4, 170_000));
  expect(await real.service['courses.scan']()).toEqual({ versions: 2 });
  for (const pack of victims) {
    if (how === 'truncated') await truncate(pack, Math.floor((await stat(pack)).size / 3));
    else await rm(pack);
  }
  if (relock) {
    await real.service['repo.lock']();
    await real.service['repo.unlock']({ path: real.repoPath, passphrase: PASSPHRASE });
  }
  return { ...real, folder, at };
}

const same = async (path: string, bytes: Uint8Array): Promise<boolean> => Buffer.from(await readFile(path)).equals(Buffer.from(bytes));

describe('app restores over damaged data', () => {
  // A pack removed while the app runs is still read through the descriptor it holds open: no damage to see then.
  for (const [how, relock] of [['truncated', true], ['missing', true], ['truncated', false]] as const) {
    it(`history.restore elsewhere and in place, and files.restoreTo, name the file a ${how} pack costs and restore the rest${relock ? '' : ' (cut while the app runs)'}`, async () => {
      const { service, folder, at } = await damagedCourse(how, relock);
      const message = how === 'missing' ? /pack is missing/ : /pack is truncated/;

      const target = join(tmp.path, 'then');
      const elsewhere = await service['history.restore']({ course: 'Course', at, target });
      expect(elsewhere.written).toEqual(['a.bin']);
      expect(elsewhere.notRestored?.map((n) => [n.path, n.reason])).toEqual([['b.bin', 'damaged']]);
      expect(elsewhere.notRestored?.[0]?.message).toMatch(message);
      expect(await same(join(target, 'a.bin'), seededBytes(1, 150_000))).toBe(true);
      expect(existsSync(join(target, 'b.bin'))).toBe(false);

      const one = await service['files.restoreTo']({ course: 'Course', path: 'b.bin', n: 1, target: join(tmp.path, 'one') });
      expect(one.written).toEqual([]);
      expect(one.notRestored?.map((n) => [n.path, n.reason])).toEqual([['b.bin', 'damaged']]);

      const inPlace = await service['history.restore']({ course: 'Course', at });
      expect(inPlace.written).toEqual(['a.bin']);
      expect(inPlace.notRestored?.map((n) => [n.path, n.reason])).toEqual([['b.bin', 'damaged']]);
      expect(await same(join(folder, 'a.bin'), seededBytes(1, 150_000))).toBe(true);
      expect(await same(join(folder, 'b.bin'), seededBytes(4, 170_000))).toBe(true); // left as it was
    });
  }
});

describe('an app restore into a folder that holds the repository', () => {
  it('history.restore writes everything but the path into the repository, which it names; the repository stays as it was', async () => {
    const root = await realpath(tmp.path);
    const { service, repoPath } = await realService(root);
    const folder = join(root, 'Course');
    // The course has a folder named as the repository's, with a `config` in it.
    await writeSettled(join(folder, 'repo', 'config'), 'a course file, not the repository config\n');
    await writeSettled(join(folder, 'notes.txt'), 'notes\n');
    await service['courses.add']({ path: folder });
    const config = await readFile(join(repoPath, 'config'));
    const summary = await service['history.restore']({ course: 'Course', at: new Date().toISOString(), target: root });
    expect(summary.written).toEqual(['notes.txt']);
    expect(summary.notRestored?.map((n) => [n.path, n.reason])).toEqual([['repo/config', 'refused']]);
    expect(summary.notRestored?.[0]?.message).toContain(`inside the repository ${repoPath}`);
    expect(await readFile(join(repoPath, 'config'))).toEqual(config);
    expect(await readFile(join(root, 'notes.txt'), 'utf8')).toBe('notes\n');
  });
});
