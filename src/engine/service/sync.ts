// Sync with the remote (the first one configured): one BackgroundSync per
// remote runs every sync, the automatic ones after changes and the ones the
// user asks for (sync.now), so two never overlap. Each sync is an operation
// (progress, cancel); after it, other devices' versions are settled into the
// course folders (reconcile; what that records goes up at once) and the
// tiers migrate as the policy says. The status is emitted as 'sync.status'.

import type { SyncStatus } from '../../shared/api';
import { StrataError } from '../../shared/errors';
import { errorMessage } from '../errors';
import { listNames } from '../repo/repository';
import type { Backend } from '../storage/backend';
import { BackgroundSync } from '../sync/background-sync';
import { openRemote, type RemoteConfig } from '../sync/remote-location';
import { syncRepositories, type SyncOptions, type SyncResult } from '../sync/replicate';
import { Tiers } from '../tiers/tiers';
import { needsReconcile } from '../versions/merge';
import { BATCH_PREFIX } from '../versions/records';
import type { AppContext } from './context';
import { cancelled, type Operation } from './operations';

export interface SyncerOptions {
  /** Sync after changes and at the start (else only when asked). */
  automatic: boolean;
  /** Delay after a change before syncing (ms). */
  delayMs?: number;
}

interface Link {
  remote: RemoteConfig;
  backend: Backend;
  sync: BackgroundSync;
}

export class Syncer {
  private state: SyncStatus = { state: 'off' };
  private remote: RemoteConfig | undefined;
  private link: Promise<Link> | undefined;
  private op: Operation | undefined;
  private lastError: string | undefined;
  private stopped = false;

  constructor(private readonly ctx: AppContext, private readonly options: SyncerOptions) {
    this.configure();
  }

  status(): SyncStatus {
    return { ...this.state };
  }

  /** (Re)reads the remotes: the first one is synced with. */
  configure(): void {
    const remote = this.ctx.session.ws.state.remotes()[0];
    if (remote?.name === this.remote?.name && remote?.hot === this.remote?.hot && remote?.cold === this.remote?.cold) return;
    void this.unlink();
    this.remote = remote;
    this.lastError = undefined;
    this.setStatus(remote ? { state: 'idle', remote: remote.name } : { state: 'off' }, false);
    if (remote) this.request(0);
  }

  /** A sync soon, if syncing automatically (after changes). */
  request(delayMs?: number): void {
    if (!this.options.automatic || !this.remote || this.stopped) return;
    this.connect().then((l) => l.sync.request(delayMs ?? this.options.delayMs), () => undefined);
  }

  /** Syncs now (after a sync running) and resolves with the status after it; fails with UNAVAILABLE or CANCELLED. */
  async now(): Promise<SyncStatus> {
    if (!this.remote) return this.status();
    let link: Link;
    try {
      link = await this.connect();
    } catch (error) {
      throw new StrataError('UNAVAILABLE', `Cannot reach remote "${this.remote.name}": ${errorMessage(error)}`);
    }
    try {
      await link.sync.now();
    } catch (error) {
      if (error instanceof StrataError && error.code === 'CANCELLED') throw error;
      if ((error as { name?: string }).name === 'AbortError') throw cancelled('sync');
      throw new StrataError('UNAVAILABLE', `Sync with "${link.remote.name}" failed: ${errorMessage(error)}`);
    }
    return this.status();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.op?.cancel();
    await this.unlink();
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
    if (!remote || this.stopped) return Promise.reject(new StrataError('UNAVAILABLE', 'No remote to sync with.'));
    if (!this.link) {
      this.link = openRemote(remote, { create: true }).then((backend) => ({ remote, backend, sync: this.backgroundSync(remote, backend) }));
      this.link.catch((error: unknown) => {
        this.link = undefined; // try again at the next request
        this.failed(remote, errorMessage(error));
      });
    }
    return this.link;
  }

  private backgroundSync(remote: RemoteConfig, backend: Backend): BackgroundSync {
    const { session } = this.ctx;
    return new BackgroundSync(session.store, backend, {
      ...(this.options.delayMs !== undefined ? { delayMs: this.options.delayMs } : {}),
      sync: () => this.begin(remote),
      afterSync: () => this.afterSync(remote, backend),
      onSynced: (result) => this.synced(remote, result),
      onError: (message) => this.failed(remote, message),
      onCancelled: () => {
        this.op?.fail(cancelled('sync'));
        this.op = undefined;
        this.setStatus({ ...this.state, state: this.lastError ? 'error' : 'idle' });
      },
    });
  }

  /** A sync starts: its operation, and its options (evicted packs stay on the remote). */
  private begin(remote: RemoteConfig): SyncOptions {
    const op = this.ctx.ops.begin('sync', 'objects', `Syncing with ${remote.name}`);
    this.op = op;
    this.setStatus({ ...this.state, state: 'syncing', remote: remote.name });
    const view = this.ctx.session.view;
    return {
      signal: op.signal,
      skipDownload: (name) => view?.tierState.isEvicted(name) ?? false,
      onProgress: (p) => op.progress(p.done, p.total, `${p.direction === 'upload' ? 'up' : 'down'} ${p.name}`),
    };
  }

  /** After a sync: other devices' versions into the folders (and what that recorded up), then tier migration. */
  private async afterSync(remote: RemoteConfig, backend: Backend): Promise<void> {
    const { session } = this.ctx;
    const op = this.op;
    op?.check();
    if (needsReconcile(session.ws.state, await listNames(session.store, BATCH_PREFIX))) {
      let settled;
      try {
        settled = await session.exclusive(() => session.ws.reconcile());
      } finally {
        // Batches that arrived damaged, or name one that did not arrive (settling refuses to write on top of them).
        this.ctx.notices.history(session.ws.history.problems(session.ws.state));
      }
      if (settled.versions.length + settled.written.length + settled.removed.length + settled.kept.length > 0) {
        this.ctx.emit('catalog.changed', { versions: settled.versions.length });
        void this.ctx.activity.add({
          kind: 'sync',
          title: `Changes from other devices put in place`,
          detail: [...settled.written.map((p) => `updated ${p}`), ...settled.removed.map((p) => `removed ${p}`), ...settled.kept.map((p) => `kept ${p} (deleted on another device, but changed here)`), ...settled.waiting.map((p) => `waiting ${p}`)].slice(0, 20).join('\n'),
        });
      }
      for (const c of settled.conflicts) {
        void this.ctx.activity.add({ kind: 'error', title: `Conflict: ${c.folder}/${c.path} was changed on two devices at once`, detail: 'Keep one version: roll back to it (or edit the file).' });
      }
      // Merges recorded here go up now, so the other devices have them at their next sync.
      if (settled.versions.length > 0) await syncRepositories(session.store, backend, { upload: true, download: false, ...(op ? { signal: op.signal } : {}) });
    }
    const view = session.view;
    if (!view || !backend.setTier) return;
    const tiers = await Tiers.open(session.repo, session.dir, session.ws.history);
    const moved = await tiers.migrate(backend, await tiers.report({ name: remote.name, backend }), op ? { signal: op.signal } : {});
    if (moved.moved.objects > 0) {
      void this.ctx.activity.add({ kind: 'migration', title: `Moved ${moved.moved.objects} packs between "${remote.name}"'s tiers`, detail: `${moved.moved.bytes} bytes` });
    }
    for (const f of moved.failed.slice(0, 5)) void this.ctx.activity.add({ kind: 'error', title: `Could not move ${f.name} between tiers`, detail: f.message });
  }

  private synced(remote: RemoteConfig, result: SyncResult): void {
    const moved = result.uploaded.objects + result.downloaded.objects;
    this.op?.finish(`${result.uploaded.objects} up, ${result.downloaded.objects} down`);
    this.op = undefined;
    this.lastError = undefined;
    this.setStatus({ state: 'idle', remote: remote.name, lastSync: new Date().toISOString() });
    if (moved > 0) {
      void this.ctx.activity.add({
        kind: 'sync',
        title: `Synced with "${remote.name}": ${result.uploaded.objects} up, ${result.downloaded.objects} down`,
        detail: `${result.uploaded.bytes} bytes up, ${result.downloaded.bytes} bytes down`,
      });
    }
    // Files among the objects that are not objects, here or on the remote: not copied, said once each.
    for (const stray of result.strays) this.ctx.notices.stray(stray.name, stray.side === 'remote' ? `remote "${remote.name}"` : undefined);
    for (const c of result.conflicts.slice(0, 5)) {
      void this.ctx.activity.add({ kind: 'error', title: `${c.name} differs between here and "${remote.name}"`, detail: `here ${c.local} bytes, remote ${c.remote} bytes; left as it is (run a check on both)` });
    }
  }

  private failed(remote: RemoteConfig, message: string): void {
    this.op?.fail(new Error(message));
    this.op = undefined;
    this.setStatus({ ...this.state, state: 'error', remote: remote.name, error: message });
    if (message !== this.lastError) void this.ctx.activity.add({ kind: 'error', title: `Sync with "${remote.name}" failed`, detail: message });
    this.lastError = message;
  }

  /** Sets (and emits, if it changed) the status; the last sync's time is kept unless `keepLastSync` is false. */
  private setStatus(status: SyncStatus, keepLastSync = true): void {
    const lastSync = status.lastSync ?? (keepLastSync ? this.state.lastSync : undefined);
    const next: SyncStatus = { state: status.state, ...(status.remote ? { remote: status.remote } : {}), ...(lastSync ? { lastSync } : {}), ...(status.state === 'error' && status.error ? { error: status.error } : {}) };
    if (JSON.stringify(next) === JSON.stringify(this.state)) return;
    this.state = next;
    this.ctx.emit('sync.status', next);
  }
}
