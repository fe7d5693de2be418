// Activity: what happened, newest first — versions, syncs, tier migrations,
// restores. The newest page comes from the offline catalog (useActivity);
// 'activity' events are put on top as they arrive; "Load more" asks the
// engine for what came before the oldest item shown (activity.list).

import { useEffect, useId, useMemo, useState } from 'react';
import type { ActivityItem, Course } from '../../shared/api';
import { useApi } from '../api-context';
import { useActivity, useCatalogRefresh, useCatalogStatus, useCourses } from '../catalog';
import { BusyButton } from '../components/BusyButton';
import { ErrorNotice } from '../components/ErrorNotice';
import { useAction } from '../use-action';
import { OperationsProgress } from './OperationsProgress';
import { Empty, LoadError, Loading } from './ScreenStates';
import { When } from './When';

/** Items per page: the catalog's first page and each "Load more". */
export const ACTIVITY_PAGE = 50;

type Kind = ActivityItem['kind'];

export const activityKinds: Record<Kind, { label: string; icon: string }> = {
  version: { label: 'Version', icon: '✎' },
  sync: { label: 'Sync', icon: '⇅' },
  migration: { label: 'Tier move', icon: '⇄' },
  restore: { label: 'Restore', icon: '↺' },
  rollback: { label: 'Rollback', icon: '↶' },
  backup: { label: 'Backup', icon: '⬆' },
  check: { label: 'Check', icon: '✓' },
  error: { label: 'Error', icon: '⚠' },
};

function timeOf(item: ActivityItem): number {
  const time = Date.parse(item.time);
  return Number.isNaN(time) ? 0 : time;
}

/** One list, each id once (the first list that has it wins), newest first; ties keep their order. */
export function mergeActivity(...lists: ActivityItem[][]): ActivityItem[] {
  const seen = new Set<string>();
  const merged: ActivityItem[] = [];
  for (const list of lists) {
    for (const item of list) {
      if (seen.has(item.id)) continue;
      seen.add(item.id);
      merged.push(item);
    }
  }
  // Array.prototype.sort is stable.
  return merged.sort((a, b) => timeOf(b) - timeOf(a));
}

export function ActivityScreen() {
  const api = useApi();
  const titleId = useId();
  const filterId = useId();
  const recent = useActivity(ACTIVITY_PAGE);
  const courses = useCourses();
  const catalog = useCatalogStatus();
  const refreshCatalog = useCatalogRefresh();
  const [pushed, setPushed] = useState<ActivityItem[]>([]);
  const [older, setOlder] = useState<ActivityItem[]>([]);
  const [exhausted, setExhausted] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const [kind, setKind] = useState<Kind | 'all'>('all');
  const more = useAction();

  useEffect(
    () =>
      api.on('activity', (item) => {
        setPushed((previous) => [item, ...previous.filter((other) => other.id !== item.id)]);
        setAnnouncement(`New: ${item.title}`);
      }),
    [api],
  );

  const items = useMemo(() => mergeActivity(pushed, recent ?? [], older), [pushed, recent, older]);
  const shown = useMemo(() => (kind === 'all' ? items : items.filter((item) => item.kind === kind)), [items, kind]);
  const courseNames = useMemo(() => new Map((courses ?? []).map((course: Course) => [course.id, course.name])), [courses]);

  /** The page before the oldest item shown (or the newest page when none is); ids are time-ordered. */
  async function loadMore() {
    const oldest = items[items.length - 1];
    const args = oldest ? { before: oldest.id, limit: ACTIVITY_PAGE } : { limit: ACTIVITY_PAGE };
    const page = await more.run(() => api.call('activity.list', args));
    if (!page) return;
    const known = new Set(items.map((item) => item.id));
    const fresh = page.filter((item) => !known.has(item.id));
    setOlder((previous) => [...previous, ...fresh]);
    if (page.length < ACTIVITY_PAGE || fresh.length === 0) setExhausted(true);
    setAnnouncement(fresh.length > 0 ? `${fresh.length} older items loaded` : 'No older activity');
  }

  const offline = catalog.state === 'offline';
  let body;
  if (items.length === 0 && offline && !exhausted) {
    body = (
      <LoadError
        title="Activity could not be loaded"
        message={more.error?.message ?? catalog.error ?? 'Strata did not answer.'}
        onRetry={() => {
          refreshCatalog();
          void loadMore();
        }}
      />
    );
  } else if (recent === undefined && items.length === 0 && !exhausted) {
    body = <Loading>Loading activity…</Loading>;
  } else if (items.length === 0) {
    body = (
      <Empty title="Nothing has happened yet">
        Versions, syncs, tier moves and restores appear here as they happen.
      </Empty>
    );
  } else {
    body = (
      <>
        {offline && (
          <p className="notice notice-warning" role="status">
            Showing the activity saved on this computer: Strata is not answering right now
            {catalog.error ? ` (${catalog.error})` : ''}.
          </p>
        )}
        <div className="toolbar">
          <label htmlFor={filterId}>Show</label>
          <select id={filterId} value={kind} onChange={(event) => setKind(event.target.value as Kind | 'all')}>
            <option value="all">Everything</option>
            {(Object.keys(activityKinds) as Kind[]).map((value) => (
              <option key={value} value={value}>
                {activityKinds[value].label}
              </option>
            ))}
          </select>
        </div>
        {shown.length === 0 ? (
          <Empty title={`No ${activityKinds[kind as Kind].label.toLowerCase()} activity loaded`}>
            Choose “Everything”, or load older activity.
          </Empty>
        ) : (
          <ol className="activity-list" aria-label="Activity, newest first">
            {shown.map((item) => (
              <ActivityRow key={item.id} item={item} course={item.course && (courseNames.get(item.course) ?? item.course)} />
            ))}
          </ol>
        )}
        <ErrorNotice error={more.error} />
        <div className="actions">
          {exhausted ? (
            <p className="hint">That is everything.</p>
          ) : (
            <BusyButton type="button" className="secondary" busy={more.pending} busyLabel="Loading…" onClick={() => void loadMore()}>
              Load more
            </BusyButton>
          )}
        </div>
      </>
    );
  }

  return (
    <section className="screen activity-screen" aria-labelledby={titleId}>
      <h2 id={titleId}>Activity</h2>
      <p className="visually-hidden" role="status">
        {announcement}
      </p>
      <OperationsProgress />
      {body}
    </section>
  );
}

function ActivityRow({ item, course }: { item: ActivityItem; course: string | undefined }) {
  const meta = activityKinds[item.kind] ?? { label: item.kind, icon: '•' };
  return (
    <li className={`activity-item activity-${item.kind}`}>
      <span className="activity-icon" aria-hidden="true">
        {meta.icon}
      </span>
      <div className="activity-body">
        <p className="activity-title">
          <span className="kind-label">{meta.label}</span> {item.title}
        </p>
        {item.detail && <p className="hint">{item.detail}</p>}
      </div>
      <p className="activity-meta">
        {course && <span className="activity-course">{course}</span>}
        <When time={item.time} />
      </p>
    </li>
  );
}
