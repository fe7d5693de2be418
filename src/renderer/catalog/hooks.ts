// The hooks screens read the offline catalog with: live queries (dexie-react-
// hooks) over the current repository's catalog, re-run when the feed writes.
// Each returns undefined until there is an answer (no catalog or key yet, or
// loading).

import { useCallback, useContext, useSyncExternalStore } from 'react';
import { useLiveQuery } from 'dexie-react-hooks';
import type { ActivityItem, Course, FileEntry, FileVersion } from '../../shared/api';
import { CatalogContext } from './context';
import type { CatalogFeed, CatalogStatus } from './feed';
import { fileVersions, listCourses, listFiles, recentActivity, versionCount } from './queries';
import type { CatalogStore } from './store';

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

/** The current repository's catalog (with its key), for queries the hooks below do not cover. */
export function useCatalog(): CatalogStore | undefined {
  const feed = useFeed();
  return useSyncExternalStore(feed?.subscribe ?? noSubscription, () => feed?.catalog);
}

/** Tracked courses, by name. */
export function useCourses(): Course[] | undefined {
  const catalog = useCatalog();
  return useLiveQuery(() => (catalog ? listCourses(catalog) : undefined), [catalog]);
}

/** A course's files (live and deleted), sorted by path. */
export function useFiles(course: string): FileEntry[] | undefined {
  const catalog = useCatalog();
  return useLiveQuery(() => (catalog ? listFiles(catalog, course) : undefined), [catalog, course]);
}

/** The versions of the file at `path`, oldest first; the whole history of that file id, across renames. */
export function useFileVersions(course: string, path: string): FileVersion[] | undefined {
  const catalog = useCatalog();
  return useLiveQuery(() => (catalog ? fileVersions(catalog, course, path) : undefined), [catalog, course, path]);
}

/** How many versions the file at `path` has (0 if none), without loading them. */
export function useVersionCount(course: string, path: string): number | undefined {
  const catalog = useCatalog();
  return useLiveQuery(() => (catalog ? versionCount(catalog, course, path) : undefined), [catalog, course, path]);
}

/** The newest `limit` activity items, newest first. */
export function useActivity(limit = 100): ActivityItem[] | undefined {
  const catalog = useCatalog();
  return useLiveQuery(() => (catalog ? recentActivity(catalog, limit) : undefined), [catalog, limit]);
}
