// CatalogStore: one repository's catalog database read and written through
// its key. Rows are sealed before they are stored and opened after they are
// read; queries that need a path run on the opened rows in memory. A database
// the key does not open is emptied, never read; a row that does not open is
// skipped and reported (`damaged`), so the feed refills the catalog.
// Sealing happens outside IndexedDB transactions: WebCrypto's promises would
// let a transaction commit early.

import type { ActivityItem, CatalogCursor, Course, FileEntry, FileVersion } from '../../shared/api';
import type { CatalogDatabases, CatalogDb, FileRow } from './db';
import { openRow, opaqueId, sealRow, type CatalogKey } from './seal';

/** What the catalog has taken in (meta 'sync'). */
export interface CatalogMeta {
  /** The repository the rows came from. */
  repository: string;
  /** The cursor to pull catalog.changes from next. */
  cursor: CatalogCursor;
  /** ISO time of the last successful pull. */
  lastSynced?: string;
}

/** One file's versions, as apply.ts writes them. */
export interface FileHistoryRows {
  file: string;
  course: string;
  versions: FileVersion[];
}

export interface CatalogWrite {
  /** Drop every row first (a reset, or a refill). */
  wipe: boolean;
  courses: Course[];
  files: FileEntry[];
  histories: FileHistoryRows[];
  meta: CatalogMeta;
}

// Sealed under the key in meta 'check': opening it proves the key is this database's.
const CHECK = 'strata catalog v1';

export class CatalogStore {
  private constructor(
    readonly db: CatalogDb,
    private readonly key: CatalogKey,
    private readonly damaged: () => void,
  ) {}

  /** Opens `key`'s catalog; a database the key does not open is emptied first. `damaged` is called when a row does not open. */
  static async open(databases: CatalogDatabases, key: CatalogKey, damaged: () => void): Promise<CatalogStore> {
    const store = new CatalogStore(databases.open(key.name), key, damaged);
    await store.claim();
    return store;
  }

  /** The database's (opaque) name. */
  get name(): string {
    return this.db.name;
  }

  /** The repository the key belongs to. */
  get repository(): string {
    return this.key.repository;
  }

  async meta(): Promise<CatalogMeta | undefined> {
    const row = await this.db.meta.get('sync');
    return row && ((await this.open('meta', row.key, row.sealed)) as CatalogMeta | undefined);
  }

  async courses(): Promise<Course[]> {
    const rows = await this.db.courses.toArray();
    return this.openAll(rows.map((row) => ['courses', row.id, row.sealed]));
  }

  /** A course's file rows, in no order. */
  async files(course: string): Promise<FileEntry[]> {
    const rows = await this.db.files.where('course').equals(course).toArray();
    return this.openAll(rows.map((row) => ['files', row.file, row.sealed]));
  }

  async file(file: string): Promise<FileEntry | undefined> {
    const row = await this.db.files.get(file);
    return row && ((await this.open('files', row.file, row.sealed)) as FileEntry | undefined);
  }

  /** A file's versions, oldest first (none if unknown). */
  async history(file: string): Promise<FileVersion[]> {
    const row = await this.db.histories.get(file);
    return row ? await this.openHistory(row) : [];
  }

  /** The versions of each of `files` that has any. */
  async histories(files: readonly string[]): Promise<Map<string, FileVersion[]>> {
    const rows = (await this.db.histories.bulkGet([...files])).filter((row): row is FileRow => row !== undefined);
    const opened = await Promise.all(rows.map((row) => this.openHistory(row)));
    return new Map(rows.map((row, i) => [row.file, opened[i] ?? []]));
  }

  /** Every version of a course's files, file by file. */
  async courseHistories(course: string): Promise<FileVersion[][]> {
    const rows = await this.db.histories.where('course').equals(course).toArray();
    return Promise.all(rows.map((row) => this.openHistory(row)));
  }

  async activity(): Promise<ActivityItem[]> {
    const rows = await this.db.activity.toArray();
    return this.openAll(rows.map((row) => ['activity', row.id, row.sealed]));
  }

  /** Writes one catalog.changes answer's rows in one transaction. */
  async write(changes: CatalogWrite): Promise<void> {
    const [courses, files, histories, meta] = await Promise.all([
      this.sealCourses(changes.courses),
      Promise.all(changes.files.map(async (entry) => ({ file: entry.file, course: entry.course, sealed: await sealRow(this.key, 'files', entry.file, entry) }))),
      Promise.all(changes.histories.map(async (h) => ({ file: h.file, course: h.course, sealed: await sealRow(this.key, 'histories', h.file, h.versions) }))),
      sealRow(this.key, 'meta', 'sync', changes.meta),
    ]);
    const db = this.db;
    await db.transaction('rw', [db.courses, db.files, db.histories, db.activity, db.meta], async () => {
      if (changes.wipe) {
        await Promise.all([db.files.clear(), db.histories.clear(), db.activity.clear()]);
      }
      await db.files.bulkPut(files);
      await db.histories.bulkPut(histories);
      await db.courses.clear();
      await db.courses.bulkPut(courses);
      await db.meta.put({ key: 'sync', sealed: meta });
    });
  }

  async replaceCourses(list: Course[]): Promise<void> {
    const courses = await this.sealCourses(list);
    await this.db.transaction('rw', this.db.courses, async () => {
      await this.db.courses.clear();
      await this.db.courses.bulkPut(courses);
    });
  }

  /** Stores activity items, keeping the newest `keep` (the catalog shows recent activity; activity.list has the rest). */
  async addActivity(items: readonly ActivityItem[], keep: number): Promise<void> {
    const rows = await Promise.all(
      items.map(async (item) => {
        const id = await opaqueId(this.key, 'activity', item.id);
        return { id, sealed: await sealRow(this.key, 'activity', id, item) };
      }),
    );
    await this.db.activity.bulkPut(rows);
    if ((await this.db.activity.count()) <= keep) return;
    const stored = await this.db.activity.toArray();
    const opened = await Promise.all(stored.map(async (row) => ({ id: row.id, item: (await this.open('activity', row.id, row.sealed)) as ActivityItem | undefined })));
    opened.sort((a, b) => (b.item?.time ?? '').localeCompare(a.item?.time ?? ''));
    await this.db.activity.bulkDelete(opened.slice(keep).map((row) => row.id));
  }

  // The key's claim on its database: the check row opens, or the database is emptied and claimed.
  private async claim(): Promise<void> {
    const check = await this.db.meta.get('check');
    if (check && (await openRow(this.key, 'meta', 'check', check.sealed)) === CHECK) return;
    const sealed = await sealRow(this.key, 'meta', 'check', CHECK);
    const db = this.db;
    await db.transaction('rw', db.tables, async () => {
      await Promise.all(db.tables.map((table) => table.clear()));
      await db.meta.put({ key: 'check', sealed });
    });
  }

  private sealCourses(courses: readonly Course[]): Promise<Array<{ id: string; sealed: Uint8Array }>> {
    return Promise.all(courses.map(async (course) => ({ id: course.id, sealed: await sealRow(this.key, 'courses', course.id, course) })));
  }

  private async openHistory(row: FileRow): Promise<FileVersion[]> {
    return ((await this.open('histories', row.file, row.sealed)) as FileVersion[] | undefined) ?? [];
  }

  private async openAll<T>(rows: Array<[table: string, id: string, sealed: Uint8Array]>): Promise<T[]> {
    const opened = await Promise.all(rows.map(([table, id, sealed]) => this.open(table, id, sealed)));
    return opened.filter((value) => value !== undefined) as T[];
  }

  // Authenticated rows are trusted as written (only this key's holder wrote them); one that does not open is reported.
  private async open(table: string, id: string, sealed: Uint8Array): Promise<unknown> {
    const value = await openRow(this.key, table, id, sealed);
    if (value === undefined) this.damaged();
    return value;
  }
}
