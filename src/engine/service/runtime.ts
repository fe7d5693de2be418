// One unlocked repository's app: the session, its activity log, the syncer
// and (unless turned off) the background watcher, wired through the shared
// AppContext: history changes become 'catalog.changed' and a sync request,
// course changes become 'courses.changed' and a watcher restart, and what
// opening met (strays, a repaired tier state, history problems) becomes
// notices. Created by repo.unlock/create, stopped by repo.lock (or another
// unlock).

import type { EventSink } from '../../shared/api';
import { errorMessage } from '../errors';
import { ActivityLog, activityPath } from './activity-log';
import { Background } from './background';
import type { AppContext } from './context';
import { listCourses } from './courses';
import { Notices } from './notices';
import type { Operations } from './operations';
import type { Session } from './session';
import { Syncer } from './sync';

export interface RuntimeOptions {
  /** Watch courses and sync automatically (off in tests: only explicit calls do work). */
  background: boolean;
  quietMs: number;
  /** Delay after a change before an automatic sync (ms). */
  syncDelayMs?: number;
}

export class Runtime {
  readonly ctx: AppContext;
  readonly syncer: Syncer;
  readonly background: Background | undefined;
  private stopping: Promise<void> | undefined;
  private readonly stopStrays: () => void;
  /** The courses.changed listings, in order. */
  private coursesListed: Promise<void> = Promise.resolve();

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
        this.syncer.request();
      },
      coursesChanged: (options) => {
        if (options?.watched !== false) this.background?.restart();
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
    notices.history(session.ws.history.problems(session.ws.state));
    this.syncer = new Syncer(ctx, { automatic: options.background, ...(options.syncDelayMs !== undefined ? { delayMs: options.syncDelayMs } : {}) });
    this.background = options.background ? new Background(ctx, { quietMs: options.quietMs }) : undefined;
    this.background?.start();
  }

  /** Stops the background work and the syncer, waits for work in progress, closes the repository. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.background?.stop();
      await this.syncer.stop();
      await this.session.close();
      this.stopStrays();
    })();
    return this.stopping;
  }
}
