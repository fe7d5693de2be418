// The app API over the real engine: the activity log (kept across
// restarts), the Dashboard's numbers and alerts, settings and their
// validation, and sync with a folder remote (settling another device's
// versions into the course folder).

import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRepositoryAt, initLocalStoreAt } from '../../src/engine/repo/location';
import { BlobType } from '../../src/engine/repo/format';
import { repoStats } from '../../src/engine/maintenance/stats';
import { openRemote } from '../../src/engine/sync/remote-location';
import { syncRepositories } from '../../src/engine/sync/replicate';
import { LocalState } from '../../src/engine/versions/local-state';
import { ActivityLog, activityPath } from '../../src/engine/service/activity-log';
import { policyPath } from '../../src/engine/tiers/policy';
import type { DiskSpace } from '../../src/engine/service/dashboard';
import { seededBytes, tempDirPerTest, writeSettled } from '../helpers';
import { PASSPHRASE, realService, rejection } from './fakes';

const tmp = tempDirPerTest('strata-app-dash-');
const GiB = 1024 ** 3;
const plenty = async (): Promise<DiskSpace> => ({ free: 500 * GiB, total: 1000 * GiB });

describe('activity', () => {
  it('is kept in this machine\'s activity.jsonl across restarts, newest first, in pages', async () => {
    const a = await realService(tmp.path, { diskSpace: plenty });
    const folder = join(tmp.path, 'Art');
    await writeSettled(join(folder, 'a.txt'), 'one\n');
    await a.service['courses.add']({ path: folder });
    await writeSettled(join(folder, 'a.txt'), 'two\n');
    await a.service['courses.scan']();
    await a.service['files.rollback']({ course: 'Art', path: 'a.txt', n: 1 });
    await a.service['files.restoreTo']({ course: 'Art', path: 'a.txt', n: 2, target: join(tmp.path, 'out') });

    const items = await a.service['activity.list']({});
    expect(items.map((i) => i.kind)).toEqual(['restore', 'rollback', 'version', 'version']);
    expect(items.map((i) => i.title)).toEqual(['a.txt version 2 restored to ' + join(tmp.path, 'out'), 'a.txt rolled back to version 1', 'a.txt recorded in "Art"', 'a.txt recorded in "Art"']);
    // Each one was also emitted, oldest first.
    expect(a.eventsOf('activity')).toEqual([...items].reverse());
    const lines = (await readFile(await activityPath(a.repoPath), 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual([...items].reverse().map((i) => i.id));

    await a.service['repo.lock']();
    const b = await realService(tmp.path, { diskSpace: plenty });
    expect(await b.service['activity.list']({})).toEqual(items);
    const first = await b.service['activity.list']({ limit: 1 });
    expect(first).toEqual([items[0]]);
    expect(await b.service['activity.list']({ before: first[0]?.id, limit: 2 })).toEqual(items.slice(1, 3));
    expect(await b.service['activity.list']({ before: items[3]?.time, limit: 10 })).toEqual([]);
    for (const limit of [0, 1001, 1.5, '3']) {
      const e = await rejection(b.service['activity.list']({ limit } as never));
      expect([e.code, e.field]).toEqual(['INVALID_ARGUMENT', 'limit']);
    }
  });
});

describe('the activity log', () => {
  it('reads its file once and keeps what it lists up to date with what is added, as the file is', async () => {
    const path = join(tmp.path, 'local', 'activity.jsonl');
    const log = new ActivityLog(path, () => {});
    const first = await log.add({ kind: 'sync', title: 'one' });
    // The first read and an add right behind it: the read is before the add; the item, listed after, is listed once.
    const reading = log.list({ limit: 10 });
    const second = await log.add({ kind: 'error', title: 'two' });
    expect(await reading).toEqual([first]);
    const third = log.add({ kind: 'backup', title: 'three' });
    const listed = await log.list({ limit: 10 }); // queued after the add: sees it
    expect(listed).toEqual([await third, second, first]);
    expect(await log.list({ before: second.id, limit: 10 })).toEqual([first]);
    expect(await new ActivityLog(path, () => {}).list({ limit: 10 })).toEqual(listed);
  });
});

describe('dashboard.summary', () => {
  it('agrees with the repository: logical, deduplicated and compressed bytes', async () => {
    const { service, repoPath } = await realService(tmp.path, { diskSpace: plenty });
    const folder = join(tmp.path, 'Media');
    const clip = seededBytes(5, 400 * 1024);
    await writeSettled(join(folder, 'clip.bin'), clip);
    await writeSettled(join(folder, 'copy-of-clip.bin'), clip); // deduplicated
    const squeezable = new Uint8Array(300 * 1024).fill(7); // binary, compresses well
    await writeSettled(join(folder, 'blank.raw'), squeezable);
    await writeSettled(join(folder, 'notes.md'), 'hello\n');
    await service['courses.add']({ path: folder });

    const s = await service['dashboard.summary']();
    const catalog = await service['catalog.changes']({ cursor: {} });
    expect(s.logicalBytes).toBe(catalog.versions.reduce((n, v) => n + v.size, 0));
    expect(s.logicalBytes).toBe(2 * clip.length + squeezable.length + 6);

    const repo = await openRepositoryAt(repoPath, PASSPHRASE);
    await repo.ensureIndex();
    let stored = 0;
    for (const e of repo.index.entries()) if (e.type === BlobType.data) stored += e.length;
    const stats = await repoStats(repo);
    await repo.backend.close();
    expect(s.storedBytes).toBe(stats.storedBytes);
    expect(s.logicalBytes - s.dedupSavedBytes - s.compressionSavedBytes).toBe(stored);
    expect(s.dedupSavedBytes).toBeGreaterThan(clip.length - 1024); // the copy (less a text version's Yjs overhead)
    expect(s.compressionSavedBytes).toBeGreaterThan(squeezable.length / 2);
    expect(s.local.objects).toBeGreaterThan(0);
    expect(s.local.bytes).toBeGreaterThan(0);
    expect(s.evicted).toEqual({ objects: 0, bytes: 0 });
    expect(s.remote).toBeUndefined();
    expect(s.cost).toBeUndefined();
    expect(s.sync).toEqual({ state: 'off' });
    expect(s.alerts).toEqual([]);
  });

  it('counts a folder backed up while unlocked (made through the session\'s repository)', async () => {
    const { service, repoPath } = await realService(tmp.path, { diskSpace: plenty });
    const before = await service['dashboard.summary']();
    const folder = join(tmp.path, 'Loose');
    await writeSettled(join(folder, 'a.bin'), seededBytes(7, 200 * 1024));
    const result = await service['folders.backup']({ path: folder });
    expect(result).toMatchObject({ files: 1, bytes: 200 * 1024 });
    const after = await service['dashboard.summary']();
    expect(after.logicalBytes - before.logicalBytes).toBe(200 * 1024);
    expect(after.storedBytes).toBeGreaterThan(before.storedBytes);
    // The activity log says so, and the snapshot is in the repository for anyone opening it.
    expect((await service['activity.list']({}))[0]).toMatchObject({ kind: 'backup', title: `Backed up ${folder}` });
    const repo = await openRepositoryAt(repoPath, PASSPHRASE);
    const stats = await repoStats(repo);
    await repo.backend.close();
    expect([stats.snapshots, stats.logicalBytes]).toEqual([1, 200 * 1024]);
  });

  it('warns about low disk space and an unreachable remote, without failing', async () => {
    const low = async (): Promise<DiskSpace> => ({ free: 300 * 1024 ** 2, total: 100 * GiB });
    const first = await realService(tmp.path, { diskSpace: low });
    await first.service['repo.lock']();
    // A remote nothing answers at (set in the local state as the CLI would).
    const state = await LocalState.load(first.repoPath);
    await state.remotes.set([{ name: 'cloud', hot: 's3://bucket/strata?endpoint=http://127.0.0.1:9&region=us-east-1' }]);
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    try {
      const { service } = await realService(tmp.path, { diskSpace: low });
      const s = await service['dashboard.summary']();
      expect(s.alerts.map((a) => [a.level, a.kind])).toEqual([['warning', 'sync'], ['warning', 'disk']]);
      expect(s.alerts[0]?.message).toContain('Remote "cloud" cannot be reached');
      expect(s.alerts[1]?.message).toContain('0.3 GiB free of 100.0 GiB');
      expect(s.remote).toBeUndefined();
      expect(s.sync).toEqual({ state: 'idle', remote: 'cloud' });
    } finally {
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
  });
});

describe('settings', () => {
  it('validates every field and names the one at fault', async () => {
    const { service, repoPath } = await realService(tmp.path);
    const fault = async (p: Promise<unknown>) => {
      const e = await rejection(p);
      return [e.code, e.field];
    };
    expect(await fault(service['settings.setAuthor']({ author: '   ' }))).toEqual(['INVALID_ARGUMENT', 'author']);
    expect(await fault(service['settings.setAuthor']({ author: 'x'.repeat(600) }))).toEqual(['INVALID_ARGUMENT', 'author']);
    expect((await service['settings.setAuthor']({ author: 'Ada Lovelace <ada@example.org>' })).author).toBe('Ada Lovelace <ada@example.org>');

    expect(await fault(service['settings.addRemote']({ name: 'bad name!', hot: join(tmp.path, 'r') }))).toEqual(['INVALID_ARGUMENT', 'name']);
    expect(await fault(service['settings.addRemote']({ name: 'web', hot: 'https://example.com/x' }))).toEqual(['INVALID_ARGUMENT', 'hot']);
    expect(await fault(service['settings.addRemote']({ name: 'rel', hot: 'relative/folder' }))).toEqual(['INVALID_ARGUMENT', 'hot']);
    expect(await fault(service['settings.addRemote']({ name: 's3', hot: 's3://b/p?colour=blue' }))).toEqual(['INVALID_ARGUMENT', 'hot']);
    expect(await fault(service['settings.addRemote']({ name: 'two', hot: join(tmp.path, 'r'), cold: 'ftp://x/y' }))).toEqual(['INVALID_ARGUMENT', 'cold']);
    expect(await fault(service['settings.addRemote']({ name: 'inside', hot: join(repoPath, 'r') }))).toEqual(['INVALID_ARGUMENT', 'hot']);
    const added = await service['settings.addRemote']({ name: 'disk', hot: join(tmp.path, 'r', 'hot'), cold: `file://${join(tmp.path, 'r', 'cold')}` });
    expect(added.remotes).toEqual([{ name: 'disk', hot: `file://${join(tmp.path, 'r', 'hot')}`, cold: `file://${join(tmp.path, 'r', 'cold')}` }]);
    expect(existsSync(join(tmp.path, 'r', 'hot'))).toBe(true); // reached (and made)
    expect(await fault(service['settings.addRemote']({ name: 'disk', hot: join(tmp.path, 'other') }))).toEqual(['INVALID_ARGUMENT', 'name']);
    expect(await fault(service['settings.removeRemote']({ name: 'nope' }))).toEqual(['NOT_FOUND', 'name']);
    expect((await service['settings.removeRemote']({ name: 'disk' })).remotes).toEqual([]);

    const policyError = async (policy: string) => {
      const e = await rejection(service['settings.setPolicy']({ policy }));
      expect([e.code, e.field]).toEqual(['INVALID_ARGUMENT', 'policy']);
      return e.message;
    };
    expect(await policyError('{')).toContain('not valid JSON');
    expect(await policyError('{"archivedColdAfterDays": -1}')).toContain('"archivedColdAfterDays" must be');
    expect(await policyError('{"historicalColdAfterDays": {"media": "soon"}}')).toContain('"historicalColdAfterDays.media"');
    expect(await policyError('{"bogus": 1}')).toContain('"bogus"');
    expect(existsSync(await policyPath(repoPath))).toBe(false);
    const before = JSON.parse((await service['settings.get']()).policy) as { archivedColdAfterDays: number };
    expect(before.archivedColdAfterDays).toBe(30); // the defaults while there is no file
    const set = await service['settings.setPolicy']({ policy: '{"archivedColdAfterDays": 7, "media": {"extensions": ["mp4"]}}' });
    expect(JSON.parse(set.policy)).toMatchObject({ archivedColdAfterDays: 7, media: { extensions: ['mp4'] }, hotClass: 'STANDARD' });
    expect(JSON.parse(await readFile(await policyPath(repoPath), 'utf8')).archivedColdAfterDays).toBe(7);
    expect((await service['settings.get']()).policy).toBe(set.policy);
  });

  it('reads and writes a course\'s ignore rules, which the next scan follows', async () => {
    const { service } = await realService(tmp.path);
    const folder = join(tmp.path, 'Lab');
    await writeSettled(join(folder, 'keep.txt'), 'keep\n');
    await service['courses.add']({ path: folder });
    expect(await service['settings.ignoreRules']({ course: 'Lab' })).toEqual({ rules: '' });
    expect(await service['settings.setIgnoreRules']({ course: 'Lab', rules: 'drafts/\n*.log' })).toEqual({ rules: 'drafts/\n*.log\n' });
    expect(await readFile(join(folder, '.strataignore'), 'utf8')).toBe('drafts/\n*.log\n');
    await writeSettled(join(folder, 'drafts', 'x.txt'), 'x');
    await writeSettled(join(folder, 'run.log'), 'log');
    await writeSettled(join(folder, 'new.txt'), 'new');
    await writeSettled(join(folder, '.strataignore'), 'drafts/\n*.log\n');
    await service['courses.scan']();
    expect((await service['files.list']({ course: 'Lab' })).map((f) => f.path)).toEqual(['.strataignore', 'keep.txt', 'new.txt']);
    expect(await service['settings.setIgnoreRules']({ course: 'Lab', rules: '' })).toEqual({ rules: '' });
    expect(existsSync(join(folder, '.strataignore'))).toBe(false);
    const e = await rejection(service['settings.setIgnoreRules']({ course: 'Lab', rules: 'x'.repeat(70 * 1024) }));
    expect([e.code, e.field]).toEqual(['INVALID_ARGUMENT', 'rules']);
  });
});

describe('sync', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.STRATA_AUTHOR;
    delete process.env.STRATA_AUTHOR;
  });
  afterEach(() => {
    if (saved !== undefined) process.env.STRATA_AUTHOR = saved;
  });

  it('syncs with a folder remote now, and settles another device\'s versions into the course', async () => {
    const remote = join(tmp.path, 'remote');
    const a = await realService(join(tmp.path, 'a'), { diskSpace: plenty });
    await writeSettled(join(tmp.path, 'a', 'Shared', 'notes.md'), 'from a\n');
    await a.service['courses.add']({ path: join(tmp.path, 'a', 'Shared') });
    expect((await a.service['sync.now']()).state).toBe('off'); // no remote yet: nothing to do
    await a.service['settings.addRemote']({ name: 'disk', hot: remote });
    const status = await a.service['sync.now']();
    expect(status).toMatchObject({ state: 'idle', remote: 'disk' });
    expect(Date.parse(status.lastSync as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(a.eventsOf('sync.status').map((s) => s.state)).toEqual(['idle', 'syncing', 'idle']);
    const syncOps = a.eventsOf('operation.progress').filter((p) => p.operation === 'sync');
    expect(syncOps.at(-1)).toMatchObject({ phase: 'finished', unit: 'objects' });
    expect(a.eventsOf('activity').at(-1)).toMatchObject({ kind: 'sync' });
    expect(existsSync(join(remote, 'config'))).toBe(true);
    const dash = await a.service['dashboard.summary']();
    expect(dash.remote?.name).toBe('disk');
    expect(dash.remote?.hot.bytes).toBeGreaterThan(0);
    expect(dash.cost?.currency).toBe('USD');
    expect(dash.sync.state).toBe('idle');

    // Device b: a clone of the remote, tracking the same course (its copy of notes.md is the same).
    const bRepo = join(tmp.path, 'b', 'repo');
    const store = await initLocalStoreAt(bRepo);
    const backend = await openRemote({ name: 'disk', hot: `file://${remote}` });
    await syncRepositories(store, backend, { upload: false });
    await backend.close();
    await store.close();
    await (await LocalState.load(bRepo)).remotes.set([{ name: 'disk', hot: `file://${remote}` }]);
    const b = await realService(join(tmp.path, 'b'), { diskSpace: plenty });
    await writeSettled(join(tmp.path, 'b', 'Shared', 'notes.md'), 'from a\n');
    await b.service['courses.add']({ path: join(tmp.path, 'b', 'Shared') });
    expect((await b.service['files.versions']({ course: 'Shared', path: 'notes.md' })).length).toBe(1);

    // a edits and syncs; b syncs and gets the edit in its folder.
    await writeSettled(join(tmp.path, 'a', 'Shared', 'notes.md'), 'from a, edited\n');
    await a.service['courses.scan']();
    await a.service['sync.now']();
    await b.service['sync.now']();
    expect(await readFile(join(tmp.path, 'b', 'Shared', 'notes.md'), 'utf8')).toBe('from a, edited\n');
    expect((await b.service['files.versions']({ course: 'Shared', path: 'notes.md' })).map((v) => v.op)).toEqual(['add', 'edit']);
    expect(b.eventsOf('catalog.changed').length).toBeGreaterThan(0);
    expect(b.eventsOf('activity').map((i) => i.title)).toContain('Changes from other devices put in place');
  });

  it('cancels a sync: CANCELLED, and the next sync completes', async () => {
    const real = await realService(tmp.path, { diskSpace: plenty });
    const folder = join(tmp.path, 'Big');
    for (let i = 0; i < 40; i++) await writeSettled(join(folder, `f${i}.bin`), seededBytes(100 + i, 200 * 1024));
    await real.service['courses.add']({ path: folder });
    await real.service['settings.addRemote']({ name: 'disk', hot: join(tmp.path, 'remote') });
    let cancelling: Promise<unknown> | undefined;
    const original = real.events.push.bind(real.events);
    real.events.push = (...items) => {
      for (const e of items) {
        if (!cancelling && e.name === 'operation.progress' && e.payload.operation === 'sync' && e.payload.phase === 'running') {
          cancelling = real.service['operations.cancel']({ id: e.payload.id });
        }
      }
      return original(...items);
    };
    expect((await rejection(real.service['sync.now']())).code).toBe('CANCELLED');
    expect(await cancelling).toEqual({ cancelled: true });
    expect(real.eventsOf('operation.progress').filter((p) => p.operation === 'sync').at(-1)?.phase).toBe('cancelled');
    expect((await real.service['sync.now']()).state).toBe('idle');
    expect(real.eventsOf('operation.progress').filter((p) => p.operation === 'sync').at(-1)?.phase).toBe('finished');
  });
});
