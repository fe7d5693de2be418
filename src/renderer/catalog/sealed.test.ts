// The catalog at rest, as a later page on the same origin would find it
// (docs/architecture.md, "the offline catalog is sealed"): after a fill, the
// raw IndexedDB holds no path, name, author, message, checksum, tag or
// activity text, and no database name says which repository; a page that
// never got the key reads nothing; a catalog sealed with another key, a
// damaged row or one left by the unsealed catalog is dropped and refilled,
// never read.

// First: Dexie's liveQuery does nothing without a global indexedDB (each test still
// gets its own IDBFactory through catalogDatabases()).
import 'fake-indexeddb/auto';
import { IDBKeyRange } from 'fake-indexeddb';
import { Dexie } from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { StrataError } from '../../shared/errors';
import type { CatalogDatabases } from './db';
import { CatalogFeed } from './feed';
import { courseVersionTimes, fileVersions, listCourses, listFiles, recentActivity } from './queries';
import { importCatalogKey } from './seal';
import { activityItem, catalogOf, course, eventually, FakeEngine, freshIndexedDb, randomCatalogKey, rawContents, unavailable, version } from './test-fakes';

const opened: CatalogDatabases[] = [];
const feeds: CatalogFeed[] = [];

afterEach(() => {
  for (const feed of feeds.splice(0)) feed.stop();
  for (const databases of opened.splice(0)) databases.close();
});

function startFeed(engine: FakeEngine, databases: CatalogDatabases): CatalogFeed {
  opened.push(databases);
  const feed = new CatalogFeed({ client: engine.client(), databases, retry: { initialMs: 20, maxMs: 80 } });
  feeds.push(feed);
  return feed;
}

// Everything the catalog must not show a later page, each distinct enough to search for.
const SECRET = {
  courseName: 'Quantum Ceramics',
  coursePath: '/home/ada/Quantum Ceramics',
  path: 'notes/secret-plan.md',
  oldPath: 'drafts/first-idea.md',
  author: 'Ada Lovelace <ada@example.org>',
  device: 'laptop-of-ada',
  message: 'graded the midterm',
  summary: '+17 lines in the essay',
  sha256: 'c0ffee11c0ffee22c0ffee33c0ffee44c0ffee55c0ffee66c0ffee77c0ffee88',
  tag: 'final-draft',
  activityTitle: 'Recorded secret-plan',
  activityDetail: 'the midterm answers',
  time: '2026-03-14T15:09:26.535Z',
};

function secretEngine(): FakeEngine {
  const engine = new FakeEngine('repo-5ec2e7');
  engine.location = '/home/ada/Strata-vault';
  engine.courses = [{ ...course('c1', SECRET.courseName), path: SECRET.coursePath }];
  engine.activity = [{ ...activityItem('act-1', 1), title: SECRET.activityTitle, detail: SECRET.activityDetail }];
  const fields = { author: SECRET.author, device: SECRET.device, summary: SECRET.summary };
  engine.record(SECRET.device, [
    version('c1', 'f1', 1, { ...fields, path: SECRET.oldPath }),
    version('c1', 'f1', 2, { ...fields, path: SECRET.path, from: SECRET.oldPath, op: 'rename', message: SECRET.message, sha256: SECRET.sha256, tags: [SECRET.tag], time: SECRET.time }),
    version('c1', 'f2', 1, fields),
  ]);
  return engine;
}

async function expectNothingReadable(idb: IDBFactory, engine: FakeEngine): Promise<void> {
  const { names, text } = await rawContents(idb);
  for (const secret of [...Object.values(SECRET), engine.repository, engine.location]) {
    expect(text, `raw catalog contains ${secret}`).not.toContain(secret);
    for (const name of names) expect(name).not.toContain(secret);
  }
  // Not even fragments: the file name of a path, the author's name, a part of the checksum.
  for (const fragment of ['secret-plan', 'Lovelace', 'c0ffee', 'midterm', 'Ceramics', '2026-03']) expect(text).not.toContain(fragment);
}

describe('the catalog at rest', () => {
  it('holds no path, name, author, message, checksum, tag, time or activity text in clear, and the screens still read them', async () => {
    const engine = secretEngine();
    const { idb, open } = freshIndexedDb();
    const feed = startFeed(engine, open());
    await feed.start();
    await eventually(async () => expect((await rawContents(idb)).text.length).toBeGreaterThan(0));

    await expectNothingReadable(idb, engine);

    // The rows are there, and the screens' queries read them back through the key.
    const catalog = catalogOf(feed);
    expect(await listCourses(catalog)).toEqual(engine.courses);
    expect((await listFiles(catalog, 'c1')).map((f) => [f.path, f.versions])).toEqual([
      ['f2.md', 1],
      [SECRET.path, 2],
    ]);
    const versions = await fileVersions(catalog, 'c1', SECRET.path);
    expect(versions.map((v) => [v.n, v.path, v.author, v.sha256, v.tags, v.message])).toEqual([
      [1, SECRET.oldPath, SECRET.author, 'sha-f1-1', [], undefined],
      [2, SECRET.path, SECRET.author, SECRET.sha256, [SECRET.tag], SECRET.message],
    ]);
    // The old name still leads to the file's history.
    expect((await fileVersions(catalog, 'c1', SECRET.oldPath)).map((v) => v.key)).toEqual(['f1@1', 'f1@2']);
    expect(await courseVersionTimes(catalog, 'c1')).toContain(SECRET.time);
    expect((await recentActivity(catalog, 5)).map((a) => [a.title, a.detail])).toEqual([[SECRET.activityTitle, SECRET.activityDetail]]);
  });

  it('gives a page that never got the key nothing to read, stored rows or not', async () => {
    const engine = secretEngine();
    const { idb, open } = freshIndexedDb();
    const first = startFeed(engine, open());
    await first.start();
    first.stop();
    for (const databases of opened.splice(0)) databases.close();

    // A new page: the server is gone (or answers another page's token): catalog.key fails.
    for (const failure of [unavailable(), new StrataError('LOCKED', 'The repository is locked.')]) {
      engine.keyFailure = failure;
      const later = startFeed(engine, open());
      await later.start();
      expect(later.catalog).toBeUndefined();
      expect(later.status.state).toBe('offline');
      expect(later.status.error).toBe(failure.message);
      later.stop();
    }
    await expectNothingReadable(idb, engine);

    // Authenticated again: the stored catalog opens and catches up from its cursor.
    engine.keyFailure = undefined;
    const back = startFeed(engine, open());
    await back.start();
    expect(engine.calls.at(-1)).toEqual({ cursor: { [SECRET.device]: 1 }, repository: engine.repository });
    const catalog = catalogOf(back);
    expect((await listFiles(catalog, 'c1')).map((f) => f.path)).toEqual(['f2.md', SECRET.path]);
  });

  it('drops the key when stopped (the repository locked)', async () => {
    const engine = secretEngine();
    const { open } = freshIndexedDb();
    const feed = startFeed(engine, open());
    await feed.start();
    expect(feed.catalog).toBeDefined();
    feed.stop();
    expect(feed.catalog).toBeUndefined();
  });

  it('drops and refills a catalog sealed with another key instead of reading garbage', async () => {
    const engine = secretEngine();
    const { open } = freshIndexedDb();
    const databases = open();
    const first = startFeed(engine, databases);
    await first.start();
    const keyA = await importCatalogKey({ repository: engine.repository, key: engine.keyOf() });
    first.stop();

    // A catalog sealed with key A under the name key B opens (planted, or a name collision).
    const keyB = randomCatalogKey();
    const nameB = (await importCatalogKey({ repository: engine.repository, key: keyB })).name;
    const from = databases.open(keyA.name);
    const to = databases.open(nameB);
    for (const table of from.tables) await to.table(table.name).bulkPut(await table.toArray());
    expect(await to.table('files').count()).toBe(2);

    // The engine's history has moved on meanwhile, and it now hands out key B.
    engine.keys.set(engine.repository, keyB);
    engine.replaceRepository(engine.repository, [course('c9', 'Other')], [{ device: 'dev-z', versions: [version('c9', 'z', 1)] }]);
    const feed = startFeed(engine, databases);
    await feed.start();

    // Nothing under key A was read (its cursor would have been sent): a full pull refilled it.
    expect(engine.calls.at(-1)).toEqual({ cursor: {} });
    const catalog = catalogOf(feed);
    expect(catalog.name).toBe(nameB);
    expect((await listCourses(catalog)).map((c) => c.name)).toEqual(['Other']);
    expect(await listFiles(catalog, 'c1')).toEqual([]);
    expect((await listFiles(catalog, 'c9')).map((f) => f.path)).toEqual(['z.md']);
    expect(await to.table('files').count()).toBe(1);
  });

  it('refills when a stored row does not open (damaged, or moved from another row)', async () => {
    const engine = secretEngine();
    const { open } = freshIndexedDb();
    const databases = open();
    const feed = startFeed(engine, databases);
    await feed.start();
    const catalog = catalogOf(feed);
    const calls = engine.calls.length;

    // Swap two files' sealed rows: each is well formed, but bound to the other's id.
    const files = catalog.db.table('files');
    const [a, b] = (await files.toArray()) as Array<Record<string, unknown>>;
    if (!a || !b) throw new Error('two file rows expected');
    await files.bulkPut([{ ...a, sealed: b['sealed'] }, { ...b, sealed: a['sealed'] }]);

    // The reader skips what does not open (never garbage), and the feed refills from scratch.
    expect((await listFiles(catalog, 'c1')).length).toBeLessThan(2);
    await eventually(async () => expect((await listFiles(catalog, 'c1')).map((f) => f.path)).toEqual(['f2.md', SECRET.path]));
    expect(engine.calls.slice(calls)).toContainEqual({ cursor: {} });
  });

  it('deletes the unsealed catalog an earlier version left, without reading it', async () => {
    const engine = secretEngine();
    const { idb, open } = freshIndexedDb();
    // What the unsealed catalog stored: rows in clear under the repository id, locations in a directory.
    const legacy = new Dexie(`strata-catalog-${engine.repository}`, { indexedDB: idb, IDBKeyRange });
    legacy.version(1).stores({ courses: 'id', versions: 'key, [course+path], [file+n], file, course, time, *tags', files: 'file, [course+path], course', activity: 'id, time', meta: 'key' });
    await legacy.table('courses').put({ ...course('c1', SECRET.courseName), path: SECRET.coursePath });
    await legacy.table('meta').put({ key: 'sync', repository: engine.repository, cursor: { [SECRET.device]: 1 }, lastSynced: SECRET.time });
    legacy.close();
    const directory = new Dexie('strata-catalogs', { indexedDB: idb, IDBKeyRange });
    directory.version(1).stores({ repositories: 'location, usedAt' });
    await directory.table('repositories').put({ location: engine.location, repository: engine.repository, usedAt: SECRET.time });
    directory.close();

    engine.courses = [course('c1', 'Physics')];
    const feed = startFeed(engine, open());
    await feed.start();

    // Its cursor was not used, and its rows are gone with it.
    expect(engine.calls).toEqual([{ cursor: {} }]);
    const { names } = await rawContents(idb);
    expect(names.some((name) => name === 'strata-catalogs' || name === `strata-catalog-${engine.repository}`)).toBe(false);
    await expectNothingReadable(idb, engine);
    const catalog = catalogOf(feed);
    expect((await listCourses(catalog)).map((c) => c.name)).toEqual(['Physics']);
  });
});
