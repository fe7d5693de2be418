// <CatalogProvider>: runs the offline catalog for the app. Follows the
// repository's state (repo.status, repo.changed): while one is unlocked, a
// CatalogFeed keeps its catalog current (and holds its key; locking stops the
// feed, which drops it). When the engine stops answering, the catalog already
// open stays on screen, marked offline; a page that never got the key shows
// nothing, and says the engine cannot be reached.

import { useEffect, useState, type ReactNode } from 'react';
import type { RepoStatus } from '../../shared/api';
import { useApi } from '../api-context';
import { CatalogContext } from './context';
import { defaultCatalogDatabases, type CatalogDatabases } from './db';
import { CatalogFeed, type CatalogFeedOptions } from './feed';

export interface CatalogProviderProps {
  children: ReactNode;
  /** Where catalogs are stored (tests pass one over their own IndexedDB). */
  databases?: CatalogDatabases;
  /** Feed tuning; also how long repo.status may take before the last catalog is shown offline (busyAfterMs). */
  options?: Pick<CatalogFeedOptions, 'retry' | 'busyAfterMs' | 'activityLimit'>;
}

/** unknown: not asked yet; unreachable: the engine did not answer; locked: nothing to show. */
type Repo = { kind: 'unknown' } | { kind: 'unreachable' } | { kind: 'locked' } | { kind: 'unlocked'; path: string };

export function CatalogProvider({ children, databases, options }: CatalogProviderProps) {
  const client = useApi();
  const [repo, setRepo] = useState<Repo>({ kind: 'unknown' });
  const [feed, setFeed] = useState<CatalogFeed | null>(null);
  const stores = databases ?? defaultCatalogDatabases();
  const busyAfterMs = options?.busyAfterMs;
  const retryInitial = options?.retry?.initialMs;
  const retryMax = options?.retry?.maxMs;
  const activityLimit = options?.activityLimit;

  useEffect(() => {
    let cancelled = false;
    let delay = retryInitial ?? 1_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const seen = (status: RepoStatus): void => {
      if (!cancelled) setRepo(status.state === 'unlocked' ? { kind: 'unlocked', path: status.path } : { kind: 'locked' });
    };
    const unreachable = (): void => {
      if (!cancelled) setRepo((current) => (current.kind === 'unknown' ? { kind: 'unreachable' } : current));
    };
    const ask = (): void => {
      const slow = setTimeout(unreachable, busyAfterMs ?? 10_000);
      client.call('repo.status').then(
        (status) => {
          clearTimeout(slow);
          seen(status);
        },
        () => {
          clearTimeout(slow);
          unreachable();
          if (cancelled) return;
          timer = setTimeout(ask, delay);
          delay = Math.min(delay * 2, retryMax ?? 30_000);
        },
      );
    };
    const off = client.on('repo.changed', seen);
    ask();
    return () => {
      cancelled = true;
      clearTimeout(timer);
      off();
    };
  }, [client, busyAfterMs, retryInitial, retryMax]);

  // One feed per repository shown: the unlocked one, or (engine unreachable) one that says so and
  // keeps asking for the key.
  const location = repo.kind === 'unlocked' ? repo.path : undefined;
  const showing = repo.kind === 'unlocked' || repo.kind === 'unreachable';
  useEffect(() => {
    if (!showing) return;
    const next = new CatalogFeed({
      client,
      databases: stores,
      retry: { ...(retryInitial === undefined ? {} : { initialMs: retryInitial }), ...(retryMax === undefined ? {} : { maxMs: retryMax }) },
      ...(busyAfterMs === undefined ? {} : { busyAfterMs }),
      ...(activityLimit === undefined ? {} : { activityLimit }),
    });
    setFeed(next);
    void next.start();
    return () => {
      next.stop();
      setFeed((current) => (current === next ? null : current));
    };
  }, [client, stores, showing, location, retryInitial, retryMax, busyAfterMs, activityLimit]);

  return <CatalogContext.Provider value={feed}>{children}</CatalogContext.Provider>;
}
