// A restore target may hold the repository (restoring into a home folder that
// holds ~/Strata is ordinary), but nothing restored may land inside it
// (issue 10, point 7): a snapshot or a version history holding `Strata/config`
// would otherwise overwrite the repository's own objects. The restorers compare
// each directory they enter with the repository's device and inode, refuse
// that path, name it, and restore the rest.

import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Repository } from '../../src/engine/repo/repository';
import { backup } from '../../src/engine/snapshot/archiver';
import { restore } from '../../src/engine/snapshot/restorer';
import { LocalBackend } from '../../src/engine/storage/local';
import { addFolder, scan } from '../../src/engine/ops/folders';
import { restoreVersions } from '../../src/engine/ops/restore-versions';
import { sessionOf } from './sessions';
import { fastKdf, snapshotOfDisk, tempDirPerTest, writeSettled } from '../helpers';

const dir = tempDirPerTest('strata-restore-fence-');

/** What a restore must leave as it was: every file, folder, mode and mtime in the repository, and its root's own. */
async function repositoryState(repoDir: string): Promise<unknown> {
  const root = await lstat(repoDir);
  return { entries: [...(await snapshotOfDisk(repoDir))], mode: root.mode, mtimeMs: root.mtimeMs, ino: root.ino };
}

/** `home` holding the repository at home/Strata, and a folder `src/home` whose content names the repository's folder. */
async function setup(): Promise<{ repo: Repository; repoDir: string; home: string; source: string }> {
  const home = join(dir.path, 'home');
  const repoDir = join(home, 'Strata');
  const repo = await Repository.init(await LocalBackend.create(repoDir), 'pw', { kdf: fastKdf() });
  const source = join(dir.path, 'src', 'home');
  await mkdir(join(source, 'Strata', 'keys'), { recursive: true });
  await writeFile(join(source, 'Strata', 'config'), 'not the repository config\n');
  await writeFile(join(source, 'Strata', 'keys', 'planted'), 'not a key slot\n');
  await writeFile(join(source, 'Strata', 'new.txt'), 'would be a stray in the repository\n');
  await mkdir(join(source, 'sub'), { recursive: true });
  await writeFile(join(source, 'notes.txt'), 'notes\n');
  await writeFile(join(source, 'sub', 'a.txt'), 'a\n');
  return { repo, repoDir, home, source };
}

describe('a restore target that holds the repository', () => {
  it('snapshot restore refuses the folder that is the repository, names it, and restores the rest', async () => {
    const { repo, repoDir, home, source } = await setup();
    const { snapshot } = await backup(repo, { paths: [source] });
    const before = await repositoryState(repoDir);
    const config = await readFile(join(repoDir, 'config'));

    const result = await restore(repo, snapshot, { target: dir.path }); // dir/home holds the repository
    expect(result.refused.map((r) => r.path)).toEqual(['home/Strata/']);
    expect(result.refused[0]?.message).toMatch(/is the repository/);
    expect(result.failed).toEqual([]);
    expect(await readFile(join(home, 'notes.txt'), 'utf8')).toBe('notes\n');
    expect(await readFile(join(home, 'sub', 'a.txt'), 'utf8')).toBe('a\n');
    expect(await readFile(join(repoDir, 'config'))).toEqual(config);
    expect(existsSync(join(repoDir, 'new.txt'))).toBe(false);
    expect(await repositoryState(repoDir)).toEqual(before);
    // The repository still opens.
    await repo.backend.close();
    await Repository.open(new LocalBackend(repoDir), 'pw');
  });

  it('version restore elsewhere refuses each file whose path leads into the repository, and restores the rest', async () => {
    const { repo, repoDir, home, source } = await setup();
    await writeSettled(join(source, 'notes.txt'), 'notes\n');
    const session = await sessionOf(repo, repoDir);
    await addFolder(session, source, 'home');
    await scan(session, [], { settleMs: 0 });
    const before = await repositoryState(repoDir);

    const outcome = await restoreVersions(session, source, { at: new Date(), target: home });
    expect(outcome.written.sort()).toEqual(['notes.txt', 'sub/a.txt']);
    expect(outcome.refused.map((r) => r.path).sort()).toEqual(['Strata/config', 'Strata/keys/planted', 'Strata/new.txt']);
    expect(outcome.refused[0]?.message).toMatch(/inside the repository/);
    expect(outcome.damaged).toEqual([]);
    expect(await readFile(join(home, 'notes.txt'), 'utf8')).toBe('notes\n');
    expect(await repositoryState(repoDir)).toEqual(before);
    await repo.backend.close();
  });
});
