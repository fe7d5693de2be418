// The offline catalog's IndexedDB storage (Dexie): one sealed database per
// repository, named from its key (seal.ts), holding courses, file rows, each
// file's history, activity and the sync cursor. Only opaque random ids (course
// and file ids) and ciphertext are stored; store.ts seals and opens the rows.
// Also deletes what the unsealed catalog of earlier versions left behind.
// Schema changes go in a new `this.version(n)`; never edit a shipped one.

import { Dexie, type DexieOptions, type EntityTable } from 'dexie';
import { SEALED_PREFIX } from './seal';

/** A row as stored: its id (and course id, for the index), the rest sealed. */
export interface SealedRow {
  /** IV, AES-GCM ciphertext and tag (seal.ts). */
  sealed: Uint8Array;
}
export interface CourseRow extends SealedRow {
  id: string;
}
export interface FileRow extends SealedRow {
  file: string;
  course: string;
}
/** All versions of one file in one row: a 10,000-version timeline opens with one decryption. */
export type HistoryRow = FileRow;
export interface ActivityRow extends SealedRow {
  /** Opaque (HMAC of the item's id, which carries its time). */
  id: string;
}
export interface MetaRow extends SealedRow {
  /** check: proves the key opens this database; sync: repository, cursor, last pull. */
  key: 'check' | 'sync';
}

export class CatalogDb extends Dexie {
  declare courses: EntityTable<CourseRow, 'id'>;
  /** One row per file (FileEntry), derived from its versions (see apply.ts). */
  declare files: EntityTable<FileRow, 'file'>;
  declare histories: EntityTable<HistoryRow, 'file'>;
  declare activity: EntityTable<ActivityRow, 'id'>;
  declare meta: EntityTable<MetaRow, 'key'>;

  constructor(name: string, options?: DexieOptions) {
    super(name, options);
    this.version(1).stores({
      courses: 'id',
      files: 'file, course',
      histories: 'file, course',
      activity: 'id',
      meta: 'key',
    });
  }
}

/** Opens catalog databases: one Dexie instance per name, shared by every feed over it. Holds no keys. */
export interface CatalogDatabases {
  open(name: string): CatalogDb;
  /** Deletes the unsealed catalog's databases (earlier versions), unread; once. */
  dropUnsealed(): Promise<void>;
  /** Closes every database opened here (tests; the app keeps them for its lifetime). */
  close(): void;
}

// What the unsealed catalog wrote: `strata-catalog-<repository id>` in clear,
// and a directory of locations (absolute paths) under this name.
const UNSEALED_DIRECTORY = 'strata-catalogs';
const UNSEALED_PREFIX = 'strata-catalog-';

function unsealed(name: string): boolean {
  return name === UNSEALED_DIRECTORY || (name.startsWith(UNSEALED_PREFIX) && !name.startsWith(SEALED_PREFIX));
}

/** `options` pick the IndexedDB implementation (tests pass fake-indexeddb's). */
export function catalogDatabases(options?: DexieOptions): CatalogDatabases {
  const open = new Map<string, CatalogDb>();
  let dropped: Promise<void> | undefined;
  return {
    open(name) {
      let db = open.get(name);
      if (!db) {
        db = new CatalogDb(name, options);
        open.set(name, db);
      }
      return db;
    },
    dropUnsealed() {
      dropped ??= dropUnsealedDatabases(options).catch(() => {
        // Tried again with the next CatalogDatabases (the next page load).
      });
      return dropped;
    },
    close() {
      for (const db of open.values()) db.close();
      open.clear();
    },
  };
}

async function dropUnsealedDatabases(options: DexieOptions | undefined): Promise<void> {
  // Dexie types its option loosely; it is an IDBFactory (the browser's, or fake-indexeddb's in tests).
  const factory = (options?.indexedDB as IDBFactory | undefined) ?? (typeof indexedDB === 'undefined' ? undefined : indexedDB);
  if (!factory) return;
  let names: string[];
  if (typeof factory.databases === 'function') {
    names = (await factory.databases()).flatMap((d) => (d.name === undefined ? [] : [d.name]));
  } else {
    // Older browsers cannot list databases: the unsealed directory names its catalogs.
    const directory = new Dexie(UNSEALED_DIRECTORY, options);
    directory.version(1).stores({ repositories: 'location, usedAt' });
    const entries = (await directory.table('repositories').toArray()) as Array<{ repository?: unknown }>;
    directory.close();
    names = [UNSEALED_DIRECTORY, ...entries.flatMap((e) => (typeof e.repository === 'string' ? [`${UNSEALED_PREFIX}${e.repository}`] : []))];
  }
  for (const name of names) {
    if (unsealed(name)) await new Dexie(name, options).delete();
  }
}

let shared: CatalogDatabases | undefined;

/** The app's catalogs, over the browser's IndexedDB. */
export function defaultCatalogDatabases(): CatalogDatabases {
  shared ??= catalogDatabases();
  return shared;
}
