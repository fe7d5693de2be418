// Folds one catalog.changes answer into a catalog database, in one transaction:
// versions upserted by key (renumbered ones replacing their old rows), the
// file rows of every file touched recomputed, courses replaced, the cursor
// stored. Also the file-row derivation, which nothing else should redo.

import type { CatalogChanges, Course, FileEntry, FileVersion } from '../../shared/api';
import type { CatalogDb } from './db';

export interface ApplyOptions {
  /** Drop everything first (a reset, or rows from a cursor of another catalog). */
  wipe: boolean;
  /** ISO time stored as lastSynced. */
  now: string;
  /** Courses to store instead of the answer's (newer ones from a courses.changed event). */
  courses?: Course[];
}

/** Writes `changes` into `db`; resolves once committed. */
export async function applyChanges(db: CatalogDb, changes: CatalogChanges & { repository: string }, options: ApplyOptions): Promise<void> {
  const incoming = groupByFile(changes.versions);
  await db.transaction('rw', [db.courses, db.versions, db.files, db.activity, db.meta], async () => {
    if (options.wipe) {
      await Promise.all([db.courses.clear(), db.versions.clear(), db.files.clear(), db.activity.clear(), db.meta.clear()]);
    }
    const stored = options.wipe || incoming.size === 0 ? [] : await db.versions.where('file').anyOf([...incoming.keys()]).toArray();
    const storedByFile = groupByFile(stored);

    const stale: string[] = [];
    const fileRows: FileEntry[] = [];
    for (const [file, rows] of incoming) {
      const merged = mergeVersions(storedByFile.get(file) ?? new Map(), rows, stale);
      const row = deriveFileEntry([...merged.values()]);
      if (row) fileRows.push(row);
    }

    await db.versions.bulkDelete(stale);
    await db.versions.bulkPut(changes.versions);
    await db.files.bulkPut(fileRows);
    await db.courses.clear();
    await db.courses.bulkPut(options.courses ?? changes.courses);
    await db.meta.put({ key: 'sync', repository: changes.repository, cursor: changes.cursor, lastSynced: options.now });
  });
}

function groupByFile(versions: readonly FileVersion[]): Map<string, Map<string, FileVersion>> {
  const byFile = new Map<string, Map<string, FileVersion>>();
  for (const version of versions) {
    let rows = byFile.get(version.file);
    if (!rows) byFile.set(version.file, (rows = new Map()));
    rows.set(version.key, version);
  }
  return byFile;
}

// What makes a version itself, whatever number it has now: numbers can shift
// after a sync (docs/format.md, "Numbering"), so a stored row whose version now
// comes under another key is stale and goes, even if nothing overwrites its key.
function identity(version: FileVersion): string {
  return [version.device, version.time, version.sha256, version.op, version.path].join('\u0000');
}

/** One file's rows after an answer: stored ones overlaid with incoming ones; keys of moved rows go to `stale`. */
export function mergeVersions(stored: ReadonlyMap<string, FileVersion>, incoming: ReadonlyMap<string, FileVersion>, stale: string[]): Map<string, FileVersion> {
  const movedTo = new Map<string, string>();
  for (const [key, version] of incoming) movedTo.set(identity(version), key);
  const merged = new Map<string, FileVersion>();
  for (const [key, version] of stored) {
    if (incoming.has(key)) continue;
    const now = movedTo.get(identity(version));
    if (now !== undefined && now !== key) stale.push(key);
    else merged.set(key, version);
  }
  for (const [key, version] of incoming) merged.set(key, version);
  return merged;
}

/** A file's row from all its versions: where and what its newest version is, how many, when last changed. */
export function deriveFileEntry(versions: readonly FileVersion[]): FileEntry | undefined {
  let newest: FileVersion | undefined;
  let lastChange = '';
  for (const version of versions) {
    if (!newest || version.n > newest.n) newest = version;
    if (version.time > lastChange) lastChange = version.time;
  }
  if (!newest) return undefined;
  return {
    course: newest.course,
    file: newest.file,
    path: newest.path,
    deleted: newest.op === 'delete',
    size: newest.size,
    versions: versions.length,
    lastChange,
  };
}
