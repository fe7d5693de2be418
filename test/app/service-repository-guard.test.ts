// Issue 10, point 7, in the app service: a symbolic link to the repository (or
// to a folder holding it) is seen through wherever the app takes a folder:
// files.restoreTo and history.restore targets, courses.add, folder remotes.
// Each is an INVALID_ARGUMENT naming the field and the repository, and the
// repository is left as it was.

import { readFile, realpath, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirPerTest, writeSettled } from '../helpers';
import { realService, rejection } from './fakes';

const tmp = tempDirPerTest('strata-app-guard-');

/** A repository, a course with a file named `config` (as the repository's own), and `alias` -> the repository. */
async function setup() {
  const root = await realpath(tmp.path);
  const real = await realService(root);
  const folder = join(root, 'Course');
  await writeSettled(join(folder, 'config'), 'a course file, not the repository config\n');
  await real.service['courses.add']({ path: folder });
  const alias = join(root, 'alias');
  await symlink(real.repoPath, alias);
  return { ...real, root, folder, alias, config: await readFile(join(real.repoPath, 'config')) };
}

describe('the app keeps out of its own repository', () => {
  it('refuses files.restoreTo into a link to the repository, leaving its config as it was', async () => {
    const { service, repoPath, alias, config } = await setup();
    const refused = await rejection(service['files.restoreTo']({ course: 'Course', path: 'config', n: 1, target: alias }));
    expect([refused.code, refused.field]).toEqual(['INVALID_ARGUMENT', 'target']);
    expect(refused.message).toContain(`is the repository ${repoPath}`);
    const below = await rejection(service['files.restoreTo']({ course: 'Course', path: 'config', n: 1, target: join(alias, 'restored') }));
    expect([below.code, below.field]).toEqual(['INVALID_ARGUMENT', 'target']);
    expect(await readFile(join(repoPath, 'config'))).toEqual(config);
  });

  it('refuses history.restore into a link to the repository', async () => {
    const { service, repoPath, alias, config } = await setup();
    const refused = await rejection(service['history.restore']({ course: 'Course', at: new Date().toISOString(), target: alias }));
    expect([refused.code, refused.field]).toEqual(['INVALID_ARGUMENT', 'target']);
    expect(await readFile(join(repoPath, 'config'))).toEqual(config);
  });

  it('refuses a course folder that reaches the repository through a link, or holds it', async () => {
    const { service, root, alias } = await setup();
    await symlink(root, join(root, 'Course', '..', 'everything'));
    for (const path of [alias, join(root, 'everything')]) {
      const refused = await rejection(service['courses.add']({ path, name: 'Other' }));
      expect([refused.code, refused.field], path).toEqual(['INVALID_ARGUMENT', 'path']);
      expect(refused.message).toMatch(/^Cannot track .*(is|contains) the repository /);
    }
    expect((await service['courses.list']()).map((c) => c.name)).toEqual(['Course']);
  });

  it('refuses a folder remote in the repository through a link', async () => {
    const { service, alias } = await setup();
    const refused = await rejection(service['settings.addRemote']({ name: 'usb', hot: join(alias, 'remote') }));
    expect([refused.code, refused.field]).toEqual(['INVALID_ARGUMENT', 'hot']);
  });
});
