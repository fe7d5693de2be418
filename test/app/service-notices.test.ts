// The app tells what the CLI warns about (issue 10): stray files among the
// repository's objects, files an adopted course does not have here yet (and
// confirming its deletions), names a scan cannot record, a damaged tier state
// moved aside, damaged version batches; each once in the activity log and
// counted by the Dashboard's alerts. And an incomplete repository is said as
// such when unlocking, not as "no repository".

import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ActivityItem } from '../../src/shared/api';
import type { DiskSpace } from '../../src/engine/service/dashboard';
import { machineStateDir } from '../../src/engine/fs/state-home';
import { initLocalStoreAt } from '../../src/engine/repo/location';
import { openRemote } from '../../src/engine/sync/remote-location';
import { syncRepositories } from '../../src/engine/sync/replicate';
import { tempDirPerTest, writeSettled } from '../helpers';
import { PASSPHRASE, realService, rejection } from './fakes';

const tmp = tempDirPerTest('strata-app-notices-');
const plenty = async (): Promise<DiskSpace> => ({ free: 500 * 1024 ** 3, total: 1000 * 1024 ** 3 });

function titles(items: ActivityItem[], kind: ActivityItem['kind']): string[] {
  return items.filter((i) => i.kind === kind).map((i) => i.title).reverse();
}

describe('stray files in the repository', () => {
  it('are logged once each, as data, and counted by the Dashboard', async () => {
    const first = await realService(tmp.path, { diskSpace: plenty });
    await first.service['repo.lock']();
    const hostile = '<img src=x onerror=alert(1)>\n.tmp';
    await mkdir(join(first.repoPath, 'versions'), { recursive: true });
    await mkdir(join(first.repoPath, 'snapshots'), { recursive: true });
    await writeFile(join(first.repoPath, 'versions', '.DS_Store'), 'finder');
    await writeFile(join(first.repoPath, 'snapshots', hostile), 'sync tool');

    const { service } = await realService(tmp.path, { diskSpace: plenty });
    const dash = await service['dashboard.summary'](); // lists snapshots/: the second stray
    await service['dashboard.summary']();
    const items = await service['activity.list']({});
    const strays = titles(items, 'check');
    expect(strays).toEqual([
      'Ignoring versions/.DS_Store in the repository: it is not a Strata object',
      'Ignoring snapshots/<img src=x onerror=alert(1)>\\x0a.tmp in the repository: it is not a Strata object',
    ]);
    // The name is text: its markup is kept as characters, its control character escaped.
    expect(strays.join('')).not.toContain('\n');
    const alerts = dash.alerts.filter((a) => a.message.includes('not Strata objects'));
    expect(alerts).toEqual([{ level: 'warning', kind: 'check', message: expect.stringContaining('2 files in the repository folder are not Strata objects') }]);
  });
});

describe('a damaged tier state and damaged history', () => {
  it('are logged when unlocking, once, and are Dashboard alerts', async () => {
    const first = await realService(tmp.path, { diskSpace: plenty });
    const folder = join(tmp.path, 'Art');
    await writeSettled(join(folder, 'a.txt'), 'one\n');
    await first.service['courses.add']({ path: folder });
    await first.service['repo.lock']();
    await writeFile(join(await machineStateDir(first.repoPath), 'tier-state.json'), '{ not json');
    const [batch] = await readdir(join(first.repoPath, 'versions'));
    const batchPath = join(first.repoPath, 'versions', batch as string);
    const bytes = await readFile(batchPath);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    await writeFile(batchPath, bytes);

    const second = await realService(tmp.path, { diskSpace: plenty });
    const dash = await second.service['dashboard.summary']();
    const items = await second.service['activity.list']({});
    expect(titles(items, 'check')).toContain('This computer\'s tier state was damaged and started anew');
    expect(items.find((i) => i.title.includes('tier state'))?.detail).toMatch(/^This machine's tier state .*tier-state\.json was damaged/);
    expect(titles(items, 'error')).toEqual([`History batch versions/${batch as string} cannot be read`]);
    expect(dash.alerts).toEqual([
      { level: 'error', kind: 'check', message: expect.stringMatching(new RegExp(`^History batch versions/${batch as string} cannot be read: `)) },
      { level: 'warning', kind: 'check', message: expect.stringMatching(/^This machine's tier state .* was damaged/) },
    ]);
    // Once: another look at the Dashboard logs nothing more.
    await second.service['dashboard.summary']();
    expect(await second.service['activity.list']({})).toEqual(items);
  });
});

describe('names a scan cannot record', () => {
  it('are logged (as errors) once, and are a Dashboard alert while they are there', async () => {
    const { service } = await realService(tmp.path, { diskSpace: plenty });
    const folder = join(tmp.path, 'Lab');
    await writeSettled(join(folder, 'ok.txt'), 'fine\n');
    await writeFile(Buffer.concat([Buffer.from(`${folder}/`), Buffer.from([0x6e, 0xff, 0x2e, 0x74, 0x78, 0x74])]), 'latin-1 name');
    const course = await service['courses.add']({ path: folder });
    expect(course.files).toBe(1);
    await service['courses.scan']();
    const items = await service['activity.list']({});
    expect(titles(items, 'error')).toEqual(['1 file in "Lab" not protected: its name cannot be recorded']);
    expect(items.find((i) => i.kind === 'error')?.detail).toContain('n\\xff.txt');
    const dash = await service['dashboard.summary']();
    expect(dash.alerts).toEqual([{ level: 'error', kind: 'check', message: expect.stringContaining('1 file in "Lab" is not protected') }]);
  });
});

describe('an adopted course', () => {
  /** Device a tracks "Shared" (three files) and syncs; device b clones and adds a folder holding one of them under that name. */
  async function adopted() {
    const remote = join(tmp.path, 'remote');
    const a = await realService(join(tmp.path, 'a'), { diskSpace: plenty });
    for (const name of ['one.md', 'two.md', 'three.md']) await writeSettled(join(tmp.path, 'a', 'Shared', name), `${name}\n`);
    await a.service['courses.add']({ path: join(tmp.path, 'a', 'Shared') });
    await a.service['settings.addRemote']({ name: 'disk', hot: remote });
    await a.service['sync.now']();
    await a.service['repo.lock']();

    const store = await initLocalStoreAt(join(tmp.path, 'b', 'repo'));
    const backend = await openRemote({ name: 'disk', hot: `file://${remote}` });
    await syncRepositories(store, backend, { upload: false });
    await backend.close();
    await store.close();
    const b = await realService(join(tmp.path, 'b'), { diskSpace: plenty });
    const folder = join(tmp.path, 'b', 'Shared');
    await writeSettled(join(folder, 'one.md'), 'one.md\n');
    const course = await b.service['courses.add']({ path: folder });
    return { b, folder, course };
  }

  it('says which files it lacks here, once, lists them per course and alerts', async () => {
    const { b, course } = await adopted();
    expect(course).toMatchObject({ name: 'Shared', adopted: true, notHere: 2 });
    expect(await b.service['courses.list']()).toEqual([course]);
    await b.service['courses.scan'](); // the same two: not logged again
    const items = await b.service['activity.list']({});
    expect(titles(items, 'check')).toEqual(['2 files of "Shared" are not on this computer; not recorded as deleted']);
    expect(items.find((i) => i.kind === 'check')?.detail).toMatch(/confirm the deletions on the Courses screen\.\nthree\.md\ntwo\.md$/);
    expect(b.eventsOf('courses.changed').at(-1)).toEqual([course]);
    const dash = await b.service['dashboard.summary']();
    expect(dash.alerts).toEqual([{ level: 'warning', kind: 'check', message: expect.stringContaining('2 files of "Shared" are not on this computer and not recorded as deleted') }]);
  });

  it('records them as deleted when the user confirms (courses.confirmDeletions)', async () => {
    const { b, course } = await adopted();
    const confirmed = await b.service['courses.confirmDeletions']({ course: course.id });
    expect(confirmed).toMatchObject({ name: 'Shared', files: 1 });
    expect(confirmed.adopted).toBeUndefined();
    expect(confirmed.notHere).toBeUndefined();
    const files = await b.service['files.list']({ course: 'Shared' });
    expect(files.map((f) => [f.path, f.deleted])).toEqual([['one.md', false], ['three.md', true], ['two.md', true]]);
    expect(b.eventsOf('courses.changed').at(-1)).toEqual([confirmed]);
    expect((await b.service['dashboard.summary']()).alerts).toEqual([]);
    // Checked like every course argument.
    expect((await rejection(b.service['courses.confirmDeletions']({ course: 'nope' }))).code).toBe('NOT_FOUND');
    expect((await rejection(b.service['courses.confirmDeletions']({} as never))).field).toBe('course');
  });
});

describe('unlocking an incomplete repository', () => {
  it('says what is true: a config without key slots, and how to finish it', async () => {
    const first = await realService(tmp.path);
    await first.service['repo.lock']();
    await rm(join(first.repoPath, 'keys'), { recursive: true });
    const e = await rejection(first.service['repo.unlock']({ path: first.repoPath, passphrase: PASSPHRASE }));
    expect([e.code, e.field]).toEqual(['NO_REPOSITORY', 'path']);
    expect(e.message).toMatch(/^The repository at .* is incomplete: it has a config but no key slots yet/);
    expect(e.message).toMatch(/strata sync/);
    // Where there is nothing, the plain words stay.
    const none = await rejection(first.service['repo.unlock']({ path: join(tmp.path, 'elsewhere'), passphrase: PASSPHRASE }));
    expect(none.message).toBe(`There is no Strata repository at ${join(tmp.path, 'elsewhere')}.`);
  });
});
