// Folds one catalog.changes answer into a catalog: each touched file's history
// (stored versions overlaid with the incoming ones, renumbered ones replacing
// their old rows) and its file row recomputed, courses replaced, the cursor
// stored, all written in one transaction. Also the file-row derivation, which
// nothing else should redo.

import type { CatalogChanges, Course, FileEntry, FileVersion } from '../../shared/api';
import type { CatalogStore, FileHistoryRows } from './store';

export interface ApplyOptions {
  /** Drop everything first (a reset, a refill, or rows from a cursor of another catalog). */
  wipe: boolean;
  /** ISO time stored as lastSynced. */
  now: string;
  /** Courses to store instead of the answer's (newer ones from a courses.changed event). */
  courses?: Course[];
}

/** Writes `changes` into `store`; resolves once committed. */
export async function applyChanges(store: CatalogStore, changes: CatalogChanges & { repository: string }, options: ApplyOptions): Promise<void> {
  const incoming = groupByFile(changes.versions);
  const stored = options.wipe || incoming.size === 0 ? new Map<string, FileVersion[]>() : await store.histories([...incoming.keys()]);

  const files: FileEntry[] = [];
  const histories: FileHistoryRows[] = [];
  for (const [file, rows] of incoming) {
    const merged = mergeVersions(new Map((stored.get(file) ?? []).map((v) => [v.key, v])), rows);
    const versions = [...merged.values()].sort((a, b) => a.n - b.n);
    const entry = deriveFileEntry(versions);
    if (!entry) continue;
    files.push(entry);
    histories.push({ file, course: entry.course, versions });
  }

  await store.write({
    wipe: options.wipe,
    courses: options.courses ?? changes.courses,
    files,
    histories,
    meta: { repository: changes.repository, cursor: changes.cursor, lastSynced: options.now },
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

/** One file's versions after an answer: stored ones overlaid with incoming ones, minus stored ones that moved to another key. */
export function mergeVersions(stored: ReadonlyMap<string, FileVersion>, incoming: ReadonlyMap<string, FileVersion>): Map<string, FileVersion> {
  const movedTo = new Map<string, string>();
  for (const [key, version] of incoming) movedTo.set(identity(version), key);
  const merged = new Map<string, FileVersion>();
  for (const [key, version] of stored) {
    if (incoming.has(key)) continue;
    const now = movedTo.get(identity(version));
    if (now === undefined || now === key) merged.set(key, version);
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
