// The background runtime of an unlocked repository, one object for every
// host (the app while unlocked, `strata watch [--sync]`): it watches the
// tracked folders that are not paused and scans each after a quiet moment;
// with a remote, it syncs after changes (one sync at a time, retried with
// growing delays), then settles other devices' versions into the folders
// (sending up at once what settling recorded), then migrates tiers as the
// policy says. Every write goes through the session's lock. Hosts hear of
// each step through BackgroundEvents and print or log it their own way.

import { EngineError, errorMessage } from '../errors';
import type { Backend } from '../storage/backend';
import { BackgroundSync, retryDelay, SyncCancelled } from '../sync/background-sync';
import { openRemote, type RemoteConfig } from '../sync/remote-location';
import { syncRepositories, type SyncProgress, type SyncResult } from '../sync/replicate';
import type { MigrationResult } from '../tiers/migrate';
import type { HistoryProblem } from '../versions/history';
import type { TrackedFolder } from '../versions/local-state';
import type { ReconcileResult } from '../versions/merge';
import type { ScanResult } from '../versions/scanner';
import { DEFAULT_QUIET_MS, FolderWatcher } from '../watch/folder-watcher';
import { activeFolders, scan } from './folders';
import { migrateOn } from './tiers';
import type { Session } from './session';
import { settle, settlingNeeded } from './settle';

export { DEFAULT_QUIET_MS };

/** Where syncing stands: off (no remote, or not syncing), idle, syncing, or failed (retrying). */
export interface SyncState {
  state: 'off' | 'idle' | 'syncing' | 'error';
  remote?: string;
  /** When the last sync finished (ISO 8601). */
  lastSync?: string;
  error?: string;
}

export interface BackgroundOptions {
  /** Watch the folders (else only explicit syncs and scans run). */
  watch: boolean;
  /** 'automatic': sync at the start and after changes; 'manual': only when asked (syncNow); 'off': never. */
  sync: 'automatic' | 'manual' | 'off';
  /** The remote to sync with (default: the first one configured). */
  remote?: string;
  /** Quiet time after a change before a folder is scanned (ms). */
  quietMs?: number;
  /** Delay after a change before an automatic sync (ms). */
  syncDelayMs?: number;
  /** Files changed less than this long ago are left for a later pass when settling (ms; default: the scanner's). */
  settleMs?: number;
  /** First and largest wait before trying a failed sync (or an unreachable remote) again (ms; default 5 s and 5 min). */
  retryMs?: number;
  maxRetryMs?: number;
}

/** What the runtime tells its host; every hook is optional and must not throw. */
export interface BackgroundEvents {
  /** A watcher scan ran (whether or not it recorded versions). */
  scanned?(folder: TrackedFolder, result: ScanResult): void;
  /** A file a scan or settling could not read or record. */
  warning?(path: string, message: string): void;
  /** Setting up the watch failed (it is tried again when the folders change). */
  watchFailed?(error: unknown): void;
  /** A watcher scan failed, or the watcher reported an error (it goes on). */
  scanFailed?(error: unknown): void;
  /** A sync starts: the host may give it a signal (to cancel it) and take its progress. */
  syncStarting?(remote: string): { signal?: AbortSignal; onProgress?: (progress: SyncProgress) => void };
  synced?(remote: string, result: SyncResult): void;
  /** A sync (or what follows it) failed; it is tried again in `retryInMs`. */
  syncFailed?(remote: string, message: string, retryInMs: number): void;
  syncCancelled?(remote: string): void;
  /** Other devices' versions were settled into the folders. */
  settled?(result: ReconcileResult): void;
  /** Settling what earlier syncs brought, at the start, failed (settling after a sync fails as the sync, in syncFailed); the next sync tries again. */
  settleFailed?(error: unknown): void;
  /** Damaged or missing version batches, as seen after settling (settling refuses to write on top of them). */
  historyProblems?(problems: HistoryProblem[]): void;
  migrated?(remote: string, result: MigrationResult): void;
  /** The sync state changed. */
  syncState?(state: SyncState): void;
}

interface Link {
  backend: Backend;
  sync: BackgroundSync;
}

export class BackgroundRuntime {
  private watcher: FolderWatcher | undefined;
  /** Watcher restarts, one after another. */
  private watching: Promise<void> = Promise.resolve();
  private running = false;
  private remote: RemoteConfig | undefined;
  private link: Promise<Link> | undefined;
  private state: SyncState = { state: 'off' };
  private lastError: string | undefined;
  private stopped = false;
  /** Settling what earlier syncs brought, started by start(). */
  private catchingUp: Promise<unknown> = Promise.resolve();
  /** Failed attempts to open the remote in a row, and the retry waiting. */
  private connectFailures = 0;
  private reconnect: NodeJS.Timeout | undefined;

  constructor(readonly session: Session, private readonly options: BackgroundOptions, private readonly events: BackgroundEvents = {}) {}

  private get quietMs(): number {
    return this.options.quietMs ?? DEFAULT_QUIET_MS;
  }

  /**
   * Starts: the remote is read (an automatic sync runs at once, and what an
   * earlier sync brought and was not settled yet is settled), and the
   * folders are watched (each scanned once first, catching up). Resolves
   * with the folders watched once the watch is set up.
   */
  async start(): Promise<readonly TrackedFolder[]> {
    this.running = true;
    await this.configure();
    if (this.options.sync === 'automatic' && this.remote) this.catchingUp = this.settleIfNeeded().catch((error: unknown) => this.events.settleFailed?.(error));
    await this.restart();
    return this.watched();
  }

  /** The folders watched now. */
  watched(): readonly TrackedFolder[] {
    return this.watcher?.folders ?? [];
  }

  /** Watches the folders as they are now (one was added, removed, paused or resumed). Failures go to watchFailed. */
  restart(): Promise<void> {
    if (!this.options.watch || !this.running) return this.watching;
    this.watching = this.watching.then(() => this.restartNow()).catch((error: unknown) => this.events.watchFailed?.(error));
    return this.watching;
  }

  /** (Re)reads the remotes after they changed: the one synced with may be another now. */
  async configure(): Promise<void> {
    if (this.options.sync === 'off') return;
    const { state } = await this.session.versions();
    const remotes = state.remotes.list();
    const remote = this.options.remote === undefined ? remotes[0] : remotes.find((r) => r.name === this.options.remote);
    if (remote?.name === this.remote?.name && remote?.hot === this.remote?.hot && remote?.cold === this.remote?.cold) return;
    void this.unlink();
    this.remote = remote;
    this.lastError = undefined;
    this.setState(remote ? { state: 'idle', remote: remote.name } : { state: 'off' }, false);
    if (remote) this.request(0);
  }

  syncState(): SyncState {
    return { ...this.state };
  }

  /** A sync soon, if syncing automatically (after changes). */
  request(delayMs?: number): void {
    if (this.options.sync !== 'automatic' || !this.remote || this.stopped) return;
    this.connect().then((l) => l.sync.request(delayMs ?? this.options.syncDelayMs), () => undefined);
  }

  /**
   * Syncs now (after a sync running) and resolves with its result (undefined
   * without a remote). Rejects with the reason it could not reach the remote
   * or the sync failed, or the signal's reason when cancelled.
   */
  async syncNow(): Promise<SyncResult | undefined> {
    const remote = this.remote; // none when syncing is off (configure reads no remote)
    if (!remote) return undefined;
    let link: Link;
    try {
      link = await this.connect();
    } catch (error) {
      throw new EngineError('UNAVAILABLE', `Cannot reach remote "${remote.name}": ${errorMessage(error)}`, { cause: error });
    }
    try {
      return await link.sync.now();
    } catch (error) {
      // Cancelled by the host's signal: what the sync threw (the signal's reason) goes up as it is.
      if (error instanceof SyncCancelled) throw error.error;
      throw new EngineError('UNAVAILABLE', `Sync with "${remote.name}" failed: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** Resolves when no scan is queued or running and no sync is running (tests, clean exits). */
  async idle(): Promise<void> {
    await this.catchingUp;
    await this.watching;
    await this.watcher?.idle();
    const link = await this.link?.catch(() => undefined);
    await link?.sync.idle();
  }

  /** Stops watching and syncing; a scan or sync in progress finishes first. Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    if (this.reconnect) clearTimeout(this.reconnect);
    await this.catchingUp;
    await this.watching;
    await this.watcher?.stop();
    this.watcher = undefined;
    await this.unlink();
  }

  private async restartNow(): Promise<void> {
    await this.watcher?.stop();
    this.watcher = undefined;
    if (!this.running) return;
    const folders = await activeFolders(this.session);
    if (folders.length === 0) return;
    const s = this.session;
    const watcher = new FolderWatcher(folders, {
      quietMs: this.quietMs,
      scan: (folder) => s.exclusive(() => scan(s, [folder.name], { settleMs: this.quietMs, ...this.warnings() })),
      onScan: (folder, result) => {
        this.events.scanned?.(folder, result);
        if (result.versions.length > 0) this.request();
      },
      onError: (error) => this.events.scanFailed?.(error),
    });
    this.watcher = watcher;
    await watcher.start(); // catches up first: what changed while not watched is recorded now
  }

  private retry(): { retryMs?: number; maxRetryMs?: number } {
    return { ...(this.options.retryMs !== undefined ? { retryMs: this.options.retryMs } : {}), ...(this.options.maxRetryMs !== undefined ? { maxRetryMs: this.options.maxRetryMs } : {}) };
  }

  private warnings(): { onWarning?: (path: string, message: string) => void } {
    const { warning } = this.events;
    return warning ? { onWarning: warning } : {};
  }

  private async unlink(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    if (!link) return;
    const l = await link.catch(() => undefined);
    if (!l) return;
    await l.sync.stop();
    await l.backend.close();
  }

  private connect(): Promise<Link> {
    const remote = this.remote;
    if (!remote || this.stopped) return Promise.reject(new Error('no remote to sync with'));
    if (!this.link) {
      this.link = openRemote(remote, { create: true }).then((backend) => {
        this.connectFailures = 0;
        return { backend, sync: this.backgroundSync(remote, backend) };
      });
      this.link.catch((error: unknown) => {
        this.link = undefined;
        // Tried again at the next request, and (syncing automatically) after a growing delay, as a failed sync is.
        this.connectFailures++;
        const retryInMs = retryDelay(this.connectFailures, this.retry());
        this.failed(remote, errorMessage(error), retryInMs);
        if (this.options.sync === 'automatic' && !this.stopped) {
          if (this.reconnect) clearTimeout(this.reconnect);
          this.reconnect = setTimeout(() => {
            this.reconnect = undefined;
            if (this.remote === remote) this.request(0);
          }, retryInMs);
        }
      });
    }
    return this.link;
  }

  private backgroundSync(remote: RemoteConfig, backend: Backend): BackgroundSync {
    const view = this.session.view;
    return new BackgroundSync(this.session.store, backend, {
      ...(this.options.syncDelayMs !== undefined ? { delayMs: this.options.syncDelayMs } : {}),
      ...this.retry(),
      // Evicted packs stay on the remote; copying packs is not reading them.
      sync: () => {
        const hooks = this.events.syncStarting?.(remote.name) ?? {};
        this.setState({ ...this.state, state: 'syncing', remote: remote.name });
        return { ...hooks, skipDownload: (name: string) => view?.tierState.isEvicted(name) ?? false };
      },
      // The sync's own signal (the host's, if it gave one): settling and migrating after it stop with it.
      afterSync: (sync) => this.afterSync(remote, backend, sync?.signal),
      onSynced: (result) => {
        this.lastError = undefined;
        this.setState({ state: 'idle', remote: remote.name, lastSync: new Date().toISOString() });
        this.events.synced?.(remote.name, result);
      },
      onError: (message, retryInMs) => this.failed(remote, message, retryInMs),
      onCancelled: () => {
        this.setState({ ...this.state, state: this.lastError ? 'error' : 'idle' });
        this.events.syncCancelled?.(remote.name);
      },
    });
  }

  /** After a sync: other devices' versions into the folders (and what that recorded up at once), then tier migration. */
  private async afterSync(remote: RemoteConfig, backend: Backend, signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    const settled = await this.settleIfNeeded();
    // Merges recorded here go up now, so the other devices have them at their next sync.
    if (settled && settled.versions.length > 0) await syncRepositories(this.session.store, backend, { upload: true, download: false, ...(signal ? { signal } : {}) });
    if (!this.session.view || !backend.setTier) return;
    const { migration } = await migrateOn(this.session, { name: remote.name, backend }, signal ? { signal } : {});
    this.events.migrated?.(remote.name, migration);
  }

  /** Settles other devices' versions into the folders when batches arrived that this machine has not settled. */
  private async settleIfNeeded(): Promise<ReconcileResult | undefined> {
    const s = this.session;
    const { state, history } = await s.versions();
    if (!(await settlingNeeded(state, s.store))) return undefined;
    let settled: ReconcileResult;
    try {
      settled = await s.exclusive(() => settle(s, { ...(this.options.settleMs !== undefined ? { settleMs: this.options.settleMs } : {}), ...this.warnings() }));
    } finally {
      // Batches that arrived damaged, or name one that did not arrive (settling refuses to write on top of them).
      const problems = history.problems(state.batches);
      if (problems.length > 0) this.events.historyProblems?.(problems);
    }
    this.events.settled?.(settled);
    return settled;
  }

  private failed(remote: RemoteConfig, message: string, retryInMs: number): void {
    this.setState({ ...this.state, state: 'error', remote: remote.name, error: message });
    this.lastError = message;
    this.events.syncFailed?.(remote.name, message, retryInMs);
  }

  /** Sets (and tells, if it changed) the sync state; the last sync's time is kept unless `keepLastSync` is false. */
  private setState(next: SyncState, keepLastSync = true): void {
    const lastSync = next.lastSync ?? (keepLastSync ? this.state.lastSync : undefined);
    const state: SyncState = { state: next.state, ...(next.remote ? { remote: next.remote } : {}), ...(lastSync ? { lastSync } : {}), ...(next.state === 'error' && next.error ? { error: next.error } : {}) };
    if (JSON.stringify(state) === JSON.stringify(this.state)) return;
    this.state = state;
    this.events.syncState?.(state);
  }
}
