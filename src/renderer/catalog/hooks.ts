// The hooks screens read the offline catalog with: live queries (dexie-react-
// hooks) over the current repository's catalog, re-run when the feed writes.
// Each returns undefined until there is an answer (no catalog yet, or loading).

import { useCallback, useContext, useSyncExternalStore } from 'react';
import { useLiveQuery } from 'dexie-react-hooks';
import type { ActivityItem, Course, FileEntry, FileVersion } from '../../shared/api';
import { CatalogContext } from './context';
import type { CatalogDb } from './db';
import type { CatalogFeed, CatalogStatus } from './feed';
import { fileVersions, listCourses, listFiles, recentActivity, versionCount } from './queries';

const LOADING: CatalogStatus = { state: 'loading' };
const noSubscription = (): (() => void) => () => {};

function useFeed(): CatalogFeed | null {
  const feed = useContext(CatalogContext);
  if (feed === undefined) throw new Error('catalog hooks used outside <CatalogProvider>');
  return feed;
}

/** Where the catalog stands: loading, ready, updating or offline (with lastSynced and why). */
export function useCatalogStatus(): CatalogStatus {
  const feed = useFeed();
  return useSyncExternalStore(feed?.subscribe ?? noSubscription, () => feed?.status ?? LOADING);
}

/** Asks the feed to pull now (e.g. a "Retry" button while offline). */
export function useCatalogRefresh(): () => void {
  const feed = useFeed();
  return useCallback(() => void feed?.refresh(), [feed]);
}

/** The current repository's catalog database, for queries the hooks below do not cover. */
export function useCatalogDb(): CatalogDb | undefined {
  const feed = useFeed();
  return useSyncExternalStore(feed?.subscribe ?? noSubscription, () => feed?.db);
}

/** Tracked courses, by name. */
export function useCourses(): Course[] | undefined {
  const db = useCatalogDb();
  return useLiveQuery(() => (db ? listCourses(db) : undefined), [db]);
}

/** A course's files (live and deleted), sorted by path. */
export function useFiles(course: string): FileEntry[] | undefined {
  const db = useCatalogDb();
  return useLiveQuery(() => (db ? listFiles(db, course) : undefined), [db, course]);
}

/** The versions of the file at `path`, oldest first; the whole history of that file id, across renames. */
export function useFileVersions(course: string, path: string): FileVersion[] | undefined {
  const db = useCatalogDb();
  return useLiveQuery(() => (db ? fileVersions(db, course, path) : undefined), [db, course, path]);
}

/** How many versions the file at `path` has (0 if none), without loading them. */
export function useVersionCount(course: string, path: string): number | undefined {
  const db = useCatalogDb();
  return useLiveQuery(() => (db ? versionCount(db, course, path) : undefined), [db, course, path]);
}

/** The newest `limit` activity items, newest first. */
export function useActivity(limit = 100): ActivityItem[] | undefined {
  const db = useCatalogDb();
  return useLiveQuery(() => (db ? recentActivity(db, limit) : undefined), [db, limit]);
}
