// CatalogFeed over fake-indexeddb: first pull, catch-up after a restart from
// the stored cursor, resets, another repository, renumbered versions, offline
// and retry, coalesced pulls; and the queries the hooks run. (What the
// catalog looks like at rest, and without the key: sealed.test.ts.)

// First: Dexie's liveQuery does nothing without a global indexedDB (each test still
// gets its own IDBFactory through catalogDatabases()).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type { FileVersion } from '../../shared/api';
import { mergeVersions } from './apply';
import type { CatalogDatabases } from './db';
import { CatalogFeed } from './feed';
import { fileVersions, listCourses, listFiles, recentActivity, resolveFile, versionCount } from './queries';
import { importCatalogKey, SEALED_PREFIX } from './seal';
import { CatalogStore } from './store';
import { activityItem, catalogOf, course, eventually, FakeEngine, freshIndexedDb, unavailable, version } from './test-fakes';

const opened: CatalogDatabases[] = [];
const feeds: CatalogFeed[] = [];

afterEach(() => {
  for (const feed of feeds.splice(0)) feed.stop();
  for (const databases of opened.splice(0)) databases.close();
});

function track(databases: CatalogDatabases): CatalogDatabases {
  opened.push(databases);
  return databases;
}

function startFeed(engine: FakeEngine, databases: CatalogDatabases, extra: { retryMs?: number } = {}): CatalogFeed {
  const feed = new CatalogFeed({ client: engine.client(), databases, retry: { initialMs: extra.retryMs ?? 20, maxMs: 80 } });
  feeds.push(feed);
  return feed;
}

/** Every stored version's key, sorted (the courses of these tests). */
async function versionKeys(catalog: CatalogStore, courses = ['c1', 'c2', 'k1', 'c9']): Promise<string[]> {
  const histories = await Promise.all(courses.map((c) => catalog.courseHistories(c)));
  return histories.flat(2).map((v: FileVersion) => v.key).sort();
}

async function fileIds(catalog: CatalogStore, courses = ['c1', 'c2', 'k1']): Promise<string[]> {
  const files = await Promise.all(courses.map((c) => listFiles(catalog, c)));
  return files.flat().map((f) => f.file).sort();
}

/** Engine with two courses: c1 has files a (2 versions) and b (1), c2 has file c (1), from two devices. */
function seededEngine(): FakeEngine {
  const engine = new FakeEngine('repo-a');
  engine.courses = [course('c1', 'Physics'), course('c2', 'Algebra')];
  engine.activity = [activityItem('act-1', 1), activityItem('act-2', 2)];
  engine.record('dev-a', [version('c1', 'a', 1), version('c1', 'b', 1)]);
  engine.record('dev-a', [version('c1', 'a', 2)]);
  engine.record('dev-b', [version('c2', 'c', 1, { device: 'dev-b' })]);
  return engine;
}

describe('CatalogFeed', () => {
  it('stores everything and the cursor on the first pull', async () => {
    const engine = seededEngine();
    const { open } = freshIndexedDb();
    const databases = track(open());
    const feed = startFeed(engine, databases);
    expect(feed.status.state).toBe('loading');

    await feed.start();

    expect(engine.calls).toEqual([{ cursor: {} }]);
    expect(engine.keyCalls).toBe(1);
    const db = catalogOf(feed);
    // Named from the key: the same as the key's, and saying nothing of the repository.
    expect(db.name).toBe((await importCatalogKey({ repository: 'repo-a', key: engine.keyOf() })).name);
    expect(db.name.startsWith(SEALED_PREFIX) && !db.name.includes('repo-a')).toBe(true);
    expect(await versionKeys(db)).toEqual(['a@1', 'a@2', 'b@1', 'c@1']);
    expect(await fileIds(db)).toEqual(['a', 'b', 'c']);
    expect(await db.file('a')).toMatchObject({ course: 'c1', path: 'a.md', versions: 2, size: 102, deleted: false });
    expect((await listCourses(db)).map((c) => c.id)).toEqual(['c2', 'c1']);
    const meta = await db.meta();
    expect(meta?.cursor).toEqual({ 'dev-a': 2, 'dev-b': 1 });
    expect(meta?.repository).toBe('repo-a');
    expect((await recentActivity(db, 10)).map((a) => a.id)).toEqual(['act-2', 'act-1']);
    expect(feed.status.state).toBe('ready');
    expect(feed.status.lastSynced).toBe(meta?.lastSynced);
  });

  it('catches up after a restart from the stored cursor, asking only for what is new', async () => {
    const engine = seededEngine();
    const { open } = freshIndexedDb();
    const first = startFeed(engine, track(open()));
    await first.start();
    first.stop();
    opened.splice(0).forEach((databases) => databases.close());

    // While the app was closed: a new version of a, and a new file d.
    engine.record('dev-a', [version('c1', 'a', 3), version('c1', 'd', 1)]);
    let release = (): void => {};
    engine.gate = new Promise((resolve) => (release = resolve));

    const feed = startFeed(engine, track(open()));
    const started = feed.start();
    // The stored catalog is readable (with the key, asked again) before the engine answers catalog.changes.
    await eventually(() => expect(feed.catalog).toBeDefined());
    expect(engine.keyCalls).toBe(2);
    expect(feed.status.state).toBe('updating');
    expect(feed.status.lastSynced).toBeDefined();
    expect(await versionKeys(catalogOf(feed))).toHaveLength(4);
    release();
    await started;

    expect(engine.calls[1]).toEqual({ cursor: { 'dev-a': 2, 'dev-b': 1 }, repository: 'repo-a' });
    expect(engine.answers[1]?.versions.map((v) => v.key)).toEqual(['a@3', 'd@1']);
    expect(engine.answers[1]?.reset).toBe(false);
    const db = catalogOf(feed);
    expect(await versionKeys(db)).toEqual(['a@1', 'a@2', 'a@3', 'b@1', 'c@1', 'd@1']);
    expect(await fileIds(db)).toEqual(['a', 'b', 'c', 'd']);
    expect((await db.file('a'))?.versions).toBe(3);
    expect((await db.meta())?.cursor).toEqual({ 'dev-a': 3, 'dev-b': 1 });
    expect(feed.status.state).toBe('ready');
  });

  it('wipes and refills when the engine answers with a reset', async () => {
    const engine = seededEngine();
    const { open } = freshIndexedDb();
    const feed = startFeed(engine, track(open()));
    await feed.start();
    const db = catalogOf(feed);
    await db.addActivity([activityItem('stale', 0)], 10);

    // The same repository, history rewritten (e.g. restored from elsewhere): the engine says reset.
    engine.replaceRepository('repo-a', [course('c1', 'Physics')], [{ device: 'dev-z', versions: [version('c1', 'z', 1)] }]);
    engine.resetNext = true;
    const databases = opened[0];
    if (!databases) throw new Error('no databases');
    const resetting = startFeed(engine, databases);
    await resetting.start();

    expect(engine.answers[1]?.reset).toBe(true);
    const after = catalogOf(resetting);
    expect(after.name).toBe(db.name);
    expect(await versionKeys(after)).toEqual(['z@1']);
    expect(await fileIds(after)).toEqual(['z']);
    expect((await listCourses(after)).map((c) => c.id)).toEqual(['c1']);
    expect((await recentActivity(after, 10)).map((a) => a.id).sort()).toEqual(['act-1', 'act-2']);
    expect((await after.meta())?.cursor).toEqual({ 'dev-z': 1 });
  });

  it('switches to that repository\'s own catalog (its key) when another repository answers', async () => {
    const engine = seededEngine();
    const { open } = freshIndexedDb();
    const databases = track(open());
    const feed = startFeed(engine, databases);
    await feed.start();
    const first = catalogOf(feed);

    // A repository made anew at the same place, while the page runs: its key is another.
    engine.replaceRepository('repo-b', [course('k1', 'Chemistry')], [{ device: 'dev-k', versions: [version('k1', 'k', 1), version('k1', 'k', 2)] }]);
    engine.emit('catalog.changed', { versions: 2 });
    await eventually(() => expect(feed.catalog?.repository).toBe('repo-b'));
    await feed.refresh();

    expect(engine.calls[1]).toEqual({ cursor: { 'dev-a': 2, 'dev-b': 1 }, repository: 'repo-a' });
    expect(engine.answers[1]?.reset).toBe(true);
    const db = catalogOf(feed);
    expect(db.name).not.toBe(first.name);
    expect(db.name).toBe((await importCatalogKey({ repository: 'repo-b', key: engine.keyOf('repo-b') })).name);
    expect(await versionKeys(db)).toEqual(['k@1', 'k@2']);
    expect((await listCourses(db)).map((c) => c.id)).toEqual(['k1']);
    expect((await db.meta())?.cursor).toEqual({ 'dev-k': 1 });
    // The other repository's catalog is left as it was.
    const keyA = await importCatalogKey({ repository: 'repo-a', key: engine.keyOf('repo-a') });
    const old = await CatalogStore.open(databases, keyA, () => {
      throw new Error('repo-a\'s catalog is damaged');
    });
    expect(await versionKeys(old)).toEqual(['a@1', 'a@2', 'b@1', 'c@1']);
  });

  it('replaces renumbered versions instead of keeping stale duplicates', async () => {
    const engine = new FakeEngine();
    engine.courses = [course('c1', 'Physics')];
    const x = { device: 'dev-a', time: '2026-01-01T00:03:00.000Z', sha256: 'sha-x', summary: 'mine' };
    engine.record('dev-a', [version('c1', 'f', 1), version('c1', 'f', 2), version('c1', 'f', 3, x)]);
    const { open } = freshIndexedDb();
    const feed = startFeed(engine, track(open()));
    await feed.start();

    // A sync brings dev-b's concurrent version y, which sorts before x: y is 3 now, x is 4.
    const y = { device: 'dev-b', time: '2026-01-01T00:02:30.000Z', sha256: 'sha-y', summary: 'theirs' };
    engine.record('dev-b', [version('c1', 'f', 3, y), version('c1', 'f', 4, x)]);
    engine.emit('catalog.changed', { versions: 2 });
    await eventually(() => expect(engine.calls).toHaveLength(2));
    await feed.refresh();

    const db = catalogOf(feed);
    const rows = await fileVersions(db, 'c1', 'f.md');
    expect(rows.map((v) => `${v.n}:${v.summary}`)).toEqual(['1:+1 lines', '2:+1 lines', '3:theirs', '4:mine']);
    expect(await versionKeys(db)).toHaveLength(4);
    expect((await db.file('f'))?.versions).toBe(4);
  });

  it('drops a stored row whose version came back under another number', () => {
    const z = version('c1', 'h', 2, { sha256: 'sha-z' });
    const w = version('c1', 'h', 2, { sha256: 'sha-w', time: '2026-01-01T00:01:30.000Z' });
    const movedZ = { ...z, key: 'h@3', n: 3 };
    const merged = mergeVersions(new Map([[z.key, z]]), new Map([[movedZ.key, movedZ]]));
    expect([...merged.keys()]).toEqual(['h@3']);

    // A different version taking the old number is an overwrite, not a move.
    const merged2 = mergeVersions(new Map([[z.key, z]]), new Map([[w.key, w], [movedZ.key, movedZ]]));
    expect([...merged2.values()].map((v) => v.sha256).sort()).toEqual(['sha-w', 'sha-z']);
  });

  it('goes offline when the engine fails, keeps the rows, retries with backoff and recovers', async () => {
    const engine = seededEngine();
    const { open } = freshIndexedDb();
    const feed = startFeed(engine, track(open()), { retryMs: 30 });
    await feed.start();
    const lastSynced = feed.status.lastSynced;

    engine.failure = unavailable();
    engine.record('dev-a', [version('c1', 'a', 3)]);
    await feed.refresh();
    expect(feed.status).toEqual({ state: 'offline', lastSynced, error: 'Cannot reach Strata.' });
    // The key stays while the page runs: the catalog is still readable.
    expect(await versionKeys(catalogOf(feed))).toHaveLength(4);
    await eventually(() => expect(engine.calls.length).toBeGreaterThanOrEqual(4));
    expect(feed.status.state).toBe('offline');

    engine.failure = undefined;
    await eventually(() => expect(feed.status.state).toBe('ready'));
    expect(await versionKeys(catalogOf(feed))).toHaveLength(5);
    expect(feed.status.error).toBeUndefined();
    expect(feed.status.lastSynced).not.toBe(lastSynced);
  });

  it('marks the catalog offline while the engine is busy, then takes the answer', async () => {
    const engine = seededEngine();
    let release = (): void => {};
    engine.gate = new Promise((resolve) => (release = resolve));
    const { open } = freshIndexedDb();
    const feed = new CatalogFeed({ client: engine.client(), databases: track(open()), busyAfterMs: 20 });
    feeds.push(feed);
    const started = feed.start();
    await eventually(() => expect(feed.status.state).toBe('offline'));
    expect(feed.status.error).toMatch(/busy/);
    release();
    await started;
    expect(feed.status.state).toBe('ready');
    expect(await versionKeys(catalogOf(feed))).toHaveLength(4);
  });

  it('coalesces pulls asked for while one runs into one more', async () => {
    const engine = seededEngine();
    const { open } = freshIndexedDb();
    const feed = startFeed(engine, track(open()));
    await feed.start();

    let release = (): void => {};
    engine.gate = new Promise((resolve) => (release = resolve));
    const running = feed.refresh();
    for (let i = 0; i < 5; i += 1) engine.emit('catalog.changed', { versions: 1 });
    const joined = feed.refresh();
    release();
    await Promise.all([running, joined]);
    expect(engine.calls).toHaveLength(3);
  });

  it('follows courses.changed and activity events, and stops listening when stopped', async () => {
    const engine = seededEngine();
    const { open } = freshIndexedDb();
    const feed = startFeed(engine, track(open()));
    await feed.start();
    const db = catalogOf(feed);

    engine.emit('courses.changed', [course('c3', 'Biology')]);
    engine.emit('activity', activityItem('act-3', 3));
    await eventually(async () => {
      expect((await listCourses(db)).map((c) => c.id)).toEqual(['c3']);
      expect((await recentActivity(db, 1)).map((a) => a.id)).toEqual(['act-3']);
    });

    expect(engine.listenerCount('catalog.changed')).toBe(1);
    feed.stop();
    expect(engine.listenerCount('catalog.changed')).toBe(0);
    expect(engine.listenerCount('activity')).toBe(0);
  });

  it('keeps only the newest activity items (activityLimit)', async () => {
    const engine = seededEngine();
    engine.activity = [activityItem('act-1', 1), activityItem('act-2', 2), activityItem('act-3', 3)];
    const { open } = freshIndexedDb();
    const feed = new CatalogFeed({ client: engine.client(), databases: track(open()), activityLimit: 2 });
    feeds.push(feed);
    await feed.start();
    const db = catalogOf(feed);
    expect((await recentActivity(db, 10)).map((a) => a.id)).toEqual(['act-3', 'act-2']);

    engine.emit('activity', activityItem('act-4', 4));
    await eventually(async () => expect((await recentActivity(db, 10)).map((a) => a.id)).toEqual(['act-4', 'act-3']));
    expect(await db.db.activity.count()).toBe(2);
  });
});

describe('catalog queries', () => {
  it('lists files by path and follows a file across renames by its id', async () => {
    const engine = new FakeEngine();
    engine.record('dev-a', [
      version('c1', 'r', 1, { path: 'notes/old.md' }),
      version('c1', 'r', 2, { path: 'notes/new.md', from: 'notes/old.md', op: 'rename' }),
      version('c1', 'q', 1, { path: 'a-first.md' }),
      // Another file at the same path, deleted after r got there.
      version('c1', 'gone', 1, { path: 'notes/new.md', time: '2026-02-01T00:00:00.000Z' }),
      version('c1', 'gone', 2, { path: 'notes/new.md', op: 'delete', time: '2026-02-02T00:00:00.000Z' }),
      version('c2', 'other', 1, { path: 'b.md' }),
    ]);
    const { open } = freshIndexedDb();
    const feed = startFeed(engine, track(open()));
    await feed.start();
    const db = catalogOf(feed);

    // By path, then (same path) by file id: 'gone' before 'r'.
    expect((await listFiles(db, 'c1')).map((f) => `${f.path}${f.deleted ? ' (deleted)' : ''}`)).toEqual([
      'a-first.md',
      'notes/new.md (deleted)',
      'notes/new.md',
    ]);
    // The live file wins over the deleted one at the same path.
    expect(await resolveFile(db, 'c1', 'notes/new.md')).toBe('r');
    expect((await fileVersions(db, 'c1', 'notes/new.md')).map((v) => v.path)).toEqual(['notes/old.md', 'notes/new.md']);
    // The old name still leads to the file's whole history.
    expect((await fileVersions(db, 'c1', 'notes/old.md')).map((v) => v.key)).toEqual(['r@1', 'r@2']);
    expect(await versionCount(db, 'c1', 'notes/new.md')).toBe(2);
    expect(await versionCount(db, 'c1', 'nowhere.md')).toBe(0);
    expect(await fileVersions(db, 'c2', 'notes/new.md')).toEqual([]);
  });
});
