// The catalog's read side: the queries behind the hooks, as plain async
// functions over a CatalogStore (so Node tests can run them without React).
// Paths are sealed, so lookups by path run over a course's opened rows.

import type { ActivityItem, Course, FileEntry, FileVersion } from '../../shared/api';
import type { CatalogStore } from './store';

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Courses by name. */
export async function listCourses(catalog: CatalogStore): Promise<Course[]> {
  const courses = await catalog.courses();
  return courses.sort((a, b) => a.name.localeCompare(b.name) || byCodeUnits(a.id, b.id));
}

/** A course's files, live and deleted, by path (code-unit order), then file id. */
export async function listFiles(catalog: CatalogStore, course: string): Promise<FileEntry[]> {
  const files = await catalog.files(course);
  return files.sort((a, b) => byCodeUnits(a.path, b.path) || byCodeUnits(a.file, b.file));
}

/**
 * The file a path names: the live file there, else the file most recently
 * there (deleted, or renamed away since: versions follow the file id).
 */
export async function resolveFile(catalog: CatalogStore, course: string, path: string): Promise<string | undefined> {
  return (await findFile(catalog, course, path))?.file;
}

/** Every version of the file at `path`, oldest first (by n), across its renames. */
export async function fileVersions(catalog: CatalogStore, course: string, path: string): Promise<FileVersion[]> {
  const found = await findFile(catalog, course, path);
  return found ? catalog.history(found.file) : [];
}

/** How many versions the file at `path` has (0 if the catalog has none). */
export async function versionCount(catalog: CatalogStore, course: string, path: string): Promise<number> {
  const found = await findFile(catalog, course, path);
  if (!found) return 0;
  return (found.entry ?? (await catalog.file(found.file)))?.versions ?? 0;
}

// resolveFile's rule; `entry` when a file row is at the path now.
async function findFile(catalog: CatalogStore, course: string, path: string): Promise<{ file: string; entry?: FileEntry } | undefined> {
  let best: FileEntry | undefined;
  for (const row of await catalog.files(course)) {
    if (row.path !== path) continue;
    if (!best || (best.deleted && !row.deleted) || (best.deleted === row.deleted && row.lastChange > best.lastChange)) best = row;
  }
  if (best) return { file: best.file, entry: best };
  let newest: FileVersion | undefined;
  for (const versions of await catalog.courseHistories(course)) {
    for (const version of versions) if (version.path === path && (!newest || version.time > newest.time)) newest = version;
  }
  return newest && { file: newest.file };
}

/** Distinct version times of a course, oldest first (the point-in-time slider's stops). */
export async function courseVersionTimes(catalog: CatalogStore, course: string): Promise<string[]> {
  const times = new Set<string>();
  for (const versions of await catalog.courseHistories(course)) for (const version of versions) times.add(version.time);
  return [...times].sort();
}

/** The newest `limit` activity items, newest first. */
export async function recentActivity(catalog: CatalogStore, limit: number): Promise<ActivityItem[]> {
  const items = await catalog.activity();
  return items.sort((a, b) => byCodeUnits(b.time, a.time)).slice(0, limit);
}
