// The background part of an unlocked session: watching the tracked courses
// that are not paused (FolderWatcher: a quiet moment after a change, then a
// scan through the session's lock), reporting what each scan recorded
// ('catalog.changed', activity) and asking the syncer for a sync. Restarted
// when courses change; start and stop are idempotent.

import { errorMessage } from '../errors';
import { FolderWatcher } from '../watch/folder-watcher';
import type { AppContext } from './context';
import { activeCourses, reportScan } from './courses';

export interface BackgroundOptions {
  /** Quiet time after a change before the folder is scanned (ms). */
  quietMs: number;
}

export class Background {
  private watcher: FolderWatcher | undefined;
  /** Restarts, one after another. */
  private chain: Promise<void> = Promise.resolve();
  private running = false;

  constructor(private readonly ctx: AppContext, private readonly options: BackgroundOptions) {}

  /** Starts watching (again, if courses changed); does nothing after stop. */
  start(): void {
    this.running = true;
    this.restart();
  }

  /** Watches the courses as they are now (after one was added, removed, paused or resumed). */
  restart(): void {
    if (!this.running) return;
    this.chain = this.chain.then(() => this.restartNow()).catch((error: unknown) => {
      void this.ctx.activity.add({ kind: 'error', title: 'Watching the course folders failed', detail: errorMessage(error) });
    });
  }

  /** Stops watching; a scan in progress finishes first. */
  async stop(): Promise<void> {
    this.running = false;
    await this.chain;
    await this.watcher?.stop();
    this.watcher = undefined;
  }

  /** Resolves when no scan is queued or running (tests). */
  async idle(): Promise<void> {
    await this.chain;
    await this.watcher?.idle();
  }

  private async restartNow(): Promise<void> {
    await this.watcher?.stop();
    this.watcher = undefined;
    if (!this.running) return;
    const { session } = this.ctx;
    if (activeCourses(session.ws).length === 0) return;
    const watcher = new FolderWatcher(session.ws, {
      quietMs: this.options.quietMs,
      exclusive: (task) => session.exclusive(task),
      onScan: (folder, result) => void reportScan(this.ctx, [folder], result),
      onError: (error) => void this.ctx.activity.add({ kind: 'error', title: 'Recording changes failed', detail: errorMessage(error) }),
    });
    this.watcher = watcher;
    await watcher.start(); // catches up first: what changed while locked or paused is recorded now
  }
}
