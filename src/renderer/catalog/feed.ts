// CatalogFeed: keeps one repository's catalog database up to date from the
// engine. Gets the catalog's key (catalog.key, so only an authenticated page
// can read the catalog) and holds it until stopped, pulls catalog.changes from
// the stored cursor (so a restart asks only for what is new), coalesces
// concurrent pulls, follows catalog.changed, courses.changed and activity
// events, refills a catalog with rows that do not open, retries with backoff
// when the engine fails, and publishes a status the UI shows (offline: the
// catalog is shown as it was). It owns no React; CatalogProvider drives it.

import type { ActivityItem, CatalogCursor, Course } from '../../shared/api';
import type { StrataClient } from '../api-client';
import { applyChanges } from './apply';
import type { CatalogDatabases } from './db';
import { importCatalogKey } from './seal';
import { CatalogStore } from './store';

export type CatalogState = 'loading' | 'ready' | 'updating' | 'offline';

export interface CatalogStatus {
  /** loading: nothing stored yet; updating: showing stored rows while pulling; offline: the last pull (or getting the key) failed or is stuck. */
  state: CatalogState;
  /** ISO time of the last successful pull (stored, so known offline too). */
  lastSynced?: string;
  /** Why the catalog is offline. */
  error?: string;
}

export interface CatalogFeedOptions {
  client: StrataClient;
  databases: CatalogDatabases;
  /** Backoff between failed pulls: from initialMs, doubling, up to maxMs. */
  retry?: { initialMs?: number; maxMs?: number };
  /** A pull still running after this long marks the catalog offline (the engine is busy). */
  busyAfterMs?: number;
  /** How much activity to seed from activity.list, and to keep. */
  activityLimit?: number;
  now?: () => Date;
}

const DEFAULT_RETRY_MS = 1_000;
const DEFAULT_MAX_RETRY_MS = 30_000;
const DEFAULT_BUSY_MS = 10_000;
const DEFAULT_ACTIVITY = 200;

export class CatalogFeed {
  private readonly client: StrataClient;
  private readonly databases: CatalogDatabases;
  private readonly retryInitial: number;
  private readonly retryMax: number;
  private readonly busyAfter: number;
  private readonly activityLimit: number;
  private readonly now: () => Date;

  /** The open catalog, with its key: dropped when stopped. */
  private current: CatalogStore | undefined;
  private currentStatus: CatalogStatus = { state: 'loading' };
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: Array<() => void> = [];

  private opened: Promise<void> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** A row did not open: the next pull starts over (cursor {}) and wipes. */
  private refill = false;
  private retryDelay: number;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private activitySeeded = false;
  /** Activity that arrived before a database was known. */
  private pendingActivity: ActivityItem[] = [];
  /** Latest courses.changed payload and how many have come, so a slower pull cannot undo one. */
  private latestCourses: Course[] | undefined;
  private coursesEvents = 0;

  constructor(options: CatalogFeedOptions) {
    this.client = options.client;
    this.databases = options.databases;
    this.retryInitial = options.retry?.initialMs ?? DEFAULT_RETRY_MS;
    this.retryMax = options.retry?.maxMs ?? DEFAULT_MAX_RETRY_MS;
    this.retryDelay = this.retryInitial;
    this.busyAfter = options.busyAfterMs ?? DEFAULT_BUSY_MS;
    this.activityLimit = options.activityLimit ?? DEFAULT_ACTIVITY;
    this.now = options.now ?? (() => new Date());
  }

  /** The catalog being shown; undefined until its key came (and after stop). */
  get catalog(): CatalogStore | undefined {
    return this.current;
  }

  get status(): CatalogStatus {
    return this.currentStatus;
  }

  /** Calls `listener` when the catalog or the status change (useSyncExternalStore). */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Opens the stored catalog, listens to events and pulls; resolves after the first pull (or its failure). */
  start(): Promise<void> {
    if (!this.opened) {
      this.unsubscribe.push(
        this.client.on('catalog.changed', () => void this.refresh()),
        this.client.on('courses.changed', (courses) => void this.coursesChanged(courses)),
        this.client.on('activity', (item) => void this.activity(item)),
      );
      this.opened = this.openStored();
    }
    return this.refresh();
  }

  /** Pulls what is new. Calls made while a pull runs share one more pull after it. */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<void> => {
      do {
        this.again = false;
        if (!(await this.pull())) break;
      } while (this.again && !this.stopped);
    };
    this.running = run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops listening and retrying and drops the key; in-flight pulls are dropped unwritten. Databases stay open (CatalogDatabases owns them). */
  stop(): void {
    this.stopped = true;
    this.current = undefined;
    clearTimeout(this.retryTimer);
    for (const off of this.unsubscribe.splice(0)) off();
    this.listeners.clear();
  }

  private async openStored(): Promise<void> {
    try {
      await this.databases.dropUnsealed();
      const store = await this.openCatalog();
      if (!store) return;
      const meta = await store.meta();
      if (this.stopped) return;
      this.current = store;
      if (meta?.lastSynced) this.currentStatus = { state: 'updating', lastSynced: meta.lastSynced };
      this.emit();
      await this.flushActivity();
    } catch {
      // No key (the engine did not answer, or locked) or no IndexedDB: the first pull tries again and says why.
    }
  }

  /** Asks for the key and opens its catalog; undefined once stopped. */
  private async openCatalog(): Promise<CatalogStore | undefined> {
    const key = await importCatalogKey(await this.client.call('catalog.key'));
    if (this.stopped) return undefined;
    const store = await CatalogStore.open(this.databases, key, this.damaged);
    return this.stopped ? undefined : store;
  }

  private readonly damaged = (): void => {
    if (this.refill || this.stopped) return;
    this.refill = true;
    void this.refresh();
  };

  /** One pull; false if it failed (the retry timer takes over). */
  private async pull(): Promise<boolean> {
    await this.opened;
    if (this.stopped) return false;
    const lastSynced = this.currentStatus.lastSynced;
    if (this.currentStatus.state !== 'offline') {
      this.setStatus(lastSynced === undefined ? { state: 'loading' } : { state: 'updating', lastSynced });
    }
    const coursesEventsBefore = this.coursesEvents;
    const busy = setTimeout(() => {
      this.setStatus({ ...this.offlineBase(), error: 'Strata is busy; showing the catalog as it was.' });
    }, this.busyAfter);
    let refill = false;
    try {
      const store = this.current ?? (await this.openCatalog());
      if (!store) return false;
      let meta = await store.meta().catch(() => undefined);
      // Taken now (after meta, which may be the damaged row): damage found later sets it again, for one more pull.
      refill = this.refill;
      this.refill = false;
      if (refill) meta = undefined;
      const cursor: CatalogCursor = meta?.cursor ?? {};
      const changes = await this.client.call('catalog.changes', meta ? { cursor, repository: meta.repository } : { cursor });
      if (this.stopped) return false;
      let target = store;
      if (changes.repository !== store.repository) {
        // Another repository answers here now: its key opens its own catalog.
        const other = await this.openCatalog();
        if (!other) return false;
        if (other.repository !== changes.repository) throw new Error('The repository changed while the catalog was updating.');
        target = other;
      }
      // Rows relative to another catalog's cursor must not be mixed into this one's.
      const wipe = changes.reset || refill || target !== store;
      const now = this.now().toISOString();
      await applyChanges(target, changes, {
        wipe,
        now,
        ...(this.coursesEvents !== coursesEventsBefore && this.latestCourses ? { courses: this.latestCourses } : {}),
      });
      if (this.stopped) return false;
      if (wipe) this.activitySeeded = false;
      if (target !== this.current) {
        this.current = target;
        this.emit();
      }
      await this.flushActivity();
      if (!this.activitySeeded) await this.seedActivity(target);
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.retryDelay = this.retryInitial;
      this.setStatus({ state: 'ready', lastSynced: now });
      return true;
    } catch (err) {
      if (this.stopped) return false;
      // A refill that did not happen is still owed.
      this.refill ||= refill;
      this.setStatus({ ...this.offlineBase(), error: err instanceof Error ? err.message : String(err) });
      this.activitySeeded = false;
      this.scheduleRetry();
      return false;
    } finally {
      clearTimeout(busy);
    }
  }

  private offlineBase(): CatalogStatus {
    const { lastSynced } = this.currentStatus;
    return lastSynced === undefined ? { state: 'offline' } : { state: 'offline', lastSynced };
  }

  private scheduleRetry(): void {
    clearTimeout(this.retryTimer);
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.retryMax);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.refresh();
    }, delay);
  }

  private async seedActivity(store: CatalogStore): Promise<void> {
    try {
      const items = await this.client.call('activity.list', { limit: this.activityLimit });
      if (this.stopped || store !== this.current) return;
      await store.addActivity(items, this.activityLimit);
      this.activitySeeded = true;
    } catch {
      // Seeded on the next successful pull; the catalog itself is current.
    }
  }

  private async coursesChanged(courses: Course[]): Promise<void> {
    this.latestCourses = courses;
    this.coursesEvents += 1;
    const store = this.current;
    if (!store) return;
    try {
      await store.replaceCourses(courses);
    } catch {
      // The next pull brings the courses again.
    }
  }

  private async activity(item: ActivityItem): Promise<void> {
    this.pendingActivity.push(item);
    if (this.pendingActivity.length > this.activityLimit) this.pendingActivity.shift();
    await this.flushActivity();
  }

  private async flushActivity(): Promise<void> {
    const store = this.current;
    if (!store || this.pendingActivity.length === 0) return;
    const items = this.pendingActivity.splice(0);
    try {
      await store.addActivity(items, this.activityLimit);
    } catch {
      // Dropped; activity.list brings it back after the next reconnect.
      this.activitySeeded = false;
    }
  }

  private setStatus(status: CatalogStatus): void {
    const previous = this.currentStatus;
    if (previous.state === status.state && previous.lastSynced === status.lastSynced && previous.error === status.error) return;
    this.currentStatus = status;
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}
