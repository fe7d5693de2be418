// The repository guard (issue 10, point 7): tracked folders and restore
// targets are compared with the repository by real location, so a symbolic
// link to the repository (or to a folder holding it) is seen through.

import { mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../src/engine/errors';
import { guardRemoteFolder, guardRestoreTarget, guardTrackedFolder, repositoryOverlap } from '../../src/engine/fs/repository-guard';
import { tempDirPerTest } from '../helpers';

const tmp = tempDirPerTest('strata-guard-');

/** home/Strata (the repository, with a config), home/courses, and links to both. */
async function layout(): Promise<{ home: string; repo: string; courses: string; links: string }> {
  const root = await realpath(tmp.path);
  const home = join(root, 'home');
  const repo = join(home, 'Strata');
  const courses = join(home, 'courses');
  const links = join(root, 'links');
  await mkdir(repo, { recursive: true });
  await writeFile(join(repo, 'config'), 'the repository config');
  await mkdir(courses, { recursive: true });
  await mkdir(links);
  await symlink(repo, join(links, 'repo'));
  await symlink(home, join(links, 'home'));
  await symlink(join(repo, 'not-yet'), join(links, 'dangling'));
  return { home, repo, courses, links };
}

describe('repositoryOverlap', () => {
  it('sees the repository through a symbolic link', async () => {
    const { repo, links } = await layout();
    expect((await repositoryOverlap(join(links, 'repo'), repo))?.overlap).toBe('repository');
    await expect(guardRestoreTarget(join(links, 'repo'), repo)).rejects.toThrow(`cannot restore into ${join(links, 'repo')}: it is the repository ${repo} (it leads to ${repo})`);
    await expect(guardTrackedFolder(join(links, 'repo'), repo)).rejects.toThrow(/^cannot track .*: it is the repository /);
  });

  it('refuses paths inside the repository, existing or not, direct or through a link', async () => {
    const { repo, links } = await layout();
    for (const path of [join(repo, 'data'), join(repo, 'config'), join(links, 'repo', 'new', 'deeper'), join(links, 'home', 'Strata', 'x'), join(links, 'dangling', 'sub')]) {
      expect((await repositoryOverlap(path, repo))?.overlap, path).toBe('inside');
      await expect(guardRestoreTarget(path, repo), path).rejects.toThrow(/is inside the repository/);
    }
    // A dangling link into the repository: mkdir -p through it would create the folder there.
    expect((await repositoryOverlap(join(links, 'dangling'), repo))?.overlap).toBe('inside');
  });

  it('finds a folder that holds the repository: refused to track, allowed as a restore target', async () => {
    const { home, repo, links } = await layout();
    expect((await repositoryOverlap(home, repo))?.overlap).toBe('contains');
    expect((await repositoryOverlap(join(links, 'home'), repo))?.overlap).toBe('contains');
    await expect(guardTrackedFolder(join(links, 'home'), repo)).rejects.toThrow(`cannot track ${join(links, 'home')}: it contains the repository ${repo}`);
    await expect(guardTrackedFolder('/', repo)).rejects.toThrow(/contains the repository/);
    await expect(guardRestoreTarget(home, repo)).resolves.toBeUndefined();
  });

  it('lets unrelated folders through, existing or not, including one whose name merely starts like the repository', async () => {
    const { home, repo, courses, links } = await layout();
    await mkdir(join(home, 'Strata-old'));
    for (const path of [courses, join(courses, 'new', 'folder'), join(home, 'Strata-old'), join(home, 'Strata-new', 'x'), join(links, 'home', 'courses')]) {
      expect(await repositoryOverlap(path, repo), path).toBeUndefined();
      await expect(guardTrackedFolder(path, repo), path).resolves.toBeUndefined();
      await expect(guardRestoreTarget(path, repo), path).resolves.toBeUndefined();
    }
  });

  it('refuses a remote folder in the repository, is an INVALID_ARGUMENT, and ignores a repository given as a URL', async () => {
    const { repo, links } = await layout();
    const error = await guardRemoteFolder(join(links, 'repo', 'remote'), repo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe('INVALID_ARGUMENT');
    expect(await repositoryOverlap(join(links, 'repo'), 's3://bucket/prefix')).toBeUndefined();
  });
});

describe('the state folder', () => {
  it('refuses to track a folder that holds, is or lies inside this user\'s Strata state folder (every command writes there)', async () => {
    const { home, repo, courses } = await layout();
    const state = join(home, '.local', 'state', 'strata');
    await mkdir(state, { recursive: true });
    for (const path of [home, join(home, '.local'), state, join(state, 'abc')]) {
      await expect(guardTrackedFolder(path, join(tmp.path, 'elsewhere'), state), path).rejects.toThrow(/where Strata keeps this machine's state/);
    }
    await expect(guardTrackedFolder(courses, repo, state)).resolves.toBeUndefined();
  });
});
