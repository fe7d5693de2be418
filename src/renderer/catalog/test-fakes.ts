// Test-only: a fake engine for the catalog tests. It keeps version batches
// per device, answers catalog.changes from a cursor the way the engine does
// (reset when the cursor names another repository), hands out a catalog key
// per repository (catalog.key), and emits events. Also reads an IndexedDB raw,
// as a later page on the same origin would.

import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import type { ActivityItem, CatalogChanges, CatalogCursor, Course, FileVersion, StrataApi, StrataEventName, StrataEvents } from '../../shared/api';
import { StrataError } from '../../shared/errors';
import { localClient, type StrataClient } from '../api-client';
import { catalogDatabases, type CatalogDatabases } from './db';
import type { CatalogFeed } from './feed';
import type { CatalogStore } from './store';

interface Batch {
  device: string;
  seq: number;
  versions: FileVersion[];
}

type Listener = (payload: never) => void;

export class FakeEngine {
  repository: string;
  location = '/home/test/Strata';
  courses: Course[] = [];
  activity: ActivityItem[] = [];
  /** Set: every call fails with it (the engine unreachable). */
  failure: Error | undefined;
  /** Set: catalog.changes waits for it (the engine busy). */
  gate: Promise<void> | undefined;
  /** Set: the next catalog.changes answers with a reset (cursor unknown, e.g. history rebuilt). */
  resetNext = false;
  /** Set: catalog.key fails with it (a page that never authenticated, or a locked repository). */
  keyFailure: Error | undefined;
  /** How many times catalog.key was asked. */
  keyCalls = 0;
  /** Each repository's catalog key (base64 of 32 bytes), stable like the engine's. */
  readonly keys = new Map<string, string>();
  /** What catalog.changes was asked, and answered, in order. */
  readonly calls: Array<{ cursor: CatalogCursor; repository?: string }> = [];
  readonly answers: Array<CatalogChanges & { repository: string }> = [];
  private batches: Batch[] = [];
  private readonly listeners = new Map<StrataEventName, Set<Listener>>();

  constructor(repository = 'repo-a') {
    this.repository = repository;
  }

  /** Writes a version batch from `device` (its next seq). */
  record(device: string, versions: FileVersion[]): void {
    const seq = Math.max(0, ...this.batches.filter((b) => b.device === device).map((b) => b.seq)) + 1;
    this.batches.push({ device, seq, versions });
  }

  /** Another repository now answers (its history replaces this one's). */
  replaceRepository(repository: string, courses: Course[], batches: Array<{ device: string; versions: FileVersion[] }>): void {
    this.repository = repository;
    this.courses = courses;
    this.batches = [];
    for (const batch of batches) this.record(batch.device, batch.versions);
  }

  emit<E extends StrataEventName>(name: E, payload: StrataEvents[E]): void {
    for (const listener of this.listeners.get(name) ?? []) (listener as (p: StrataEvents[E]) => void)(payload);
  }

  listenerCount(name: StrataEventName): number {
    return this.listeners.get(name)?.size ?? 0;
  }

  /** The catalog key catalog.key hands out for `repository` (made on first use). */
  keyOf(repository = this.repository): string {
    let key = this.keys.get(repository);
    if (key === undefined) {
      key = randomCatalogKey();
      this.keys.set(repository, key);
    }
    return key;
  }

  client(): StrataClient {
    const api: Partial<StrataApi> = {
      'catalog.key': async () => {
        this.keyCalls += 1;
        this.check();
        if (this.keyFailure) throw this.keyFailure;
        return { repository: this.repository, key: this.keyOf() };
      },
      'repo.status': async () => {
        this.check();
        return { state: 'unlocked', path: this.location, defaultPath: this.location };
      },
      'catalog.changes': async ({ cursor, repository }) => {
        this.calls.push(repository === undefined ? { cursor: { ...cursor } } : { cursor: { ...cursor }, repository });
        await this.gate;
        this.check();
        const reset = this.resetNext || (repository !== undefined && repository !== this.repository);
        this.resetNext = false;
        const next: CatalogCursor = reset ? {} : { ...cursor };
        const versions: FileVersion[] = [];
        for (const batch of this.batches) {
          if (!reset && batch.seq <= (cursor[batch.device] ?? 0)) continue;
          versions.push(...batch.versions);
          next[batch.device] = Math.max(next[batch.device] ?? 0, batch.seq);
        }
        const answer = { cursor: next, courses: [...this.courses], versions, reset, repository: this.repository };
        this.answers.push(answer);
        return answer;
      },
      'activity.list': async ({ limit }) => {
        this.check();
        return [...this.activity].sort((a, b) => (a.time < b.time ? 1 : -1)).slice(0, limit);
      },
    };
    return localClient(api, {
      on: (event, listener) => {
        let set = this.listeners.get(event);
        if (!set) this.listeners.set(event, (set = new Set()));
        set.add(listener as Listener);
        return () => set.delete(listener as Listener);
      },
    });
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }
}

export function unavailable(): StrataError {
  return new StrataError('UNAVAILABLE', 'Cannot reach Strata.');
}

/** A version row; time grows with n unless given. */
export function version(course: string, file: string, n: number, fields: Partial<Omit<FileVersion, 'key' | 'course' | 'file' | 'n'>> = {}): FileVersion {
  return {
    key: `${file}@${n}`,
    course,
    file,
    n,
    path: `${file}.md`,
    op: n === 1 ? 'add' : 'edit',
    time: new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString(),
    author: 'Ada <ada@example.org>',
    device: 'dev-a',
    size: 100 + n,
    sha256: `sha-${file}-${n}`,
    kind: 'text',
    summary: '+1 lines',
    tags: [],
    ...fields,
  };
}

export function course(id: string, name: string): Course {
  return { id, name, path: `/home/test/${name}`, paused: false, state: 'active', files: 0, bytes: 0 };
}

export function activityItem(id: string, minute: number): ActivityItem {
  return { id, time: new Date(Date.UTC(2026, 0, 1) + minute * 60_000).toISOString(), kind: 'version', title: `item ${id}` };
}

/** An isolated IndexedDB (one per test) and catalogs over it. */
export function freshIndexedDb(): { idb: IDBFactory; open: () => CatalogDatabases } {
  const idb = new IDBFactory();
  return { idb, open: () => catalogDatabases({ indexedDB: idb, IDBKeyRange }) };
}

/** Every database in `idb` as a later page would read it: names, then each store's rows, as text (bytes as latin1 and UTF-8). */
export async function rawContents(idb: IDBFactory): Promise<{ names: string[]; text: string }> {
  const names = (await idb.databases()).map((d) => d.name ?? '').sort();
  const parts: string[] = [];
  for (const name of names) {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = idb.open(name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error(`cannot open ${name}`));
    });
    for (const store of Array.from(db.objectStoreNames)) {
      const rows = await new Promise<unknown[]>((resolve, reject) => {
        const request = db.transaction(store, 'readonly').objectStore(store).getAll();
        request.onsuccess = () => resolve(request.result as unknown[]);
        request.onerror = () => reject(request.error ?? new Error(`cannot read ${store}`));
      });
      parts.push(`${name}/${store}: ${JSON.stringify(rows, bytesAsText)}`);
    }
    db.close();
  }
  return { names, text: parts.join('\n') };
}

function bytesAsText(_key: string, value: unknown): unknown {
  const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : undefined;
  if (!bytes) return value;
  return `${Array.from(bytes, (b) => String.fromCharCode(b)).join('')} ${new TextDecoder().decode(bytes)}`;
}

/** A fresh catalog key as catalog.key hands it out: base64 of 32 random bytes. */
export function randomCatalogKey(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
}

/** The feed's open catalog; throws when there is none. */
export function catalogOf(feed: CatalogFeed): CatalogStore {
  const catalog = feed.catalog;
  if (!catalog) throw new Error('no catalog');
  return catalog;
}

/** Resolves when `check` stops throwing (polls; for state reached asynchronously). */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() - start > timeoutMs) throw err;
      await new Promise((wake) => setTimeout(wake, 10));
    }
  }
}
