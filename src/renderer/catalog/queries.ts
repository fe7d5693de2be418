// The catalog's read side: the queries behind the hooks, as plain async
// functions over a CatalogDb (so Node tests can run them without React).

import { Dexie } from 'dexie';
import type { ActivityItem, Course, FileEntry, FileVersion } from '../../shared/api';
import type { CatalogDb } from './db';

/** Courses by name. */
export async function listCourses(db: CatalogDb): Promise<Course[]> {
  const courses = await db.courses.toArray();
  return courses.sort((a, b) => a.name.localeCompare(b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A course's files, live and deleted, by path (code-unit order, as IndexedDB sorts). */
export async function listFiles(db: CatalogDb, course: string): Promise<FileEntry[]> {
  return db.files.where('[course+path]').between([course, Dexie.minKey], [course, Dexie.maxKey]).toArray();
}

/**
 * The file a path names: the live file there, else the file most recently
 * there (deleted, or renamed away since: versions follow the file id).
 */
export async function resolveFile(db: CatalogDb, course: string, path: string): Promise<string | undefined> {
  const rows = await db.files.where('[course+path]').equals([course, path]).toArray();
  let best: FileEntry | undefined;
  for (const row of rows) {
    if (!best || (best.deleted && !row.deleted) || (best.deleted === row.deleted && row.lastChange > best.lastChange)) best = row;
  }
  if (best) return best.file;
  const versions = await db.versions.where('[course+path]').equals([course, path]).toArray();
  let newest: FileVersion | undefined;
  for (const version of versions) if (!newest || version.time > newest.time) newest = version;
  return newest?.file;
}

/** Every version of the file at `path`, oldest first (by n), across its renames. */
export async function fileVersions(db: CatalogDb, course: string, path: string): Promise<FileVersion[]> {
  const file = await resolveFile(db, course, path);
  if (file === undefined) return [];
  return db.versions.where('[file+n]').between([file, Dexie.minKey], [file, Dexie.maxKey]).toArray();
}

/** How many versions the file at `path` has (0 if the catalog has none). */
export async function versionCount(db: CatalogDb, course: string, path: string): Promise<number> {
  const file = await resolveFile(db, course, path);
  if (file === undefined) return 0;
  return (await db.files.get(file))?.versions ?? 0;
}

/** The newest `limit` activity items, newest first. */
export async function recentActivity(db: CatalogDb, limit: number): Promise<ActivityItem[]> {
  return db.activity.orderBy('time').reverse().limit(limit).toArray();
}
