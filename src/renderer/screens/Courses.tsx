// Courses: the tracked course folders with their state, size, files and last
// change; add one (path field, or the desktop's folder picker), pause or
// resume watching, archive or activate, remove (confirmed), and for a course
// adopted from other devices, record the files it lacks here as deleted
// (confirmed: until then they are "not here yet", never deletions).

import { useState, type FormEvent } from 'react';
import type { Course } from '../../shared/api';
import { useApi } from '../api-context';
import { useCatalogStatus, useCourses } from '../catalog';
import { BusyButton } from '../components/BusyButton';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorNotice, fieldError } from '../components/ErrorNotice';
import { Field, PathField } from '../components/Field';
import { formatBytes, formatCount } from '../format';
import { useAction } from '../use-action';
import { formatShortTime } from './time';
import './screens.css';

/** The desktop bridge's folder picker, when this host has one. */
function folderPicker(): (() => Promise<string | undefined>) | undefined {
  const bridge = window.strata;
  return bridge?.pickFolder ? () => bridge.pickFolder?.() ?? Promise.resolve(undefined) : undefined;
}

export function CoursesScreen({ onOpenHistory }: { onOpenHistory?: (course: string) => void } = {}) {
  const courses = useCourses();
  const catalog = useCatalogStatus();
  const api = useApi();
  const change = useAction();
  const [removing, setRemoving] = useState<Course>();
  const [confirming, setConfirming] = useState<Course>();
  /** The course whose deletions are being recorded. */
  const [recording, setRecording] = useState<string>();

  const loading = courses === undefined || (courses.length === 0 && catalog.state === 'loading');
  const failed = catalog.error !== undefined && (courses === undefined || courses.length === 0);

  let list;
  if (failed) {
    list = (
      <div className="notice notice-error" role="alert">
        <strong>Courses could not be loaded.</strong> {catalog.error}
      </div>
    );
  } else if (loading) {
    list = (
      <p className="status" role="status">
        Loading courses…
      </p>
    );
  } else if (courses.length === 0) {
    list = <p className="empty">No courses yet — add a course folder</p>;
  } else {
    list = (
      <div className="table-scroll">
        <table className="data-table courses-table">
          <caption className="visually-hidden">Tracked course folders</caption>
          <thead>
            <tr>
              <th scope="col">Course</th>
              <th scope="col">State</th>
              <th scope="col" className="number">
                Files
              </th>
              <th scope="col" className="number">
                Size
              </th>
              <th scope="col">Last change</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {courses.map((course) => (
              <tr key={course.id}>
                <th scope="row">
                  <span className="course-name">{course.name}</span>
                  <code className="course-path">{course.path}</code>
                </th>
                <td>
                  <span className={`badge ${course.state === 'archived' ? 'badge-muted' : ''}`}>
                    {course.state === 'archived' ? 'Archived' : 'Active'}
                  </span>
                  {course.paused && <span className="badge badge-warning">Paused</span>}
                  {notHere(course) > 0 && (
                    <span className="badge badge-warning">{formatCount(notHere(course), 'file')} not here</span>
                  )}
                </td>
                <td className="number">{course.files.toLocaleString()}</td>
                <td className="number">{formatBytes(course.bytes)}</td>
                <td>{course.lastChange ? formatShortTime(course.lastChange) : 'No versions yet'}</td>
                <td>
                  <div className="row-actions">
                    <button
                      type="button"
                      className="secondary small"
                      disabled={change.pending}
                      onClick={() =>
                        void change.run(() => api.call('courses.pause', { course: course.id, paused: !course.paused }))
                      }
                    >
                      {course.paused ? 'Resume' : 'Pause'}
                    </button>
                    <button
                      type="button"
                      className="secondary small"
                      disabled={change.pending}
                      onClick={() =>
                        void change.run(() =>
                          api.call('courses.setState', {
                            course: course.id,
                            state: course.state === 'archived' ? 'active' : 'archived',
                          }),
                        )
                      }
                    >
                      {course.state === 'archived' ? 'Activate' : 'Archive'}
                    </button>
                    {notHere(course) > 0 && (
                      <BusyButton
                        type="button"
                        className="secondary small"
                        busy={change.pending && recording === course.id}
                        busyLabel="Recording…"
                        disabled={change.pending}
                        onClick={() => setConfirming(course)}
                      >
                        Confirm deletions
                      </BusyButton>
                    )}
                    {onOpenHistory && (
                      <button type="button" className="secondary small" onClick={() => onOpenHistory(course.id)}>
                        History
                      </button>
                    )}
                    <button
                      type="button"
                      className="secondary small danger-text"
                      disabled={change.pending}
                      onClick={() => setRemoving(course)}
                    >
                      Remove
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  }

  return (
    <section className="screen" aria-labelledby="courses-title">
      <div className="screen-header">
        <h2 id="courses-title">Courses</h2>
        {catalog.state === 'offline' && courses !== undefined && courses.length > 0 && (
          <span className="hint">Offline: showing the courses as last known.</span>
        )}
      </div>
      <AddCourse />
      <ErrorNotice error={change.error} />
      {list}
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.name}?`}
          confirmLabel="Remove"
          danger
          onCancel={() => setRemoving(undefined)}
          onConfirm={() => {
            const course = removing.id;
            setRemoving(undefined);
            void change.run(() => api.call('courses.remove', { course }));
          }}
        >
          <p>
            Strata stops tracking <code>{removing.path}</code>. Its history stays in the repository and the folder on
            disk is not touched.
          </p>
        </ConfirmDialog>
      )}
      {confirming && (
        <ConfirmDialog
          title={`Record deletions in ${confirming.name}?`}
          confirmLabel="Record as deleted"
          danger
          onCancel={() => setConfirming(undefined)}
          onConfirm={() => {
            const course = confirming.id;
            setConfirming(undefined);
            setRecording(course);
            void change.run(() => api.call('courses.confirmDeletions', { course })).finally(() => setRecording(undefined));
          }}
        >
          <p>
            {notHere(confirming) === 1
              ? '1 file of this course is not on this computer. Record it as deleted?'
              : `${formatCount(notHere(confirming), 'file')} of this course are not on this computer. Record them as deleted?`}
          </p>
          <p>
            This course came from other devices, so Strata has kept files missing here as not here yet. Their versions
            stay in the history, but other devices remove them from their folders at their next sync, and from now on a
            file missing from <code>{confirming.path}</code> is recorded as deleted.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

/** Files of an adopted course its last scan did not find here (0 for any other course). */
function notHere(course: Course): number {
  return course.adopted ? (course.notHere ?? 0) : 0;
}

function AddCourse() {
  const api = useApi();
  const action = useAction();
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [added, setAdded] = useState<Course>();
  const pick = folderPicker();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setAdded(undefined);
    const args = name.trim() ? { path, name: name.trim() } : { path };
    const course = await action.run(() => api.call('courses.add', args));
    if (course) {
      setAdded(course);
      setPath('');
      setName('');
    }
  }

  async function choose() {
    const chosen = await pick?.();
    if (chosen) setPath(chosen);
  }

  return (
    <form className="card add-course" onSubmit={submit} noValidate aria-labelledby="add-course-title">
      <h3 id="add-course-title">Add a course folder</h3>
      <div className="add-course-fields">
        <PathField
          label="Folder path"
          value={path}
          onChange={setPath}
          placeholder="/home/you/Courses/Intro to Ceramics"
          error={fieldError(action.error, 'path')}
        />
        {pick && (
          <button type="button" className="secondary" onClick={() => void choose()}>
            Choose folder…
          </button>
        )}
        <Field label="Name (optional)" value={name} onChange={setName} error={fieldError(action.error, 'name')} />
      </div>
      <ErrorNotice error={action.error} fields={['path', 'name']} />
      <div className="actions">
        <BusyButton busy={action.pending} busyLabel="Adding…">
          Add course
        </BusyButton>
        {action.pending && (
          <span className="status" role="status">
            Recording the folder's files…
          </span>
        )}
        {added && (
          <span className="status" role="status">
            Added {added.name}: {formatCount(added.files, 'file')} recorded.
          </span>
        )}
      </div>
    </form>
  );
}
