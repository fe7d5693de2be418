// What the app modules share while a repository is unlocked: the session,
// the event sink, the activity log and its notices, the long operations, and
// the hooks that tell the rest of the app that history or courses changed
// (the service wires those to events, the background sync and the watcher).

import type { EventSink } from '../../shared/api';
import type { ActivityLog } from './activity-log';
import type { Notices } from './notices';
import type { Operations } from './operations';
import type { Session } from '../ops/session';

export interface AppContext {
  readonly session: Session;
  readonly emit: EventSink;
  readonly activity: ActivityLog;
  /** Strays, files not here, unrecordable names, repairs and history problems: logged once, counted by the Dashboard. */
  readonly notices: Notices;
  readonly ops: Operations;
  /** History changed here (versions or tags recorded, or settled from a sync): `versions` new versions. */
  historyChanged(versions: number): void;
  /**
   * Courses were added, removed, paused or changed state; `watched: false`
   * when which are watched did not change (only what is listed). Resolves
   * once the new list is emitted (never rejects).
   */
  coursesChanged(options?: { watched?: boolean }): Promise<void>;
}
