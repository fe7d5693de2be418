// The offline catalog's IndexedDB storage (Dexie): one database per repository
// (`strata-catalog-<repository id>`) holding courses, versions, derived file
// rows, activity and the sync cursor; plus a small directory database that
// remembers which repository was last seen at which location, so a restart
// can open the right catalog (and its cursor) before the engine answers.
// Schema changes go in a new `this.version(n)`; never edit a shipped one.

import { Dexie, type DexieOptions, type EntityTable } from 'dexie';
import type { ActivityItem, CatalogCursor, Course, FileEntry, FileVersion } from '../../shared/api';

/** What the catalog has taken in, kept in `meta` under the key 'sync'. */
export interface CatalogMeta {
  key: 'sync';
  /** The repository the rows came from (always the database's own). */
  repository: string;
  /** The cursor to pull catalog.changes from next. */
  cursor: CatalogCursor;
  /** ISO time of the last successful pull. */
  lastSynced?: string;
}

export function catalogDbName(repository: string): string {
  return `strata-catalog-${repository}`;
}

export class CatalogDb extends Dexie {
  declare courses: EntityTable<Course, 'id'>;
  /** Every version of every file; key `${file}@${n}`, tags indexed (multi-entry). */
  declare versions: EntityTable<FileVersion, 'key'>;
  /** One row per file, derived from its versions (see apply.ts). */
  declare files: EntityTable<FileEntry, 'file'>;
  declare activity: EntityTable<ActivityItem, 'id'>;
  declare meta: EntityTable<CatalogMeta, 'key'>;

  readonly repository: string;

  constructor(repository: string, options?: DexieOptions) {
    super(catalogDbName(repository), options);
    this.repository = repository;
    this.version(1).stores({
      courses: 'id',
      versions: 'key, [course+path], [file+n], file, course, time, *tags',
      files: 'file, [course+path], course',
      activity: 'id, time',
      meta: 'key',
    });
  }
}

/** Which repository a location held when the catalog last synced with it. */
export interface DirectoryEntry {
  /** RepoStatus.path of the repository. */
  location: string;
  repository: string;
  /** ISO time it was last used. */
  usedAt: string;
}

export class CatalogDirectory extends Dexie {
  declare repositories: EntityTable<DirectoryEntry, 'location'>;

  constructor(options?: DexieOptions) {
    super('strata-catalogs', options);
    this.version(1).stores({ repositories: 'location, usedAt' });
  }

  /** The catalog for `location`; without one, the most recently used. */
  async find(location: string | undefined): Promise<DirectoryEntry | undefined> {
    if (location !== undefined) return this.repositories.get(location);
    return this.repositories.orderBy('usedAt').last();
  }

  async remember(location: string, repository: string, usedAt: string): Promise<void> {
    await this.repositories.put({ location, repository, usedAt });
  }
}

/** Opens catalog databases: one Dexie instance per repository, shared by every feed over it. */
export interface CatalogDatabases {
  open(repository: string): CatalogDb;
  readonly directory: CatalogDirectory;
  /** Closes every database opened here (tests; the app keeps them for its lifetime). */
  close(): void;
}

/** `options` pick the IndexedDB implementation (tests pass fake-indexeddb's). */
export function catalogDatabases(options?: DexieOptions): CatalogDatabases {
  const open = new Map<string, CatalogDb>();
  let directory: CatalogDirectory | undefined;
  return {
    open(repository) {
      let db = open.get(repository);
      if (!db) {
        db = new CatalogDb(repository, options);
        open.set(repository, db);
      }
      return db;
    },
    get directory() {
      directory ??= new CatalogDirectory(options);
      return directory;
    },
    close() {
      for (const db of open.values()) db.close();
      open.clear();
      directory?.close();
      directory = undefined;
    },
  };
}

let shared: CatalogDatabases | undefined;

/** The app's catalogs, over the browser's IndexedDB. */
export function defaultCatalogDatabases(): CatalogDatabases {
  shared ??= catalogDatabases();
  return shared;
}
