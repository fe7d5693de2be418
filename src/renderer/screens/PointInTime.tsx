// Point in time: a course as it was at a moment (picked on a slider over the
// course's version times, or typed), deleted files included and marked;
// restore all or some of it in place (confirmed) or into another folder.

import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { PointInTimeEntry, RestoreSummary } from '../../shared/api';
import type { StrataError } from '../../shared/errors';
import { useApi } from '../api-context';
import { useCatalogStatus, useCourses } from '../catalog';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorNotice } from '../components/ErrorNotice';
import { formatBytes, formatCount } from '../format';
import { useAction } from '../use-action';
import { useCourseVersionTimes } from './course-history';
import { CoursePicker, noCoursesState, useCourseChoice, type CourseChoice } from './CoursePicker';
import { OperationsProgress } from './OperationsProgress';
import { RestoreToForm } from './RestoreToForm';
import { Loading } from './ScreenStates';
import { formatTime, fromLocalInput, toLocalInput } from './time';
import './screens.css';

/** Index of the last time at or before `at` (0 if all are later). */
function stopAt(times: string[], at: string): number {
  const moment = Date.parse(at);
  let low = 0;
  let high = times.length - 1;
  let found = 0;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (Date.parse(times[middle] as string) <= moment) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

export function PointInTimeScreen(choice: CourseChoice = {}) {
  const courses = useCourses();
  const catalog = useCatalogStatus();
  const [course, setCourse] = useCourseChoice(courses, choice);

  let body = noCoursesState(courses, catalog);
  if (courses !== undefined && body === undefined) {
    body = (
      <>
        <CoursePicker courses={courses} value={course} onChange={setCourse} />
        {course && (
          <CourseAtMoment
            key={course}
            course={course}
            folder={courses.find((item) => item.id === course)?.path ?? ''}
          />
        )}
      </>
    );
  }

  return (
    <section className="screen" aria-labelledby="point-in-time-title">
      <div className="screen-header">
        <h2 id="point-in-time-title">Point in time</h2>
      </div>
      {body}
    </section>
  );
}

interface View {
  key: string;
  entries?: PointInTimeEntry[];
  error?: StrataError;
}

function CourseAtMoment({ course, folder }: { course: string; folder: string }) {
  const api = useApi();
  const times = useCourseVersionTimes(course);
  const momentId = useId();
  const [chosen, setChosen] = useState<string>();
  const at = chosen ?? times?.[times.length - 1];
  const [view, setView] = useState<View>();
  const [reload, setReload] = useState(0);
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const restore = useAction();
  const [summary, setSummary] = useState<RestoreSummary>();
  const [confirming, setConfirming] = useState(false);
  const [targetOpen, setTargetOpen] = useState(false);

  const key = `${at}#${reload}`;
  useEffect(() => {
    if (!at) return;
    let cancelled = false;
    // Waits for the slider to settle before asking.
    const timer = setTimeout(() => {
      api.call('history.at', { course, at }).then(
        (entries) => {
          if (!cancelled) setView({ key, entries: [...entries].sort((a, b) => a.path.localeCompare(b.path)) });
        },
        (error: StrataError) => {
          if (!cancelled) setView({ key, error });
        },
      );
    }, 150);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [api, course, at, key]);

  const current = view?.key === key ? view : undefined;
  const entries = current?.entries;
  const paths = useMemo(() => new Set(entries?.map((entry) => entry.path)), [entries]);
  // Only what is listed at this moment can be restored.
  const selected = [...picked].filter((path) => paths.has(path));

  if (times === undefined) {
    return (
      <p className="status" role="status">
        Loading the course's history…
      </p>
    );
  }
  if (times.length === 0 || !at) return <p className="empty">This course has no history yet.</p>;

  const index = stopAt(times, at);

  function toggle(path: string) {
    setPicked((previous) => {
      const next = new Set(previous);
      if (!next.delete(path)) next.add(path);
      return next;
    });
  }

  async function run(target?: string) {
    if (!at || selected.length === 0) return;
    const args = { course, at, paths: selected, ...(target ? { target } : {}) };
    setSummary(undefined);
    const result = await restore.run(() => api.call('history.restore', args));
    if (result) {
      setSummary(result);
      setReload((count) => count + 1);
      if (target) setTargetOpen(false);
    }
  }

  let list;
  if (current?.error) {
    list = <ErrorNotice error={current.error} />;
  } else if (!entries) {
    list = (
      <p className="status" role="status">
        Loading the files as they were…
      </p>
    );
  } else if (entries.length === 0) {
    list = <p className="empty">The course had no files at this moment.</p>;
  } else {
    const gone = entries.filter((entry) => entry.goneNow).length;
    list = (
      <>
        <p className="hint">
          {formatCount(entries.length, 'file')} at {formatTime(at)}
          {gone > 0 && `, ${gone.toLocaleString()} not on disk now`}.
        </p>
        <div className="table-scroll pit-scroll">
          <table className="data-table pit-table">
            <caption className="visually-hidden">Files as they were at {formatTime(at)}</caption>
            <thead>
              <tr>
                <th scope="col" className="check">
                  <SelectAll
                    all={selected.length === entries.length}
                    some={selected.length > 0}
                    onChange={(on) => setPicked(on ? new Set(paths) : new Set())}
                  />
                </th>
                <th scope="col">File</th>
                <th scope="col">Version</th>
                <th scope="col" className="number">
                  Size
                </th>
                <th scope="col">Saved</th>
                <th scope="col">Now</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.path} className={entry.goneNow ? 'gone' : undefined}>
                  <td className="check">
                    <input
                      type="checkbox"
                      aria-label={`Select ${entry.path}`}
                      checked={picked.has(entry.path)}
                      onChange={() => toggle(entry.path)}
                    />
                  </td>
                  <th scope="row">
                    <code className={entry.goneNow ? 'tree-file deleted' : 'tree-file'}>{entry.path}</code>
                  </th>
                  <td>@{entry.n}</td>
                  <td className="number">{formatBytes(entry.size)}</td>
                  <td>{formatTime(entry.time)}</td>
                  <td>
                    {entry.goneNow ? (
                      <span className="badge badge-warning">Not on disk now</span>
                    ) : (
                      <span className="hint">On disk</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </>
    );
  }

  return (
    <div className="pit">
      <div className="moment">
        <div className="field moment-slider">
          <label htmlFor={`${momentId}-slider`}>Timeline</label>
          <input
            id={`${momentId}-slider`}
            type="range"
            min={0}
            max={Math.max(times.length - 1, 0)}
            step={1}
            value={index}
            aria-valuetext={formatTime(times[index])}
            onChange={(event) => setChosen(times[Number(event.target.value)])}
          />
          <div className="moment-ends hint" aria-hidden="true">
            <span>{formatTime(times[0])}</span>
            <span>{formatTime(times[times.length - 1])}</span>
          </div>
        </div>
        <div className="field moment-input">
          <label htmlFor={momentId}>Moment</label>
          <input
            id={momentId}
            type="datetime-local"
            step={1}
            value={toLocalInput(at)}
            onChange={(event) => {
              const next = fromLocalInput(event.target.value);
              if (next) setChosen(next);
            }}
          />
        </div>
      </div>
      {list}
      <div className="actions">
        <span className="picked" aria-live="polite">
          {formatCount(selected.length, 'file')} selected
        </span>
        <button
          type="button"
          className="primary"
          disabled={selected.length === 0 || restore.pending}
          onClick={() => setConfirming(true)}
        >
          Restore here
        </button>
        <button
          type="button"
          className="secondary"
          aria-expanded={targetOpen}
          disabled={selected.length === 0}
          onClick={() => setTargetOpen((open) => !open)}
        >
          Restore to…
        </button>
      </div>
      {targetOpen && (
        <RestoreToForm
          label="Restore to another folder"
          hint="The selected files are written there as they were; the course folder is not touched."
          pending={restore.pending}
          error={restore.error}
          onRestore={(target) => void run(target)}
        />
      )}
      {restore.pending && <Loading>Restoring…</Loading>}
      <OperationsProgress />
      <ErrorNotice error={restore.error} fields={['target']} />
      {summary && <Summary summary={summary} />}
      {confirming && (
        <ConfirmDialog
          title={`Restore ${formatCount(selected.length, 'file')} in place?`}
          confirmLabel="Restore"
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void run();
          }}
        >
          <p>
            The selected files in <code>{folder}</code> are put back as they were at {formatTime(at)}. Each restore is
            recorded as a new version, so what is there now stays in the history.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function SelectAll({ all, some, onChange }: { all: boolean; some: boolean; onChange(on: boolean): void }) {
  const box = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (box.current) box.current.indeterminate = some && !all;
  }, [all, some]);
  return (
    <input ref={box} type="checkbox" aria-label="Select all" checked={all} onChange={() => onChange(!all)} />
  );
}

function Summary({ summary }: { summary: RestoreSummary }) {
  return (
    <div className="result" role="status" aria-live="polite">
      <p>
        <strong>
          Restored {formatCount(summary.written.length, 'file')} to <code>{summary.target}</code>
        </strong>
      </p>
      <dl>
        <dt>Written</dt>
        <dd>{formatCount(summary.written.length, 'file')}</dd>
        <dt>Removed</dt>
        <dd>{formatCount(summary.removed.length, 'file')}</dd>
        <dt>Versions recorded</dt>
        <dd>{summary.versions.toLocaleString()}</dd>
      </dl>
      {summary.notRestored && summary.notRestored.length > 0 && (
        <div className="notice notice-error" role="alert">
          <p>
            {formatCount(summary.notRestored.length, 'file')} could not be restored (what is on disk there was left as it was):
          </p>
          <ul>
            {summary.notRestored.map((file) => (
              <li key={`n:${file.path}`}>
                <code>{file.path}</code>: {file.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {summary.written.length + summary.removed.length > 0 && (
        <details className="history">
          <summary>Files</summary>
          <ul>
            {summary.written.map((path) => (
              <li key={`w:${path}`}>
                <code>{path}</code>
              </li>
            ))}
            {summary.removed.map((path) => (
              <li key={`r:${path}`}>
                <code>{path}</code> (removed)
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
