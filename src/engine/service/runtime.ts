// One unlocked repository's app: the session, its activity log and notices,
// the long operations, and the background runtime every host shares
// (ops/background.ts: watch -> scan -> sync -> settle -> migrate), wired
// through the AppContext: history changes become 'catalog.changed' and a
// sync request, course changes become 'courses.changed' and a watcher
// restart, and what the runtime does becomes activity items, notices,
// operations (a sync's progress and cancel) and 'sync.status'. Created by
// repo.unlock/create, stopped by repo.lock (or another unlock).

import type { EventSink, SyncStatus } from '../../shared/api';
import { errorMessage } from '../errors';
import { BackgroundRuntime, type BackgroundEvents, type SyncState } from '../ops/background';
import { classifyError } from '../ops/error-kind';
import type { Session } from '../ops/session';
import { ActivityLog, activityPath } from './activity-log';
import type { AppContext } from './context';
import { listCourses, reportScan } from './courses';
import { Notices } from './notices';
import { cancelled, type Operation, type Operations } from './operations';

export interface RuntimeOptions {
  /** Watch courses and sync automatically (off in tests: only explicit calls do work). */
  background: boolean;
  quietMs: number;
  /** Delay after a change before an automatic sync (ms). */
  syncDelayMs?: number;
}

export class Runtime {
  readonly ctx: AppContext;
  readonly background: BackgroundRuntime;
  private stopping: Promise<void> | undefined;
  private readonly stopStrays: () => void;
  /** The courses.changed listings, in order. */
  private coursesListed: Promise<void> = Promise.resolve();
  /** The sync running, as an operation (progress, cancel). */
  private syncOp: Operation | undefined;
  /** The last sync failure told as an activity item (a failure repeating while retried is told once). */
  private lastFailure: string | undefined;

  constructor(readonly session: Session, emit: EventSink, ops: Operations, options: RuntimeOptions) {
    const activity = new ActivityLog(activityPath(session.dir), emit);
    const notices = new Notices((entry) => activity.add(entry));
    const ctx: AppContext = {
      session,
      emit,
      activity,
      notices,
      ops,
      historyChanged: (versions) => {
        emit('catalog.changed', { versions });
        this.background.request();
      },
      coursesChanged: (changed) => {
        if (changed?.watched !== false) void this.background.restart();
        // One listing after another: a slower earlier one must not be emitted after (and over) a later one.
        this.coursesListed = this.coursesListed.then(() => listCourses(ctx)).then((courses) => emit('courses.changed', courses), (error: unknown) => {
          void activity.add({ kind: 'error', title: 'Listing the courses failed', detail: errorMessage(error) });
        });
        return this.coursesListed;
      },
    };
    this.ctx = ctx;
    // What opening met, and strays any later listing finds (the repository reports each once).
    for (const message of session.repaired) notices.repairedOnOpen(message);
    this.stopStrays = session.repo.strays.listen((name) => notices.stray(name));
    void session.versions().then(({ state, history }) => notices.history(history.problems(state.batches)), () => undefined);
    this.background = new BackgroundRuntime(session, {
      watch: options.background,
      sync: options.background ? 'automatic' : 'manual',
      quietMs: options.quietMs,
      ...(options.syncDelayMs !== undefined ? { syncDelayMs: options.syncDelayMs } : {}),
    }, this.events());
    void this.background.start().catch((error: unknown) => {
      void activity.add({ kind: 'error', title: 'Watching the course folders failed', detail: errorMessage(error) });
    });
  }

  /** Where syncing stands, as the contract says it. */
  syncStatus(): SyncStatus {
    return syncStatus(this.background.syncState());
  }

  /** Syncs now (after a sync running) and resolves with the status after it; fails with UNAVAILABLE or CANCELLED. */
  async syncNow(): Promise<SyncStatus> {
    try {
      await this.background.syncNow();
    } catch (error) {
      // Cancelled (the operation's reason, or an abort from below) is said as every cancelled operation is; else UNAVAILABLE, worded by the runtime.
      throw classifyError(error).kind === 'CANCELLED' ? cancelled('sync') : error;
    }
    return this.syncStatus();
  }

  /** The remotes changed: the one synced with may be another now. */
  remotesChanged(): Promise<void> {
    return this.background.configure();
  }

  /** Stops the background work, waits for work in progress, closes the repository. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.syncOp?.cancel();
      await this.background.stop();
      await this.session.close();
      this.stopStrays();
    })();
    return this.stopping;
  }

  private events(): BackgroundEvents {
    const { ctx } = this;
    return {
      scanned: (folder, result) => void reportScan(ctx, [folder], result),
      watchFailed: (error) => void ctx.activity.add({ kind: 'error', title: 'Watching the course folders failed', detail: errorMessage(error) }),
      scanFailed: (error) => void ctx.activity.add({ kind: 'error', title: 'Recording changes failed', detail: errorMessage(error) }),
      syncStarting: (remote) => {
        const op = ctx.ops.begin('sync', 'objects', `Syncing with ${remote}`);
        this.syncOp = op;
        return { signal: op.signal, onProgress: (p) => op.progress(p.done, p.total, `${p.direction === 'upload' ? 'up' : 'down'} ${p.name}`) };
      },
      synced: (remote, result) => {
        this.syncOp?.finish(`${result.uploaded.objects} up, ${result.downloaded.objects} down`);
        this.syncOp = undefined;
        this.lastFailure = undefined;
        if (result.uploaded.objects + result.downloaded.objects > 0) {
          void ctx.activity.add({
            kind: 'sync',
            title: `Synced with "${remote}": ${result.uploaded.objects} up, ${result.downloaded.objects} down`,
            detail: `${result.uploaded.bytes} bytes up, ${result.downloaded.bytes} bytes down`,
          });
        }
        // Files among the objects that are not objects, here or on the remote: not copied, said once each.
        for (const stray of result.strays) ctx.notices.stray(stray.name, stray.side === 'remote' ? `remote "${remote}"` : undefined);
        for (const c of result.conflicts.slice(0, 5)) {
          void ctx.activity.add({ kind: 'error', title: `${c.name} differs between here and "${remote}"`, detail: `here ${c.local} bytes, remote ${c.remote} bytes; left as it is (run a check on both)` });
        }
      },
      syncFailed: (remote, message) => {
        this.syncOp?.fail(new Error(message));
        this.syncOp = undefined;
        if (message !== this.lastFailure) void ctx.activity.add({ kind: 'error', title: `Sync with "${remote}" failed`, detail: message });
        this.lastFailure = message;
      },
      syncCancelled: () => {
        this.syncOp?.fail(cancelled('sync'));
        this.syncOp = undefined;
      },
      settleFailed: (error) => void ctx.activity.add({ kind: 'error', title: 'Putting changes from other devices in place failed', detail: errorMessage(error) }),
      settled: (settled) => {
        if (settled.versions.length + settled.written.length + settled.removed.length + settled.kept.length > 0) {
          ctx.emit('catalog.changed', { versions: settled.versions.length });
          void ctx.activity.add({
            kind: 'sync',
            title: 'Changes from other devices put in place',
            detail: [...settled.written.map((p) => `updated ${p}`), ...settled.removed.map((p) => `removed ${p}`), ...settled.kept.map((p) => `kept ${p} (deleted on another device, but changed here)`), ...settled.waiting.map((p) => `waiting ${p}`)].slice(0, 20).join('\n'),
          });
        }
        for (const c of settled.conflicts) {
          void ctx.activity.add({ kind: 'error', title: `Conflict: ${c.folder}/${c.path} was changed on two devices at once`, detail: 'Keep one version: roll back to it (or edit the file).' });
        }
      },
      historyProblems: (problems) => ctx.notices.history(problems),
      migrated: (remote, moved) => {
        if (moved.moved.objects > 0) {
          void ctx.activity.add({ kind: 'migration', title: `Moved ${moved.moved.objects} packs between "${remote}"'s tiers`, detail: `${moved.moved.bytes} bytes` });
        }
        for (const f of moved.failed.slice(0, 5)) void ctx.activity.add({ kind: 'error', title: `Could not move ${f.name} between tiers`, detail: f.message });
      },
      syncState: (state) => ctx.emit('sync.status', syncStatus(state)),
    };
  }
}

function syncStatus(state: SyncState): SyncStatus {
  return { state: state.state, ...(state.remote ? { remote: state.remote } : {}), ...(state.lastSync ? { lastSync: state.lastSync } : {}), ...(state.error ? { error: state.error } : {}) };
}
