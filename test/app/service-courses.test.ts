// The app API over the real engine: courses, the catalog feed, scans and
// their cancellation, the background watcher, and LOCKED before unlock.

import { readdir, readFile, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createService } from '../../src/engine/service/service';
import { engineDeps } from '../../src/engine/service/deps';
import type { ApiMethod, StrataApi } from '../../src/shared/api';
import { policyPath } from '../../src/engine/tiers/policy';
import { fastKdf, seededBytes, tempDirPerTest, writeSettled } from '../helpers';
import { collector, fakeEngine, PASSPHRASE, realService, rejection } from './fakes';

const tmp = tempDirPerTest('strata-app-courses-');

/** Every app method with arguments that would be valid once unlocked. */
const APP_CALLS: Array<[ApiMethod, unknown]> = [
  ['courses.list', undefined],
  ['courses.add', { path: '/tmp/x' }],
  ['courses.remove', { course: 'c' }],
  ['courses.pause', { course: 'c', paused: true }],
  ['courses.setState', { course: 'c', state: 'archived' }],
  ['courses.scan', undefined],
  ['courses.confirmDeletions', { course: 'c' }],
  ['catalog.changes', { cursor: {} }],
  ['catalog.key', undefined],
  ['files.list', { course: 'c' }],
  ['files.versions', { course: 'c', path: 'a.txt' }],
  ['files.compare', { course: 'c', path: 'a.txt', a: 1 }],
  ['files.rollback', { course: 'c', path: 'a.txt', n: 1 }],
  ['files.restoreTo', { course: 'c', path: 'a.txt', n: 1, target: '/tmp/out' }],
  ['files.tag', { course: 'c', path: 'a.txt', n: 1, tag: 't' }],
  ['history.at', { course: 'c', at: '2026-01-01T00:00:00Z' }],
  ['history.restore', { course: 'c', at: '2026-01-01T00:00:00Z' }],
  ['activity.list', {}],
  ['dashboard.summary', undefined],
  ['settings.get', undefined],
  ['settings.setAuthor', { author: 'Ada' }],
  ['settings.addRemote', { name: 'r', hot: '/tmp/r' }],
  ['settings.removeRemote', { name: 'r' }],
  ['settings.setPolicy', { policy: '{}' }],
  ['settings.ignoreRules', { course: 'c' }],
  ['settings.setIgnoreRules', { course: 'c', rules: '' }],
  ['sync.now', undefined],
];

function invoke(service: StrataApi, method: ApiMethod, args: unknown): Promise<unknown> {
  const fn = service[method] as (a?: unknown) => Promise<unknown>;
  return args === undefined ? fn() : fn(args);
}

describe('before unlock', () => {
  it('answers LOCKED for every app method, and UNAVAILABLE on a host without the engine', async () => {
    const { emit } = collector();
    const service = createService(engineDeps(join(tmp.path, 'repo'), { kdf: fastKdf(), background: false }), emit);
    for (const [method, args] of APP_CALLS) {
      expect([method, (await rejection(invoke(service, method, args))).code]).toEqual([method, 'LOCKED']);
    }
    expect(await service['operations.cancel']({ id: 'nope' })).toEqual({ cancelled: false });

    const fake = createService(fakeEngine('/home/test/Strata'));
    await fake['repo.create']({ path: '/data/repo', passphrase: PASSPHRASE });
    expect((await rejection(fake['courses.list']())).code).toBe('UNAVAILABLE');
  });

  it('answers LOCKED again after repo.lock', async () => {
    const { service } = await realService(tmp.path);
    expect(await service['courses.list']()).toEqual([]);
    await service['repo.lock']();
    expect((await rejection(service['courses.list']())).code).toBe('LOCKED');
    // Locking twice is harmless.
    expect((await service['repo.lock']()).state).toBe('locked');
  });
});

describe('courses', () => {
  async function withCourse() {
    const real = await realService(tmp.path);
    const folder = join(tmp.path, 'Ceramics');
    await writeSettled(join(folder, 'syllabus.md'), '# Ceramics\n\nWeek 1: clay\n');
    await writeSettled(join(folder, 'images', 'kiln.bin'), seededBytes(1, 5000));
    const course = await real.service['courses.add']({ path: folder });
    return { ...real, folder, course };
  }

  it('adds a course, records its files and announces it', async () => {
    const { service, course, folder, eventsOf } = await withCourse();
    expect(course).toMatchObject({ name: 'Ceramics', path: folder, paused: false, state: 'active', files: 2, bytes: 5000 + 25 });
    expect(course.id).toMatch(/^[0-9a-f]{32}$/);
    expect(course.lastChange).toBeDefined();
    expect(await service['courses.list']()).toEqual([course]);
    expect(eventsOf('courses.changed').at(-1)?.map((c) => c.name)).toEqual(['Ceramics']);
    expect(eventsOf('catalog.changed').at(-1)).toEqual({ versions: 2 });
    const activity = eventsOf('activity');
    expect(activity.at(-1)).toMatchObject({ kind: 'version', course: course.id, title: '2 versions recorded in "Ceramics"' });
    const progress = eventsOf('operation.progress').filter((p) => p.operation === 'scan');
    expect(progress[0]?.phase).toBe('running');
    expect(progress.at(-1)?.phase).toBe('finished');
    // By id or by name.
    expect((await service['files.list']({ course: 'Ceramics' })).map((f) => f.path)).toEqual(['images/kiln.bin', 'syllabus.md']);
    expect((await service['files.list']({ course: course.id })).map((f) => f.path)).toEqual(['images/kiln.bin', 'syllabus.md']);
  });

  it('refuses bad courses with the argument at fault', async () => {
    const { service, repoPath, folder } = await withCourse();
    const bad = async (p: Promise<unknown>) => {
      const e = await rejection(p);
      return [e.code, e.field];
    };
    expect(await bad(service['courses.add']({ path: folder }))).toEqual(['INVALID_ARGUMENT', 'path']); // tracked already
    expect(await bad(service['courses.add']({ path: join(tmp.path, 'missing') }))).toEqual(['NOT_FOUND', 'path']);
    expect(await bad(service['courses.add']({ path: 'relative' }))).toEqual(['INVALID_ARGUMENT', 'path']);
    expect(await bad(service['courses.add']({ path: tmp.path }))).toEqual(['INVALID_ARGUMENT', 'path']); // holds the repository
    expect(await bad(service['courses.add']({ path: join(repoPath, 'local') }))).toEqual(['INVALID_ARGUMENT', 'path']);
    await writeSettled(join(tmp.path, 'Other', 'x.txt'), 'x');
    expect(await bad(service['courses.add']({ path: join(tmp.path, 'Other'), name: 'Ceramics' }))).toEqual(['INVALID_ARGUMENT', 'name']);
    expect(await bad(service['courses.pause']({ course: 'Nope', paused: true }))).toEqual(['NOT_FOUND', 'course']);
    expect(await bad(service['courses.pause']({ course: 'Ceramics', paused: 'yes' } as never))).toEqual(['INVALID_ARGUMENT', 'paused']);
    expect(await bad(service['courses.setState']({ course: 'Ceramics', state: 'frozen' } as never))).toEqual(['INVALID_ARGUMENT', 'state']);
    expect(await bad(service['files.versions']({ course: 'Ceramics', path: '../etc/passwd' }))).toEqual(['INVALID_ARGUMENT', 'path']);
    expect(await bad(service['files.versions']({ course: 'Ceramics', path: 'nope.txt' }))).toEqual(['NOT_FOUND', 'path']);
  });

  it('pauses and resumes: a paused course is not scanned', async () => {
    const { service, folder, course } = await withCourse();
    const paused = await service['courses.pause']({ course: course.id, paused: true });
    expect(paused.paused).toBe(true);
    await writeSettled(join(folder, 'syllabus.md'), '# Ceramics\n\nWeek 1: clay\nWeek 2: glaze\n');
    expect(await service['courses.scan']()).toEqual({ versions: 0 });
    expect((await service['courses.pause']({ course: 'Ceramics', paused: false })).paused).toBe(false);
    expect(await service['courses.scan']()).toEqual({ versions: 1 });
    expect((await service['files.versions']({ course: 'Ceramics', path: 'syllabus.md' })).map((v) => v.op)).toEqual(['add', 'edit']);
  });

  it('archives and activates a course through the policy file', async () => {
    const { service, repoPath, course } = await withCourse();
    expect((await service['courses.setState']({ course: 'Ceramics', state: 'archived' })).state).toBe('archived');
    expect(JSON.parse(await readFile(await policyPath(repoPath), 'utf8')).courses).toEqual({ Ceramics: 'archived' });
    expect((await service['courses.list']())[0]?.state).toBe('archived');
    expect((await service['courses.setState']({ course: course.id, state: 'active' })).state).toBe('active');
    expect(JSON.parse(await readFile(await policyPath(repoPath), 'utf8')).courses).toEqual({});
  });

  it('removes a course and keeps its history', async () => {
    const { service, course, eventsOf } = await withCourse();
    expect(await service['courses.remove']({ course: 'Ceramics' })).toEqual([]);
    expect(eventsOf('courses.changed').at(-1)).toEqual([]);
    expect((await service['files.list']({ course: course.id })).length).toBe(2);
    expect((await rejection(service['courses.remove']({ course: 'Ceramics' }))).code).toBe('NOT_FOUND');
  });
});

describe('catalog.key', () => {
  it('is the same for a repository on every unlock and restart, another for another repository, and never the stored keys', async () => {
    const { service, repoPath } = await realService(tmp.path);
    const first = await service['catalog.key']();
    expect(first.repository).toBe((await service['catalog.changes']({ cursor: {} })).repository);
    expect(Buffer.from(first.key, 'base64').toString('base64')).toBe(first.key);
    expect(Buffer.from(first.key, 'base64')).toHaveLength(32);

    // Stable: the cached catalog stays readable after a lock, and after the server restarts.
    await service['repo.lock']();
    expect((await rejection(service['catalog.key']())).code).toBe('LOCKED');
    await service['repo.unlock']({ path: repoPath, passphrase: PASSPHRASE });
    expect(await service['catalog.key']()).toEqual(first);
    const restarted = await realService(tmp.path);
    expect(await restarted.service['catalog.key']()).toEqual(first);

    // Derived, not stored: no file of the repository holds it.
    const key = Buffer.from(first.key, 'base64');
    for (const file of await readdir(repoPath, { recursive: true, withFileTypes: true })) {
      if (file.isFile()) expect((await readFile(join(file.parentPath, file.name))).includes(key)).toBe(false);
    }

    const other = await realService(join(tmp.path, 'other'));
    const otherKey = await other.service['catalog.key']();
    expect(otherKey.repository).not.toBe(first.repository);
    expect(otherKey.key).not.toBe(first.key);
  });
});

describe('catalog.changes', () => {
  it('sends everything for an empty cursor, then only what changed, and resets for another repository', async () => {
    const { service } = await realService(tmp.path);
    const folder = join(tmp.path, 'Bio');
    await writeSettled(join(folder, 'a.txt'), 'alpha\n');
    await writeSettled(join(folder, 'b.txt'), 'beta\n');
    const course = await service['courses.add']({ path: folder });

    const first = await service['catalog.changes']({ cursor: {} });
    expect(first.reset).toBe(false);
    expect(first.repository).toMatch(/^[0-9a-f]{64}$/);
    expect(first.courses.map((c) => c.id)).toEqual([course.id]);
    expect(first.versions.map((v) => `${v.path}@${v.n}`).sort()).toEqual(['a.txt@1', 'b.txt@1']);
    expect(first.versions[0]).toMatchObject({ course: course.id, op: 'add', kind: 'text', tags: [] });
    expect(first.versions[0]?.key).toBe(`${first.versions[0]?.file}@1`);
    expect(Object.values(first.cursor).every((n) => n >= 1)).toBe(true);

    // Nothing new: nothing sent, same cursor.
    const same = await service['catalog.changes']({ cursor: first.cursor, repository: first.repository });
    expect(same.versions).toEqual([]);
    expect(same.cursor).toEqual(first.cursor);

    await writeSettled(join(folder, 'a.txt'), 'alpha\nand more\n');
    await service['courses.scan']();
    const next = await service['catalog.changes']({ cursor: first.cursor, repository: first.repository });
    expect(next.reset).toBe(false);
    // The file touched, with all its versions (numbers may shift after merges); not the other file.
    expect(next.versions.map((v) => `${v.path}@${v.n}`)).toEqual(['a.txt@1', 'a.txt@2']);
    const device = Object.keys(first.cursor)[0] as string;
    expect(next.cursor[device]).toBeGreaterThan(first.cursor[device] as number);

    // A tag is a change of its file too.
    await service['files.tag']({ course: 'Bio', path: 'b.txt', n: 1, tag: 'final' });
    const tagged = await service['catalog.changes']({ cursor: next.cursor, repository: first.repository });
    expect(tagged.versions.map((v) => [v.path, v.n, v.tags])).toEqual([['b.txt', 1, ['final']]]);

    // Another repository's cursor, or one ahead of this history: start over.
    const other = await service['catalog.changes']({ cursor: tagged.cursor, repository: 'f'.repeat(64) });
    expect(other.reset).toBe(true);
    expect(other.versions.length).toBe(3);
    const ahead = await service['catalog.changes']({ cursor: { [device]: 999 }, repository: first.repository });
    expect(ahead.reset).toBe(true);
    expect(ahead.versions.length).toBe(3);

    for (const cursor of [null, [], { device: 1 }, { [device]: -1 }, { [device]: 1.5 }]) {
      const e = await rejection(service['catalog.changes']({ cursor } as never));
      expect([e.code, e.field]).toEqual(['INVALID_ARGUMENT', 'cursor']);
    }
  });
});

describe('scans', () => {
  it('cancels a long scan: CANCELLED, nothing recorded, and the next scan records everything', async () => {
    const real = await realService(tmp.path);
    const { service, events } = real;
    const folder = join(tmp.path, 'Film');
    await writeSettled(join(folder, 'readme.txt'), 'film\n');
    await service['courses.add']({ path: folder });
    for (let i = 0; i < 300; i++) await writeSettled(join(folder, 'clips', `clip-${String(i).padStart(3, '0')}.bin`), seededBytes(i + 10, 96 * 1024));

    // Cancel as soon as the scan has made progress (the sink runs inside the scan).
    let cancelled: Promise<{ cancelled: boolean }> | undefined;
    let id: string | undefined;
    const original = events.push.bind(events);
    events.push = (...items) => {
      for (const e of items) {
        if (!cancelled && e.name === 'operation.progress' && e.payload.operation === 'scan' && e.payload.phase === 'running' && e.payload.done > 0) {
          id = e.payload.id;
          cancelled = service['operations.cancel']({ id });
        }
      }
      return original(...items);
    };
    const err = await rejection(service['courses.scan']());
    expect(err.code).toBe('CANCELLED');
    expect(await cancelled).toEqual({ cancelled: true });
    const phases = real.eventsOf('operation.progress').filter((p) => p.id === id).map((p) => p.phase);
    expect(phases[0]).toBe('running');
    expect(phases.filter((p) => p !== 'running')).toEqual(['cancelled']);
    // Nothing of the cancelled pass was recorded...
    expect((await service['files.list']({ course: 'Film' })).map((f) => f.path)).toEqual(['readme.txt']);
    // ...and the repository is fine: the next scan records every clip.
    expect(await service['courses.scan']()).toEqual({ versions: 300 });
    const clip = await service['files.compare']({ course: 'Film', path: 'clips/clip-007.bin', a: 1 });
    expect(clip.kind === 'binary' && clip.from.sha256 === clip.to.sha256).toBe(true);
    expect(await service['operations.cancel']({ id: 'not-running' })).toEqual({ cancelled: false });
  });
});

describe('background work', () => {
  it('watches courses: a saved change is recorded and announced; lock stops it', async () => {
    const real = await realService(tmp.path, { background: true, quietMs: 150 });
    const { service } = real;
    const folder = join(tmp.path, 'Chem');
    await writeSettled(join(folder, 'notes.md'), 'one\n');
    await service['courses.add']({ path: folder });
    const before = real.eventsOf('catalog.changed').length;
    await writeFile(join(folder, 'notes.md'), 'one\ntwo\n');
    await until(() => real.eventsOf('catalog.changed').length > before);
    await until(async () => (await service['files.versions']({ course: 'Chem', path: 'notes.md' })).length === 2);
    expect(real.eventsOf('activity').at(-1)).toMatchObject({ kind: 'version', title: 'notes.md recorded in "Chem"' });

    // Paused: not watched.
    await service['courses.pause']({ course: 'Chem', paused: true });
    await new Promise((r) => setTimeout(r, 300));
    await writeFile(join(folder, 'notes.md'), 'one\ntwo\nthree\n');
    await new Promise((r) => setTimeout(r, 800));
    expect((await service['files.versions']({ course: 'Chem', path: 'notes.md' })).length).toBe(2);

    // Resumed: the change made meanwhile is caught up.
    await service['courses.pause']({ course: 'Chem', paused: false });
    await until(async () => (await service['files.versions']({ course: 'Chem', path: 'notes.md' })).length === 3);

    await service['repo.lock']();
    const count = real.events.length;
    await rm(join(folder, 'notes.md'));
    await new Promise((r) => setTimeout(r, 800));
    expect(real.events.slice(count).map((e) => e.name)).toEqual([]);
  });
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
