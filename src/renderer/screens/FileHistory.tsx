// File history: pick a course and a file (tree with search, deleted files
// marked); its timeline of versions (virtualised: thousands scroll smoothly);
// pick two versions, or a version and "Now", to compare them; roll back to a
// version (confirmed), restore it elsewhere, or tag it.

import { useMemo, useState, type FormEvent } from 'react';
import type { Comparison, FileVersion, RestoreSummary, VersionOp } from '../../shared/api';
import { useApi } from '../api-context';
import { useCatalogStatus, useCourses, useFiles, useFileVersions } from '../catalog';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorNotice } from '../components/ErrorNotice';
import { Field } from '../components/Field';
import { VirtualList } from '../components/VirtualList';
import { formatBytes, formatCount } from '../format';
import { useAction } from '../use-action';
import { ComparisonView } from './ComparisonView';
import { CoursePicker, noCoursesState, useCourseChoice, type CourseChoice } from './CoursePicker';
import { FileTree } from './FileTree';
import { OperationsProgress } from './OperationsProgress';
import { RestoreToForm } from './RestoreToForm';
import { Loading } from './ScreenStates';
import { formatTime } from './time';
import './screens.css';

const NOW = 'now';
type TimelineItem = { kind: 'version'; key: string; version: FileVersion } | { kind: 'now'; key: typeof NOW };

const opLabels: Record<VersionOp, string> = {
  add: 'added',
  edit: 'edited',
  rename: 'renamed',
  delete: 'deleted',
  rollback: 'rolled back',
  restore: 'restored',
  merge: 'merged',
};

const versionKey = (n: number) => `v${n}`;
const keyNumber = (key: string) => Number(key.slice(1));

export function FileHistoryScreen(choice: CourseChoice = {}) {
  const courses = useCourses();
  const catalog = useCatalogStatus();
  const [course, setCourse] = useCourseChoice(courses, choice);
  const files = useFiles(course ?? '');
  const [selected, setSelected] = useState<{ course: string; path: string }>();
  const path = selected && selected.course === course ? selected.path : undefined;

  let body = noCoursesState(courses, catalog);
  if (courses !== undefined && body === undefined) {
    body = (
      <>
        <CoursePicker courses={courses} value={course} onChange={setCourse} />
        <div className="history-layout">
          <div className="history-files">
            {files === undefined ? (
              <p className="status" role="status">
                Loading files…
              </p>
            ) : (
              <FileTree
                files={files}
                selected={path}
                onSelect={(next) => course && setSelected({ course, path: next })}
              />
            )}
          </div>
          <div className="history-versions">
            {course && path ? (
              <FileTimeline key={`${course}\u0000${path}`} course={course} path={path} />
            ) : (
              <p className="empty">Choose a file to see its history.</p>
            )}
          </div>
        </div>
      </>
    );
  }

  return (
    <section className="screen" aria-labelledby="file-history-title">
      <div className="screen-header">
        <h2 id="file-history-title">File history</h2>
      </div>
      {body}
    </section>
  );
}


function FileTimeline({ course, path }: { course: string; path: string }) {
  const api = useApi();
  const versions = useFileVersions(course, path);
  const [picks, setPicks] = useState<string[]>([]);
  const compare = useAction();
  const [comparison, setComparison] = useState<Comparison>();
  const operation = useAction();
  const [done, setDone] = useState<string>();
  const [confirmRollback, setConfirmRollback] = useState(false);
  const [restoreOpen, setRestoreOpen] = useState(false);
  const [tag, setTag] = useState('');

  const items = useMemo<TimelineItem[]>(
    () => [
      ...(versions ?? []).map((version) => ({ kind: 'version' as const, key: versionKey(version.n), version })),
      { kind: 'now', key: NOW },
    ],
    [versions],
  );

  if (versions === undefined) {
    return (
      <p className="status" role="status">
        Loading versions…
      </p>
    );
  }
  const latest = versions[versions.length - 1];
  if (!latest) return <p className="empty">No versions of {path} in the catalog yet.</p>;

  const deletedNow = latest.op === 'delete';
  const numbers = picks.filter((key) => key !== NOW).map(keyNumber);
  const byNumber = new Map(versions.map((version) => [version.n, version]));
  // Rollback, restore and tag act on the version picked last.
  const targetN = numbers[numbers.length - 1];
  const targetVersion = targetN === undefined ? undefined : byNumber.get(targetN);

  function pick(item: TimelineItem) {
    setPicks((previous) =>
      previous.includes(item.key) ? previous.filter((key) => key !== item.key) : [...previous, item.key].slice(-2),
    );
  }

  async function runCompare() {
    if (picks.length !== 2 || numbers.length === 0) return;
    const [first, second] = numbers;
    const args =
      picks.includes(NOW) || second === undefined
        ? { course, path, a: first as number }
        : { course, path, a: Math.min(first as number, second), b: Math.max(first as number, second) };
    setComparison(undefined);
    const result = await compare.run(() => api.call('files.compare', args));
    if (result) setComparison(result);
  }

  async function act(work: () => Promise<RestoreSummary | FileVersion>, message: (result: RestoreSummary | FileVersion) => string) {
    setDone(undefined);
    const result = await operation.run(work);
    if (result) setDone(message(result));
    return result;
  }

  function rollback() {
    if (targetN === undefined) return;
    const n = targetN;
    setConfirmRollback(false);
    void act(
      () => api.call('files.rollback', { course, path, n }),
      () => `Rolled back ${path} to @${n}. The rollback is recorded as a new version.`,
    );
  }

  async function restoreTo(folder: string) {
    if (targetN === undefined) return;
    const n = targetN;
    const result = await act(
      () => api.call('files.restoreTo', { course, path, n, target: folder }),
      (result) => {
        const summary = result as RestoreSummary;
        const failed = summary.notRestored?.[0]; // one file: restored, or not and why
        return failed ? `Could not restore @${n}: ${failed.message}` : `Restored @${n} to ${summary.target || folder}.`;
      },
    );
    if (result) setRestoreOpen(false);
  }

  async function addTag(event: FormEvent) {
    event.preventDefault();
    const name = tag.trim();
    if (targetN === undefined || !name) return;
    const n = targetN;
    const result = await act(
      () => api.call('files.tag', { course, path, n, tag: name }),
      () => `Tagged @${n} “${name}”.`,
    );
    if (result) setTag('');
  }

  const pickedLabel = picks
    .map((key) => (key === NOW ? 'Now' : `@${keyNumber(key)}`))
    .join(' and ');

  return (
    <div className="timeline">
      <div className="timeline-header">
        <h3>
          <code>{path}</code>
          {deletedNow && <span className="badge badge-muted">Deleted</span>}
        </h3>
        <p className="hint" role="status">
          {formatCount(versions.length, 'version')}, newest @{latest.n} {formatTime(latest.time)}
        </p>
      </div>
      <p className="hint">Select two versions, or a version and Now, to compare them.</p>
      <VirtualList
        items={items}
        getKey={(item) => item.key}
        rowHeight={60}
        height={360}
        label={`Versions of ${path}`}
        className="list timeline-list"
        startAtEnd
        {...(picks.length > 0 ? { selectedKey: picks[picks.length - 1] } : {})}
        onSelect={pick}
        renderRow={(item) => <TimelineRow item={item} picked={picks.includes(item.key)} deletedNow={deletedNow} />}
      />
      <p className="picked" aria-live="polite">
        {picks.length === 0 ? 'Nothing selected.' : `Selected: ${pickedLabel}.`}
      </p>
      <div className="actions timeline-actions">
        <button
          type="button"
          className="primary"
          disabled={picks.length !== 2 || numbers.length === 0 || compare.pending}
          aria-busy={compare.pending}
          onClick={() => void runCompare()}
        >
          {compare.pending ? 'Comparing…' : 'Compare'}
        </button>
        <button
          type="button"
          className="secondary"
          disabled={targetN === undefined || operation.pending}
          onClick={() => setConfirmRollback(true)}
        >
          {targetN === undefined ? 'Roll back' : `Roll back to @${targetN}`}
        </button>
        <button
          type="button"
          className="secondary"
          aria-expanded={restoreOpen}
          disabled={targetN === undefined}
          onClick={() => setRestoreOpen((open) => !open)}
        >
          Restore elsewhere…
        </button>
      </div>
      {targetVersion && (
        <form className="inline-form" onSubmit={addTag} aria-label={`Tag @${targetVersion.n}`}>
          <Field label="Tag" value={tag} onChange={setTag} placeholder="e.g. final" autoComplete="off" />
          <button type="submit" className="secondary" disabled={!tag.trim() || operation.pending}>
            Add tag
          </button>
        </form>
      )}
      {restoreOpen && targetVersion && (
        <RestoreToForm
          label={`Restore @${targetVersion.n} elsewhere`}
          hint={`Writes ${path} as of @${targetVersion.n} into this folder.`}
          pending={operation.pending}
          error={operation.error}
          onRestore={(folder) => void restoreTo(folder)}
        />
      )}
      {operation.pending && <Loading>Working…</Loading>}
      <OperationsProgress />
      <ErrorNotice error={operation.error} fields={['target']} />
      {done && (
        <p className="notice notice-success" role="status">
          {done}
        </p>
      )}
      <ErrorNotice error={compare.error} />
      {compare.pending && (
        <p className="status" role="status">
          Comparing…
        </p>
      )}
      {comparison && <ComparisonView comparison={comparison} />}
      {confirmRollback && targetVersion && (
        <ConfirmDialog
          title={`Roll back ${path} to @${targetVersion.n}?`}
          confirmLabel="Roll back"
          onCancel={() => setConfirmRollback(false)}
          onConfirm={rollback}
        >
          <p>
            The file on disk is replaced by version @{targetVersion.n} of {formatTime(targetVersion.time)} by{' '}
            {targetVersion.author} ({formatBytes(targetVersion.size)}). Strata records this as a new version, so what
            is there now stays in the history.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function TimelineRow({ item, picked, deletedNow }: { item: TimelineItem; picked: boolean; deletedNow: boolean }) {
  if (item.kind === 'now') {
    return (
      <div className={picked ? 'version-row picked' : 'version-row'}>
        <div className="version-line">
          <strong className="version-n">Now</strong>
          <span className="version-summary">{deletedNow ? 'Not on disk' : 'The file on disk'}</span>
          {picked && <span className="badge">Selected</span>}
        </div>
      </div>
    );
  }
  const { version } = item;
  return (
    <div className={picked ? 'version-row picked' : 'version-row'}>
      <div className="version-line">
        <strong className="version-n">@{version.n}</strong>
        <span className={`op op-${version.op}`}>{opLabels[version.op]}</span>
        <time dateTime={version.time}>{formatTime(version.time)}</time>
        <span className="version-author">{version.author}</span>
        {picked && <span className="badge">Selected</span>}
      </div>
      <div className="version-detail">
        <span className="version-summary">
          {version.summary}
          {version.message ? ` — ${version.message}` : ''}
        </span>
        {version.tags.map((name) => (
          <span key={name} className="tag">
            {name}
          </span>
        ))}
      </div>
    </div>
  );
}
